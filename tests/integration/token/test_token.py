"""The token layer on a real SoftHSM2 token, judged from outside by OpenSC's pkcs11-tool."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from counter_app.token import build_csr, key_spec, list_tokens, open_token, unblock_pin
from counter_app.token.admin import _c_init_token
from counter_app.token.errors import CertificateMismatch, TokenNotFound, TokenRemoved, WrongPin
from counter_app.token.watcher import TokenWatcher
from tests.conftest import ADMIN_PASSWORD, CLI, SoftHSM, token_cli
from tests.integration.token.conftest import (
    NAME,
    assert_openssl_verifies_csr,
    assert_private_key_never_leaves,
    self_signed,
)

SO, PIN = "12345678", "123456"


SUB1 = ("--label", "SUB1")
NEW_TOKEN_PINS = {"COUNTER_APP_SO_PIN": "87654321", "COUNTER_APP_USER_PIN": "246813"}


def _new_pin(new: str) -> dict[str, str]:
    return {"COUNTER_APP_USER_PIN": PIN, "COUNTER_APP_NEW_USER_PIN": new}


def _unblock(so_pin: str) -> dict[str, str]:
    return {"COUNTER_APP_SO_PIN": so_pin, "COUNTER_APP_NEW_USER_PIN": "975310"}


@pytest.fixture
def token(softhsm: SoftHSM) -> SoftHSM:
    softhsm.init_token("SUB1", so_pin=SO, pin=PIN)
    return softhsm


def test_token_list_shows_label_serial_and_pin_flags(token: SoftHSM, cli: CLI) -> None:
    result = cli("token", "list", "--module", token.module, "--json")
    assert result.returncode == 0, result.stderr
    tokens = json.loads(result.stdout)
    sub1 = next(t for t in tokens if t["label"] == "SUB1")
    assert sub1["initialised"] and sub1["manufacturer"] == "SoftHSM project"
    assert {"pin_count_low", "pin_final_try", "pin_locked", "pin_to_be_changed"} <= set(sub1)
    assert any(not t["initialised"] for t in tokens)  # SoftHSM's free slot


def test_token_init_formats_the_free_slot_with_both_pins(softhsm: SoftHSM, cli: CLI) -> None:
    result = token_cli(cli, "init", softhsm.module, "--label", "NEW1", env=NEW_TOKEN_PINS)
    assert result.returncode == 0, result.stderr
    assert softhsm.logs_in("246813", label="NEW1")
    # The SO PIN works: pkcs11-tool uses it to set another user PIN.
    so = softhsm.pkcs11_tool(
        "--token-label",
        "NEW1",
        "--login",
        "--login-type",
        "so",
        "--so-pin",
        "87654321",
        "--init-pin",
        "--new-pin",
        "975310",
        check=False,
    )
    assert so.returncode == 0, so.stderr
    assert softhsm.logs_in("975310", label="NEW1")


def test_reformatting_a_token_with_objects_needs_confirmation(token: SoftHSM, cli: CLI) -> None:
    with open_token(token.module, label="SUB1").login(PIN) as ts:
        ts.generate_key_pair(key_spec("ec-p256"), "k")
    env = {"COUNTER_APP_SO_PIN": SO, "COUNTER_APP_USER_PIN": "135790"}
    reformat = ("--token-label", "SUB1", "--label", "SUB1")
    refused = token_cli(cli, "init", token.module, *reformat, env=env)
    assert refused.returncode == 2 and "Private Key Object" in token.objects(PIN)
    done = token_cli(cli, "init", token.module, *reformat, "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert "Private Key Object" not in token.objects("135790")


@pytest.mark.parametrize("pin", ["12345", "111111", "x" * 17, "12345６"])
def test_pin_policy_is_checked_before_the_token_is_touched(
    token: SoftHSM, cli: CLI, pin: str
) -> None:
    result = token_cli(cli, "change-pin", token.module, *SUB1, env=_new_pin(pin))
    assert result.returncode == 2 and "PIN" in result.stderr
    assert pin not in result.stderr
    assert token.logs_in(PIN)


def test_change_pin_takes_effect(token: SoftHSM, cli: CLI) -> None:
    result = token_cli(cli, "change-pin", token.module, *SUB1, env=_new_pin("975310"))
    assert result.returncode == 0, result.stderr
    assert token.logs_in("975310")
    assert not token.logs_in(PIN)


def test_unblock_with_the_so_pin_sets_a_new_user_pin(token: SoftHSM, cli: CLI) -> None:
    result = token_cli(cli, "unblock", token.module, *SUB1, env=_unblock(SO))
    assert result.returncode == 0, result.stderr
    assert token.logs_in("975310")


def test_unblock_with_a_wrong_so_pin_is_refused(token: SoftHSM, cli: CLI) -> None:
    result = token_cli(cli, "unblock", token.module, *SUB1, env=_unblock("00000000"), lang="en")
    assert result.returncode == 2 and "wrong SO PIN" in result.stderr


def test_wrong_pin_is_refused_and_the_next_login_works(
    token: SoftHSM, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tok = open_token(token.module, label="SUB1")
    with pytest.raises(WrongPin) as info, tok.login("654321"):
        pass
    assert "654321" not in str(info.value) and "654321" not in info.value.message("zh")
    with open_token(token.module, label="SUB1").login(PIN) as ts:
        assert ts.list_keys() == []
    assert "654321" not in caplog.text and PIN not in caplog.text


def test_unknown_token_is_not_found(token: SoftHSM) -> None:
    with pytest.raises(TokenNotFound):
        open_token(token.module, label="NOPE")


@pytest.mark.parametrize("algorithm", ["ec-p256", "rsa-2048"])
def test_generated_key_is_sensitive_local_and_never_extractable(
    token: SoftHSM, algorithm: str
) -> None:
    with open_token(token.module, label="SUB1").login(PIN) as ts:
        key = ts.generate_key_pair(key_spec(algorithm), "app-1")
    assert_private_key_never_leaves(token, PIN, key.key_id)


@pytest.mark.parametrize("algorithm", ["ec-p256", "ec-p384", "rsa-2048"])
def test_csr_signed_on_the_token_passes_openssl_req_verify(
    token: SoftHSM, tmp_path: Path, algorithm: str
) -> None:
    with open_token(token.module, label="SUB1").login(PIN) as ts:
        key = ts.generate_key_pair(key_spec(algorithm), "app-1")
        csr = build_csr(key, NAME)
    assert_openssl_verifies_csr(csr, tmp_path)


def test_certificate_written_back_has_the_key_id_and_matches(
    token: SoftHSM, tmp_path: Path
) -> None:
    with open_token(token.module, label="SUB1").login(PIN) as ts:
        key = ts.generate_key_pair(key_spec("ec-p256"), "app-1")
        cert = self_signed(key.public_key, key.private_key())
        ts.write_certificate(cert, key.key_id, "app-1")
        ts.check_certificate_matches(cert, key.key_id)
        assert [c.certificate for c in ts.read_certificates()] == [cert]
    assert token.objects(PIN).count(key.key_id.hex()) == 3  # private key, public key, certificate


def test_certificate_of_another_key_does_not_match(token: SoftHSM) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    with open_token(token.module, label="SUB1").login(PIN) as ts:
        key = ts.generate_key_pair(key_spec("ec-p256"), "app-1")
        with pytest.raises(CertificateMismatch):
            ts.check_certificate_matches(self_signed(other.public_key(), other), key.key_id)


@pytest.mark.parametrize(
    ("algorithm", "mechanism", "sig_format"),
    [("ec-p256", "ECDSA", "openssl"), ("rsa-2048", "SHA256-RSA-PKCS", None)],
)
def test_signature_by_pkcs11_tool_verifies_with_the_public_key(
    token: SoftHSM, tmp_path: Path, algorithm: str, mechanism: str, sig_format: str | None
) -> None:
    with open_token(token.module, label="SUB1").login(PIN) as ts:
        key = ts.generate_key_pair(key_spec(algorithm), "app-1")
    pub = tmp_path / "pub.pem"
    pub.write_bytes(
        key.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    data, digest, sig = tmp_path / "d", tmp_path / "h", tmp_path / "s"
    data.write_bytes(b"hello")
    subprocess.run(
        ["openssl", "dgst", "-sha256", "-binary", "-out", str(digest), str(data)], check=True
    )
    # CKM_ECDSA signs a hash made on the host; SHA256-RSA-PKCS hashes on the token.
    signed = digest if mechanism == "ECDSA" else data
    fmt = ["--signature-format", sig_format] if sig_format else []
    token.pkcs11_tool(
        "--token-label",
        "SUB1",
        "--login",
        "--pin",
        PIN,
        "--sign",
        "--mechanism",
        mechanism,
        "--id",
        key.key_id.hex(),
        *fmt,
        "-i",
        str(signed),
        "-o",
        str(sig),
    )
    verify = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", str(pub), "-signature", str(sig), str(data)],
        capture_output=True,
        text=True,
    )
    assert "Verified OK" in verify.stdout


def test_delete_key_pair_removes_key_and_certificate(token: SoftHSM) -> None:
    with open_token(token.module, label="SUB1").login(PIN) as ts:
        key = ts.generate_key_pair(key_spec("ec-p256"), "app-1")
        ts.write_certificate(self_signed(key.public_key, key.private_key()), key.key_id, "app-1")
        ts.delete_key_pair(key.key_id)
    assert "Object" not in token.objects(PIN)


def test_unblock_in_process_then_login_with_new_pin(token: SoftHSM) -> None:
    unblock_pin(token.module, so_pin=SO, new_pin="975310", label="SUB1")
    with open_token(token.module, label="SUB1").login("975310") as ts:
        assert ts.token_label == "SUB1"


def test_watcher_reports_tokens_inserted_and_removed(softhsm: SoftHSM) -> None:
    watcher = TokenWatcher(softhsm.module)
    assert watcher.poll() == []
    softhsm.init_token("SUB9")
    events = watcher.poll()
    assert [(e.kind, e.token.label) for e in events] == [("inserted", "SUB9")]
    _pull(softhsm)
    assert [(e.kind, e.token.label) for e in watcher.poll()] == [("removed", "SUB9")]
    assert list_tokens(softhsm.module)[0].initialised is False


def test_failed_login_leaves_no_session_open_on_the_token(token: SoftHSM) -> None:
    tok = open_token(token.module, label="SUB1")
    with pytest.raises(WrongPin), tok.login("654321"):
        pass
    # C_InitToken refuses with CKR_SESSION_EXISTS while any session is open, so it is the probe
    # for the session python-pkcs11 leaks on a refused C_Login.
    assert _c_init_token(token.module, tok.info.slot_id, SO, "SUB1") == 0


def _pull(softhsm: SoftHSM) -> None:
    """SoftHSM's way of pulling a token: its files disappear."""
    for child in softhsm.tokendir.iterdir():
        shutil.rmtree(child)


