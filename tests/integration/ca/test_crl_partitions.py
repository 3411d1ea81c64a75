"""Partitioned CRLs: each certificate's CRL DP names its partition (/crl/N), each partition CRL
carries the issuingDistributionPoint naming it; judged by openssl, pkilint and
pyhanko-certvalidator's revocation check."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathValidationError, RevokedError
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

from counter_app.ca import CAFiles, IssueRequest, RevocationReason, SubjectInfo
from tests.conftest import CLI
from tests.integration.ca.conftest import (
    BIN,
    CA_ENV,
    LibraryCA,
    Server,
    issue_via_cli,
    make_csr,
    open_library_ca,
    run,
    throwaway_ca_settings,
)
from tests.integration.ca.test_ca_server import serial_of

BASE = "http://127.0.0.1:9"


@pytest.fixture
def partitioned(tmp_path: Path) -> Iterator[LibraryCA]:
    """A CA whose partition CRLs hold two certificates each."""
    with open_library_ca(tmp_path, throwaway_ca_settings("Part", crl_partition_size=2)) as library:
        yield library


def issue(library: LibraryCA) -> x509.Certificate:
    csr = x509.load_pem_x509_csr(make_csr()[1])
    return library.ca.issue(
        IssueRequest(csr, SubjectInfo(common_name="钱七"), "individual")
    ).certificate


def crl_dp(cert: x509.Certificate) -> list[str]:
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    return [name.value for point in points for name in point.full_name or ()]


def idp(crl: x509.CertificateRevocationList) -> x509.Extension[x509.IssuingDistributionPoint]:
    return crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint)


def test_certificates_name_their_partition_in_their_crl_dp(partitioned: LibraryCA) -> None:
    certs = [issue(partitioned) for _ in range(5)]
    assert [crl_dp(c) for c in certs] == [
        [f"{BASE}/crl/1"], [f"{BASE}/crl/1"], [f"{BASE}/crl/2"], [f"{BASE}/crl/2"],
        [f"{BASE}/crl/3"],
    ]  # fmt: skip


def test_without_a_partition_size_certificates_name_the_complete_crl(
    library_ca: LibraryCA,
) -> None:
    assert crl_dp(issue(library_ca)) == ["http://127.0.0.1:9/crl"]


def test_partition_crl_lists_its_own_revocations_and_names_itself(
    partitioned: LibraryCA,
) -> None:
    certs = [issue(partitioned) for _ in range(4)]
    for cert in (certs[0], certs[2]):
        partitioned.ca.revoke(f"{cert.serial_number:X}", RevocationReason.SUPERSEDED, operator="o")
    der = partitioned.ca.partition_crl(1)
    assert der is not None
    crl = x509.load_der_x509_crl(der)
    assert {e.serial_number for e in crl} == {certs[0].serial_number}
    extension = idp(crl)
    assert extension.critical
    assert [n.value for n in extension.value.full_name or ()] == [f"{BASE}/crl/1"]
    assert extension.value.only_contains_user_certs
    # The complete CRL (no issuingDistributionPoint) still lists every revocation.
    complete = x509.load_der_x509_crl(partitioned.ca.current_crl())
    assert {e.serial_number for e in complete} == {certs[0].serial_number, certs[2].serial_number}
    with pytest.raises(x509.ExtensionNotFound):
        idp(complete)


def test_a_partition_no_certificate_names_has_no_crl(partitioned: LibraryCA) -> None:
    issue(partitioned)
    assert partitioned.ca.partition_crl(2) is None
    assert partitioned.ca.partition_crl(0) is None


def test_partition_crl_is_accepted_by_openssl_and_clean_under_pkilint(
    partitioned: LibraryCA, tmp_path: Path
) -> None:
    cert = issue(partitioned)
    partitioned.ca.revoke(f"{cert.serial_number:X}", RevocationReason.KEY_COMPROMISE, operator="o")
    path = tmp_path / "part1.crl"
    path.write_bytes(partitioned.ca.partition_crl(1) or b"")
    chain = tmp_path / "chain.pem"
    chain.write_bytes(
        partitioned.files.cert("issuing").read_bytes() + partitioned.files.cert("root").read_bytes()
    )
    checked = run("openssl", "crl", "-inform", "DER", "-in", str(path), "-CAfile", str(chain), "-noout", "-text")  # fmt: skip
    assert "verify OK" in checked.stderr + checked.stdout, checked.stderr
    assert "Issuing Distribution Point: critical" in checked.stdout
    lint = run(str(BIN / "lint_crl"), "lint", "-t", "CRL", "-p", "PKIX", "-s", "WARNING", str(path))
    assert lint.returncode == 0 and lint.stdout.strip() == "", lint.stdout


def validate(library: LibraryCA, cert: x509.Certificate, crls: list[bytes]) -> None:
    """pyhanko-certvalidator's path validation with a CRL required for the leaf."""
    policy = CertRevTrustPolicy(
        RevocationCheckingPolicy(
            ee_certificate_rule=RevocationCheckingRule.CRL_REQUIRED,
            intermediate_ca_cert_rule=RevocationCheckingRule.NO_CHECK,
        )
    )

    def load(cert: x509.Certificate) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    context = ValidationContext(
        trust_roots=[load(library.ca.keys.root)],
        other_certs=[load(library.ca.keys.issuing)],
        crls=[asn1_crl.CertificateList.load(der) for der in crls],
        revinfo_policy=policy,
        allow_fetching=False,
    )
    validator = CertificateValidator(load(cert), validation_context=context)
    asyncio.run(validator.async_validate_path())


def test_pyhanko_certvalidator_finds_a_revocation_in_the_partition_crl(
    partitioned: LibraryCA,
) -> None:
    revoked, good = issue(partitioned), issue(partitioned)
    partitioned.ca.revoke(f"{revoked.serial_number:X}", RevocationReason.SUPERSEDED, operator="o")
    crl = partitioned.ca.partition_crl(1) or b""
    validate(partitioned, good, [crl])  # the partition CRL covers it: good
    with pytest.raises(RevokedError):
        validate(partitioned, revoked, [crl])


def test_pyhanko_certvalidator_does_not_take_another_partitions_crl(
    partitioned: LibraryCA,
) -> None:
    first = issue(partitioned)
    issue(partitioned)
    issue(partitioned)  # partition 2
    other = partitioned.ca.partition_crl(2) or b""
    with pytest.raises(PathValidationError):
        validate(partitioned, first, [other])  # out of that CRL's scope: no CRL for it


def test_serve_answers_get_crl_n(
    ca_cli: CLI, ca_files: CAFiles, server: Server, tmp_path: Path
) -> None:
    settings = ca_files.directory / "settings.toml"
    settings.write_text(settings.read_text() + "\ncrl_partition_size = 1\n")
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    issue_via_cli(ca_cli, tmp_path / "a")  # partition 1
    second = issue_via_cli(ca_cli, tmp_path / "b")  # partition 2
    revoked = ca_cli("ca", "revoke", serial_of(second), "--reason", "superseded", env=CA_ENV)
    assert revoked.returncode == 0, revoked.stderr
    answer = httpx.get(f"{server.url}/crl/2")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(answer.content)
    assert {e.serial_number for e in crl} == {int(serial_of(second), 16)}
    assert next(n.value for n in idp(crl).value.full_name or ()).endswith("/crl/2")
    first_crl = x509.load_der_x509_crl(httpx.get(f"{server.url}/crl/1").content)
    assert len(first_crl) == 0
    assert httpx.get(f"{server.url}/crl/3").status_code == 404
    assert httpx.get(f"{server.url}/crl/x").status_code == 404
