"""The CRL encoder (entries spliced into a cryptography-signed template), judged by cryptography."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

from counter_app.ca.crl import build_crl
from counter_app.ca.model import RevocationReason

NOW = dt.datetime(2026, 11, 24, 12, 0, 0, tzinfo=dt.UTC)


def _issuer(key: CertificateIssuerPrivateKeyTypes) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Test Issuing CA")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=3650))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )


ROWS = [
    # 16-octet serial (the fast path), every reason, a time past 2049 (GeneralizedTime).
    ("4F" + "11" * 15, int(NOW.timestamp()) - 60, "key-compromise"),
    ("7A" + "22" * 15, int(NOW.timestamp()) - 3600, "certificate-hold"),
    ("40" + "33" * 15, int(NOW.timestamp()), "unspecified"),
    ("41" + "44" * 15, int(NOW.timestamp()), None),
    (
        "42" + "55" * 15,
        int(dt.datetime(2051, 1, 2, 3, 4, 5, tzinfo=dt.UTC).timestamp()),
        "superseded",
    ),
    # Other serial shapes: short, high bit set (needs a 0x00 octet), 20 octets, odd hex length.
    ("0A", int(NOW.timestamp()), "cessation-of-operation"),
    ("FF" * 16, int(NOW.timestamp()), "affiliation-changed"),
    ("12" * 20, int(NOW.timestamp()), "privilege-withdrawn"),
    ("ABC", int(NOW.timestamp()), "ca-compromise"),
]


@pytest.fixture(params=["p256", "rsa2048"])
def issuing(
    request: pytest.FixtureRequest,
) -> tuple[CertificateIssuerPrivateKeyTypes, x509.Certificate]:
    key: CertificateIssuerPrivateKeyTypes
    if request.param == "p256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, _issuer(key)


def _crl(
    issuing: tuple[CertificateIssuerPrivateKeyTypes, x509.Certificate],
) -> x509.CertificateRevocationList:
    key, cert = issuing
    published = build_crl(issuer=cert, key=key, number=7, entries=ROWS, this_update=NOW)
    return x509.load_der_x509_crl(published.der)


def test_spliced_crl_signature_verifies_under_the_issuer(issuing) -> None:  # type: ignore[no-untyped-def]
    assert _crl(issuing).is_signature_valid(issuing[1].public_key())  # type: ignore[arg-type]


def test_spliced_crl_lists_every_serial_time_and_reason(issuing) -> None:  # type: ignore[no-untyped-def]
    crl = _crl(issuing)
    found = {}
    for entry in crl:
        try:
            reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            reason = None
        found[entry.serial_number] = (entry.revocation_date_utc, reason)
    expected = {}
    for serial_hex, epoch, reason in ROWS:
        flag = None if reason in (None, "unspecified") else RevocationReason(reason).flag
        expected[int(serial_hex, 16)] = (dt.datetime.fromtimestamp(epoch, dt.UTC), flag)
    assert found == expected


def test_spliced_crl_keeps_number_times_and_issuer(issuing) -> None:  # type: ignore[no-untyped-def]
    crl = _crl(issuing)
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 7
    assert crl.last_update_utc == NOW
    assert crl.next_update_utc == NOW + dt.timedelta(days=7)
    assert crl.issuer == issuing[1].subject


def test_crl_without_entries_has_no_revoked_list(issuing) -> None:  # type: ignore[no-untyped-def]
    key, cert = issuing
    published = build_crl(issuer=cert, key=key, number=1, entries=[], this_update=NOW)
    crl = x509.load_der_x509_crl(published.der)
    assert len(crl) == 0 and crl.is_signature_valid(cert.public_key())  # type: ignore[arg-type]
