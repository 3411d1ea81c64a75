"""Processes writing into one SQLite file queue on a lock file before ``BEGIN IMMEDIATE``.

The kernel wakes the next process the moment the lock is free, where SQLite's own busy handler
sleeps a millisecond or more (many transactions' worth) between tries. Without ``fcntl``
(Windows) SQLite's busy handler queues the writers by itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # Windows: SQLite's own busy handler queues the writers
    fcntl = None  # type: ignore[assignment]


class LockFileQueue:
    """An exclusive ``flock`` on ``path`` while held; a no-op without a path or ``fcntl``."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid = 0

    @classmethod
    def beside_sqlite(cls, dialect_name: str, database: str | None) -> LockFileQueue:
        """The queue of a SQLite database file (``<file>-issue.lock``); none for another
        backend or an in-memory database."""
        if dialect_name == "sqlite" and database and database != ":memory:":
            return cls(f"{database}-issue.lock")
        return cls(None)

    @contextmanager
    def held(self) -> Iterator[None]:
        if self.path is None or fcntl is None:
            yield
            return
        if self._fd is None or self._pid != os.getpid():
            # Opened by each process itself: a descriptor inherited over fork() would share
            # one lock between parent and child.
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
