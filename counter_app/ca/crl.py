"""Full CRLs of a million entries in a few seconds.

cryptography's builder needs one ``RevokedCertificate`` object per entry (built, encoded and
parsed back one by one: about 8 s for 1,000,000 on this machine before the signature). Here
cryptography signs a CRL with the same issuer, times and extensions but no entries (the
template: its DER fixes every field but the list), the revokedCertificates SEQUENCE is encoded
directly from the database rows (serial hex, revocation time in epoch seconds, reason), spliced
into the template's TBSCertList, and the result is signed with the issuing key (any
cryptography private key, HSM-backed ones included, or SM2 through :mod:`counter_app.ca.signing`). The tests judge the output with
cryptography, ``openssl crl -CAfile`` and pkilint.

The store keeps each revoked certificate's entry pre-encoded (:func:`encode_entry`, written
when its status changes), so a full CRL is one read of concatenated bytes: no per-row Python
at all. The TBS is hashed in pieces and the signature made over the digest (``Prehashed``),
so the list (tens of MB) is copied once, into the final DER.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from counter_app.ca.der import length as _length
from counter_app.ca.der import read_tlv as _read_tlv
from counter_app.ca.der import tlv as _tlv
from counter_app.ca.errors import CAError
from counter_app.ca.model import PublishedCRL, RevocationReason, RevokedRow
from counter_app.ca.signing import IssuerKey, Signer, signer_for

# CA/B Forum model: nextUpdate at most 7 days out (we allow 10 at most there), fresh daily.
CRL_VALIDITY = dt.timedelta(days=7)
CRL_REFRESH = dt.timedelta(days=1)

_CRL_REASON_OID = b"\x06\x03\x55\x1d\x15"  # id-ce-cRLReasons (2.5.29.21)


def _reason_extensions(reason: RevocationReason) -> bytes:
    """crlEntryExtensions with the reasonCode; RFC 5280 5.3.1: omitted for "unspecified"."""
    if reason is RevocationReason.UNSPECIFIED:
        return b""
    value = x509.CRLReason(reason.flag).public_bytes()  # the ENUMERATED
    extension = _tlv(0x30, _CRL_REASON_OID + _tlv(0x04, value))
    return _tlv(0x30, extension)


_EXTENSIONS: dict[str | None, bytes] = {r.value: _reason_extensions(r) for r in RevocationReason}
_EXTENSIONS[None] = b""


def _time(epoch: int) -> bytes:
    """RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050."""
    when = dt.datetime.fromtimestamp(epoch, dt.UTC)
    if 1950 <= when.year < 2050:
        return _tlv(0x17, when.strftime("%y%m%d%H%M%SZ").encode())
    return _tlv(0x18, when.strftime("%Y%m%d%H%M%SZ").encode())


def _serial(serial_hex: str) -> bytes:
    """A positive INTEGER from the serial's hex magnitude."""
    magnitude = bytes.fromhex(serial_hex if len(serial_hex) % 2 == 0 else "0" + serial_hex)
    magnitude = magnitude.lstrip(b"\x00") or b"\x00"
    return _tlv(0x02, b"\x00" + magnitude if magnitude[0] & 0x80 else magnitude)


@cache
def _clock_times() -> tuple[bytes, ...]:
    """ "HHMMSSZ" for every second of a day: revocation times are mostly distinct seconds, and
    formatting a datetime per entry cost eight times the rest of the encoding."""
    return tuple(f"{s // 3600:02d}{s // 60 % 60:02d}{s % 60:02d}Z".encode() for s in range(86_400))


def _utc_day(day: int) -> bytes | None:
    """UTCTime's tag, length and "YYMMDD" for a day since the epoch; None past 2049."""
    date = dt.date(1970, 1, 1) + dt.timedelta(days=day)
    if not 1950 <= date.year < 2050:
        return None
    return b"\x17\x0d" + date.strftime("%y%m%d").encode()


