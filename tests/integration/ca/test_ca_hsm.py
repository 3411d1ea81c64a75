"""CA keys kept in a PKCS#11 HSM (SoftHSM): made there, used there, never on disk."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from tests.conftest import CLI, OFFICERS_ENV, SoftHSM, add_officers
from tests.integration.ca.conftest import make_csr

HSM_LABEL = "CA-HSM"
HSM_PIN = "246810"
HSM_ENV = {"COUNTER_APP_HSM_PIN": HSM_PIN, **OFFICERS_ENV}


@pytest.fixture
def hsm_cli(initialised_cli: CLI, softhsm: SoftHSM) -> CLI:
    softhsm.init_token(HSM_LABEL, pin=HSM_PIN)
    result = initialised_cli(
        "ca", "init", "--hsm-module", softhsm.module, "--hsm-label", HSM_LABEL, env=HSM_ENV
    )
    assert result.returncode == 0, result.stderr
    add_officers(initialised_cli)
    return initialised_cli


def _issue(cli: CLI, tmp_path: Path) -> Path:
    _, csr_pem = make_csr("hsm-leaf")
    csr = tmp_path / "leaf.csr"
    csr.write_bytes(csr_pem)
    out = tmp_path / "leaf.pem"
    result = cli(
        "ca", "issue", "--csr", str(csr), "--profile", "individual", "--cn", "张三",
        "--out", str(out), env=HSM_ENV,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


def test_hsm_issued_certificate_verifies_with_openssl(hsm_cli: CLI, tmp_path: Path) -> None:
    leaf = _issue(hsm_cli, tmp_path)
    ca_dir = hsm_cli.data_dir / "ca"
    result = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            str(ca_dir / "root.pem"),
            "-untrusted",
            str(ca_dir / "issuing.pem"),
            str(leaf),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and ": OK" in result.stdout, result.stdout + result.stderr


def test_hsm_ca_keys_are_sensitive_and_never_extractable(hsm_cli: CLI, softhsm: SoftHSM) -> None:
    listing = softhsm.pkcs11_tool(
        "--token-label", HSM_LABEL, "--login", "--pin", HSM_PIN, "-O"
    ).stdout
    # Each object starts at an unindented line ("Private Key Object; EC", "Public Key Object").
    objects = re.split(r"^(?=\S)", listing, flags=re.M)
    blocks = [b for b in objects if b.startswith("Private Key Object")]
    labels = sorted(
        line.split(":", 1)[1].strip() for b in blocks for line in b.splitlines() if "label:" in line
    )
    assert labels == ["counter-ca-issuing", "counter-ca-ocsp", "counter-ca-root"]
    for block in blocks:
        usage = next(line for line in block.splitlines() if "Access:" in line)
        assert "sensitive" in usage and "never extractable" in usage, block


def test_hsm_ca_writes_no_key_file(hsm_cli: CLI) -> None:
    ca_dir = hsm_cli.data_dir / "ca"
    assert sorted(p.name for p in ca_dir.glob("*.key*")) == []
    assert not any(b"PRIVATE KEY" in p.read_bytes() for p in ca_dir.iterdir() if p.is_file())


def test_hsm_ca_status_reports_hsm_storage(hsm_cli: CLI) -> None:
    result = hsm_cli("ca", "status", env=HSM_ENV)
    assert result.returncode == 0 and "key_storage: hsm" in result.stdout


def test_hsm_ca_refuses_a_wrong_pin_with_one_line(hsm_cli: CLI, tmp_path: Path) -> None:
    _, csr_pem = make_csr("x")
    csr = tmp_path / "x.csr"
    csr.write_bytes(csr_pem)
    result = hsm_cli(
        "ca", "issue", "--csr", str(csr), "--profile", "individual", "--cn", "x",
        env={"COUNTER_APP_HSM_PIN": "999999"},
    )  # fmt: skip
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "999999" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_hsm_crl_verifies_under_the_issuing_ca(hsm_cli: CLI, tmp_path: Path) -> None:
    leaf = x509.load_pem_x509_certificate(_issue(hsm_cli, tmp_path).read_bytes())
    serial = format(leaf.serial_number, "X")
    assert (
        hsm_cli("ca", "revoke", serial, "--reason", "key-compromise", env=HSM_ENV).returncode == 0
    )
    crl = tmp_path / "crl.der"
    assert hsm_cli("ca", "crl", "--out", str(crl), env=HSM_ENV).returncode == 0
    ca_dir = hsm_cli.data_dir / "ca"
    chain = tmp_path / "chain.pem"
    chain.write_bytes((ca_dir / "issuing.pem").read_bytes() + (ca_dir / "root.pem").read_bytes())
    result = subprocess.run(
        ["openssl", "crl", "-inform", "DER", "-in", str(crl), "-CAfile", str(chain), "-noout",
         "-text"],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert "verify OK" in result.stderr + result.stdout
    assert serial in result.stdout.replace(":", "").upper()
