"""Hand-made facts for the document unit tests (the integration tests use real enrollments)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from counter_app import documents
from counter_app.domain.agreement import AgreementVersion
from counter_app.domain.subscribers import DocumentSeen, DocumentType, IdType, Individual, Unit

REPO = Path(__file__).resolve().parents[3]
# 06:30 UTC is 14:30 in Beijing: the documents must print China Standard Time.
WHEN = dt.datetime(2025, 3, 1, 6, 30, 5, tzinfo=dt.UTC)
SERIAL = "5F3A9C0D1E2B4A6C8D0E1F2A3B4C5D6E"

PERSON = Individual(
    name="张三丰",
    id_type=IdType.RESIDENT_ID,
    id_number="11010519491231002X",
    mobile="13800138000",
    email="zhang@example.cn",
    social_insurance_number="11010519491231002X",
)
UNIT = Unit(
    name="太原市晋阳湖科技有限公司",
    uscc="91140100MA0K1234X5",
    legal_representative="李四",
    social_insurance_unit_number="140100123456",
    agent=Individual("王五", IdType.RESIDENT_ID, "140105198001011234", "13912345678"),
)
DEVICE = documents.DeviceFacts(
    "社保自助终端01", "TERM-0001", "91140100MA0K1234X5", "太原市晋阳湖科技有限公司"
)


# What every counter form of these samples shows besides its own number and reviewer (the
# fields of CounterFormFacts).
FORM: dict[str, Any] = {
    "created_at": WHEN,
    "subscriber": PERSON,
    "certificate_type_zh": "个人证书",
    "clerk": "clerk1",
    "status_zh": "已办结",
}


def receipt(**changes: object) -> documents.ReceiptFacts:
    base = documents.ReceiptFacts(
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


def application(**changes: object) -> documents.ApplicationFormFacts:
    base = documents.ApplicationFormFacts(
        application_id="A20250301-0012",
        service_zh="证书申请",
        documents=(DocumentSeen(DocumentType.RESIDENT_ID_CARD, "11010519491231002X"),),
        key_algorithm="ec-p256",
        token_serial="0123456789ABCDEF",
        token_label="SUB1",
        reviewer="rev1",
        issued=documents.IssuedFacts(SERIAL, WHEN, WHEN + dt.timedelta(days=365)),
        **FORM,
    )
    return _replace(base, changes)


def change_form(**changes: object) -> documents.ChangeFormFacts:
    base = documents.ChangeFormFacts(
        application_id="A20250302-0003",
        action_zh="证书吊销",
        serial=SERIAL,
        subject="CN=张三丰,O=个人,C=CN",
        not_before=WHEN,
        not_after=WHEN + dt.timedelta(days=365),
        reason_zh="密钥泄露",
        identity_checked=True,
        changes=(documents.ChangeRow("证书状态", "有效", "已吊销"),),
        reviewer=None,
        **FORM,
    )
    return _replace(base, changes)


def agreement_text() -> AgreementVersion:
    path = REPO / "resources" / "agreements" / "v1.zh.txt"
    return AgreementVersion.from_bytes("1", path.read_bytes())


def agreement(**changes: object) -> documents.AgreementFacts:
    text = agreement_text()
    base = documents.AgreementFacts(
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
