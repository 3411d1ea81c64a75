"""The SM2 signing module (`ca init --algorithm sm2`), judged by OpenSSL 3 and by gmssl.

OpenSSL 3.0's `verify` takes the GM/T 0009 distinguishing ID for the certificate it is given
(`-vfyopt`), not for the rest of the chain, so each link is checked as the target once; its
`crl` and `ocsp` commands take no ID, so gmssl (an independent, pure-Python SM2) judges those
signatures and OpenSSL only parses them.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from counter_app.ca import (
    BadCSR,
    CAFiles,
    IssueRequest,
    RevocationReason,
    SubjectInfo,
    WrongPassphrase,
)
from counter_app.ca.keys import read_encrypted_key
from counter_app.ca.sm2 import SM2PrivateKey
from tests.conftest import CLI, add_officers
from tests.integration.ca.conftest import (
    BIN,
    CA_ENV,
    PASSPHRASE,
    LibraryCA,
    open_library_ca,
    run,
    throwaway_ca_settings,
)
from tests.integration.ca.test_ca_cli import lint_cert
from tests.sm2_judge import (
    DISTID,
    SM2_SM3,
    cert_point,
    gmssl_verifies_ocsp,
    gmssl_verifies_signed,
    openssl_sm2_csr,
    openssl_verify,
)

ID_NUMBER = "11010519491231002X"


@pytest.fixture
def sm2_cli(initialised_cli: CLI) -> CLI:
    result = initialised_cli("ca", "init", "--algorithm", "sm2", env=CA_ENV)
    assert result.returncode == 0, result.stderr
    add_officers(initialised_cli)
    return initialised_cli


@pytest.fixture
def sm2_ca(tmp_path: Path) -> Iterator[LibraryCA]:
    with open_library_ca(tmp_path, throwaway_ca_settings("SM2", algorithm="sm2")) as library:
        yield library


def _issue(lib: LibraryCA, tmp_path: Path) -> x509.Certificate:
    csr = x509.load_pem_x509_csr(openssl_sm2_csr(tmp_path).read_bytes())
    subject = SubjectInfo(
        "张三", organization="某某单位", identifiers={"1.2.156.10260.4.1.1": ID_NUMBER}
    )
    return lib.ca.issue(IssueRequest(csr, subject, "individual", application_id="A-1")).certificate


def _pem(path: Path, cert: x509.Certificate) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_ca_init_sm2_signs_root_issuing_and_responder_with_sm2_sm3(sm2_cli: CLI) -> None:
    files = CAFiles.in_data_dir(sm2_cli.data_dir)
    for role in ("root", "issuing", "ocsp"):
        assert files.load_cert(role).signature_algorithm_oid.dotted_string == SM2_SM3
    text = run("openssl", "x509", "-in", str(files.cert("issuing")), "-noout", "-text").stdout
    assert "ASN1 OID: SM2" in text and "SM2-with-SM3" in text


def test_openssl_accepts_each_link_of_the_sm2_chain_with_the_default_id(sm2_cli: CLI) -> None:
    files = CAFiles.in_data_dir(sm2_cli.data_dir)
    root, issuing, responder = (str(files.cert(r)) for r in ("root", "issuing", "ocsp"))
    linked = openssl_verify("-vfyopt", DISTID, "-CAfile", root, issuing)
    assert linked.returncode == 0, linked.stdout + linked.stderr
    leaf = openssl_verify("-vfyopt", DISTID, "-partial_chain", "-CAfile", issuing, responder)
    assert leaf.returncode == 0, leaf.stdout + leaf.stderr


def test_sm2_chain_fails_openssl_without_the_distinguishing_id(sm2_cli: CLI) -> None:
    # Proves the signatures are made with the GM/T 0009 ID, not OpenSSL's empty default.
    files = CAFiles.in_data_dir(sm2_cli.data_dir)
    result = openssl_verify("-CAfile", str(files.cert("root")), str(files.cert("issuing")))
    assert result.returncode != 0


def test_gmssl_verifies_the_self_signed_sm2_root(sm2_cli: CLI) -> None:
    root = CAFiles.in_data_dir(sm2_cli.data_dir).load_cert("root")
    der = root.public_bytes(serialization.Encoding.DER)
    assert gmssl_verifies_signed(cert_point(root), der)


def test_cli_issues_an_sm2_leaf_that_openssl_and_gmssl_accept(sm2_cli: CLI, tmp_path: Path) -> None:
    out = _sm2_leaf(sm2_cli, tmp_path)
    files = CAFiles.in_data_dir(sm2_cli.data_dir)
    verified = openssl_verify(
        "-vfyopt", DISTID, "-partial_chain", "-CAfile", str(files.cert("issuing")), str(out)
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    leaf = x509.load_pem_x509_certificate(out.read_bytes())
    issuing = files.load_cert("issuing")
    assert gmssl_verifies_signed(cert_point(issuing), leaf.public_bytes(serialization.Encoding.DER))
    # The leaf certifies the CSR's SM2 key (the same point OpenSSL put in the CSR).
    key_text = run("openssl", "pkey", "-in", str(tmp_path / "leaf.key"), "-pubout").stdout
    cert_text = run("openssl", "x509", "-in", str(out), "-noout", "-pubkey").stdout
    assert key_text == cert_text


def test_sm2_leaf_carries_the_gmt0015_identifier_as_a_salted_hash(
    sm2_ca: LibraryCA, tmp_path: Path
) -> None:
    leaf = _issue(sm2_ca, tmp_path)
    ext = leaf.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.2.156.10260.4.1.1"))
    assert ID_NUMBER.encode() not in ext.value.public_bytes()
    assert len(ext.value.public_bytes()) == 2 + 64  # PrintableString of SHA-256 hex


def test_pkilint_finds_no_error_in_an_sm2_leaf(sm2_ca: LibraryCA, tmp_path: Path) -> None:
    path = _pem(tmp_path / "leaf.pem", _issue(sm2_ca, tmp_path))
    report = lint_cert(path)
    errors = [line for line in report.splitlines() if "ERROR" in line or "FATAL" in line]
    assert errors == [], report


def test_csr_signed_without_the_default_id_is_refused(sm2_ca: LibraryCA, tmp_path: Path) -> None:
    csr = x509.load_pem_x509_csr(openssl_sm2_csr(tmp_path, distid=False).read_bytes())
    with pytest.raises(BadCSR):
        sm2_ca.ca.issue(IssueRequest(csr, SubjectInfo("张三"), "individual"))


def test_sm2_csr_with_a_tampered_body_is_refused(sm2_ca: LibraryCA, tmp_path: Path) -> None:
    der = bytearray(
        x509.load_pem_x509_csr(openssl_sm2_csr(tmp_path).read_bytes()).public_bytes(
            serialization.Encoding.DER
        )
    )
    at = bytes(der).index(b"from-the-csr")
    der[at] ^= 0x01
    with pytest.raises(BadCSR):
        sm2_ca.ca.issue(
            IssueRequest(x509.load_der_x509_csr(bytes(der)), SubjectInfo("张三"), "individual")
        )


def test_sm2_crl_is_signed_with_sm2_and_lists_the_revoked_leaf(
    sm2_ca: LibraryCA, tmp_path: Path
) -> None:
    leaf = _issue(sm2_ca, tmp_path)
    sm2_ca.ca.revoke(f"{leaf.serial_number:X}", RevocationReason.KEY_COMPROMISE, operator="t")
    der = sm2_ca.ca.current_crl()
    assert gmssl_verifies_signed(cert_point(sm2_ca.ca.keys.issuing), der)
    crl = x509.load_der_x509_crl(der)
    assert crl.signature_algorithm_oid.dotted_string == SM2_SM3
    assert crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None
    path = tmp_path / "crl.der"
    path.write_bytes(der)
    parsed = run("openssl", "crl", "-inform", "DER", "-in", str(path), "-noout", "-text")
    assert parsed.returncode == 0 and "Key Compromise" in parsed.stdout
    lint = run(str(BIN / "lint_crl"), "lint", "-t", "CRL", "-p", "PKIX", "-s", "WARNING", str(path))
    assert lint.returncode == 0 and lint.stdout.strip() == "", lint.stdout


def test_empty_sm2_crl_is_signed_with_sm2_too(sm2_ca: LibraryCA) -> None:
    der = sm2_ca.ca.publish_crl().der
    assert x509.load_der_x509_crl(der).signature_algorithm_oid.dotted_string == SM2_SM3
    assert gmssl_verifies_signed(cert_point(sm2_ca.ca.keys.issuing), der)


def _ocsp(lib: LibraryCA, cert: x509.Certificate, nonce: bool = False) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, lib.ca.keys.issuing, hashes.SHA1())
    if nonce:
        builder = builder.add_extension(x509.OCSPNonce(b"0123456789abcdef"), critical=False)
    return lib.ca.ocsp_response(builder.build().public_bytes(serialization.Encoding.DER))


@pytest.mark.parametrize("nonce", [False, True])
def test_sm2_ocsp_answers_verify_with_gmssl_and_parse_in_openssl(
    sm2_ca: LibraryCA, tmp_path: Path, nonce: bool
) -> None:
    leaf = _issue(sm2_ca, tmp_path)
    sm2_ca.ca.hold(f"{leaf.serial_number:X}", operator="t")
    der = _ocsp(sm2_ca, leaf, nonce)
    assert gmssl_verifies_ocsp(cert_point(sm2_ca.ca.keys.responder), der)
    answer = ocsp.load_der_ocsp_response(der)
    assert answer.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert answer.responder_key_hash is not None
    path = tmp_path / "resp.der"
    path.write_bytes(der)
    parsed = run("openssl", "ocsp", "-respin", str(path), "-noverify", "-resp_text")
    assert parsed.returncode == 0, parsed.stderr
    assert "certificateHold" in parsed.stdout and "SM2-with-SM3" in parsed.stdout
    lint = run(str(BIN / "lint_ocsp_response"), "lint", "-s", "WARNING", str(path))
    assert lint.returncode == 0 and lint.stdout.strip() == "", lint.stdout


def test_sm2_ocsp_answer_names_the_responder_by_its_sm2_key_hash(
    sm2_ca: LibraryCA, tmp_path: Path
) -> None:
    import hashlib

    leaf = _issue(sm2_ca, tmp_path)
    answer = ocsp.load_der_ocsp_response(_ocsp(sm2_ca, leaf))
    expected = hashlib.sha1(cert_point(sm2_ca.ca.keys.responder)).digest()
    assert answer.responder_key_hash == expected
    assert answer.certificates[0] == sm2_ca.ca.keys.responder


def test_sm2_ca_keys_are_encrypted_at_rest(sm2_ca: LibraryCA) -> None:
    pem = sm2_ca.files.key("issuing").read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    key = read_encrypted_key(sm2_ca.files.key("issuing"), PASSPHRASE)
    assert isinstance(key, SM2PrivateKey)
    assert key.public_key().point == cert_point(sm2_ca.ca.keys.issuing)


def test_sm2_ca_key_with_a_wrong_passphrase_is_refused(sm2_ca: LibraryCA) -> None:
    with pytest.raises(WrongPassphrase):
        read_encrypted_key(sm2_ca.files.key("issuing"), "not-the-passphrase")


def test_openssl_reads_the_encrypted_sm2_ca_key(sm2_ca: LibraryCA) -> None:
    result = subprocess.run(
        ["openssl", "pkey", "-in", str(sm2_ca.files.key("ocsp")), "-passin", "env:PP", "-noout"],
        env={"PP": PASSPHRASE},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_sm2_ca_cannot_be_put_in_a_pkcs11_hsm(initialised_cli: CLI) -> None:
    result = initialised_cli(
        "ca", "init", "--algorithm", "sm2", "--hsm-module", "/nonexistent.so", env=CA_ENV
    )
    assert result.returncode == 2
    assert "SM2" in result.stderr and "Traceback" not in result.stderr


def test_ca_init_sm2_sets_up_the_kmc_with_its_key_encrypted(sm2_cli: CLI) -> None:
    kmc = sm2_cli.data_dir / "kmc"
    assert (kmc / "kmc.key.pem").read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY")
    assert (kmc / "kmc.pub.pem").exists()
    assert (kmc.stat().st_mode & 0o777) == 0o700


def test_kmc_recover_of_a_serial_without_escrow_says_so_in_one_line(
    sm2_cli: CLI, tmp_path: Path
) -> None:
    csr = openssl_sm2_csr(tmp_path)
    out = tmp_path / "envelope.bin"
    result = sm2_cli(
        "--lang", "en", "kmc", "recover", "0A0B0C", "--csr", str(csr), "--identity", ID_NUMBER,
        "--out", str(out), env=CA_ENV,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "no escrowed encryption key" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_sm2_root_recertifies_the_issuing_ca_and_signs_its_crl(sm2_ca: LibraryCA) -> None:
    from counter_app.ca.root import open_root_key, recertify_issuing, sign_root_crl

    files = sm2_ca.files
    root_key = open_root_key(files, None, PASSPHRASE)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    issuing = recertify_issuing(files, root_key, now)
    root = files.load_cert("root")
    assert gmssl_verifies_signed(cert_point(root), issuing.public_bytes(serialization.Encoding.DER))
    assert cert_point(issuing) == cert_point(sm2_ca.ca.keys.issuing)  # the same key
    crl = sign_root_crl(files, root_key, now)
    assert crl.signature_algorithm_oid.dotted_string == SM2_SM3
    assert gmssl_verifies_signed(cert_point(root), crl.public_bytes(serialization.Encoding.DER))


def test_both_certificates_of_a_pair_pass_openssl_and_pkilint(
    sm2_ca: LibraryCA, tmp_path: Path
) -> None:
    from counter_app.kmc import KeyManagementCentre, KMCFiles, init_kmc, issue_pair

    files = KMCFiles(tmp_path / "kmc")
    init_kmc(files, PASSPHRASE)
    csr = x509.load_pem_x509_csr(openssl_sm2_csr(tmp_path).read_bytes())
    subject = SubjectInfo("张三", identifiers={"1.2.156.10260.4.1.1": ID_NUMBER})
    request = IssueRequest(csr, subject, "individual", application_id="A-2", operator="t")
    issued = issue_pair(sm2_ca.ca, KeyManagementCentre(files), request)
    issuing = str(sm2_ca.files.cert("issuing"))
    for name, cert in (("sign", issued.signing), ("enc", issued.encryption)):
        path = _pem(tmp_path / f"{name}.pem", cert.certificate)
        verified = openssl_verify(
            "-vfyopt", DISTID, "-partial_chain", "-CAfile", issuing, str(path)
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
        report = lint_cert(path)
        errors = [line for line in report.splitlines() if "ERROR" in line or "FATAL" in line]
        if name == "enc":
            # RFC 5480 forbids key/data encipherment for id-ecPublicKey (ECDSA/ECDH keys); an
            # SM2 key is also a public-key encryption key (GM/T 0003.4) and GM/T practice sets
            # both on the encryption certificate. pkilint cannot tell SM2 from ECDSA: that one
            # finding is expected, and nothing else.
            errors = [e for e in errors if "key_usage_value_prohibited_for_ec" not in e]
        assert errors == [], report


def test_sm2_responder_is_renewed_with_an_sm2_key_and_answers_with_it(
    sm2_ca: LibraryCA, tmp_path: Path
) -> None:
    from counter_app.ca.rollover import renew_responder

    new_key = SM2PrivateKey.generate()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    renewed = renew_responder(
        sm2_ca.files, sm2_ca.ca.keys.issuing_key, new_key, now, passphrase=PASSPHRASE
    )
    issuing = sm2_ca.ca.keys.issuing
    der = renewed.certificate.public_bytes(serialization.Encoding.DER)
    assert gmssl_verifies_signed(cert_point(issuing), der)
    assert cert_point(renewed.certificate) == new_key.public_key().point
    sm2_ca.ca.replace_responder(
        renewed.certificate, read_encrypted_key(sm2_ca.files.key("ocsp"), PASSPHRASE)
    )
    leaf = _issue(sm2_ca, tmp_path)
    assert gmssl_verifies_ocsp(new_key.public_key().point, _ocsp(sm2_ca, leaf))


def _sm2_leaf(cli: CLI, tmp_path: Path) -> Path:
    tmp_path.mkdir(exist_ok=True)
    csr, out = openssl_sm2_csr(tmp_path), tmp_path / "leaf.pem"
    result = cli(
        "ca", "issue", "--csr", str(csr), "--profile", "individual", "--cn", "张三",
        "--id", f"1.2.156.10260.4.1.1={ID_NUMBER}", "--out", str(out), env=CA_ENV,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


def test_an_sm2_rollover_makes_an_sm2_issuing_ca_2_under_the_same_root(
    sm2_cli: CLI, tmp_path: Path
) -> None:
    before = _sm2_leaf(sm2_cli, tmp_path / "before")
    rolled = sm2_cli("--lang", "en", "ca", "rollover", env=CA_ENV)
    assert rolled.returncode == 0, rolled.stderr
    after = _sm2_leaf(sm2_cli, tmp_path / "after")
    files = CAFiles.in_data_dir(sm2_cli.data_dir)
    second = files.load_cert("issuing-2")
    assert second.signature_algorithm_oid.dotted_string == SM2_SM3
    root = str(files.cert("root"))
    linked = openssl_verify("-vfyopt", DISTID, "-CAfile", root, str(files.cert("issuing-2")))
    assert linked.returncode == 0, linked.stdout + linked.stderr
    # Each leaf verifies under its own issuing CA, and not under the other.
    for leaf, own, other in ((before, "issuing", "issuing-2"), (after, "issuing-2", "issuing")):
        mine = openssl_verify(
            "-vfyopt", DISTID, "-partial_chain", "-CAfile", str(files.cert(own)), str(leaf)
        )
        assert mine.returncode == 0, (own, mine.stdout + mine.stderr)
        theirs = openssl_verify(
            "-vfyopt", DISTID, "-partial_chain", "-CAfile", str(files.cert(other)), str(leaf)
        )
        assert theirs.returncode != 0, other
    # The new issuing key is SM2 too: gmssl checks the new leaf's signature with its point.
    leaf = x509.load_pem_x509_certificate(after.read_bytes())
    assert gmssl_verifies_signed(cert_point(second), leaf.public_bytes(serialization.Encoding.DER))


def test_after_an_sm2_rollover_each_issuer_signs_its_own_crl_with_sm2(
    sm2_cli: CLI, tmp_path: Path
) -> None:
    assert sm2_cli("ca", "rollover", env=CA_ENV).returncode == 0
    files = CAFiles.in_data_dir(sm2_cli.data_dir)
    for number, role in ((1, "issuing"), (2, "issuing-2")):
        out = tmp_path / f"crl-{number}.der"
        made = sm2_cli("ca", "crl", "--new", "--issuer", str(number), "--out", str(out), env=CA_ENV)
        assert made.returncode == 0, made.stderr
        crl = x509.load_der_x509_crl(out.read_bytes())
        issuer = files.load_cert(role)
        assert crl.issuer == issuer.subject
        assert crl.signature_algorithm_oid.dotted_string == SM2_SM3
        assert gmssl_verifies_signed(cert_point(issuer), out.read_bytes())
