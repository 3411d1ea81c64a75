"""证书申请 through the real CLI onto a real SoftHSM2 token, judged by pkcs11-tool, openssl, pkilint."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.services.conftest import USER_PIN, Counter, example

BIN = Path(sys.executable).parent


def _key_ids(objects: str, kind: str) -> set[str]:
    ids, current = set(), None
    for line in objects.splitlines():
        if not line.startswith(" "):
            current = line.split(";")[0].strip()
        match = re.match(r"\s+ID:\s+([0-9a-f]+)", line)
        if match and current and current.startswith(kind):
            ids.add(match.group(1))
    return ids


@pytest.mark.parametrize("kind", ["individual", "unit", "device"])
def test_enrollment_prints_its_facts(counter: Counter, kind: str) -> None:
    facts = counter.enrolled(kind)
    assert re.fullmatch(r"A\d{13}", facts["application_id"])
    assert re.fullmatch(r"R\d{13}", facts["receipt_number"])
    assert re.fullmatch(r"[0-9A-F]+", facts["serial"])
    assert facts["not_after"]


def test_key_on_token_is_sensitive_local_and_never_extractable(counter: Counter) -> None:
    counter.enrolled()
    objects = counter.token_objects("SUB1")
    private = objects.split("Private Key Object")[1].split("Object;")[0]
    for flag in ("sensitive", "always sensitive", "never extractable", "local"):
        assert flag in private
    assert _key_ids(objects, "Private Key") == _key_ids(objects, "Certificate Object")


def _assert_lints_clean(leaf: Path) -> None:
    """pkilint finds nothing, not even a warning, in the certificate ``leaf``."""
    lint = subprocess.run(
        [str(BIN / "lint_pkix_cert"), "lint", "-s", "WARNING", str(leaf)],
        capture_output=True,
        text=True,
    )
    assert lint.stdout.strip() == "" and lint.returncode == 0, lint.stdout + lint.stderr


def _read_token_certificate(counter: Counter, label: str, tmp: Path) -> Path:
    (key_id,) = _key_ids(counter.token_objects(label), "Certificate Object")
    return counter.certificate_on_token(label, key_id, tmp)


def test_certificate_on_token_verifies_against_the_chain(counter: Counter, tmp_path: Path) -> None:
    facts = counter.enrolled()
    leaf = _read_token_certificate(counter, "SUB1", tmp_path)
    counter.assert_chain_verifies(leaf, facts["serial"], tmp_path)


def test_signature_made_by_pkcs11_tool_verifies_with_the_certificate(
    counter: Counter, tmp_path: Path
) -> None:
    counter.enrolled()
    leaf = _read_token_certificate(counter, "SUB1", tmp_path)
    data = tmp_path / "data.bin"
    data.write_bytes(b"signed at the counter")
    digest = tmp_path / "digest.bin"
    subprocess.run(
        ["openssl", "dgst", "-sha256", "-binary", "-out", str(digest), str(data)], check=True
    )
    sig = tmp_path / "sig.der"
    counter.softhsm.pkcs11_tool(
        "--token-label",
        "SUB1",
        "--login",
        "--pin",
        USER_PIN,
        "--sign",
        "--mechanism",
        "ECDSA",
        "--signature-format",
        "openssl",
        "-i",
        str(digest),
        "-o",
        str(sig),
    )
    pub = tmp_path / "pub.pem"
    subprocess.run(
        ["openssl", "x509", "-in", str(leaf), "-noout", "-pubkey", "-out", str(pub)], check=True
    )
    verify = counter.openssl(
        "dgst", "-sha256", "-verify", str(pub), "-signature", str(sig), str(data)
    )
    assert verify.returncode == 0 and "Verified OK" in verify.stdout


def test_issued_certificate_lints_clean(counter: Counter, tmp_path: Path) -> None:
    counter.enrolled("unit")
    leaf = _read_token_certificate(counter, "SUB1", tmp_path)
    _assert_lints_clean(leaf)


def test_records_agreement_payment_and_audit(counter: Counter) -> None:
    facts = counter.enrolled()
    shown = json.loads(counter.run("application", "show", facts["application_id"]).stdout)
    assert shown["status"] == "done" and shown["serial"] == facts["serial"]
    assert shown["agreement"]["version"] == "1" and shown["agreement"]["reviewer"] == "rev1"
    import hashlib

    text = (Path(__file__).resolve().parents[3] / "resources/agreements/v1.zh.txt").read_bytes()
    assert shown["agreement"]["sha256"] == hashlib.sha256(text).hexdigest()
    payment = shown["payments"][0]
    assert (payment["fee_fen"], payment["tendered_fen"], payment["change_fen"]) == (
        10000,
        15000,
        5000,
    )
    assert counter.run("audit", "verify").returncode == 0
    counter.assert_audited(
        "enroll.accept",
        "agreement.approve",
        "payment.record",
        "journal.key_generated",
        "certificate.issue",
        "journal.written",
        "enroll.done",
    )


def _refused(counter: Counter, data: dict, *extra: str, env: dict[str, str] | None = None) -> str:
    counter.token("SUB1")
    result = counter.enroll(data, "SUB1", *extra, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0
    assert counter.db("SELECT COUNT(*) FROM applications") == [(0,)]
    assert counter.db("SELECT COUNT(*) FROM payments") == [(0,)]
    assert "Private Key Object" not in counter.token_objects("SUB1")
    return result.stderr


def test_bad_id_checksum_is_refused(counter: Counter) -> None:
    data = example("individual")
    data["subscriber"]["id_number"] = data["subscriber"]["id_number"][:-1] + "0"
    assert "校验位" in _refused(counter, data)


@pytest.mark.parametrize(
    ("kind", "path", "value"),
    [
        ("individual", ("agreement", "accepted"), False),
        ("individual", ("agreement", "version"), "9"),
        ("individual", ("payment", "tendered"), "99.99"),
        ("device", ("payment", "waiver", "approved_by"), "rev1"),
        ("individual", ("subscriber", "name"), "张\u0007三"),
    ],
    ids=[
        "agreement-not-accepted",
        "unknown-agreement-version",
        "cash-below-the-fee",
        "waiver-without-a-supervisor",
        "name-with-a-control-character",
    ],
)
def test_an_application_with_one_fault_is_refused(
    counter: Counter, kind: str, path: tuple[str, ...], value: object
) -> None:
    data = example(kind)
    *parents, field = path
    section = data
    for key in parents:
        section = section[key]
    section[field] = value
    _refused(counter, data)


def test_wrong_token_pin_is_refused(counter: Counter) -> None:
    _refused(counter, example("individual"), env={"COUNTER_APP_USER_PIN": "999999"})


def test_clerk_cannot_approve_their_own_application(counter: Counter) -> None:
    _refused(
        counter,
        example("individual"),
        env={"COUNTER_APP_REVIEWER": "clerk1", "COUNTER_APP_REVIEWER_PASSWORD": "Clerk-pass1"},
    )


def test_token_holding_a_live_key_of_the_subscriber_is_refused_unless_replacing(
    counter: Counter,
) -> None:
    first = counter.enrolled()
    again = counter.enroll(example("individual"), "SUB1")
    assert again.returncode == 2 and first["serial"] in again.stderr
    replaced = counter.enroll(example("individual"), "SUB1", "--replace")
    assert replaced.returncode == 0, replaced.stderr
    shown = counter.cert(first["serial"])
    assert shown["status"] == "revoked" and shown["reason"] == "superseded"


def test_unknown_token_is_refused_before_anything_is_written(counter: Counter) -> None:
    result = counter.enroll(copy.deepcopy(example("individual")), "NOPE")
    assert result.returncode == 2
    assert counter.db("SELECT COUNT(*) FROM applications") == [(0,)]


LONG_UNIT = "山西省太原市晋阳湖数字经济产业园区管理委员会"  # 22 characters, 66 bytes in UTF-8


def test_a_long_chinese_unit_name_is_issued_in_full_and_lints_clean(
    counter: Counter, tmp_path: Path
) -> None:
    data = example("unit")
    data["subscriber"]["name"] = LONG_UNIT
    counter.token("SUB1")
    result = counter.enroll(data, "SUB1")
    assert result.returncode == 0, result.stderr
    leaf = _read_token_certificate(counter, "SUB1", tmp_path)
    subject = subprocess.run(
        [
            "openssl",
            "x509",
            "-in",
            str(leaf),
            "-noout",
            "-subject",
            "-nameopt",
            "utf8,sep_multiline",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"CN={LONG_UNIT}" in subject and f"O={LONG_UNIT}" in subject
    _assert_lints_clean(leaf)


def test_a_name_over_64_characters_is_refused_before_payment_or_key(counter: Counter) -> None:
    data = example("unit")
    data["subscriber"]["name"] = "山" * 65
    counter.token("SUB1")
    result = counter.run("--lang", "en", "enroll", *_app_file(counter, data), "--module",
                         counter.softhsm.module, "--token-label", "SUB1")  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "must have at most 64 characters (it has 65)" in result.stderr, result.stderr
    assert counter.db("SELECT count(*) FROM applications") == [(0,)]
    assert counter.db("SELECT count(*) FROM payments") == [(0,)]
    assert "Private Key Object" not in counter.token_objects("SUB1")


def test_a_token_holding_another_subscribers_live_certificate_is_refused(
    counter: Counter,
) -> None:
    counter.enrolled("individual", label="SUB1")
    other = example("unit")
    result = counter.run("--lang", "en", "enroll", *_app_file(counter, other), "--module",
                         counter.softhsm.module, "--token-label", "SUB1")  # fmt: skip
    assert result.returncode == 2
    assert "holds another subscriber's live certificate" in result.stderr, result.stderr
    assert counter.db("SELECT count(*) FROM applications WHERE certificate_type = 'unit'") == [(0,)]
    assert counter.token_objects("SUB1").count("Private Key Object") == 1


def _app_file(counter: Counter, data: dict) -> tuple[str]:
    path = counter.tmp / "app-extra.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return (str(path),)
