"""Which certificates changed status since the responder last looked, seen from any process.

The signing module rewrites ``ca/status.stamp`` (8 bytes) right after each status change
commits, before the CRL is signed. A responder maps that file and compares its 8 bytes on every
request (a memory read, no system call); when they differ it asks the database which serials
changed since the audit event it saw last, and has exactly those answers signed again. The
database is also asked every ``poll_seconds`` regardless, for processes that share the database
but not this disk (another host's counter changing a status through its own signing module).

Order matters and holds: the stamp is written after the commit, and read here before the
database is asked, so a change is never missed; an answer signed from a read made before a
change commits is caught by the next comparison (its event is newer than the seq we saw).
"""

from __future__ import annotations

import logging
import mmap
import os
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)
STAMP_SIZE = 8

Changes = Callable[[int], tuple[int, list[str]]]


class StatusStamp:
    """The stamp file, mapped read-only; ``value()`` is its current 8 bytes."""

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size < STAMP_SIZE:
                os.write(fd, bytes(STAMP_SIZE))
            self._map = mmap.mmap(fd, STAMP_SIZE, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)

    def value(self) -> bytes:
        return self._map[:STAMP_SIZE]

    def close(self) -> None:
        self._map.close()


class StatusWatch:
    def __init__(
        self,
        changes: Changes,
        on_changed: Callable[[list[int]], object],
        stamp: StatusStamp | None,
        poll_seconds: float,
    ) -> None:
        self._changes = changes
        self._on_changed = on_changed
        self._stamp = stamp
        self._poll = poll_seconds
        self._seen = stamp.value() if stamp is not None else b""
        self._seq, _ = changes(1 << 62)  # only the head: what is answered from now is current
        self._next_poll = time.monotonic() + poll_seconds

    def check(self) -> None:
        """Called before each answer; cheap unless something changed."""
        changed = self._stamp is not None and self._stamp.value() != self._seen
        if changed or time.monotonic() >= self._next_poll:
            self.sync()

    def sync(self) -> None:
        # The stamp is read before the database is asked, and kept only once it answered: a
        # database error fails this request and the next one asks again.
        seen = self._stamp.value() if self._stamp is not None else b""
        self._seq, serials = self._changes(self._seq)
        self._seen = seen
        self._next_poll = time.monotonic() + self._poll
        if serials:
            log.debug("status changed for %d certificates", len(serials))
            self._on_changed([int(s, 16) for s in set(serials)])
