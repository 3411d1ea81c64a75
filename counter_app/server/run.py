"""Serve the app: granian (HTTP in Rust, the app called by RSGI) in forked worker processes, or
uvicorn in this process when the keys cannot cross a fork (a PKCS#11 session).

Keys are decrypted once in the parent; workers are forked from it, so the passphrase is asked
once and never passed on through the environment or argv. OCSP answers are served from memory,
so the server's own cost per connection is most of an answer's cost: granian's is a third of
uvicorn's (bench/ocsp.py measures both beside OpenSSL's responder).
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn

from counter_app.server.app import OCSPApp

log = logging.getLogger(__name__)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _run_one(app: OCSPApp, sock: socket.socket) -> None:
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        access_log=False,
        http="httptools",  # the C parser and libuv loop: OCSP is answered per connection,
        loop="uvloop",  # so the per-request cost of the server is most of the answer's cost
        timeout_keep_alive=5,
        server_header=False,
        backlog=2048,
    )
    uvicorn.Server(config).run(sockets=[sock])


def _free_port(host: str) -> int:
    with _bind(host, 0) as sock:
        return int(sock.getsockname()[1])


def _announce_when_listening(host: str, port: int, announce: Callable[[], None]) -> None:
    """Call ``announce`` once a connection to the port succeeds (granian's workers listen)."""

    def probe() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection((host, port), timeout=0.5).close()
            except OSError:
                time.sleep(0.02)
                continue
            announce()
            return
        log.error("the server did not start listening on %s:%s", host, port)

    threading.Thread(target=probe, name="serve-ready", daemon=True).start()


def _serve_granian(
    make_app: Callable[[], OCSPApp],
    host: str,
    port: int,
    workers: int,
    after_fork: Callable[[], None] | None,
    on_ready: Callable[[str], None] | None,
) -> None:
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels
    from granian.server import Server

    port = port or _free_port(host)
    server = Server(
        "counter_app.server:create_app",  # a label only: the app comes from the loader below
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        workers=workers,
        loop=Loops.uvloop,
        backlog=2048,
        log_level=LogLevels.warning,
        log_access=False,
        websockets=False,
    )

    def load(_target: str) -> Any:
        # Runs in each forked worker: the parent's decrypted keys come along, no secret is
        # passed on; database connections are made anew (SQLAlchemy's advice after fork).
        if after_fork is not None:
            after_fork()
        return make_app()

    if on_ready is not None:
        _announce_when_listening(host, port, lambda: on_ready(f"http://{host}:{port}"))
    server.serve(target_loader=load)


def serve(
    make_app: Callable[[], OCSPApp],
    host: str,
    port: int,
    *,
    workers: int = 1,
    after_fork: Callable[[], None] | None = None,
    on_ready: Callable[[str], None] | None = None,
    fork: bool = True,
) -> None:
    """Serve until SIGTERM/SIGINT; ``fork=False`` keeps one process (keys in a PKCS#11 HSM)."""
    if fork and sys.platform != "win32":
        _serve_granian(make_app, host, port, workers, after_fork, on_ready)
        return
    sock = _bind(host, port)
    if on_ready is not None:
        on_ready(f"http://{host}:{sock.getsockname()[1]}")
    _run_one(make_app(), sock)
