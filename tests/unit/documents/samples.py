"""Hand-made facts for the document unit tests (the integration tests use real enrollments)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from counter_app.documents import (
    AgreementFacts,
    ApplicationFormFacts,
    ChangeFormFacts,
    ChangeRow,
    DeviceFacts,
    DocumentSeenFacts,
    IssuedFacts,
    PersonFacts,
    ReceiptFacts,
    UnitFacts,
)
from counter_app.domain.agreement import AgreementVersion

REPO = Path(__file__).resolve().parents[3]
# 06:30 UTC is 14:30 in Beijing: the documents must print China Standard Time.
WHEN = dt.datetime(2025, 3, 1, 6, 30, 5, tzinfo=dt.UTC)
SERIAL = "5F3A9C0D1E2B4A6C8D0E1F2A3B4C5D6E"

PERSON = PersonFacts(
    name="张三丰",
    id_type_zh="居民身份证",
    id_number="11010519491231002X",
    mobile="13800138000",
    email="zhang@example.cn",
    social_insurance_number="11010519491231002X",
)
UNIT = UnitFacts(
    name="太原市晋阳湖科技有限公司",
    uscc="91140100MA0K1234X5",
    legal_representative="李四",
    social_insurance_unit_number="140100123456",
    agent=PersonFacts("王五", "居民身份证", "140105198001011234", "13912345678"),
)
DEVICE = DeviceFacts(
    "社保自助终端01", "TERM-0001", "91140100MA0K1234X5", "太原市晋阳湖科技有限公司"
)


def receipt(**changes: object) -> ReceiptFacts:
    base = ReceiptFacts(
        receipt_number="R20250301-0007",
        application_id="A20250301-0012",
        payer="张三丰",
        service_zh="证书申请",
        certificate_type_zh="个人证书",
        fee_fen=30000,
        method="cash",
        tendered_fen=50000,
        change_fen=20000,
        clerk="clerk1",
        time=WHEN,
    )
    return _replace(base, changes)


def application(**changes: object) -> ApplicationFormFacts:
    base = ApplicationFormFacts(
        application_id="A20250301-0012",
        service_zh="证书申请",
        created_at=WHEN,
        subscriber=PERSON,
        documents=(DocumentSeenFacts("居民身份证", "11010519491231002X"),),
        certificate_type_zh="个人证书",
        key_algorithm="ec-p256",
        token_serial="0123456789ABCDEF",
        token_label="SUB1",
        clerk="clerk1",
        reviewer="rev1",
        status_zh="已办结",
        issued=IssuedFacts(SERIAL, WHEN, WHEN + dt.timedelta(days=365)),
    )
    return _replace(base, changes)


def change_form(**changes: object) -> ChangeFormFacts:
    base = ChangeFormFacts(
        application_id="A20250302-0003",
        action_zh="证书吊销",
        created_at=WHEN,
        subscriber=PERSON,
        certificate_type_zh="个人证书",
        serial=SERIAL,
        subject="CN=张三丰,O=个人,C=CN",
        not_before=WHEN,
        not_after=WHEN + dt.timedelta(days=365),
        reason_zh="密钥泄露",
        identity_checked=True,
        changes=(ChangeRow("证书状态", "有效", "已吊销"),),
        clerk="clerk1",
        reviewer=None,
        status_zh="已办结",
    )
    return _replace(base, changes)


def agreement_text() -> AgreementVersion:
    path = REPO / "resources" / "agreements" / "v1.zh.txt"
    return AgreementVersion.from_bytes("1", path.read_bytes())


def agreement(**changes: object) -> AgreementFacts:
    text = agreement_text()
    base = AgreementFacts(
        application_id="A20250301-0012",
        version=text.version,
        text=text.text,
        sha256=text.sha256,
        accepted_at=WHEN,
        subscriber=PERSON,
        clerk="clerk1",
        reviewer="rev1",
        signed_zh="纸质签字",
    )
    return _replace(base, changes)


def _replace(base: object, changes: dict[str, object]) -> object:
    import dataclasses

    return dataclasses.replace(base, **changes)  # type: ignore[type-var]


def tiny_png() -> bytes:
    """A 1×1 white PNG written by hand (a pad signature without Qt)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
