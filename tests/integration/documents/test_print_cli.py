"""``counter-app print ...`` on real enrollments, the PDFs judged by poppler and zbarimg."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from counter_app.domain.fees import format_yuan, yuan_in_capitals
from tests.integration.services.conftest import Counter, example
from tests.unit.documents import pdftools

# The example individual's resident ID card, shown at the counter.
IDENTITY = ("--identity", "140105198506122318")


def _print(counter: Counter, kind: str, key: str, out: Path) -> Path:
    result = counter.run("print", kind, key, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def _show(counter: Counter, application_id: str) -> dict[str, Any]:
    return json.loads(counter.run("application", "show", application_id).stdout)


def test_receipt_of_an_enrollment_shows_the_payment(counter: Counter, tmp_path: Path) -> None:
    facts = counter.enrolled("individual")
    pdf = _print(counter, "receipt", facts["receipt_number"], tmp_path / "receipt.pdf")
    shown = _show(counter, facts["application_id"])
    payment = shown["payments"][0]
    text = pdftools.text(pdf)
    assert facts["receipt_number"] in text
    assert facts["application_id"] in text
    assert shown["subscriber"]["name"] in text
    assert "证书申请" in text
    assert format_yuan(payment["fee_fen"]) in text
    assert "人民币" + yuan_in_capitals(payment["fee_fen"]) in text
    assert "clerk1" in text
    assert pdftools.pages(pdf) == 1
    assert pdftools.qr_codes(pdf, tmp_path) == [facts["application_id"]]
    assert all(f.embedded and f.subset for f in pdftools.fonts(pdf))


def test_application_form_shows_the_issued_certificate(counter: Counter, tmp_path: Path) -> None:
    facts = counter.enrolled("unit")
    pdf = _print(counter, "application", facts["application_id"], tmp_path / "app.pdf")
    text = pdftools.text(pdf)
    data = example("unit")["subscriber"]
    pdftools.assert_shows(
        text,
        data["name"],
        data["uscc"],
        data["agent"]["name"],
        data["agent"]["id_number"],
        facts["serial"],
        facts["token_label"],
        "rev1",
        "授权委托书",
    )
    assert pdftools.pages(pdf) == 1
    assert all(f.embedded and f.subset for f in pdftools.fonts(pdf))
    assert pdftools.qr_codes(pdf, tmp_path) == [facts["application_id"]]


def test_agreement_record_carries_the_hash_of_the_accepted_text(
    counter: Counter, tmp_path: Path
) -> None:
    facts = counter.enrolled("individual")
    pdf = _print(counter, "agreement", facts["application_id"], tmp_path / "agreement.pdf")
    record = _show(counter, facts["application_id"])["agreement"]
    text = pdftools.text(pdf)
    assert record["sha256"] in text
    assert "rev1" in text
    total = pdftools.pages(pdf)
    assert total >= 2
    flat = re.sub(r"\s+", "", text)
    assert f"第{total}页/共{total}页" in flat
    assert all(f.embedded and f.subset for f in pdftools.fonts(pdf))
    assert pdftools.qr_codes(pdf, tmp_path) == [facts["application_id"]] * total


def test_change_form_of_a_revocation_shows_reason_and_status(
    counter: Counter, tmp_path: Path
) -> None:
    facts = counter.enrolled("individual")
    result = counter.run("cert", "revoke", facts["serial"], "--reason", "key-compromise", *IDENTITY)
    assert result.returncode == 0, result.stderr
    revocation = counter.db(
        "SELECT id FROM applications WHERE service = 'revoke' ORDER BY id DESC LIMIT 1"
    )[0][0]
    pdf = _print(counter, "change-form", revocation, tmp_path / "change.pdf")
    text = pdftools.text(pdf)
    assert "证书吊销" in text
    assert "密钥泄露" in text
    assert facts["serial"] in text
    assert re.search(r"证书状态\s+有效\s+已吊销", text)
    assert pdftools.pages(pdf) == 1


def _suspended(counter: Counter) -> tuple[str, str]:
    """An individual enrolled, then suspended: the certificate's serial and the suspension's id."""
    facts = counter.enrolled("individual")
    assert counter.run("cert", "suspend", facts["serial"], *IDENTITY).returncode == 0
    return facts["serial"], counter.db("SELECT id FROM applications WHERE service = 'suspend'")[0][
        0
    ]


def test_change_form_of_a_suspension_shows_the_status_change(
    counter: Counter, tmp_path: Path
) -> None:
    _, suspension = _suspended(counter)
    pdf = _print(counter, "change-form", suspension, tmp_path / "change.pdf")
    assert re.search(r"证书状态\s+有效\s+已挂起", pdftools.text(pdf))


def _change_mobile(counter: Counter, serial: str, mobile: str) -> dict:
    changes = counter.tmp / "changes.json"
    changes.write_text(
        json.dumps(
            {
                "subscriber": {"mobile": mobile},
                "documents": [{"type": "resident_id_card", "number": IDENTITY[1]}],
            }
        )
    )
    result = counter.run("change", serial, str(changes), "--method", "card")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_change_form_shows_each_changed_field_before_and_after(
    counter: Counter, tmp_path: Path
) -> None:
    facts = counter.enrolled("individual")
    change = _change_mobile(counter, facts["serial"], "13911112222")
    # The mobile is not in the certificate: the records change, the certificate stays.
    assert change["new_certificate"] is False
    pdf = _print(counter, "change-form", change["application_id"], tmp_path / "change.pdf")
    text = pdftools.text(pdf)
    assert re.search(r"手机号码\s+13800138000\s+13911112222", text), text


def test_reprinted_suspension_form_shows_the_mobile_of_its_day(
    counter: Counter, tmp_path: Path
) -> None:
    serial, suspension = _suspended(counter)
    assert counter.run("cert", "resume", serial, *IDENTITY).returncode == 0
    _change_mobile(counter, serial, "13911112222")
    pdf = _print(counter, "change-form", suspension, tmp_path / "again.pdf")
    text = pdftools.text(pdf)
    assert "13800138000" in text and "13911112222" not in text


def test_unknown_ids_are_refused_in_one_line_without_a_file(
    counter: Counter, tmp_path: Path
) -> None:
    for kind, key in (
        ("receipt", "R20990101-9999"),
        ("application", "A20990101-9999"),
        ("agreement", "A20990101-9999"),
        ("change-form", "A20990101-9999"),
    ):
        out = tmp_path / f"{kind}.pdf"
        result = counter.run("print", kind, key, "--out", str(out))
        assert result.returncode == 2, (kind, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert key in result.stderr
        assert not out.exists()
    assert list(tmp_path.glob("*.pdf")) == []


def test_the_wrong_form_for_a_service_is_refused(counter: Counter, tmp_path: Path) -> None:
    facts = counter.enrolled("individual")
    out = tmp_path / "change.pdf"
    result = counter.run("print", "change-form", facts["application_id"], "--out", str(out))
    assert result.returncode == 2
    assert "证书申请（更新）表" in result.stderr
    assert not out.exists()


def test_out_into_a_missing_directory_is_a_clear_error(counter: Counter, tmp_path: Path) -> None:
    out = tmp_path / "no-such-dir" / "receipt.pdf"
    result = counter.run("print", "receipt", "R20250301-0001", "--out", str(out))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no-such-dir" in result.stderr
    assert "不存在" in result.stderr
    assert not out.parent.exists()