def test_token_pulled_before_key_generation_gives_token_removed(token: SoftHSM) -> None:
    with open_token(token.module, label="SUB1").login(PIN) as ts:
        _pull(token)
        with pytest.raises(TokenRemoved):
            ts.generate_key_pair(key_spec("ec-p256"), "app-1")


def test_token_pulled_before_signing_gives_token_removed(token: SoftHSM) -> None:
    with open_token(token.module, label="SUB1").login(PIN) as ts:
        key = ts.generate_key_pair(key_spec("ec-p256"), "app-1")
        _pull(token)
        with pytest.raises(TokenRemoved):
            build_csr(key, NAME)


def test_token_objects_lists_the_key_and_its_certificate(token: SoftHSM, cli: CLI) -> None:
    with open_token(token.module, label="SUB1").login(PIN) as ts:
        key = ts.generate_key_pair(key_spec("rsa-2048"), "app-1")
        cert = self_signed(key.public_key, key.private_key())
        ts.write_certificate(cert, key.key_id, "app-1")
    result = token_cli(
        cli, "objects", token.module, *SUB1, "--json", env={"COUNTER_APP_USER_PIN": PIN}
    )
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert listed["keys"] == [
        {
            "id": key.key_id.hex(),
            "label": "app-1",
            "algorithm": "rsa-2048",
            "protection": "protected",
        }
    ]
    assert [(c["id"], c["serial"]) for c in listed["certificates"]] == [
        (key.key_id.hex(), f"{cert.serial_number:x}")
    ]


