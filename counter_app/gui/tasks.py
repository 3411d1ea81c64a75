"""Run slow calls off the GUI thread and hand their outcome back on it.

Two lanes (Electrum's ``hw_wallet`` idea):

* the **token lane**: the process's one token thread (:mod:`counter_app.token.thread`), so token
  I/O is serialised (python-pkcs11 expects one session per process and a token does one thing
  at a time); the token layer's verbs run there whoever calls them, and assert it;
* the **general pool**: a ``QThreadPool`` for database, signing-module and file work.

Either lane delivers the result to ``on_done`` or the exception to ``on_error`` on the GUI
thread, through a queued signal. A page going away calls :meth:`TaskHandle.discard` so a late
answer does not touch a deleted widget.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

# The token layer (python-pkcs11, cryptography) is imported on first use, not with this module:
# the sign-in window shows before it loads (app.open_store_for_gui warms it in a worker).

log = logging.getLogger(__name__)

DoneCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]


@dataclass
class TaskHandle:
    """A submitted call; ``discard()`` drops its callbacks (the caller no longer cares)."""

    id: int
    lane: str
    on_done: DoneCallback | None = None
    on_error: ErrorCallback | None = None
    discarded: bool = field(default=False)
    quiet: bool = False  # background polling: not "work in progress" for the status bar

    def discard(self) -> None:
        self.discarded = True
        self.on_done = None
        self.on_error = None


class _Bridge(QObject):
    """Lives on the GUI thread; workers emit, the queued slot runs on the GUI thread."""

    finished = Signal(int, bool, object)


class _Runnable(QRunnable):
    def __init__(self, job: Callable[[], None]) -> None:
        super().__init__()
        self._job = job
        self.setAutoDelete(True)

    def run(self) -> None:
        self._job()


class TaskRunner(QObject):
    """Submit calls to the token lane or the general pool; results come back as signals.

    ``busy_changed(bool)`` tells the window whether anything is in flight (for a busy cursor or
    spinner); ``failed(object)`` repeats every error nobody handled, for the window's error slot.
    """

    busy_changed = Signal(bool)
    failed = Signal(object)

    def __init__(self, parent: QObject | None = None, *, pool_threads: int = 2) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(pool_threads)
        self._token_calls: set[Future[None]] = set()
        self._bridge = _Bridge(self)
        self._bridge.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._pending: dict[int, TaskHandle] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # -- submitting ---------------------------------------------------------------------------
    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: DoneCallback | None = None,
        on_error: ErrorCallback | None = None,
        **kwargs: Any,
    ) -> TaskHandle:
        """Run ``fn(*args, **kwargs)`` on the general pool (database, CA, files)."""
        handle = self._register("pool", on_done, on_error)
        self._pool.start(_Runnable(self._job(handle.id, fn, args, kwargs)))
        return handle

    def run_token(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: DoneCallback | None = None,
        on_error: ErrorCallback | None = None,
        quiet: bool = False,
        **kwargs: Any,
    ) -> TaskHandle:
        """Run ``fn(*args, **kwargs)`` on the one token thread, after every earlier token call.

        ``quiet`` marks background polling (the token monitor), which does not make the window
        say it is working.
        """
        handle = self._register("token", on_done, on_error, quiet)
        from counter_app.token import thread as token_thread

        call = token_thread.submit(self._job(handle.id, fn, args, kwargs))
        with self._lock:
            self._token_calls.add(call)
        call.add_done_callback(self._token_call_done)
        return handle

    def _token_call_done(self, call: Future[None]) -> None:
        with self._lock:
            self._token_calls.discard(call)

    @property
    def busy(self) -> bool:
        return any(not h.quiet for h in self._pending.values())

    def wait_idle(self, msecs: int = 30000) -> bool:
        """Block until the pool is done (shutdown and tests only; never from a slot)."""
        return self._pool.waitForDone(msecs)

    def shutdown(self) -> None:
        """Stop taking work; let running calls end (a token call is never cut in half)."""
        for handle in list(self._pending.values()):
            handle.discard()
        self._pool.waitForDone(30000)
        with self._lock:
            calls = list(self._token_calls)
        wait(calls)  # the token thread is the process's: only this runner's calls are awaited

    # -- internals ----------------------------------------------------------------------------
    def _register(
        self,
        lane: str,
        on_done: DoneCallback | None,
        on_error: ErrorCallback | None,
        quiet: bool = False,
    ) -> TaskHandle:
        was_busy = self.busy
        with self._lock:
            handle = TaskHandle(next(self._ids), lane, on_done, on_error, quiet=quiet)
            self._pending[handle.id] = handle
        if not was_busy and self.busy:
            self.busy_changed.emit(True)
        return handle

    def _job(
        self, task_id: int, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Callable[[], None]:
        bridge = self._bridge

        def job() -> None:
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # delivered to the GUI thread's error slot
                bridge.finished.emit(task_id, False, exc)
            else:
                bridge.finished.emit(task_id, True, result)

        return job

    @Slot(int, bool, object)
    def _deliver(self, task_id: int, ok: bool, payload: object) -> None:
        was_busy = self.busy
        with self._lock:
            handle = self._pending.pop(task_id, None)
        if was_busy and not self.busy:
            self.busy_changed.emit(False)
        if handle is None or handle.discarded:
            return
        if ok:
            if handle.on_done is not None:
                handle.on_done(payload)
            return
        assert isinstance(payload, BaseException)
        if handle.on_error is not None:
            handle.on_error(payload)
        else:
            self.failed.emit(payload)
