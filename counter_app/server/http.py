"""A small HTTP/1.1 server for :class:`OCSPApp`: asyncio protocol callbacks on uvloop, requests
parsed by httptools (llhttp, Node.js's parser), no task or coroutine per request.

OCSP clients open a connection per request, so what a server spends per connection is most of
what an answer costs once the answer itself is a dictionary lookup. Measured per request (see
``docs/deployment.md``): granian's RSGI call into Python cost about twice this.

Limits: request line and headers 16 KiB (431), URL 32 KiB (414), body 16 KiB (413); a request
must arrive within ``REQUEST_TIMEOUT`` and an idle keep-alive connection is closed after
``KEEP_ALIVE``. After an error the connection is half-closed and the rest of the request is
read and dropped, so the client sees the answer rather than a reset.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from email.utils import formatdate

import httptools

from counter_app.server.app import MAX_BODY, OCSPApp

log = logging.getLogger(__name__)
MAX_HEADERS = 16 * 1024
MAX_URL = 2 * MAX_BODY + 64
REQUEST_TIMEOUT = 10.0
KEEP_ALIVE = 5.0
_REASONS = {
    200: b"OK",
    304: b"Not Modified",
    400: b"Bad Request",
    404: b"Not Found",
    405: b"Method Not Allowed",
    408: b"Request Timeout",
    413: b"Content Too Large",
    414: b"URI Too Long",
    431: b"Request Header Fields Too Large",
    500: b"Internal Server Error",
}


class _Shared:
    """What every connection of one server uses: the app, the open connections, the Date."""

    def __init__(self, app: OCSPApp, loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        self.loop = loop
        self.connections: set[HTTPProtocol] = set()
        self._date_second = -1
        self._date = b""

    def date(self) -> bytes:
        second = int(self.loop.time())
        if second != self._date_second:
            self._date_second = second
            self._date = formatdate(usegmt=True).encode()
        return self._date

    async def sweep(self) -> None:
        """Close connections past their deadline (slow requests, idle keep-alive)."""
        while True:
            await asyncio.sleep(1.0)
            now = self.loop.time()
            for conn in [c for c in self.connections if c.deadline < now]:
                conn.timed_out()


# ``serve --access-log``: one line per request on stdout (the journal under systemd). Off by
# default: nginx in front keeps the access log of the cached answers (docs/operations.md).
access_log = logging.getLogger("counter_app.access")


class HTTPProtocol(asyncio.Protocol):
    __slots__ = (
        "_body",
        "_done",
        "_headers_size",
        "_if_none_match",
        "_parser",
        "_peer",
        "_shared",
        "_size",
        "_transport",
        "_url",
        "deadline",
    )

    def __init__(self, shared: _Shared) -> None:
        self._shared = shared
        self._transport: asyncio.Transport | None = None
        self._peer: tuple[str, int] | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._url = b""
        self._body: list[bytes] = []
        self._size = 0
        self._headers_size = 0
        self._if_none_match: bytes | None = None
        self._done = False  # answered with Connection: close, or failed: read and drop the rest
        self.deadline = shared.loop.time() + REQUEST_TIMEOUT

    # asyncio ------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._shared.connections.add(self)
        if access_log.isEnabledFor(logging.INFO):
            self._peer = transport.get_extra_info("peername")

    def connection_lost(self, exc: Exception | None) -> None:
        self._shared.connections.discard(self)
        self._transport = None

    def data_received(self, data: bytes) -> None:
        if self._done:
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(400, b"upgrade not supported\n")
        except httptools.HttpParserError:
            self._fail(400, b"bad request\n")

    def timed_out(self) -> None:
        if self._transport is None:
            return
        if self._done or (not self._url and not self._size):
            self._transport.abort()  # idle, or already answered: just close
        else:
            self._fail(408, b"request too slow\n")
            self.deadline = self._shared.loop.time() + 1.0

    # httptools callbacks ------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self._body = []
        self._size = 0
        self._headers_size = 0
        self._if_none_match = None
        self.deadline = self._shared.loop.time() + REQUEST_TIMEOUT

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > MAX_URL:
            self._fail(414, b"request too long\n")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers_size += len(name) + len(value) + 4
        if self._headers_size > MAX_HEADERS:
            self._fail(431, b"request headers too large\n")
        elif name.lower() == b"if-none-match":
            self._if_none_match = value

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > MAX_BODY:
            self._fail(413, b"request body too large\n")
        elif not self._done:
            self._body.append(body)

    def on_message_complete(self) -> None:
        if self._done:
            return
        parser = self._parser
        keep_alive = parser.should_keep_alive()
        method = parser.get_method().decode("ascii", "replace")
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        path = self._url.split(b"?", 1)[0].decode("latin-1")
        status, headers, content = self._shared.app.dispatch(
            method, path, body, self._if_none_match
        )
        self._send(status, headers, content, keep_alive, parser.get_http_version() == "1.0")
        if self._peer is not None:
            access_log.info('%s "%s %s" %d %d', self._peer[0], method, path, status, len(content))
        self._url, self._size = b"", 0  # idle until the next request begins

    # Responses ----------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]],
        content: bytes,
        keep_alive: bool,
        http10: bool = False,
        *,
        close: bool = True,
    ) -> None:
        transport = self._transport
        if transport is None:
            return
        lines = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Unknown"))]
        lines += [name + b": " + value + b"\r\n" for name, value in headers]
        lines.append(b"date: " + self._shared.date() + b"\r\n")
        lines.append(b"content-length: %d\r\n" % len(content))
        if not keep_alive:
            lines.append(b"connection: close\r\n")
        elif http10:
            lines.append(b"connection: keep-alive\r\n")
        lines.append(b"\r\n")
        lines.append(content)
        transport.write(b"".join(lines))
        if keep_alive:
            self.deadline = self._shared.loop.time() + KEEP_ALIVE
        else:
            self._done = True
            if close:
                transport.close()

    def _fail(self, status: int, text: bytes) -> None:
        """Answer an error, then read and drop what the client still sends until it closes."""
        if self._done or self._transport is None:
            return
        headers = [(b"content-type", b"text/plain; charset=utf-8")]
        self._send(status, headers, text, keep_alive=False, close=False)
        self.deadline = self._shared.loop.time() + KEEP_ALIVE
        if self._transport.can_write_eof():
            self._transport.write_eof()
        else:
            self._transport.close()


async def serve_socket(app: OCSPApp, sock: socket.socket) -> None:
    """Serve ``app`` on a listening socket until cancelled."""
    loop = asyncio.get_running_loop()
    shared = _Shared(app, loop)
    server = await loop.create_server(lambda: HTTPProtocol(shared), sock=sock, backlog=2048)
    sweeper = asyncio.ensure_future(shared.sweep())
    try:
        await server.serve_forever()
    finally:
        sweeper.cancel()
        server.close()
