"""Serve the app: ``server/http.py`` on uvloop, in forked worker processes or in this one.

Keys are decrypted once in the parent; workers are forked from it, so the passphrase is asked
once and never passed on through the environment or argv. With the keys in a PKCS#11 HSM (a
session does not survive fork) one process serves. The listening socket is made before the
fork and shared: the kernel hands each connection to one worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable

from counter_app.server.app import OCSPApp

log = logging.getLogger(__name__)


def bind(host: str, port: int, backlog: int = 2048, *, blocking: bool = False) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv6 when the host has a colon); non-blocking for
    the workers' event loops unless asked."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.setblocking(blocking)
    return sock


def run_one(
    make_app: Callable[[], OCSPApp], sock: socket.socket, *, parent: int | None = None
) -> None:
    """Serve on ``sock`` in this process until SIGTERM or SIGINT (or ``parent`` is gone)."""

    async def orphaned(task: asyncio.Future[None]) -> None:
        # A worker whose parent died (killed outright) must not keep the port.
        while os.getppid() == parent:
            await asyncio.sleep(1.0)
        task.cancel()

    async def main() -> None:
        from counter_app.server.http import serve_socket  # httptools: not on Windows

        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(serve_socket(make_app(), sock))
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        watcher = asyncio.ensure_future(orphaned(task)) if parent is not None else None
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if watcher is not None:
            watcher.cancel()

    if sys.platform == "win32":  # no httptools or uvloop wheels: the same app under uvicorn
        import uvicorn

        config = uvicorn.Config(make_app(), lifespan="off", log_level="warning")
        uvicorn.Server(config).run(sockets=[sock])
        return
    import uvloop

    uvloop.run(main())


def start_workers(
    make_app: Callable[[], OCSPApp],
    sock: socket.socket,
    workers: int,
    after_fork: Callable[[], None] | None,
) -> list[int]:
    """Fork ``workers`` processes serving ``sock``; each stops with SIGTERM or its parent."""
    parent = os.getpid()
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: serve until told to stop, never return into the parent's code
            code = 0
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                if after_fork is not None:
                    after_fork()
                run_one(make_app, sock, parent=parent)
            except BaseException:
                log.exception("worker failed")
                code = 1
            finally:
                os._exit(code)
        children.append(pid)
    return children


def stop_workers(children: list[int]) -> None:
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGTERM)
    for child in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child, 0)


def _serve_forked(
    make_app: Callable[[], OCSPApp],
    sock: socket.socket,
    workers: int,
    after_fork: Callable[[], None] | None,
) -> None:
    children = start_workers(make_app, sock, workers, after_fork)

    def stop(signum: int, frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child, 0)


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
    sock = bind(host, port)
    if on_ready is not None:  # listening already: connections wait in the backlog
        on_ready(f"http://{host}:{sock.getsockname()[1]}")
    if fork and workers > 1 and sys.platform != "win32":
        _serve_forked(make_app, sock, workers, after_fork)
    else:
        run_one(make_app, sock)
