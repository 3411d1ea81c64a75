"""Notice tokens being inserted and removed, for the status bar and the token steps.

A Qt adapter around the token layer's :class:`~counter_app.token.watcher.TokenWatcher`: every
``interval_ms`` its poll runs on the token thread (through the
:class:`~counter_app.gui.tasks.TaskRunner`'s token lane, never on the GUI thread) and its events
are emitted as ``inserted``/``removed`` (then ``changed`` with the tokens present). A poll still
running skips the next tick, so a slow token never piles up work; a module that cannot be read
is reported through ``failed`` and changes nothing.
"""

from __future__ import annotations

import logging
from typing import cast

from PySide6.QtCore import QObject, QTimer, Signal

from counter_app.config import Config
from counter_app.gui.tasks import TaskHandle, TaskRunner
from counter_app.token.session import TokenInfo
from counter_app.token.watcher import TokenEvent, TokenWatcher

log = logging.getLogger(__name__)

POLL_INTERVAL_MS = 500


def token_watcher(config: Config) -> TokenWatcher:
    """A watcher of the configured PKCS#11 module's slots."""
    return TokenWatcher(config.pkcs11_module)


def describe_token(token: TokenInfo) -> str:
    """A short name for the status bar: the token's label (and serial) when it has them."""
    if token.label and token.serial:
        return f"{token.label} ({token.serial})"
    return token.label or token.serial


class TokenMonitor(QObject):
    inserted = Signal(object)
    removed = Signal(object)
    changed = Signal(list)
    failed = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        watcher: TokenWatcher,
        parent: QObject | None = None,
        *,
        interval_ms: int = POLL_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._watcher = watcher
        self._polled = False
        self._inflight: TaskHandle | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.poll)

    @property
    def tokens(self) -> tuple[TokenInfo, ...]:
        return tuple(self._watcher.present)

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
            self._poll, on_done=self._arrived, on_error=self._poll_failed, quiet=True
        )

    def _poll(self) -> tuple[list[TokenEvent], list[TokenInfo]]:
        # On the token thread: the watcher's state is touched only here, one poll at a time.
        return self._watcher.poll(raise_errors=True), self._watcher.present

    def _arrived(self, result: object) -> None:
        self._inflight = None
        events, present = cast(tuple[list[TokenEvent], list[TokenInfo]], result)
        first, self._polled = not self._polled, True
        for event in events:
            (self.inserted if event.kind == "inserted" else self.removed).emit(event.token)
        if first or events:
            self.changed.emit(list(present))

    def _poll_failed(self, exc: BaseException) -> None:
        self._inflight = None
        log.debug("token poll failed: %s", type(exc).__name__)
        self.failed.emit(exc)
