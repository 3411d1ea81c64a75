"""An SM2 dual enrollment and a key recovery through the real console script, on the SKF test
token: `ca init --algorithm sm2`, `enroll` with `"key_algorithm": "sm2"`, `kmc recover`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from counter_app.token.skf import build_sm2_csr, cipher_blob, init_skf_token, skf_login
from tests.conftest import ADMIN_PASSWORD, CLI, SKFStore, add_officers
from tests.integration.services.conftest import CA_PASSPHRASE, OPERATORS, clerk_env, example
from tests.skf.kmc import sm2_encrypt

SO, PIN = "admin-8642", "user-1357"
ID_NUMBER = "140105198506122318"  # the individual example's (张三)


@pytest.fixture
def sm2_cli(cli: CLI, skf: SKFStore) -> CLI:
    assert cli("init", env={"COUNTER_APP_PASSWORD": ADMIN_PASSWORD}).returncode == 0
    add_officers(cli, OPERATORS)
    result = cli(
        "ca", "init", "--algorithm", "sm2", env={"COUNTER_APP_CA_PASSPHRASE": CA_PASSPHRASE}
    )
    assert result.returncode == 0, result.stderr
    for serial, label in (("SKF-T1", "SUB1"), ("SKF-T2", "SUB2")):
        skf.insert(serial, serial=serial)
        init_skf_token(skf.module, new_label=label, so_pin=SO, user_pin=PIN, serial=serial)
    cli.env.update({"SKF_SOFT_STORE": str(skf.store), "COUNTER_APP_TOKEN_DRIVER": "skf"})
    return cli


def _env(**extra: str) -> dict[str, str]:
    return {**clerk_env(PIN), **extra}


def test_sm2_enrollment_then_key_recovery_through_the_cli(
    sm2_cli: CLI, skf: SKFStore, tmp_path: Path
) -> None:
    data = example("individual")
    data["key_algorithm"] = "sm2"
    app = tmp_path / "app.json"
    app.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = sm2_cli(
        "enroll", str(app), "--module", skf.module, "--token-label", "SUB1", env=_env()
    )
    assert result.returncode == 0, result.stderr
    enrolled = json.loads(result.stdout)
    enc = enrolled["encryption_serial"]
    with skf_login(skf.module, PIN, label="SUB1") as ts:
        certificates = {c.usage: c.certificate for c in ts.read_certificates()}
    assert f"{certificates['sign'].serial_number:X}" == enrolled["serial"]
    assert f"{certificates['encrypt'].serial_number:X}" == enc
    from counter_app.token.skf import certificate_point

    point = certificate_point(certificates["encrypt"])
    assert point is not None
    blob = cipher_blob(*sm2_encrypt(point, b"old"))
    # The subscriber lost SUB1: the key is recovered onto SUB2's new signing key.
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "张三")])
    with skf_login(skf.module, PIN, label="SUB2") as ts:
        key = ts.generate_sm2_signing_key("RECOVERY")
        (tmp_path / "new.csr").write_bytes(build_sm2_csr(key, name))
        key_id = key.key_id
    envelope = tmp_path / "envelope.bin"
    officers = {
        "COUNTER_APP_SUPERVISOR": "supervisor",
        "COUNTER_APP_SUPERVISOR_PASSWORD": OPERATORS["supervisor"][1],
    }
    recovered = sm2_cli(
        "kmc", "recover", enc, "--csr", str(tmp_path / "new.csr"), "--identity", ID_NUMBER,
        "--out", str(envelope), "--json", env=_env(**officers),
    )  # fmt: skip
    assert recovered.returncode == 0, recovered.stderr
    assert json.loads(recovered.stdout)["serial"] == enc
    with skf_login(skf.module, PIN, label="SUB2") as ts:
        ts.import_encryption_key(key_id, envelope.read_bytes())
        assert ts.decrypt(key_id, blob) == b"old"
    audit = sm2_cli("audit", "verify", env=_env())
    assert audit.returncode == 0, audit.stdout + audit.stderr
