"""Full CRLs: the whole list is handed to the builder's constructor at once.

``add_revoked_certificate`` copies the list on every call (quadratic: 19 s for 100,000 entries);
the constructor takes the list as is (1,000,000 entries sign in about a second).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

from counter_app.ca.hierarchy import signature_hash
from counter_app.ca.model import PublishedCRL, RevocationReason, RevokedEntry

# CA/B Forum model: nextUpdate at most 7 days out (we allow 10 at most there), fresh daily.
CRL_VALIDITY = dt.timedelta(days=7)
CRL_REFRESH = dt.timedelta(days=1)

# One shared extension list per reason: building an extension object per entry doubles the cost.
# RFC 5280 5.3.1: the reasonCode "unspecified" SHOULD be absent rather than written.
_REASON_EXTENSIONS: dict[RevocationReason, list[x509.Extension[x509.ExtensionType]]] = {
    reason: []
    if reason is RevocationReason.UNSPECIFIED
    else [x509.Extension(x509.CRLReason.oid, False, x509.CRLReason(reason.flag))]
    for reason in RevocationReason
}


def revoked_certificates(entries: Iterable[RevokedEntry]) -> list[x509.RevokedCertificate]:
    build = x509.RevokedCertificateBuilder
    extensions = _REASON_EXTENSIONS
    return [build(e.serial, e.revoked_at, extensions[e.reason]).build() for e in entries]


def build_crl(
    *,
    issuer: x509.Certificate,
    key: CertificateIssuerPrivateKeyTypes,
    number: int,
    entries: Iterable[RevokedEntry],
    this_update: dt.datetime,
) -> PublishedCRL:
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    next_update = this_update + CRL_VALIDITY
    crl = x509.CertificateRevocationListBuilder(
        issuer_name=issuer.subject,
        last_update=this_update,
        next_update=next_update,
        extensions=[
            x509.Extension(x509.CRLNumber.oid, False, x509.CRLNumber(number)),
            x509.Extension(
                x509.AuthorityKeyIdentifier.oid,
                False,
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
            ),
        ],
        revoked_certificates=revoked_certificates(entries),
    ).sign(key, signature_hash(key))
    return PublishedCRL(
        number, this_update, next_update, crl.public_bytes(serialization.Encoding.DER)
    )
