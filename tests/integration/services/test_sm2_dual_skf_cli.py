"""An SM2 dual-certificate enrollment through the real console script on the SKF test token:
``ca init --algorithm sm2``, ``token init --driver skf``, ``enroll APP.json`` with
``"key_algorithm": "sm2"`` and token_driver = "skf". Judged by OpenSSL 3 (both certificates
read back from the token verify against the SM2 chain) and by gmssl (a signature made on the
token verifies with the signing certificate's key)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from counter_app.token.skf import certificate_point, cipher_blob, skf_login
from tests.conftest import ADMIN_PASSWORD, CLI, SKFStore, add_officers
from tests.integration.services.conftest import CA_PASSPHRASE, OPERATORS, clerk_env, example
from tests.skf import kmc

SO, PIN = "admin-8642", "user-1357"
DISTID = "distid:1234567812345678"


def _ok(result: object) -> None:
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]


def test_sm2_dual_enrollment_through_the_cli_on_an_skf_token(
    cli: CLI, skf: SKFStore, tmp_path: Path
) -> None:
    cli.env.update(
        {
            "SKF_SOFT_STORE": str(skf.store),
            "COUNTER_APP_TOKEN_DRIVER": "skf",
            "COUNTER_APP_SKF_MODULE": skf.module,
        }
    )
    _ok(cli("init", env={"COUNTER_APP_PASSWORD": ADMIN_PASSWORD}))
    add_officers(cli, {name: OPERATORS[name] for name in ("clerk1", "rev1")})
    _ok(cli("ca", "init", "--algorithm", "sm2", env={"COUNTER_APP_CA_PASSPHRASE": CA_PASSPHRASE}))
    skf.insert(serial="SKF-E1")
    _ok(cli("token", "init", "--driver", "skf", "--label", "SUB1",
            env={"COUNTER_APP_SO_PIN": SO, "COUNTER_APP_USER_PIN": PIN}))  # fmt: skip

    data = example("individual")
    data["key_algorithm"] = "sm2"
    app_json = tmp_path / "app.json"
    app_json.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    enrolled = cli(
        "enroll", str(app_json), "--token-label", "SUB1",
        env=clerk_env(PIN),
    )  # fmt: skip
    _ok(enrolled)
    facts = json.loads(enrolled.stdout)
    assert facts["serial"] and facts["encryption_serial"]
    assert facts["serial"] != facts["encryption_serial"]

    with skf_login(skf.module, PIN, label="SUB1") as ts:
        held = {c.usage: c for c in ts.read_certificates()}
        [key] = ts.list_keys()
        signature = key.sign(b"signed on the token")
        enc_point = ts.encryption_public_key(key.key_id)
        assert enc_point is not None
        c1, c3, c2 = kmc.sm2_encrypt(enc_point, "加密档案".encode())
        assert ts.decrypt(key.key_id, cipher_blob(c1, c3, c2)) == "加密档案".encode()
    assert set(held) == {"sign", "encrypt"}
    assert f"{held['sign'].certificate.serial_number:X}" == facts["serial"].upper()
    assert f"{held['encrypt'].certificate.serial_number:X}" == facts["encryption_serial"].upper()
    assert certificate_point(held["sign"].certificate) == key.point
    assert certificate_point(held["encrypt"].certificate) == enc_point
    assert kmc.gmssl_verify(key.point, signature, b"signed on the token")

    # OpenSSL 3.0 applies -vfyopt distid to the certificate verified, not to the CA links above
    # it: each link is judged on its own (root → issuing, issuing → each leaf).
    ca = cli.data_dir / "ca"
    link = _verify("-CAfile", str(ca / "root.pem"), str(ca / "issuing.pem"))
    assert link.returncode == 0, link.stdout + link.stderr
    for usage, item in held.items():
        pem = tmp_path / f"{usage}.pem"
        pem.write_bytes(item.certificate.public_bytes(serialization.Encoding.PEM))
        verified = _verify("-partial_chain", "-CAfile", str(ca / "issuing.pem"), str(pem))
        assert verified.returncode == 0, usage + verified.stdout + verified.stderr


def _verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", "verify", "-vfyopt", DISTID, *args], capture_output=True, text=True
    )
