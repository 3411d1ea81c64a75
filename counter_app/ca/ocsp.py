"""OCSP responder logic (RFC 6960), no HTTP here: request bytes in, response bytes out.

Responses without a nonce are signed once and kept until half their life has passed or a status
changes (:meth:`OCSPResponder.invalidate`), so a busy responder serves bytes instead of signing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509 import ocsp

from counter_app.ca.hierarchy import signature_hash
from counter_app.ca.model import CertificateRecord, CertificateStatus, RevocationReason

log = logging.getLogger(__name__)
# CA/B Forum model: valid 8 hours to 7 days, refreshed before half the validity has passed.
RESPONSE_VALIDITY = dt.timedelta(days=1)
REFRESH_AFTER = RESPONSE_VALIDITY / 2
MAX_CACHE = 1_000_000
_HASHES: tuple[type[hashes.HashAlgorithm], ...] = (
    hashes.SHA1,
    hashes.SHA256,
    hashes.SHA384,
    hashes.SHA512,
)

Lookup = Callable[[str], CertificateRecord | None]
Clock = Callable[[], dt.datetime]


def serial_hex(serial: int) -> str:
    """Upper-case hex of the serial's magnitude octets, as ``openssl x509 -serial`` prints it."""
    return serial.to_bytes(max(1, (serial.bit_length() + 7) // 8), "big").hex().upper()


@dataclass
class _Cached:
    der: bytes
    refresh_at: dt.datetime


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


MALFORMED = _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
UNAUTHORIZED = _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
INTERNAL_ERROR = _unsuccessful(ocsp.OCSPResponseStatus.INTERNAL_ERROR)


class OCSPResponder:
    def __init__(
        self,
        *,
        issuer: x509.Certificate,
        responder: x509.Certificate,
        responder_key: CertificateIssuerPrivateKeyTypes,
        lookup: Lookup,
        clock: Clock,
    ) -> None:
        self._issuer = issuer
        self._responder = responder
        self._key = responder_key
        self._lookup = lookup
        self._clock = clock
        self._hash = signature_hash(responder_key)
        self._cache: dict[tuple[str, int], _Cached] = {}
        self._issuer_hashes: dict[str, tuple[bytes, bytes]] = {
            alg().name: self._hashes_for(alg()) for alg in _HASHES
        }

    def _hashes_for(self, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
        """CertID hashes of our issuer: its DER subject and its subjectPublicKey bits."""
        key = self._issuer.public_key()
        if isinstance(key, ec.EllipticCurvePublicKey):
            key_bits = key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        else:
            key_bits = key.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.PKCS1
            )

        def digest(data: bytes) -> bytes:
            h = hashes.Hash(algorithm)
            h.update(data)
            return h.finalize()

        return digest(self._issuer.subject.public_bytes()), digest(key_bits)

    def invalidate(self) -> None:
        """Forget every signed response: a status changed."""
        self._cache.clear()

    def respond(self, request_der: bytes) -> bytes:
        try:
            request = ocsp.load_der_ocsp_request(request_der)
            algorithm = request.hash_algorithm
            name_hash, key_hash, serial = (
                request.issuer_name_hash,
                request.issuer_key_hash,
                request.serial_number,
            )
            nonce = self._nonce(request)
        except (ValueError, TypeError, x509.UnsupportedGeneralNameType):
            return MALFORMED
        except Exception:  # cryptography raises its own types for unsupported hashes
            return MALFORMED
        if serial < 0:  # RFC 5280 serials are positive; serial_hex cannot encode a negative one
            return MALFORMED
        if self._issuer_hashes.get(str(algorithm.name)) != (name_hash, key_hash):
            return UNAUTHORIZED
        now = self._clock()
        key = (algorithm.name, serial)
        if nonce is None:
            cached = self._cache.get(key)
            if cached is not None and now < cached.refresh_at:
                return cached.der
        der, cacheable = self._sign(algorithm, name_hash, key_hash, serial, nonce, now)
        if nonce is None and cacheable:
            if len(self._cache) >= MAX_CACHE:
                self._cache.clear()
            self._cache[key] = _Cached(der, now + REFRESH_AFTER)
        return der

    @staticmethod
    def _nonce(request: ocsp.OCSPRequest) -> x509.OCSPNonce | None:
        try:
            return request.extensions.get_extension_for_class(x509.OCSPNonce).value
        except x509.ExtensionNotFound:
            return None

    def _sign(
        self,
        algorithm: hashes.HashAlgorithm,
        name_hash: bytes,
        key_hash: bytes,
        serial: int,
        nonce: x509.OCSPNonce | None,
        now: dt.datetime,
    ) -> tuple[bytes, bool]:
        record = self._lookup(serial_hex(serial))
        status, revoked_at, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
        # Never "good" for a serial that was not issued: a pending record answers unknown.
        if record is not None and record.status is CertificateStatus.GOOD:
            status = ocsp.OCSPCertStatus.GOOD
        elif record is not None and record.status in (
            CertificateStatus.HOLD,
            CertificateStatus.REVOKED,
        ):
            status, revoked_at = ocsp.OCSPCertStatus.REVOKED, record.revoked_at
            reason = (record.reason or RevocationReason.UNSPECIFIED).flag
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                name_hash,
                key_hash,
                serial,
                algorithm,
                status,
                now,
                now + RESPONSE_VALIDITY,
                revoked_at,
                reason,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self._responder)
            .certificates([self._responder])
        )
        if nonce is not None:
            builder = builder.add_extension(nonce, critical=False)
        response = builder.sign(self._key, self._hash)
        return response.public_bytes(
            serialization.Encoding.DER
        ), status is not ocsp.OCSPCertStatus.UNKNOWN
