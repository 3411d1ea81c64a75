"""The one thread that owns the token (Electrum's ``runs_in_hwd_thread``, here in the core).

python-pkcs11 expects one session per process and a token does one thing at a time, so every
session verb runs on one dedicated thread of this process, whoever calls it: the CLI, the server,
a test or the GUI. :func:`runs_in_token_thread` decorates those verbs: called from elsewhere, the
call is handed to the token thread and the caller waits for its result (or its exception);
called on the token thread, it runs at once (a verb may call another). Inside, an assertion
checks that the body really runs there.

The GUI's task runner submits its token lane to the same thread (:func:`submit`), so a service
run from that lane calls the verbs directly and nothing else touches the token meanwhile.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

TOKEN_THREAD_PREFIX = "counter-token"
P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _token_executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=TOKEN_THREAD_PREFIX)
        return _executor


def _forget_after_fork() -> None:
    # A forked child has no token thread: the parent's executor would queue work forever.
    global _executor, _lock
    _executor = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def on_token_thread() -> bool:
    return threading.current_thread().name.startswith(TOKEN_THREAD_PREFIX)


def submit(fn: Callable[..., R], *args: Any, **kwargs: Any) -> Future[R]:
    """Queue ``fn`` on the token thread, after every earlier token call."""
    return _token_executor().submit(fn, *args, **kwargs)


def run_in_token_thread(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run ``fn`` on the token thread and return its result; at once when already there."""
    if on_token_thread():
        return fn(*args, **kwargs)
    return submit(fn, *args, **kwargs).result()


def token_io(fn: Callable[P, R]) -> Callable[P, R]:
    """Assert that ``fn`` runs on the token thread (for work already submitted there)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        assert on_token_thread(), f"{fn.__qualname__} must run on the token thread"
        return fn(*args, **kwargs)

    return wrapper


def runs_in_token_thread(fn: Callable[P, R]) -> Callable[P, R]:
    """A token verb: runs on the token thread whoever calls it (asserted inside)."""
    checked = token_io(fn)

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return run_in_token_thread(checked, *args, **kwargs)

    return wrapper
