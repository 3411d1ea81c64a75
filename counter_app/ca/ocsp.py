"""OCSP responder logic (RFC 6960), no HTTP here: request bytes in, response bytes out.

Responses without a nonce are pre-produced: signed once per (hash algorithm, serial), kept until
half their life has passed, and re-signed at once for the certificates whose status changed
(:meth:`OCSPResponder.resign`). A request in the canonical encoding (one CertID, no extensions,
no requestor name: what ``openssl ocsp -no_nonce``, browsers and most clients send) is also
remembered by its exact bytes, so the hot path is one dictionary lookup without parsing
(:meth:`OCSPResponder.prepared`). Nonce requests are always signed fresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from counter_app.ca.model import CertificateRecord, RecordStatus, RevocationReason
from counter_app.ca.signing import IssuerKey, Signer, signer_for, subject_public_key_bits

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
_HASH_NAMES = tuple(alg().name for alg in _HASHES)

Lookup = Callable[[str], CertificateRecord | None]
Clock = Callable[[], dt.datetime]


def serial_hex(serial: int) -> str:
    """Upper-case hex of the serial's magnitude octets, as ``openssl x509 -serial`` prints it."""
    return serial.to_bytes(max(1, (serial.bit_length() + 7) // 8), "big").hex().upper()


@dataclass(frozen=True)
class Answer:
    """One signed response and what an HTTP cache needs to know about it."""

    der: bytes
    produced_at: dt.datetime
    refresh_at: float  # epoch seconds: re-signed after this (half the validity)
    cacheable: bool  # False for nonce answers, unknown serials and errors
    etag: bytes  # a strong HTTP entity tag, quotes included


@dataclass
class _Entry:
    """A pre-produced answer for one (hash algorithm, serial) and how to sign it again."""

    answer: Answer
    algorithm: hashes.HashAlgorithm
    name_hash: bytes
    key_hash: bytes
    serial: int
    request_key: bytes | None  # the canonical request bytes it is also filed under


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


MALFORMED = _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
UNAUTHORIZED = _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
INTERNAL_ERROR = _unsuccessful(ocsp.OCSPResponseStatus.INTERNAL_ERROR)


def _fixed(der: bytes) -> Answer:
    return Answer(der, dt.datetime.fromtimestamp(0, dt.UTC), 0.0, False, _etag(der))


def _etag(der: bytes) -> bytes:
    return b'"' + hashlib.sha256(der).hexdigest()[:32].encode() + b'"'


_MALFORMED_ANSWER = _fixed(MALFORMED)
_UNAUTHORIZED_ANSWER = _fixed(UNAUTHORIZED)


def _canonical(
    algorithm: hashes.HashAlgorithm, name_hash: bytes, key_hash: bytes, serial: int
) -> bytes:
    """The DER of a request for this one CertID with nothing else in it."""
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        name_hash, key_hash, serial, algorithm
    )
    return builder.build().public_bytes(serialization.Encoding.DER)


class OCSPResponder:
    def __init__(
        self,
        *,
        issuer: x509.Certificate,
        responder: x509.Certificate,
        responder_key: IssuerKey | Signer,
        lookup: Lookup,
        clock: Clock,
    ) -> None:
        self._issuer = issuer
        self._responder = responder
        self._signer = signer_for(responder_key)
        self._lookup = lookup
        self._clock = clock
        self._entries: dict[tuple[str, int], _Entry] = {}
        # Canonical request bytes -> answer: the hot path, looked up without parsing.
        self._by_request: dict[bytes, Answer] = {}
        self._issuer_hashes: dict[str, tuple[bytes, bytes]] = {
            alg().name: self._hashes_for(alg()) for alg in _HASHES
        }

    def _hashes_for(self, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
        """CertID hashes of our issuer: its DER subject and its subjectPublicKey bits."""
        key_bits = subject_public_key_bits(self._issuer)  # read from the DER: SM2 too

        def digest(data: bytes) -> bytes:
            h = hashes.Hash(algorithm)
            h.update(data)
            return h.finalize()

        return digest(self._issuer.subject.public_bytes()), digest(key_bits)

    # Cache ----------------------------------------------------------------------------------

    def invalidate(self, serials: Iterable[int] | None = None) -> None:
        """Forget the signed responses of ``serials`` (every response when None)."""
        if serials is None:
            self._entries.clear()
            self._by_request.clear()
            return
        for serial in serials:
            for name in _HASH_NAMES:
                entry = self._entries.pop((name, serial), None)
                if entry is not None and entry.request_key is not None:
                    self._by_request.pop(entry.request_key, None)

    def resign(self, serials: Iterable[int]) -> int:
        """Sign again, now, the kept responses of ``serials`` (their status changed)."""
        changed = set(serials)
        stale = [e for key, e in list(self._entries.items()) if key[1] in changed]
        self.invalidate(changed)
        now = self._clock()
        for entry in stale:
            self._produce(entry.algorithm, entry.name_hash, entry.key_hash, entry.serial, now)
        log.debug("re-signed %d responses for %d serials", len(stale), len(changed))
        return len(stale)

    def prepared(self, request_der: bytes) -> Answer | None:
        """The kept answer to exactly these request bytes, if one is fresh: no parsing."""
        answer = self._by_request.get(request_der)
        if answer is not None and time.time() < answer.refresh_at:
            return answer
        return None

    # Answering ------------------------------------------------------------------------------

    def respond(self, request_der: bytes) -> bytes:
        return self.answer(request_der).der

    def answer(self, request_der: bytes) -> Answer:
        prepared = self.prepared(request_der)
        if prepared is not None:
            return prepared
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
            return _MALFORMED_ANSWER
        except Exception:  # cryptography raises its own types for unsupported hashes
            return _MALFORMED_ANSWER
        if serial < 0:  # RFC 5280 serials are positive; serial_hex cannot encode a negative one
            return _MALFORMED_ANSWER
        if self._issuer_hashes.get(str(algorithm.name)) != (name_hash, key_hash):
            return _UNAUTHORIZED_ANSWER
        now = self._clock()
        if nonce is not None:
            return self._sign(algorithm, name_hash, key_hash, serial, nonce, now)
        entry = self._entries.get((algorithm.name, serial))
        if entry is None or now.timestamp() >= entry.answer.refresh_at:
            entry = self._produce(algorithm, name_hash, key_hash, serial, now)
            if entry is None:  # not kept (unknown): answered, never filed
                return self._sign(algorithm, name_hash, key_hash, serial, None, now)
        if (
            entry.request_key is None
            and len(request_der) < 128
            and request_der == _canonical(algorithm, name_hash, key_hash, serial)
        ):
            entry.request_key = request_der
            self._by_request[request_der] = entry.answer
        return entry.answer

    def _produce(
        self,
        algorithm: hashes.HashAlgorithm,
        name_hash: bytes,
        key_hash: bytes,
        serial: int,
        now: dt.datetime,
    ) -> _Entry | None:
        """Sign and keep the no-nonce answer for one CertID; None when it is not to be kept."""
        answer = self._sign(algorithm, name_hash, key_hash, serial, None, now)
        if not answer.cacheable:
            return None
        if len(self._entries) >= MAX_CACHE:
            self.invalidate()
        key = (algorithm.name, serial)
        old = self._entries.get(key)
        request_key = old.request_key if old is not None else None
        entry = _Entry(answer, algorithm, name_hash, key_hash, serial, request_key)
        self._entries[key] = entry
        if request_key is not None:
            self._by_request[request_key] = answer
        return entry

    @staticmethod
    def _nonce(request: ocsp.OCSPRequest) -> x509.OCSPNonce | None:
        try:
            return request.extensions.get_extension_for_class(x509.OCSPNonce).value
        except x509.ExtensionNotFound:
            return None

    def _status(
        self, serial: int
    ) -> tuple[ocsp.OCSPCertStatus, dt.datetime | None, x509.ReasonFlags | None]:
        record = self._lookup(serial_hex(serial))
        # Never "good" for a serial that was not issued: a pending record answers unknown.
        if record is not None and record.status is RecordStatus.GOOD:
            return ocsp.OCSPCertStatus.GOOD, None, None
        if record is not None and record.status in (
            RecordStatus.HOLD,
            RecordStatus.REVOKED,
        ):
            reason = (record.reason or RevocationReason.UNSPECIFIED).flag
            return ocsp.OCSPCertStatus.REVOKED, record.revoked_at, reason
        return ocsp.OCSPCertStatus.UNKNOWN, None, None

    def _sign(
        self,
        algorithm: hashes.HashAlgorithm,
        name_hash: bytes,
        key_hash: bytes,
        serial: int,
        nonce: x509.OCSPNonce | None,
        now: dt.datetime,
    ) -> Answer:
        status, revoked_at, reason = self._status(serial)
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
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
        if nonce is not None:
            builder = builder.add_extension(nonce, critical=False)
        der = self._signer.ocsp_response(builder, self._responder)
        cacheable = nonce is None and status is not ocsp.OCSPCertStatus.UNKNOWN
        return Answer(der, now, (now + REFRESH_AFTER).timestamp(), cacheable, _etag(der))


class ResponderSet:
    """The responders of several issuing CAs behind one OCSP URL (after ``ca rollover``): a
    request goes to the responder of the issuer its CertID names; the others answer
    "unauthorized" to it, as a lone responder does to a CertID of another issuer.

    ``responders`` is asked on each request, so a renewed responder is used at once.
    """

    def __init__(self, responders: Callable[[], Sequence[OCSPResponder]]) -> None:
        self._responders = responders

    def prepared(self, request_der: bytes) -> Answer | None:
        for responder in self._responders():
            answer = responder.prepared(request_der)
            if answer is not None:
                return answer
        return None

    def answer(self, request_der: bytes) -> Answer:
        answer = _UNAUTHORIZED_ANSWER
        for responder in self._responders():
            answer = responder.answer(request_der)
            if answer is not _UNAUTHORIZED_ANSWER:  # its issuer's (or malformed for all)
                return answer
        return answer

    def respond(self, request_der: bytes) -> bytes:
        return self.answer(request_der).der

    def invalidate(self, serials: Iterable[int] | None = None) -> None:
        for responder in self._responders():
            responder.invalidate(serials)

    def resign(self, serials: Iterable[int]) -> int:
        changed = list(serials)
        return sum(responder.resign(changed) for responder in self._responders())
