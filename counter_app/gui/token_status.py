"""Notice tokens being inserted and removed, for the status bar and the token steps.

A Qt adapter around a plain snapshot function (``counter_app.token.list_tokens`` once the token
layer provides it): every ``interval_ms`` the snapshot runs on the token lane of the
:class:`~counter_app.gui.tasks.TaskRunner` (never on the GUI thread) and the difference from the
previous one is emitted as ``inserted``/``removed``. A poll still running skips the next tick, so
a slow token never piles up work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence

from PySide6.QtCore import QObject, QTimer, Signal

from counter_app.config import Config
from counter_app.gui.tasks import TaskHandle, TaskRunner

log = logging.getLogger(__name__)

Snapshot = Callable[[], Sequence[Hashable]]
POLL_INTERVAL_MS = 500


def token_snapshot_source(config: Config) -> Snapshot | None:
    """``list_tokens`` bound to the configured PKCS#11 module, or None without a token layer."""
    try:
        from counter_app.token import list_tokens  # type: ignore[attr-defined]
    except ImportError:
        return None
    module = config.pkcs11_module

    def snapshot() -> Sequence[Hashable]:
        return tuple(list_tokens(module))

    return snapshot


def describe_token(token: object) -> str:
    """A short name for the status bar: the token's label (and serial) when it has them."""
    label = getattr(token, "label", None)
    serial = getattr(token, "serial", None)
    if label and serial:
        return f"{label} ({serial})"
    return str(label or token)


class TokenMonitor(QObject):
    inserted = Signal(object)
    removed = Signal(object)
    changed = Signal(list)
    failed = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        snapshot: Snapshot,
        parent: QObject | None = None,
        *,
        interval_ms: int = POLL_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._snapshot = snapshot
        self._present: tuple[Hashable, ...] | None = None
        self._inflight: TaskHandle | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.poll)

    @property
    def tokens(self) -> tuple[Hashable, ...]:
        return self._present or ()

    def start(self) -> None:
        self.poll()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self._inflight is not None:
            self._inflight.discard()
            self._inflight = None

    def poll(self) -> None:
        if self._inflight is not None:
            return
        self._inflight = self._runner.run_token(
            self._snapshot, on_done=self._arrived, on_error=self._poll_failed, quiet=True
        )

    def _arrived(self, result: object) -> None:
        self._inflight = None
        now = tuple(result) if isinstance(result, Sequence) else ()
        before = self._present
        self._present = now
        if before is None:
            for token in now:
                self.inserted.emit(token)
            self.changed.emit(list(now))
            return
        gone = [t for t in before if t not in now]
        new = [t for t in now if t not in before]
        for token in gone:
            self.removed.emit(token)
        for token in new:
            self.inserted.emit(token)
        if gone or new:
            self.changed.emit(list(now))

    def _poll_failed(self, exc: BaseException) -> None:
        self._inflight = None
        log.debug("token poll failed: %s", type(exc).__name__)
        self.failed.emit(exc)
