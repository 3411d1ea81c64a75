"""The signing module's HTTP face: a handful of fixed routes, no framework between request and
bytes. ``OCSPApp.dispatch`` is synchronous (everything it does is memory or a short database
read); ``server/http.py`` calls it per request, and ``__call__`` offers it as ASGI (the EST
service mounts it under uvicorn).

OCSP is the hot path: a no-nonce request in its usual encoding is answered by one dictionary
lookup of its bytes (pre-produced responses, ``ca/ocsp.py``). Status changes made by any process
reach this one through ``server/watch.py`` before the next answer. GET answers carry HTTP
caching headers (RFC 5019 6.2) so a CDN or nginx in front can multiply the rate.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from counter_app.ca.authority import CertificateAuthority
from counter_app.ca.hierarchy import CAFiles
from counter_app.ca.ocsp import MALFORMED, Answer
from counter_app.ca.profiles import issuer_paths
from counter_app.server.watch import StatusStamp, StatusWatch

log = logging.getLogger(__name__)
MAX_BODY = 16 * 1024  # an OCSP request for one certificate is about 100 bytes
POLL_SECONDS = 1.0  # the database is asked this often for changes made on other hosts
CRL_POLL_SECONDS = 30.0
# How long an HTTP cache may reuse a GET answer: short, so a revocation is seen through a CDN
# within a minute, while a hot certificate is still fetched from us once a minute at most.
HTTP_MAX_AGE = 60
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]
Response = tuple[int, Headers, bytes]
OCSP_TYPE = b"application/ocsp-response"
_OCSP_HEADERS: Headers = [(b"content-type", OCSP_TYPE)]
_NO_STORE: Headers = [(b"content-type", OCSP_TYPE), (b"cache-control", b"no-store")]
TEXT = b"text/plain; charset=utf-8"


def _plain(status: int, text: bytes) -> Response:
    return status, [(b"content-type", TEXT)], text


class _CompleteCRL:
    """One issuer's complete CRL: re-read when its published file changes, or from the
    database now and then."""

    def __init__(self, ca: CertificateAuthority, crl_file: Path) -> None:
        self._ca = ca
        self._file = crl_file
        self._stamp: tuple[int, int, int] | None = None
        self._der = b""
        self._polled = 0.0

    def __call__(self) -> Response:
        try:
            st = os.stat(self._file)
            stamp: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        now = time.monotonic()
        if stamp != self._stamp or now - self._polled > CRL_POLL_SECONDS:
            self._polled = now
            self._der, self._stamp = self._ca.current_crl(), stamp
        return 200, [(b"content-type", b"application/pkix-crl")], self._der


class OCSPApp:
    def __init__(self, ca: CertificateAuthority, crl_file: Path) -> None:
        self._ca = ca
        # After a rollover, each request goes to the responder of the issuer it names.
        self._responder = ca.status_responder()
        # Partition CRLs (/crl/N, /crl/issuing-2/N): (DER, when read), re-read after
        # CRL_POLL_SECONDS or a change.
        self._partition_crls: dict[tuple[int, int], tuple[bytes, float]] = {}
        self._chain = ca.chain_pem()
        from cryptography.hazmat.primitives import serialization

        # Every issuing CA still answering: its certificate and its CRL where its
        # certificates' AIA and CRL DP name them (the first: /ca/issuing.cer and /crl).
        files = CAFiles(crl_file.parent)
        self._issuers = {str(c.issuer): c for c in ca.issuers}
        self._crls = {
            c.issuer: _CompleteCRL(c, crl_file if c.issuer == 1 else files.crl_of(c.issuer))
            for c in ca.issuers
        }
        issuer_certs = {
            issuer_paths(c.issuer)[0]: c.keys.issuing.public_bytes(serialization.Encoding.DER)
            for c in ca.issuers
        }
        try:
            stamp: StatusStamp | None = StatusStamp(CAFiles(crl_file.parent).status_stamp)
        except OSError:  # a read-only data dir: the database poll alone keeps answers fresh
            log.warning("cannot map the status stamp; relying on the database poll")
            stamp = None
        self.watch = StatusWatch(ca.status_changes_since, self._changed, stamp, POLL_SECONDS)
        self._routes: dict[tuple[str, str], Callable[[], Response]] = {
            ("GET", "/healthz"): lambda: (200, [(b"content-type", TEXT)], b"ok\n"),
            ("GET", "/ca/chain.pem"): lambda: (
                200,
                [(b"content-type", b"application/pem-certificate-chain")],
                self._chain,
            ),
            **{
                ("GET", path): _fixed_route(b"application/pkix-cert", der)
                for path, der in issuer_certs.items()
            },
            ("GET", "/crl"): self._crls[1],
        }
        self._paths = {path for _, path in self._routes} | {"/ocsp"}

    def _changed(self, serials: list[int]) -> None:
        self._responder.resign(serials)
        self._partition_crls.clear()

    # CRL ------------------------------------------------------------------------------------

    def _crl_under(self, rest: str) -> Response:
        """GET /crl/N (partition N of the first issuer), /crl/issuing-I (issuing CA I's
        complete CRL) or /crl/issuing-I/N (its partition N): what its certificates' CRL DP
        names."""
        ca = self._issuers.get("1")
        if rest.startswith("issuing-"):
            number, _, rest = rest[len("issuing-") :].partition("/")
            ca = self._issuers.get(number) if number != "1" else None
            if ca is not None and not rest:
                return self._crls[ca.issuer]()
        if ca is None or not rest.isdigit() or len(rest) > 9:
            return _plain(404, b"not found\n")
        partition, now = int(rest), time.monotonic()
        kept = self._partition_crls.get((ca.issuer, partition))
        if kept is None or now - kept[1] > CRL_POLL_SECONDS:
            der = ca.partition_crl(partition)
            if der is None:
                return _plain(404, b"no such CRL partition\n")
            kept = self._partition_crls[ca.issuer, partition] = (der, now)
        return 200, [(b"content-type", b"application/pkix-crl")], kept[0]

    # OCSP -----------------------------------------------------------------------------------

    def ocsp_post(self, body: bytes) -> bytes:
        """The hot path: a kept answer to these exact bytes, else the responder's answer."""
        self.watch.check()
        answer = self._responder.prepared(body)
        if answer is None:
            answer = self._responder.answer(body)
        return answer.der

    def _ocsp_get(self, encoded: str, if_none_match: bytes | None) -> Response:
        # RFC 6960 A.1: the DER request, base64, then URL-encoded; the path may contain "/".
        if len(encoded) > MAX_BODY * 2:
            return _plain(414, b"request too long\n")
        try:
            der = base64.b64decode(unquote(encoded), validate=True)
        except (binascii.Error, ValueError):
            return 200, _NO_STORE, MALFORMED
        self.watch.check()
        answer = self._responder.answer(der)
        if not answer.cacheable:
            return 200, _NO_STORE, answer.der
        headers = _caching_headers(answer)
        if if_none_match is not None and answer.etag in if_none_match.split(b","):
            return 304, headers, b""
        return 200, [(b"content-type", OCSP_TYPE), *headers], answer.der

    # Dispatch -------------------------------------------------------------------------------

    def dispatch(
        self, method: str, raw_path: str, body: bytes, if_none_match: bytes | None = None
    ) -> Response:
        """One request in, one response out; never an exception (a 500 is logged)."""
        try:
            if method == "POST" and raw_path == "/ocsp":
                return 200, _OCSP_HEADERS, self.ocsp_post(body)
            if method == "GET" and raw_path.startswith("/ocsp/"):
                return self._ocsp_get(raw_path[len("/ocsp/") :], if_none_match)
            path = unquote(raw_path) if "%" in raw_path else raw_path
            if method == "GET" and path.startswith("/crl/"):
                self.watch.check()
                return self._crl_under(path[len("/crl/") :])
            route = self._routes.get((method, path))
            if route is not None:
                return route()
            if path in self._paths:
                return _plain(405, b"method not allowed\n")
            return _plain(404, b"not found\n")
        except Exception:
            # Never a bare 500 with a traceback to a relying party; the log has the details.
            log.exception("request %s %s failed", method, raw_path[:200])
            return _plain(500, b"internal error\n")

    # ASGI (uvicorn, under the EST service) ---------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        raw = scope.get("raw_path") or scope["path"].encode()
        if_none_match = None
        for name, value in scope.get("headers", []):
            if name.lower() == b"if-none-match":
                if_none_match = bytes(value)
        try:
            body = await _read_body(receive)
        except BodyTooLarge:
            status, headers, body = _plain(413, b"request body too large\n")
        else:
            status, headers, body = self.dispatch(
                scope["method"], raw.decode("latin-1").split("?", 1)[0], body, if_none_match
            )
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _fixed_route(content_type: bytes, body: bytes) -> Callable[[], Response]:
    return lambda: (200, [(b"content-type", content_type)], body)


def _caching_headers(answer: Answer) -> Headers:
    max_age = max(0, min(HTTP_MAX_AGE, int(answer.refresh_at - time.time())))
    return [
        (b"cache-control", b"max-age=%d, public, no-transform, must-revalidate" % max_age),
        (b"etag", answer.etag),
        (b"last-modified", formatdate(answer.produced_at.timestamp(), usegmt=True).encode()),
    ]


class BodyTooLarge(Exception):
    pass


async def _read_body(receive: Receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(ca: CertificateAuthority, crl_file: Path) -> OCSPApp:
    return OCSPApp(ca, crl_file)
