"""CA keys: passphrase length, the KDF, an offline root and the root operations that need it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from counter_app.ca.keys import KDF_ITERATIONS, read_encrypted_key
from tests.conftest import CLI, add_officers
from tests.integration.ca.conftest import CA_ENV, PASSPHRASE, make_csr

ROOT_PASSPHRASE = "root-Passphrase-9"
OFFLINE_ENV = {**CA_ENV, "COUNTER_APP_ROOT_PASSPHRASE": ROOT_PASSPHRASE}


def pbkdf2_iterations(path: Path) -> int:
    _, _, der = asn1_pem.unarmor(path.read_bytes())
    info = asn1_keys.EncryptedPrivateKeyInfo.load(der)
    params = info["encryption_algorithm"]["parameters"]
    assert params["key_derivation_func"]["algorithm"].native == "pbkdf2"
    return int(params["key_derivation_func"]["parameters"]["iteration_count"].native)


def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def media(tmp_path: Path) -> Path:
    path = tmp_path / "usb"
    path.mkdir()
    return path


@pytest.fixture
def offline_cli(initialised_cli: CLI, media: Path) -> CLI:
    result = initialised_cli("ca", "init", "--offline-root", str(media), env=OFFLINE_ENV)
    assert result.returncode == 0, result.stderr
    add_officers(initialised_cli)
    return initialised_cli


# Passphrase and KDF -------------------------------------------------------------------------


def test_short_ca_passphrase_is_refused_in_one_line_and_nothing_is_written(
    initialised_cli: CLI,
) -> None:
    result = initialised_cli(
        "--lang", "en", "ca", "init", env={"COUNTER_APP_CA_PASSPHRASE": "elevenchars"}
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: the CA key passphrase is too short: it needs at least 12 characters"
    )
    assert not (initialised_cli.data_dir / "ca").exists()


def test_short_counter_client_ca_passphrase_is_refused(ca_cli: CLI) -> None:
    result = ca_cli("--lang", "en", "est", "init", env={"COUNTER_APP_CA_PASSPHRASE": "short-1"})
    assert result.returncode == 2
    assert "at least 12 characters" in result.stderr
    assert not (ca_cli.data_dir / "est" / "client-ca.key").exists()


def test_ca_keys_are_encrypted_with_pbkdf2_at_600000_iterations(initialised_cli: CLI) -> None:
    production = {**CA_ENV, "COUNTER_APP_TEST_KDF_ITERATIONS": ""}
    assert initialised_cli("ca", "init", env=production).returncode == 0
    keys = list((initialised_cli.data_dir / "ca").glob("*.key.pem"))
    assert len(keys) == 3
    for key in keys:
        assert pbkdf2_iterations(key) >= 600_000 == KDF_ITERATIONS


def test_ca_keys_open_in_openssl_with_the_passphrase(ca_cli: CLI, tmp_path: Path) -> None:
    key = ca_cli.data_dir / "ca" / "issuing.key.pem"
    out = subprocess.run(
        ["openssl", "pkey", "-in", str(key), "-passin", "env:PW", "-noout"],
        env={"PW": PASSPHRASE, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr


def test_a_key_written_the_old_way_still_loads(tmp_path: Path) -> None:
    # Before this change keys were BestAvailableEncryption (PBKDF2 at 2,048 iterations).
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "old.key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"short"),
        )
    )
    assert read_encrypted_key(path, "short").public_key() == key.public_key()


# Offline root -------------------------------------------------------------------------------


def test_offline_root_key_is_written_only_to_the_media(offline_cli: CLI, media: Path) -> None:
    ca_dir = offline_cli.data_dir / "ca"
    assert not (ca_dir / "root.key.pem").exists()
    assert (ca_dir / "issuing.key.pem").exists()
    assert (media / "root.key.pem").exists()


def test_offline_root_key_is_written_at_the_production_kdf_count(
    initialised_cli: CLI, media: Path
) -> None:
    production = {**OFFLINE_ENV, "COUNTER_APP_TEST_KDF_ITERATIONS": ""}
    result = initialised_cli("ca", "init", "--offline-root", str(media), env=production)
    assert result.returncode == 0, result.stderr
    assert pbkdf2_iterations(media / "root.key.pem") >= 600_000


def test_offline_root_key_is_under_its_own_passphrase(offline_cli: CLI, media: Path) -> None:
    assert read_encrypted_key(media / "root.key.pem", ROOT_PASSPHRASE)
    with pytest.raises(Exception, match="passphrase"):
        read_encrypted_key(media / "root.key.pem", PASSPHRASE)


def test_issuing_works_without_the_media(offline_cli: CLI, tmp_path: Path) -> None:
    _, csr = make_csr()
    (tmp_path / "r.csr").write_bytes(csr)
    result = offline_cli(
        "ca", "issue", "--csr", str(tmp_path / "r.csr"), "--profile", "individual", "--cn", "张三",
        "--out", str(tmp_path / "leaf.pem"), env=CA_ENV,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_offline_root_with_a_short_root_passphrase_writes_nothing(
    initialised_cli: CLI, media: Path
) -> None:
    result = initialised_cli(
        "--lang", "en", "ca", "init", "--offline-root", str(media),
        env={**CA_ENV, "COUNTER_APP_ROOT_PASSPHRASE": "short"},
    )  # fmt: skip
    assert result.returncode == 2 and "at least 12 characters" in result.stderr
    assert list(media.iterdir()) == []
    assert not (initialised_cli.data_dir / "ca").exists()


def test_offline_root_to_a_missing_directory_is_refused(
    initialised_cli: CLI, tmp_path: Path
) -> None:
    result = initialised_cli(
        "--lang", "en", "ca", "init", "--offline-root", str(tmp_path / "not-mounted"),
        env=OFFLINE_ENV,
    )  # fmt: skip
    assert result.returncode == 2 and "no such directory" in result.stderr
    assert not (initialised_cli.data_dir / "ca").exists()


def test_root_operation_without_the_media_asks_for_it(offline_cli: CLI) -> None:
    result = offline_cli("--lang", "en", "ca", "issue-ca", env=OFFLINE_ENV)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--offline-root DIR" in result.stderr


def test_root_crl_without_the_media_asks_for_it(offline_cli: CLI, tmp_path: Path) -> None:
    out = tmp_path / "root.crl"
    result = offline_cli("--lang", "en", "ca", "crl", "--root", "--out", str(out), env=OFFLINE_ENV)
    assert result.returncode == 2 and "--offline-root DIR" in result.stderr
    assert not out.exists()


def test_issue_ca_with_the_media_recertifies_the_issuing_ca(
    offline_cli: CLI, media: Path, tmp_path: Path
) -> None:
    before = (offline_cli.data_dir / "ca" / "issuing.pem").read_bytes()
    result = offline_cli("ca", "issue-ca", "--offline-root", str(media), env=OFFLINE_ENV)
    assert result.returncode == 0, result.stderr
    after = offline_cli.data_dir / "ca" / "issuing.pem"
    assert after.read_bytes() != before
    verify = openssl("verify", "-CAfile", str(media / "root.pem"), str(after))
    assert verify.returncode == 0, verify.stderr


def test_root_crl_with_the_media_verifies_under_the_root(
    offline_cli: CLI, media: Path, tmp_path: Path
) -> None:
    out = tmp_path / "root.crl"
    result = offline_cli(
        "ca", "crl", "--root", "--offline-root", str(media), "--out", str(out), env=OFFLINE_ENV
    )
    assert result.returncode == 0, result.stderr
    checked = openssl(
        "crl", "-inform", "DER", "-in", str(out), "-CAfile", str(media / "root.pem"), "-noout"
    )
    assert checked.returncode == 0 and "verify OK" in checked.stderr + checked.stdout


def test_media_of_another_ca_is_refused(offline_cli: CLI, tmp_path: Path) -> None:
    other = tmp_path / "other-usb"
    other.mkdir()
    key = ec.generate_private_key(ec.SECP256R1())
    from counter_app.ca.keys import write_encrypted_key

    write_encrypted_key(other / "root.key.pem", key, ROOT_PASSPHRASE)
    result = offline_cli(
        "--lang", "en", "ca", "issue-ca", "--offline-root", str(other), env=OFFLINE_ENV
    )
    assert result.returncode == 2 and "not this CA's root key" in result.stderr


def test_online_root_crl_uses_the_ca_passphrase(ca_cli: CLI, tmp_path: Path) -> None:
    out = tmp_path / "root.crl"
    result = ca_cli("ca", "crl", "--root", "--out", str(out), env=CA_ENV)
    assert result.returncode == 0, result.stderr
    root = ca_cli.data_dir / "ca" / "root.pem"
    checked = openssl("crl", "-inform", "DER", "-in", str(out), "-CAfile", str(root), "-noout")
    assert "verify OK" in checked.stderr + checked.stdout
