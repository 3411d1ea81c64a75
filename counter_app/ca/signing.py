"""Signers: where the CA's signature algorithm plugs in (签名算法接入点).

The CA's logic (checks, serials, the record made before signing, lifecycle, CRL numbers, OCSP
caching) is one code path for every algorithm. What differs is how the signed objects are made:

* P-256, P-384 and RSA keys (and HSM-backed keys that look like them) go through
  ``cryptography``'s builders exactly as before (:class:`CryptographySigner`).
* SM2 (:class:`SM2Signer`): ``cryptography`` refuses the SM2 curve, so its builders are still
  used to lay out every field (names, extensions, times, OCSP answers) with a stand-in P-256
  key; the to-be-signed DER they produce is then given the SM2-with-SM3 AlgorithmIdentifier
  (and, for an SM2 subject key, the SM2 SubjectPublicKeyInfo), and is signed with SM2. The
  stand-in key's bytes never reach a published object: the same fields are replaced in place.

A certificate for an SM2 *subject* key is made the same way under any issuer
(:func:`certificate_key` reads either kind of key out of a certificate).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificatePublicKeyTypes,
)
from cryptography.x509 import ocsp

from counter_app.ca.der import bit_string, read_tlv, sequence_items, tlv
from counter_app.ca.errors import CAError
from counter_app.ca.keys import capture_tbs, recording
from counter_app.ca.sm2 import SM2_SM3_ALGORITHM, SM2PrivateKey, SM2PublicKey, is_sm2_spki

IssuerKey = CertificateIssuerPrivateKeyTypes | SM2PrivateKey
SubjectKey = CertificatePublicKeyTypes | SM2PublicKey
BeforeSign = Callable[[bytes], None]

# The stand-in for an SM2 key inside cryptography's builders. It is a fixed, public key (d = 1):
# whatever it signs is thrown away, and its public key is replaced before anything is signed.
_STAND_IN = ec.derive_private_key(1, ec.SECP256R1())


def signature_hash(key: IssuerKey) -> hashes.SHA256 | hashes.SHA384:
    """The hash a cryptography builder is given for ``key`` (SM2 uses SM3 itself)."""
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def builder_public_key(key: SubjectKey) -> CertificatePublicKeyTypes:
    """The key a cryptography builder is given for ``key`` (the stand-in for SM2)."""
    return _STAND_IN.public_key() if isinstance(key, SM2PublicKey) else key


def subject_key_identifier(key: SubjectKey) -> x509.SubjectKeyIdentifier:
    if isinstance(key, SM2PublicKey):
        return x509.SubjectKeyIdentifier(key.key_identifier())
    return x509.SubjectKeyIdentifier.from_public_key(key)


def spki_der(key: SubjectKey) -> bytes:
    if isinstance(key, SM2PublicKey):
        return key.spki_der()
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _tbs_items(tbs: bytes) -> tuple[list[bytes], int]:
    """The TBSCertificate's elements and the index of its ``signature`` field."""
    items = sequence_items(tbs)
    return items, 2 if items[0][:1] == b"\xa0" else 1


def certificate_spki(cert: x509.Certificate) -> bytes:
    """The certificate's SubjectPublicKeyInfo, DER, whatever its algorithm."""
    items, signature_at = _tbs_items(cert.tbs_certificate_bytes)
    return items[signature_at + 4]


def certificate_key(cert: x509.Certificate) -> SubjectKey:
    """The certificate's public key: a cryptography key, or an :class:`SM2PublicKey`."""
    spki = certificate_spki(cert)
    if is_sm2_spki(spki):
        return SM2PublicKey.from_spki(spki)
    return cert.public_key()


def subject_public_key_bits(cert: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING's bits (what an OCSP CertID's key hash covers)."""
    spki = certificate_spki(cert)
    bits = sequence_items(spki)[1]
    _, start, end = read_tlv(bits, 0)
    return bits[start + 1 : end]


def _patch_tbs(tbs: bytes, algorithm: bytes | None, spki: bytes | None) -> bytes:
    items, signature_at = _tbs_items(tbs)
    if algorithm is not None:
        items[signature_at] = algorithm
    if spki is not None:
        items[signature_at + 4] = spki
    return tlv(0x30, b"".join(items))


def _assemble(tbs: bytes, signature: bytes) -> x509.Certificate:
    items, signature_at = _tbs_items(tbs)
    der = tlv(0x30, tbs + items[signature_at] + bit_string(signature))
    return x509.load_der_x509_certificate(der)


@cache
def _stand_in_responder() -> x509.Certificate:
    """A throw-away certificate for the stand-in key: it lets cryptography's OCSP builder lay out
    an answer; its responder ID and certificate are replaced by the real responder's."""
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "stand-in")])
    start = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(_STAND_IN.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=1))
        .sign(_STAND_IN, hashes.SHA256())
    )


