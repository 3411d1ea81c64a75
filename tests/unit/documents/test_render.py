"""The four documents rendered from hand-made facts, judged from outside by poppler and zbar."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from counter_app import documents
from counter_app.documents import MissingGlyphs
from counter_app.domain.subscribers import DocumentSeen, DocumentType
from tests.unit.documents import pdftools, samples


def write(tmp_path: Path, data: bytes, name: str = "doc") -> Path:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    return path


ALL: dict[str, Callable[[], bytes]] = {
    "receipt": lambda: documents.render_receipt(samples.receipt()),
    "application": lambda: documents.render_application_form(samples.application()),
    "change": lambda: documents.render_change_form(samples.change_form()),
    "agreement": lambda: documents.render_agreement_record(samples.agreement()),
}


@pytest.mark.parametrize("kind", sorted(ALL))
def test_every_font_is_embedded_as_a_subset(tmp_path: Path, kind: str) -> None:
    found = pdftools.fonts(write(tmp_path, ALL[kind]()))
    assert found
    assert all(f.embedded and f.subset for f in found), found


@pytest.mark.parametrize("kind", sorted(ALL))
def test_every_page_is_numbered_of_the_total(tmp_path: Path, kind: str) -> None:
    pdf = write(tmp_path, ALL[kind]())
    total = pdftools.pages(pdf)
    for number in range(1, total + 1):
        # pdftotext drops the spaces between Chinese and digits: compare without them.
        page = re.sub(r"\s+", "", pdftools.page_text(pdf, number))
        assert f"第{number}页/共{total}页" in page


@pytest.mark.parametrize("kind", sorted(ALL))
def test_every_page_carries_a_qr_code_with_the_application_number(
    tmp_path: Path, kind: str
) -> None:
    pdf = write(tmp_path, ALL[kind]())
    expected = "A20250302-0003" if kind == "change" else "A20250301-0012"
    assert pdftools.qr_codes(pdf, tmp_path) == [expected] * pdftools.pages(pdf)


@pytest.mark.parametrize("kind", sorted(ALL))
def test_pages_are_a4(tmp_path: Path, kind: str) -> None:
    info = pdftools._run("pdfinfo", str(write(tmp_path, ALL[kind]())))
    assert re.search(r"Page size:\s+595\.2\d* x 841\.8\d* pts \(A4\)", info)


def test_receipt_shows_the_amount_in_figures_and_in_capitals(tmp_path: Path) -> None:
    text = pdftools.text(write(tmp_path, documents.render_receipt(samples.receipt())))
    pdftools.assert_shows(
        text,
        "R20250301-0007",
        "A20250301-0012",
        "张三丰",
        "证书申请",
        "个人证书",
        "¥ 300.00",
        "人民币叁佰元整",
        "现金",
        "¥ 500.00",
        "¥ 200.00",
        "clerk1",
    )


def test_receipt_prints_china_standard_time(tmp_path: Path) -> None:
    text = pdftools.text(write(tmp_path, documents.render_receipt(samples.receipt())))
    assert "2025-03-01 14:30:05" in text  # 06:30:05 UTC


def test_receipt_of_a_waiver_names_its_reference_and_approver(tmp_path: Path) -> None:
    facts = samples.receipt(
        method="waiver",
        tendered_fen=0,
        change_fen=0,
        waiver_reference="晋社保函〔2025〕12号",
        waiver_approved_by="supervisor",
    )
    text = pdftools.text(write(tmp_path, documents.render_receipt(facts)))
    assert "费用减免" in text
    assert "晋社保函〔2025〕12号" in text
    assert "supervisor" in text
    assert "¥ 0.00" in text
    assert "找零" not in text


def test_receipt_capitals_keep_the_fen(tmp_path: Path) -> None:
    facts = samples.receipt(fee_fen=120005, tendered_fen=120005, change_fen=0, method="card")
    text = pdftools.text(write(tmp_path, documents.render_receipt(facts)))
    assert "¥ 1,200.05" in text
    assert "人民币壹仟贰佰元零伍分" in text
    assert "刷卡" in text


def test_receipt_of_a_card_payment_has_no_change_line(tmp_path: Path) -> None:
    facts = samples.receipt(method="card", tendered_fen=30000, change_fen=0)
    text = pdftools.text(write(tmp_path, documents.render_receipt(facts)))
    assert "刷卡" in text
    assert "找零" not in text


def test_application_form_of_an_individual_fits_one_page(tmp_path: Path) -> None:
    pdf = write(tmp_path, documents.render_application_form(samples.application()))
    assert pdftools.pages(pdf) == 1
    text = pdftools.text(pdf)
    pdftools.assert_shows(
        text,
        "证书申请（更新）表",
        "张三丰",
        "11010519491231002X",
        "13800138000",
        "ECC P-256",
        samples.SERIAL,
        "2026-03-01 14:30:05",
        "申请人",
        "受理员",
        "审核员",
        "rev1",
    )


def test_application_form_of_a_unit_shows_the_agent_and_fits_one_page(tmp_path: Path) -> None:
    facts = samples.application(
        subscriber=samples.UNIT,
        documents=(
            DocumentSeen(DocumentType.BUSINESS_LICENCE, "91140100MA0K1234X5"),
            DocumentSeen(DocumentType.AUTHORISATION_LETTER, "WT-2025-001"),
            DocumentSeen(DocumentType.RESIDENT_ID_CARD, "140105198001011234"),
        ),
    )
    pdf = write(tmp_path, documents.render_application_form(facts))
    assert pdftools.pages(pdf) == 1
    text = pdftools.text(pdf)
    pdftools.assert_shows(
        text, "太原市晋阳湖科技有限公司", "91140100MA0K1234X5", "李四", "王五", "授权委托书"
    )
    assert "申请单位经办人" in text


def test_application_form_of_a_device_names_its_owner(tmp_path: Path) -> None:
    facts = samples.application(subscriber=samples.DEVICE)
    text = pdftools.text(write(tmp_path, documents.render_application_form(facts)))
    assert "社保自助终端01" in text
    assert "TERM-0001" in text
    assert "太原市晋阳湖科技有限公司" in text


def test_application_form_before_issuance_says_not_yet_issued(tmp_path: Path) -> None:
    facts = samples.application(issued=None)
    text = pdftools.text(write(tmp_path, documents.render_application_form(facts)))
    assert "证书尚未签发" in text
    assert samples.SERIAL not in text


def test_renewal_form_names_the_old_certificate(tmp_path: Path) -> None:
    facts = samples.application(service_zh="证书密钥更新", old_serial="0A" * 16)
    text = pdftools.text(write(tmp_path, documents.render_application_form(facts)))
    assert "证书密钥更新" in text
    assert "0A" * 16 in text


def test_change_form_shows_action_reason_and_before_after(tmp_path: Path) -> None:
    pdf = write(tmp_path, documents.render_change_form(samples.change_form()))
    assert pdftools.pages(pdf) == 1
    text = pdftools.text(pdf)
    pdftools.assert_shows(
        text, "证书变更、挂起、解挂、吊销表", "证书吊销", "密钥泄露", samples.SERIAL, "已吊销"
    )
    assert re.search(r"证书状态\s+有效\s+已吊销", text)


def test_agreement_record_prints_the_whole_text(tmp_path: Path) -> None:
    pdf = write(tmp_path, documents.render_agreement_record(samples.agreement()))
    flat = pdftools.flat_text(pdf)
    for line in samples.agreement_text().text.splitlines():
        assert re.sub(r"\s+", "", line) in flat, line[:30]


def test_agreement_record_shows_version_hash_and_approver(tmp_path: Path) -> None:
    facts = samples.agreement()
    pdf = write(tmp_path, documents.render_agreement_record(facts))
    text = pdftools.text(pdf)
    assert facts.sha256 in text
    assert "第 1 版" in text
    assert "2025-03-01 14:30:05" in text
    assert "审核员（批准）" in text
    assert "rev1" in text


def test_agreement_record_runs_over_pages_and_keeps_signatures_with_their_heading(
    tmp_path: Path,
) -> None:
    pdf = write(tmp_path, documents.render_agreement_record(samples.agreement()))
    total = pdftools.pages(pdf)
    assert total >= 2
    last = pdftools.page_text(pdf, total)
    assert "三、签字" in last
    assert "日期" in last


def test_a_character_the_font_lacks_is_refused_not_dropped() -> None:
    person = samples.PERSON.__class__(**{**samples.PERSON.__dict__, "name": "𠀀𪚥"})
    with pytest.raises(MissingGlyphs) as caught:
        documents.render_application_form(samples.application(subscriber=person))
    assert "U+20000" in caught.value.message("en")


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        documents.render_receipt(samples.receipt(time=dt.datetime(2025, 3, 1, 14, 30)))


def test_the_same_facts_give_the_same_bytes() -> None:
    assert documents.render_receipt(samples.receipt()) == documents.render_receipt(
        samples.receipt()
    )


def _images(pdf: Path) -> list[str]:
    import subprocess

    out = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()[2:]  # two header lines


def test_agreement_record_with_a_pad_signature_draws_it_and_prints_its_hash(
    tmp_path: Path,
) -> None:
    import hashlib

    png = samples.tiny_png()
    digest = hashlib.sha256(png).hexdigest()
    facts = samples.agreement(signature_png=png, signature_sha256=digest, signed_zh="电子签名板")
    pdf = write(tmp_path, documents.render_agreement_record(facts))
    assert digest in pdftools.text(pdf)
    assert "签名图像 SHA-256" in pdftools.text(pdf)
    assert len(_images(pdf)) == 1


def test_agreement_record_without_a_pad_signature_has_no_image(tmp_path: Path) -> None:
    pdf = write(tmp_path, documents.render_agreement_record(samples.agreement()))
    assert _images(pdf) == []
    assert "签名图像" not in pdftools.text(pdf)
