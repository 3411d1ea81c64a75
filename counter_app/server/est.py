"""EST (RFC 7030) for the shared signing service, beside a few RA status endpoints.

Routes (all behind TLS client-certificate authentication of the counter, see ``server/tls.py``):

- ``GET  /.well-known/est/cacerts``: the issuing CA and root, base64 PKCS#7 certs-only.
- ``POST /.well-known/est/simpleenroll``: base64 PKCS#10 in (``application/pkcs10``), base64
  PKCS#7 certs-only out. The subject and profile come from the counter's ``Counter-RA-Request``
  header, never from the CSR (the wire format is documented in ``services/est_wire.py``).
- ``POST /.well-known/est/simplereenroll``: the same, for a renewal; the header must name the
  certificate it ``replaces``, which must exist and not be revoked.
- ``POST /ra/status``: JSON status/hold/release/revoke (not EST; RFC 7030 has no revocation).
- ``GET  /ra/version``: the release and protocol (the version handshake, issue 21).
- ``POST /ra/counter-cert``: a counter's own client certificate renewed on a new key (base64
  PKCS#10 in, base64 PKCS#7 out; the name is the one of the certificate it connects with).

Everything else falls through to the plain signing-module app (CRL, OCSP, chain, healthz).
Bodies are limited in size and in time; a refusal is a 4xx with a JSON body, never a 500.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from counter_app.ca import (
    CertificateAuthority,
    CertificateNotFound,
    InvalidTransition,
    IssueRequest,
    RecordStatus,
)
from counter_app.ca.errors import BadCSR, BadSubject, UnknownProfile, WeakKey
from counter_app.domain.errors import CounterError, ValidationError
from counter_app.server.batch import IssueBatcher
from counter_app.services.est_wire import (
    COUNTER_CERT_PATH,
    EST_PREFIX,
    PKCS7_TYPE,
    RA_HEADER,
    VERSION_HEADER,
    VERSION_PATH,
    BadRARequest,
    IncompatibleVersion,
    RARequest,
    StatusRequest,
    check_peer_protocol,
    decode_ra_request,
    decode_status_request,
    error_to_json,
    parse_protocol,
    record_to_json,
    version_json,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Response = tuple[int, list[tuple[bytes, bytes]], bytes]
# (counter name from its verified certificate, CSR) -> its new client certificate
CounterRenewal = Callable[[str, x509.CertificateSigningRequest], x509.Certificate]

MAX_BODY = 64 * 1024  # a base64 RSA-4096 CSR is under 3 KiB; JSON status requests are tiny
BODY_TIMEOUT = 10.0  # seconds to deliver a body: a slow sender cannot hold a request forever
TEXT = b"text/plain; charset=utf-8"
JSON = b"application/json"
# Refusals a counter can cause by what it sent, by HTTP status; anything else is the service's.
_CLIENT_ERRORS: tuple[tuple[type[CounterError], int], ...] = (
    (CertificateNotFound, 404),
    (InvalidTransition, 409),
    (BadRARequest, 400),
    (BadCSR, 400),
    (BadSubject, 400),
    (WeakKey, 400),
    (UnknownProfile, 400),
    (ValidationError, 400),
    (IncompatibleVersion, 426),
)


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.text = message


def _plain(status: int, message: str) -> Response:
    return status, [(b"content-type", TEXT)], message.encode() + b"\n"


def _pkcs7(certs: list[x509.Certificate]) -> Response:
    der = pkcs7.serialize_certificates(certs, serialization.Encoding.DER)
    body = base64.encodebytes(der)  # 76-character lines, as MIME base64 has them
    headers = [
        (b"content-type", PKCS7_TYPE.encode()),
        (b"content-transfer-encoding", b"base64"),
    ]
    return 200, headers, body


def _error(exc: CounterError) -> Response:
    status = next((code for kind, code in _CLIENT_ERRORS if isinstance(exc, kind)), 503)
    return status, [(b"content-type", JSON)], error_to_json(exc)


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            return bytes(value).decode("latin-1")
    return None


def client_certificate(scope: Scope) -> x509.Certificate | None:
    """The verified client certificate, as ``server/tls.py`` puts it in the scope.

    The TLS layer already refused anyone without a certificate from the counter-client CA; this
    check keeps the app safe if it is ever mounted behind a server that does not.
    """
    tls = (scope.get("extensions") or {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    if not chain:
        return None
    return x509.load_pem_x509_certificate(chain[0].encode())


def client_name(scope: Scope) -> str | None:
    """The verified client certificate's common name."""
    cert = client_certificate(scope)
    return _common_name(cert) if cert is not None else None