def encode_revoked(rows: Iterable[RevokedRow]) -> bytes:
    """The contents of revokedCertificates: one SEQUENCE per (serial hex, epoch, reason) row.

    A million rows: the common entry (16-octet serial, UTCTime) is a few lookups and one
    concatenation; anything else takes the general encoder.
    """
    clock = _clock_times()
    days: dict[int, bytes | None] = {}
    headers: dict[str | None, bytes] = {}
    for reason, ext in _EXTENSIONS.items():
        # SEQUENCE { INTEGER (16 octets), UTCTime (15 octets with header), extensions }
        headers[reason] = b"\x30" + _length(18 + 15 + len(ext)) + b"\x02\x10"
    extensions = _EXTENSIONS
    fromhex = bytes.fromhex
    parts: list[bytes] = []
    append = parts.append
    for serial_hex, epoch, reason in rows:
        day, second = divmod(epoch, 86_400)
        date = days.get(day, b"")
        if date == b"":
            date = days[day] = _utc_day(day)
        if date is not None and len(serial_hex) == 32 and serial_hex[0] in "1234567":
            append(
                headers[reason] + fromhex(serial_hex) + date + clock[second] + extensions[reason]
            )
        else:
            append(_tlv(0x30, _serial(serial_hex) + _time(epoch) + extensions[reason]))
    return b"".join(parts)


def encode_entry(serial_hex: str, epoch: int, reason: str | None) -> bytes:
    """One revokedCertificates entry (DER), as the store keeps it beside the certificate."""
    return encode_revoked(((serial_hex, epoch, reason),))


def _sign_pieces(signer: Signer, pieces: Sequence[bytes]) -> bytes:
    """The signature over the concatenation of ``pieces``, without concatenating them.

    EC and RSA sign a digest made piece by piece (``Prehashed``): the same signature as over
    the joined bytes, without a copy of a 50 MB TBS.
    """
    key = signer.key
    digest = hashes.Hash(signer.hash)
    for piece in pieces:
        digest.update(piece)
    prehashed = utils.Prehashed(signer.hash)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(digest.finalize(), ec.ECDSA(prehashed))
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.sign(digest.finalize(), padding.PKCS1v15(), prehashed)


def splice_entries(template_der: bytes, revoked: bytes, key: IssuerKey | Signer) -> bytes:
    """The (entry-less) template CRL with ``revoked`` as its revokedCertificates, signed anew.

    P-256/P-384/RSA keys take the fast path below (the TBS hashed in pieces, the list copied
    once); SM2 and other keys go through their signer's own ``crl`` (one code path per key)."""
    signer = signer_for(key)
    fast = signer.algorithm_identifier is None and isinstance(
        signer.key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    )
    if not revoked or not fast:
        return signer.crl(template_der, revoked)
    _, outer_start, _ = _read_tlv(template_der, 0)
    _, tbs_start, tbs_end = _read_tlv(template_der, outer_start)
    _, _, algorithm_end = _read_tlv(template_der, tbs_end)
    algorithm = template_der[tbs_end:algorithm_end]  # signatureAlgorithm, kept as signed
    # TBSCertList: version, signature, issuer, thisUpdate, nextUpdate, [revokedCertificates],
    # [0] crlExtensions. The list goes right before the extensions (or at the end).
    pos = tbs_start
    while pos < tbs_end:
        tag, _, end = _read_tlv(template_der, pos)
        if tag == 0xA0:
            break
        pos = end
    head, tail = template_der[tbs_start:pos], template_der[pos:tbs_end]
    list_header = b"\x30" + _length(len(revoked))
    tbs_length = len(head) + len(list_header) + len(revoked) + len(tail)
    tbs = (b"\x30" + _length(tbs_length) + head + list_header, revoked, tail)
    signature = _tlv(0x03, b"\x00" + _sign_pieces(signer, tbs))
    outer_length = sum(map(len, tbs)) + len(algorithm) + len(signature)
    return b"".join((b"\x30", _length(outer_length), *tbs, algorithm, signature))


class DeltaNotApplicable(CAError):
    """The newest CRL cannot be brought up to date in place; read every entry instead."""