class Signer(ABC):
    """An issuing key as the CA uses it: certificates, CRLs and OCSP answers."""

    algorithm: str  # "sm2", or "cryptography" for P-256/P-384/RSA (and HSM keys like them)
    key: IssuerKey

    @property
    @abstractmethod
    def builder_key(self) -> CertificateIssuerPrivateKeyTypes:
        """The key handed to cryptography's builders."""

    @property
    @abstractmethod
    def hash(self) -> hashes.SHA256 | hashes.SHA384:
        """The hash handed to cryptography's builders."""

    @abstractmethod
    def sign(self, data: bytes) -> bytes:
        """The signature value of ``data`` (the BIT STRING's contents)."""

    @property
    def algorithm_identifier(self) -> bytes | None:
        """The AlgorithmIdentifier to put in place of the builder's; None keeps the builder's."""
        return None

    def public_key(self) -> SubjectKey:
        return self.builder_key.public_key()

    # Certificates ---------------------------------------------------------------------------

    def _patched(self, subject_key: SubjectKey) -> bool:
        return self.algorithm_identifier is not None or isinstance(subject_key, SM2PublicKey)

    def tbs(self, builder: x509.CertificateBuilder, subject_key: SubjectKey) -> bytes:
        """The DER that :meth:`certificate` would sign, without signing it."""
        raw = capture_tbs(builder, self.builder_key, self.hash)
        if not self._patched(subject_key):
            return raw
        spki = subject_key.spki_der() if isinstance(subject_key, SM2PublicKey) else None
        return _patch_tbs(raw, self.algorithm_identifier, spki)

    def certificate(
        self,
        builder: x509.CertificateBuilder,
        subject_key: SubjectKey,
        before_sign: BeforeSign | None = None,
    ) -> x509.Certificate:
        """Sign the builder's certificate; ``before_sign`` sees the to-be-signed DER first."""
        if not self._patched(subject_key):
            key = (
                self.builder_key
                if before_sign is None
                else recording(self.builder_key, before_sign)
            )
            return builder.sign(key, self.hash)
        tbs = self.tbs(builder, subject_key)
        if before_sign is not None:
            before_sign(tbs)
        return _assemble(tbs, self.sign(tbs))

    def sign_recorded(
        self, builder: x509.CertificateBuilder, subject_key: SubjectKey, tbs: bytes
    ) -> x509.Certificate:
        """Sign a certificate whose to-be-signed DER :meth:`tbs` gave (and was recorded)."""
        if self._patched(subject_key):
            return _assemble(tbs, self.sign(tbs))
        certificate = builder.sign(self.builder_key, self.hash)
        if certificate.tbs_certificate_bytes != tbs:
            raise CAError(detail="signed content differs from the recorded one")
        return certificate

    # CRLs -----------------------------------------------------------------------------------

    def crl(self, template_der: bytes, revoked: bytes) -> bytes:
        """The template CRL (signed by a builder, no entries) with ``revoked`` as its
        revokedCertificates contents (none when empty), signed by this key."""
        algorithm = self.algorithm_identifier
        if not revoked and algorithm is None:
            return template_der
        outer = sequence_items(template_der)
        tbs_items = sequence_items(outer[0])
        if algorithm is not None:
            # TBSCertList: version, signature, issuer, thisUpdate, nextUpdate, ...
            tbs_items[1] = algorithm
        else:
            algorithm = outer[1]
        if revoked:
            # The list goes right before the [0] crlExtensions (or at the end).
            at = next(
                (i for i, item in enumerate(tbs_items) if item[:1] == b"\xa0"), len(tbs_items)
            )
            tbs_items.insert(at, tlv(0x30, revoked))
        tbs = tlv(0x30, b"".join(tbs_items))
        return tlv(0x30, tbs + algorithm + bit_string(self.sign(tbs)))

    # OCSP -----------------------------------------------------------------------------------

    def ocsp_response(
        self, builder: ocsp.OCSPResponseBuilder, responder: x509.Certificate
    ) -> bytes:
        """Sign an OCSP answer (``builder`` has its responses and extensions, no responder)."""
        return (
            builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder)
            .certificates([responder])
            .sign(self.builder_key, self.hash)
            .public_bytes(serialization.Encoding.DER)
        )