def _common_name(cert: x509.Certificate) -> str | None:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Refused(400, "client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise _Refused(413, "request body too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def read_body(receive: Receive) -> bytes:
    try:
        return await asyncio.wait_for(_read_body(receive), BODY_TIMEOUT)
    except TimeoutError:
        raise _Refused(408, "request body too slow") from None


def _media_type(scope: Scope) -> str:
    return (_header(scope, "content-type") or "").split(";", 1)[0].strip().lower()


def _decode_csr(body: bytes) -> tuple[x509.CertificateSigningRequest, bytes]:
    try:
        der = base64.b64decode(b"".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _Refused(400, "the body is not base64") from None
    try:
        csr = x509.load_der_x509_csr(der)
        # Parsing is lazy: a mangled key or signature algorithm only shows when it is used, and
        # the signing module would then fail with an exception that is not ours (a 500).
        csr.public_key()
        csr.is_signature_valid  # noqa: B018
    except (ValueError, UnsupportedAlgorithm):
        raise BadCSR(reason_zh="无法解析", reason_en="it cannot be parsed") from None
    return csr, der


class ESTApp:
    """EST and RA status endpoints over a :class:`CertificateAuthority`; the rest to ``inner``."""

    def __init__(
        self,
        ca: CertificateAuthority,
        inner: ASGIApp | None = None,
        *,
        revoked: Callable[[int], bool] | None = None,
        renew_counter: CounterRenewal | None = None,
    ) -> None:
        self._ca = ca
        self._renew_counter = renew_counter
        self._inner = inner
        # Asked on every request: a counter revoked while connected is refused at its next one.
        self._revoked = revoked or (lambda serial: False)
        self._cacerts = _pkcs7([ca.keys.issuing, ca.keys.root])
        self._worker = ThreadPoolExecutor(1, "est-ca")
        # Enrollments that arrive while the worker is busy are issued together (server/batch.py).
        self._batcher = IssueBatcher(ca, self._worker)
        self._routes: dict[tuple[str, str], Callable[[Scope, Receive, str], Awaitable[Response]]]
        self._routes = {
            ("GET", EST_PREFIX + "/cacerts"): self._cacerts_route,
            ("POST", EST_PREFIX + "/simpleenroll"): self._simpleenroll,
            ("POST", EST_PREFIX + "/simplereenroll"): self._simplereenroll,
            ("POST", "/ra/status"): self._status,
            ("GET", VERSION_PATH): self._version,
            ("POST", COUNTER_CERT_PATH): self._counter_cert,
        }

    async def _counter_cert(self, scope: Scope, receive: Receive, counter: str) -> Response:
        """A counter re-enrolls its own client certificate (issue 21): same name, new key."""
        if self._renew_counter is None:
            return _plain(
                503,
                "this service cannot renew counter certificates: start est serve with "
                "COUNTER_APP_CA_PASSPHRASE (the counter-client CA key)",
            )
        if _media_type(scope) != "application/pkcs10":
            return _plain(415, "expected Content-Type: application/pkcs10")
        csr, _ = _decode_csr(await read_body(receive))
        cert = await self._off_loop(self._renew_counter, counter, csr)
        return _pkcs7([cert])

    async def _version(self, scope: Scope, receive: Receive, counter: str) -> Response:
        from counter_app import __version__

        return 200, [(b"content-type", JSON)], version_json(__version__)

    async def _cacerts_route(self, scope: Scope, receive: Receive, counter: str) -> Response:
        return self._cacerts

    async def _simpleenroll(self, scope: Scope, receive: Receive, counter: str) -> Response:
        return await self._enroll(scope, receive, counter, renewal=False)

    async def _simplereenroll(self, scope: Scope, receive: Receive, counter: str) -> Response:
        return await self._enroll(scope, receive, counter, renewal=True)

    async def _enroll(
        self, scope: Scope, receive: Receive, counter: str, *, renewal: bool
    ) -> Response:
        if _media_type(scope) != "application/pkcs10":
            return _plain(415, "expected Content-Type: application/pkcs10")
        header = _header(scope, RA_HEADER)
        if header is None:
            return _plain(400, "missing Counter-RA-Request header (see the service's docs)")
        request = decode_ra_request(header)
        csr, der = _decode_csr(await read_body(receive))
        if hashlib.sha256(der).hexdigest() != request.csr_sha256:
            raise BadRARequest(detail="csr_sha256 does not match the CSR sent")
        if renewal:
            await self._off_loop(self._check_renewal, request)
        log.info("enroll counter=%s application=%s", counter, request.application_id)
        issued = await self._batcher.issue(
            IssueRequest(
                csr,
                request.subject,
                request.profile,
                application_id=request.application_id,
                operator=f"{counter}/{request.operator}",
                not_after=request.not_after,
            )
        )
        return _pkcs7([issued.certificate])

    async def _off_loop(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        # Signing and database work (which may wait for the audit head's lock held by another
        # counter) run on one worker thread, so the event loop keeps answering OCSP and
        # other counters meanwhile; one thread, because CA calls gain nothing from racing.
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, functools.partial(work, *args, **kwargs))

    def _check_renewal(self, request: RARequest) -> None:
        if request.replaces is None:
            raise BadRARequest(detail="simplereenroll needs the serial it replaces")
        record = self._ca.status(request.replaces.upper())
        if record.status == RecordStatus.REVOKED:
            raise BadRARequest(detail="the certificate to renew is revoked")

    async def _status(self, scope: Scope, receive: Receive, counter: str) -> Response:
        if _media_type(scope) != "application/json":
            return _plain(415, "expected Content-Type: application/json")
        request = decode_status_request(await read_body(receive))
        record = await self._off_loop(self._apply, request, f"{counter}/{request.operator}")
        return 200, [(b"content-type", JSON)], record_to_json(record)

    def _apply(self, request: StatusRequest, operator: str) -> Any:
        if request.action == "hold":
            return self._ca.hold(request.serial, operator=operator)
        if request.action == "release":
            return self._ca.release(request.serial, operator=operator)
        if request.action == "revoke":
            assert request.reason is not None  # decode_status_request insists on one
            return self._ca.revoke(request.serial, request.reason, operator=operator)
        return self._ca.status(request.serial)

    async def _dispatch(self, scope: Scope, receive: Receive) -> Response:
        method, path = scope["method"], scope["path"]
        route = self._routes.get((method, path))
        if route is None:
            if any(p == path for _, p in self._routes):
                return _plain(405, "method not allowed")
            return _plain(404, "not found")
        cert = client_certificate(scope)
        counter = _common_name(cert) if cert is not None else None
        if cert is None or counter is None:
            return _plain(403, "a counter client certificate is required")
        if self._revoked(cert.serial_number):
            log.warning("refused counter %s: its client certificate is revoked", counter)
            return _plain(403, "this counter's client certificate has been revoked")
        try:
            # Counters from before the handshake send no header: they speak protocol 1.
            protocol = parse_protocol(_header(scope, VERSION_HEADER))
            check_peer_protocol(1 if protocol is None else protocol, "?", peer_is="counter")
            return await route(scope, receive, counter)
        except _Refused as exc:
            return _plain(exc.status, exc.text)
        except CounterError as exc:
            return _error(exc)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or (
            scope["type"] == "http"
            and self._inner is not None
            and not (scope["path"].startswith(EST_PREFIX) or scope["path"].startswith("/ra/"))
        ):
            if self._inner is not None:
                await self._inner(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            status, headers, body = await self._dispatch(scope, receive)
        except Exception:
            # Never a traceback to the client; the log has it (and the fuzz tests look for it).
            log.exception("request %s %s failed", scope.get("method"), scope.get("path"))
            status, headers, body = _plain(500, "internal error")
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def create_est_app(
    ca: CertificateAuthority,
    inner: ASGIApp | None = None,
    *,
    revoked: Callable[[int], bool] | None = None,
    renew_counter: CounterRenewal | None = None,
) -> ESTApp:
    return ESTApp(ca, inner, revoked=revoked, renew_counter=renew_counter)
