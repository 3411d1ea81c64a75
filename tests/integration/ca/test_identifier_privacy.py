"""No ID number in clear in a certificate: hashed identifiers, a secret salt, and the check."""

from __future__ import annotations

import base64
import hashlib
import stat
import tomllib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from counter_app.ca import CAFiles, IssueRequest
from counter_app.ca.profiles import identifier_hash
from counter_app.domain.subscribers import IdType, Individual
from counter_app.services.subjects import subject_for
from tests.conftest import CLI
from tests.integration.ca.conftest import CA_ENV, LibraryCA, make_csr

ID_NUMBER = "11010519491231002X"
SALT = b"salt-for-tests!!"  # the library_ca fixture's


def _csr() -> x509.CertificateSigningRequest:
    return x509.load_pem_x509_csr(make_csr()[1])


def _individual_der(library_ca: LibraryCA) -> bytes:
    person = Individual(
        name="张三",
        id_type=IdType.RESIDENT_ID,
        id_number=ID_NUMBER,
        mobile="13800138000",
        social_insurance_number=ID_NUMBER,
    )
    subject = subject_for(person, subscriber_ref="S-000123")
    issued = library_ca.ca.issue(IssueRequest(_csr(), subject, "individual"))
    return issued.certificate.public_bytes(serialization.Encoding.DER)


def _bcd(digits: str, swap: bool) -> bytes:
    padded = digits + ("F" if len(digits) % 2 else "")
    pairs = [padded[i : i + 2] for i in range(0, len(padded), 2)]
    return bytes.fromhex("".join(p[::-1] if swap else p for p in pairs))


def encodings(number: str) -> dict[str, bytes]:
    """Ways an ID number could sit in DER: text encodings, packed digits, an unsalted hash."""
    digits = number[:17]
    forms: dict[str, bytes] = {}
    for text in {number, number.lower(), digits}:
        for codec in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
            forms[f"{codec}:{text}"] = text.encode(codec)
        forms[f"hex-upper:{text}"] = text.encode().hex().upper().encode()
        forms[f"hex-lower:{text}"] = text.encode().hex().encode()
        forms[f"base64:{text}"] = base64.b64encode(text.encode()).rstrip(b"=")
        digest = hashlib.sha256(text.encode())
        forms[f"sha256:{text}"] = digest.digest()
        forms[f"sha256-hex:{text}"] = digest.hexdigest().upper().encode()
        forms[f"sha256-hex-lower:{text}"] = digest.hexdigest().encode()
    forms["bcd"] = _bcd(digits, swap=False)
    forms["bcd-swapped"] = _bcd(digits, swap=True)
    value = int(digits)
    forms["integer"] = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return forms


def test_individual_certificate_der_holds_no_id_number_in_any_encoding(
    library_ca: LibraryCA,
) -> None:
    der = _individual_der(library_ca)
    found = [name for name, form in encodings(ID_NUMBER).items() if form in der]
    assert found == []


def test_identity_extensions_carry_the_salted_hash(library_ca: LibraryCA) -> None:
    cert = x509.load_der_x509_certificate(_individual_der(library_ca))
    expected = identifier_hash(ID_NUMBER, SALT).encode()
    for oid in ("1.2.156.10260.4.1.1", "1.2.156.10260.4.1.2"):
        value = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(oid)).value
        assert isinstance(value, x509.UnrecognizedExtension)
        assert value.value == b"\x13\x40" + expected


def test_salt_is_a_0600_file_and_not_in_settings(ca_cli: CLI) -> None:
    ca_dir = ca_cli.data_dir / "ca"
    assert stat.S_IMODE((ca_dir / "identifier.salt").stat().st_mode) == 0o600
    settings = tomllib.loads((ca_dir / "settings.toml").read_text())
    assert "identifier_salt" not in settings


def test_salt_kept_in_an_old_settings_file_moves_to_its_own(ca_cli: CLI) -> None:
    files = CAFiles.in_data_dir(ca_cli.data_dir)
    salt = files.salt.read_text().strip()
    files.salt.unlink()
    with files.settings.open("a") as fh:
        fh.write(f'identifier_salt = "{salt}"\n')
    assert files.load_settings().identifier_salt.hex() == salt
    assert files.salt.read_text().strip() == salt
    assert stat.S_IMODE(files.salt.stat().st_mode) == 0o600
    assert "identifier_salt" not in files.settings.read_text()


def _issue_individual(cli: CLI, tmp_path: Path, number: str) -> Path:
    _, csr = make_csr()
    (tmp_path / "r.csr").write_bytes(csr)
    out = tmp_path / "leaf.pem"
    result = cli(
        "ca", "issue", "--csr", str(tmp_path / "r.csr"), "--profile", "individual",
        "--cn", "张三", "--id", f"1.2.156.10260.4.1.1={number}", "--out", str(out), env=CA_ENV,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


def test_right_to_know_check_matches_the_true_number(ca_cli: CLI, tmp_path: Path) -> None:
    leaf = _issue_individual(ca_cli, tmp_path, ID_NUMBER)
    result = ca_cli("ca", "verify-id", str(leaf), input=ID_NUMBER + "\n", env=CA_ENV)
    assert result.returncode == 0, result.stderr
    assert "1.2.156.10260.4.1.1" in result.stdout


def test_right_to_know_check_refuses_another_number(ca_cli: CLI, tmp_path: Path) -> None:
    leaf = _issue_individual(ca_cli, tmp_path, ID_NUMBER)
    result = ca_cli("ca", "verify-id", str(leaf), input="110105194912310021\n", env=CA_ENV)
    assert result.returncode == 1
    assert "no match" in result.stderr


def test_right_to_know_check_needs_a_supervisor(ca_cli: CLI, tmp_path: Path) -> None:
    leaf = _issue_individual(ca_cli, tmp_path, ID_NUMBER)
    clerk = {**CA_ENV, "COUNTER_APP_SUPERVISOR": "rev1"}
    clerk["COUNTER_APP_SUPERVISOR_PASSWORD"] = CA_ENV["COUNTER_APP_REVIEWER_PASSWORD"]
    result = ca_cli("--lang", "en", "ca", "verify-id", str(leaf), input=ID_NUMBER + "\n", env=clerk)
    assert result.returncode == 2 and "permission denied" in result.stderr