class CryptographySigner(Signer):
    """P-256, P-384, RSA (PKCS#1 v1.5), EdDSA: cryptography's keys, and HSM keys like them."""

    algorithm = "cryptography"

    def __init__(self, key: CertificateIssuerPrivateKeyTypes) -> None:
        self.key = self._key = key
        self._hash = signature_hash(key)

    @property
    def builder_key(self) -> CertificateIssuerPrivateKeyTypes:
        return self._key

    @property
    def hash(self) -> hashes.SHA256 | hashes.SHA384:
        return self._hash

    def sign(self, data: bytes) -> bytes:
        # The algorithms cryptography's builders use, so the builder's AlgorithmIdentifier
        # (which is kept) describes this signature.
        key = self._key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(self._hash))
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), self._hash)
        if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
            return key.sign(data)
        raise CAError(detail="the issuing key must be EC, RSA or EdDSA")


class SM2Signer(Signer):
    """SM2 with SM3 and the GM/T 0009 default distinguishing ID (1.2.156.10197.1.501)."""

    algorithm = "sm2"

    def __init__(self, key: SM2PrivateKey) -> None:
        self.key = self._key = key

    @property
    def builder_key(self) -> CertificateIssuerPrivateKeyTypes:
        return _STAND_IN

    @property
    def hash(self) -> hashes.SHA256:
        return hashes.SHA256()

    @property
    def algorithm_identifier(self) -> bytes:
        return SM2_SM3_ALGORITHM

    def public_key(self) -> SM2PublicKey:
        return self._key.public_key()

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def ocsp_response(
        self, builder: ocsp.OCSPResponseBuilder, responder: x509.Certificate
    ) -> bytes:
        """cryptography lays the answer out for a stand-in responder; the responder ID (by key
        hash), the certificate and the algorithm are then the real responder's, and the
        ResponseData is signed with SM2."""
        stand_in = Signer.ocsp_response(self, builder, _stand_in_responder())
        status, response_bytes = sequence_items(stand_in)
        _, start, end = read_tlv(response_bytes, 0)  # [0] EXPLICIT ResponseBytes
        response_type, octets = sequence_items(response_bytes[start:end])
        _, start, end = read_tlv(octets, 0)
        basic = sequence_items(octets[start:end])  # tbsResponseData, algorithm, signature, [0]
        data = sequence_items(basic[0])
        key_hash = hashlib.sha1(subject_public_key_bits(responder), usedforsecurity=False)
        for i, item in enumerate(data):
            if item[:1] in (b"\xa1", b"\xa2"):  # ResponderID byName / byKey
                data[i] = tlv(0xA2, tlv(0x04, key_hash.digest()))
                break
        tbs = tlv(0x30, b"".join(data))
        certs = tlv(0xA0, tlv(0x30, responder.public_bytes(serialization.Encoding.DER)))
        signed = tlv(0x30, tbs + SM2_SM3_ALGORITHM + bit_string(self.sign(tbs)) + certs)
        body = tlv(0x30, response_type + tlv(0x04, signed))
        return tlv(0x30, status + tlv(0xA0, body))


def signer_for(key: IssuerKey | Signer) -> Signer:
    if isinstance(key, Signer):
        return key
    if isinstance(key, SM2PrivateKey):
        return SM2Signer(key)
    return CryptographySigner(key)


def verify_signed(signed_der: bytes, key: SubjectKey) -> None:
    """Check a certificate's or CRL's signature with ``key`` (SM2 or not); raises on failure.

    For the CA's own checks and the tests; relying parties use OpenSSL or gmssl."""
    tbs, _algorithm, signature = sequence_items(signed_der)[:3]
    _, start, end = read_tlv(signature, 0)
    value = signature[start + 1 : end]
    if isinstance(key, SM2PublicKey):
        key.verify(value, tbs)
        return
    raise CAError(detail="verify_signed is for SM2 keys; use cryptography's checks otherwise")


__all__ = [
    "BeforeSign",
    "CryptographySigner",
    "IssuerKey",
    "SM2Signer",
    "Signer",
    "SubjectKey",
    "builder_public_key",
    "certificate_key",
    "certificate_spki",
    "signature_hash",
    "signer_for",
    "spki_der",
    "subject_key_identifier",
    "subject_public_key_bits",
]
