"""`ca init|chain|issue|crl` through the real console script, judged by openssl and pkilint."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from counter_app.ca import CAFiles
from tests.conftest import CLI
from tests.integration.ca.conftest import BIN, CA_ENV, issue_via_cli, make_csr, run


def lint_cert(path: Path) -> str:
    result = run(str(BIN / "lint_pkix_cert"), "lint", "-s", "WARNING", str(path))
    return result.stdout + result.stderr


def test_chain_prints_issuing_then_root_and_verifies(ca_cli: CLI, tmp_path: Path) -> None:
    chain = ca_cli("ca", "chain")
    assert chain.returncode == 0, chain.stderr
    assert chain.stdout.count("BEGIN CERTIFICATE") == 2
    files = CAFiles.in_data_dir(ca_cli.data_dir)
    issuing = tmp_path / "issuing.pem"
    issuing.write_text(
        chain.stdout.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    )
    result = run("openssl", "verify", "-CAfile", str(files.cert("root")), str(issuing))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("role", ["root", "issuing", "ocsp"])
def test_ca_certificates_lint_clean(ca_files: CAFiles, role: str) -> None:
    assert lint_cert(ca_files.cert(role)).strip() == ""


@pytest.mark.parametrize("profile", ["individual", "unit", "device"])
def test_leaf_of_each_profile_verifies_and_lints_clean(
    ca_cli: CLI, ca_files: CAFiles, tmp_path: Path, profile: str
) -> None:
    leaf = issue_via_cli(ca_cli, tmp_path, profile, **{"1.2.156.10260.4.1.2": "SI-0001"})
    result = run(
        "openssl", "verify", "-CAfile", str(ca_files.cert("root")),
        "-untrusted", str(ca_files.cert("issuing")), str(leaf),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert lint_cert(leaf).strip() == ""


def test_ca_keys_are_encrypted_at_rest(ca_files: CAFiles) -> None:
    for role in ("root", "issuing", "ocsp"):
        text = ca_files.key(role).read_text()
        assert "BEGIN ENCRYPTED PRIVATE KEY" in text
        assert ca_files.key(role).stat().st_mode & 0o077 == 0
    plain = run("openssl", "pkey", "-in", str(ca_files.key("issuing")), "-passin", "pass:")
    assert plain.returncode != 0


def test_wrong_passphrase_is_refused_in_one_line(ca_cli: CLI, tmp_path: Path) -> None:
    result = ca_cli("--lang", "en", "ca", "crl", "--out", str(tmp_path / "x.crl"),
                    env={"COUNTER_APP_CA_PASSPHRASE": "not-it"})  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == "error: wrong CA key passphrase"
    assert not (tmp_path / "x.crl").exists()


def test_crl_verifies_with_openssl_and_lints_clean(
    ca_cli: CLI, ca_files: CAFiles, tmp_path: Path
) -> None:
    leaf = issue_via_cli(ca_cli, tmp_path)
    serial = run("openssl", "x509", "-in", str(leaf), "-noout", "-serial").stdout.split("=")[1]
    assert (
        ca_cli("ca", "revoke", serial.strip(), "--reason", "key-compromise", env=CA_ENV).returncode
        == 0
    )
    crl = tmp_path / "now.crl"
    assert ca_cli("ca", "crl", "--out", str(crl), env=CA_ENV).returncode == 0
    chain = tmp_path / "chain.pem"
    chain.write_bytes(ca_files.cert("issuing").read_bytes() + ca_files.cert("root").read_bytes())
    result = run("openssl", "crl", "-inform", "DER", "-in", str(crl), "-CAfile", str(chain), "-noout", "-text")  # fmt: skip
    assert "verify OK" in result.stderr + result.stdout
    assert serial.strip() in result.stdout
    assert "Key Compromise" in result.stdout
    lint = run(str(BIN / "lint_crl"), "lint", "-t", "CRL", "-p", "PKIX", "-s", "WARNING", str(crl))
    assert lint.returncode == 0 and lint.stdout.strip() == "", lint.stdout


def test_ca_init_twice_is_refused(ca_cli: CLI) -> None:
    result = ca_cli("--lang", "en", "ca", "init", env=CA_ENV)
    assert result.returncode == 2
    assert "already initialised" in result.stderr


def test_revoked_certificate_cannot_be_released_from_cli(ca_cli: CLI, tmp_path: Path) -> None:
    leaf = issue_via_cli(ca_cli, tmp_path)
    serial = (
        run("openssl", "x509", "-in", str(leaf), "-noout", "-serial").stdout.split("=")[1].strip()
    )
    assert ca_cli("ca", "revoke", serial, env=CA_ENV).returncode == 0
    result = ca_cli("--lang", "en", "ca", "release", serial, env=CA_ENV)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: certificate {serial} is revoked and cannot be released"


def test_csr_with_a_mangled_public_key_is_refused_in_one_line(ca_cli: CLI, tmp_path: Path) -> None:
    # A CSR whose structure parses but whose EC point is not on the curve: the key only fails
    # when it is used, which must still be a bad request, not an internal error.
    key = ec.generate_private_key(ec.SECP256R1())
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(key, hashes.SHA256())
    )
    der = bytearray(request.public_bytes(serialization.Encoding.DER))
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    at = bytes(der).index(point)
    der[at + 64] ^= 0x01  # the last byte of y: the point leaves the curve
    path = tmp_path / "mangled.der"
    path.write_bytes(bytes(der))
    result = ca_cli(
        "--lang", "en", "ca", "issue", "--csr", str(path), "--profile", "individual",
        "--cn", "Mangled", env=CA_ENV,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: the certificate request is not valid: its public key cannot be parsed"
    )


def test_ca_issue_with_only_the_ca_passphrase_is_refused(ca_cli: CLI, tmp_path: Path) -> None:
    _, csr = make_csr()
    path = tmp_path / "any.csr"
    path.write_bytes(csr)
    result = ca_cli(
        "--lang", "en", "ca", "issue", "--csr", str(path), "--profile", "unit",
        "--cn", "Any Company", "--org", "Any Company",
        env={"COUNTER_APP_CA_PASSPHRASE": CA_ENV["COUNTER_APP_CA_PASSPHRASE"]},
    )  # fmt: skip
    assert result.returncode == 2
    assert "supervisor" in result.stderr and "COUNTER_APP_SUPERVISOR" in result.stderr
    import sqlite3

    with sqlite3.connect(ca_cli.data_dir / "counter.db") as conn:
        assert conn.execute("SELECT count(*) FROM ca_certificates").fetchall() == [(0,)]


def test_ca_issue_needs_a_second_person(ca_cli: CLI, tmp_path: Path) -> None:
    _, csr = make_csr()
    path = tmp_path / "any.csr"
    path.write_bytes(csr)
    env = {k: v for k, v in CA_ENV.items() if not k.startswith("COUNTER_APP_REVIEWER")}
    result = ca_cli(
        "--lang", "en", "ca", "issue", "--csr", str(path), "--profile", "unit",
        "--cn", "Any Company", "--org", "Any Company", env=env,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: ca issue needs a second person (reviewer or supervisor) to approve: "
        "ask a reviewer to sign in"
    )


def test_ca_issue_is_audited_under_the_officers_names(ca_cli: CLI, tmp_path: Path) -> None:
    issue_via_cli(ca_cli, tmp_path)
    listed = ca_cli("audit", "list", "--action", "certificate.issue", "--json", env=CA_ENV)
    assert listed.returncode == 0, listed.stderr
    assert "sup1+rev1" in listed.stdout and "ca-cli" not in listed.stdout