def test_wrong_pin_on_the_cli_is_one_line_without_the_pin(token: SoftHSM, cli: CLI) -> None:
    result = token_cli(
        cli, "objects", token.module, *SUB1, env={"COUNTER_APP_USER_PIN": "654321"}, lang="en"
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "wrong PIN" in result.stderr
    assert "654321" not in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_token_init_formats_the_slot_given_by_number(softhsm: SoftHSM, cli: CLI) -> None:
    free = next(t for t in list_tokens(softhsm.module) if not t.initialised)
    result = token_cli(
        cli, "init", softhsm.module, "--slot", str(free.slot_id), "--label", "NEW2",
        env=NEW_TOKEN_PINS,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert softhsm.logs_in("246813", label="NEW2")


def test_reformatting_with_a_wrong_so_pin_is_refused_and_keeps_the_token(
    token: SoftHSM, cli: CLI
) -> None:
    result = token_cli(
        cli, "init", token.module, "--token-label", "SUB1", "--label", "OTHER",
        env={"COUNTER_APP_SO_PIN": "87650000", "COUNTER_APP_USER_PIN": "135790"}, lang="en",
    )  # fmt: skip
    assert result.returncode == 2 and "wrong SO PIN" in result.stderr
    assert "87650000" not in result.stderr
    assert "SUB1" in token.pkcs11_tool("-L").stdout
    assert token.logs_in(PIN)


def test_token_verbs_are_audited_under_the_signed_in_operator(
    token: SoftHSM, initialised_cli: CLI
) -> None:
    operator = {"COUNTER_APP_OPERATOR": "admin", "COUNTER_APP_PASSWORD": ADMIN_PASSWORD}
    serial = next(t.serial for t in list_tokens(token.module) if t.label == "SUB1")
    changed = token_cli(
        initialised_cli, "change-pin", token.module, *SUB1, env={**operator, **_new_pin("975310")}
    )
    assert changed.returncode == 0, changed.stderr
    listed = initialised_cli("audit", "list", "--action", "token.change_pin", "--json")
    events = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(e["operator"], e["object"]) for e in events] == [("admin", f"token:{serial}")]
    assert PIN not in listed.stdout and "975310" not in listed.stdout


def test_an_admin_may_not_format_a_subscriber_token(token: SoftHSM, initialised_cli: CLI) -> None:
    # Admins manage operators and settings; tokens are the makers' work (the policy).
    operator = {"COUNTER_APP_OPERATOR": "admin", "COUNTER_APP_PASSWORD": ADMIN_PASSWORD}
    result = token_cli(
        initialised_cli, "init", token.module, "--token-label", "SUB1", "--label", "OTHER", "--yes",
        env={**operator, "COUNTER_APP_SO_PIN": SO, "COUNTER_APP_USER_PIN": "135790"}, lang="en",
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: permission denied: token format needs")
    assert "SUB1" in token.pkcs11_tool("-L").stdout
