"""Run the ASGI app on uvicorn, optionally in several worker processes sharing one socket.

Keys are decrypted once in the parent; workers are forked from it, so the passphrase is asked
once and never passed on through the environment or argv.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable

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


def serve(
    make_app: Callable[[], OCSPApp],
    host: str,
    port: int,
    *,
    workers: int = 1,
    after_fork: Callable[[], None] | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    sock = _bind(host, port)
    bound = sock.getsockname()
    if on_ready is not None:
        on_ready(f"http://{host}:{bound[1]}")
    if workers <= 1 or sys.platform == "win32":
        _run_one(make_app(), sock)
        return
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            if after_fork is not None:
                after_fork()
            _run_one(make_app(), sock)
            os._exit(0)
        children.append(pid)

    def stop(signum: int, _frame: object) -> None:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for pid in children:
        os.waitpid(pid, 0)
