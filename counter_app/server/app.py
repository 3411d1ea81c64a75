"""A lean ASGI application: a handful of fixed routes, no framework between request and bytes.

OCSP is the hot path (pre-signed responses are served from memory), so routing is one dict
lookup. Status changes made by any process reach this one through the published CRL file: when
it changes, every cached OCSP response is dropped; the database is also consulted every
``POLL_SECONDS`` for counters that share a database but not a disk.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from counter_app.ca.authority import CertificateAuthority
from counter_app.ca.ocsp import MALFORMED

log = logging.getLogger(__name__)
MAX_BODY = 16 * 1024  # an OCSP request for one certificate is about 100 bytes
POLL_SECONDS = 30.0
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ReadBody = Callable[[], Awaitable[bytes]]  # the whole body, or BodyTooLarge
OCSP_TYPE = b"application/ocsp-response"


class BodyTooLarge(Exception):
    pass


class OCSPApp:
    def __init__(self, ca: CertificateAuthority, crl_file: Path) -> None:
        self._ca = ca
        self._crl_file = crl_file
        self._crl_stamp: tuple[int, int, int] | None = None
        self._crl = b""
        self._polled = 0.0
        self._chain = ca.chain_pem()
        from cryptography.hazmat.primitives import serialization

        self._issuing_der = ca.keys.issuing.public_bytes(serialization.Encoding.DER)
        self._routes: dict[tuple[str, str], Callable[[ReadBody], Awaitable[Response]]] = {
            ("GET", "/healthz"): self._healthz,
            ("GET", "/ca/chain.pem"): self._chain_pem,
            ("GET", "/ca/issuing.cer"): self._issuing,
            ("GET", "/crl"): self._crl_route,
            ("POST", "/ocsp"): self._ocsp_post,
        }

    # Freshness ------------------------------------------------------------------------------

    def _refresh(self) -> None:
        """Drop pre-signed responses when the published CRL changed (cheap: one stat)."""
        try:
            st = os.stat(self._crl_file)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        now = time.monotonic()
        if stamp != self._crl_stamp or now - self._polled > POLL_SECONDS:
            self._polled = now
            der = self._ca.current_crl()
            if stamp != self._crl_stamp or der != self._crl:
                self._ca.responder.invalidate()
            self._crl, self._crl_stamp = der, stamp

    # Routes ---------------------------------------------------------------------------------

    async def _healthz(self, read_body: ReadBody) -> Response:
        return 200, b"text/plain; charset=utf-8", b"ok\n"

    async def _chain_pem(self, read_body: ReadBody) -> Response:
        return 200, b"application/pem-certificate-chain", self._chain

    async def _issuing(self, read_body: ReadBody) -> Response:
        return 200, b"application/pkix-cert", self._issuing_der

    async def _crl_route(self, read_body: ReadBody) -> Response:
        self._refresh()
        return 200, b"application/pkix-crl", self._crl

    async def _ocsp_post(self, read_body: ReadBody) -> Response:
        try:
            body = await read_body()
        except BodyTooLarge:
            return 413, b"text/plain; charset=utf-8", b"request body too large\n"
        self._refresh()
        return 200, OCSP_TYPE, self._ca.ocsp_response(body)

    async def _ocsp_get(self, encoded: str) -> Response:
        # RFC 6960 A.1: the DER request, base64, then URL-encoded; the path may contain "/".
        if len(encoded) > MAX_BODY * 2:
            return 414, b"text/plain; charset=utf-8", b"request too long\n"
        try:
            der = base64.b64decode(unquote(encoded), validate=True)
        except (binascii.Error, ValueError):
            return 200, OCSP_TYPE, MALFORMED
        self._refresh()
        return 200, OCSP_TYPE, self._ca.ocsp_response(der)

    # Both server interfaces --------------------------------------------------------------

    async def handle(self, method: str, path: str, raw_path: str, read_body: ReadBody) -> Response:
        route = self._routes.get((method, path))
        try:
            if route is not None:
                return await route(read_body)
            if method == "GET" and raw_path.startswith("/ocsp/"):
                return await self._ocsp_get(raw_path[len("/ocsp/") :])
            if any(p == path for _, p in self._routes):
                return 405, b"text/plain; charset=utf-8", b"method not allowed\n"
            return 404, b"text/plain; charset=utf-8", b"not found\n"
        except Exception:
            # Never a bare 500 with a traceback to a relying party; the log has the details.
            log.exception("request %s %s failed", method, path)
            return 500, b"text/plain; charset=utf-8", b"internal error\n"

    # ASGI (uvicorn) -------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        raw = scope.get("raw_path") or path.encode()
        status, content_type, body = await self.handle(
            scope["method"], path, raw.decode("latin-1"), lambda: _read_body(receive)
        )
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    # RSGI (granian): the server's HTTP work is done in Rust, the app is called with the request

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        if scope.proto != "http":
            return
        raw_path = scope.path
        path = unquote(raw_path) if "%" in raw_path else raw_path

        async def read_body() -> bytes:
            declared = scope.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
                raise BodyTooLarge()
            chunks, size = [], 0
            async for chunk in protocol:
                size += len(chunk)
                if size > MAX_BODY:
                    raise BodyTooLarge()
                chunks.append(chunk)
            return b"".join(chunks)

        status, content_type, body = await self.handle(scope.method, path, raw_path, read_body)
        protocol.response_bytes(status, [("content-type", content_type.decode())], body)


Response = tuple[int, bytes, bytes]


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