def revoked_contents(crl_der: bytes) -> bytes:
    """The contents of a CRL's revokedCertificates (empty when it has none)."""
    _, outer_start, _ = _read_tlv(crl_der, 0)
    _, pos, tbs_end = _read_tlv(crl_der, outer_start)
    # version INTEGER, signature, issuer, thisUpdate, [nextUpdate], [revokedCertificates], ...
    for expected in (0x02, 0x30, 0x30):
        tag, _, end = _read_tlv(crl_der, pos)
        if tag != expected:
            raise DeltaNotApplicable(detail="unexpected CRL layout")
        pos = end
    while pos < tbs_end:
        tag, start, end = _read_tlv(crl_der, pos)
        if tag == 0x30:
            return crl_der[start:end]
        if tag not in (0x17, 0x18):
            break
        pos = end
    return b""


def remove_entries(revoked: bytes, serials: Iterable[str]) -> bytes:
    """``revoked`` (the contents of a revokedCertificates) without the entries of ``serials``.

    Each entry is found by its serial's encoding right after a short SEQUENCE header; a serial
    is 16 random octets, so its 18-octet INTEGER occurs nowhere else in the list.
    """
    cuts: list[tuple[int, int]] = []
    for serial in serials:
        pattern = _serial(serial)
        if len(pattern) < 10:  # too short to be unique in a list of a million entries
            raise DeltaNotApplicable(detail=f"serial {serial} is too short to search for")
        pos = revoked.find(pattern)
        while pos != -1:
            if pos >= 2 and revoked[pos - 2] == 0x30 and revoked[pos - 1] < 0x80:
                cuts.append((pos - 2, pos + revoked[pos - 1]))
                break
            pos = revoked.find(pattern, pos + 1)
    if not cuts:
        return revoked
    parts, last = [], 0
    for start, end in sorted(cuts):
        parts.append(revoked[last:start])
        last = end
    parts.append(revoked[last:])
    return b"".join(parts)


def build_crl(
    *,
    issuer: x509.Certificate,
    key: IssuerKey | Signer,
    number: int,
    entries: Sequence[RevokedRow],
    this_update: dt.datetime,
    base: bytes | None = None,
    removed: Iterable[str] = (),
    encoded: bytes = b"",
    partition: tuple[int, str] | None = None,
) -> PublishedCRL:
    """A full CRL listing ``entries`` (serial hex, revocation epoch seconds, reason value).

    ``encoded``: entries already encoded (the store's kept entries, concatenated), listed too.
    With ``base`` (a CRL of this issuer, DER) the list is base's, less the entries of
    ``removed``, plus ``entries``: a million-entry CRL brought up to date without re-reading it.
    """
    signer = signer_for(key)
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    next_update = this_update + CRL_VALIDITY
    extensions: list[x509.Extension[x509.ExtensionType]] = [
        x509.Extension(x509.CRLNumber.oid, False, x509.CRLNumber(number)),
        x509.Extension(
            x509.AuthorityKeyIdentifier.oid,
            False,
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
        ),
    ]
    if partition is not None:
        extensions.append(issuing_distribution_point(partition[1]))
    template = x509.CertificateRevocationListBuilder(
        issuer_name=issuer.subject,
        last_update=this_update,
        next_update=next_update,
        extensions=extensions,
    ).sign(signer.builder_key, signer.hash)
    der = template.public_bytes(serialization.Encoding.DER)
    revoked = encode_revoked(entries) if entries else b""
    if encoded:
        revoked = encoded + revoked if revoked else encoded
    if base is not None:
        revoked = remove_entries(revoked_contents(base), removed) + revoked
    # RFC 5280 5.1.2.6: an empty list is absent, which the template already is. The signer
    # keeps a P-256/RSA template as it is then; an SM2 one is given its algorithm and signed.
    der = splice_entries(der, revoked, signer)
    return PublishedCRL(
        number, this_update, next_update, der, partition=None if partition is None else partition[0]
    )


def issuing_distribution_point(url: str) -> x509.Extension[x509.ExtensionType]:
    """A partition CRL's scope (RFC 5280 5.2.5, critical): the distribution point ``url``,
    which the certificates of that partition name in their CRL DP; end-entity certificates only.
    """
    idp = x509.IssuingDistributionPoint(
        full_name=[x509.UniformResourceIdentifier(url)],
        relative_name=None,
        only_contains_user_certs=True,
        only_contains_ca_certs=False,
        only_some_reasons=None,
        indirect_crl=False,
        only_contains_attribute_certs=False,
    )
    return x509.Extension(idp.oid, True, idp)
