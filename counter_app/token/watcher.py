"""Tokens inserted and removed, noticed by polling the slots (no Qt here).

The GUI polls :meth:`TokenWatcher.poll` on its token thread; a CLI or test may call
:meth:`TokenWatcher.run` in a thread of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from counter_app.token.errors import TokenError
from counter_app.token.session import TokenInfo, list_tokens


@dataclass(frozen=True)
class TokenEvent:
    kind: str  # "inserted" | "removed"
    token: TokenInfo


class TokenWatcher:
    def __init__(self, module: str) -> None:
        self.module = module
        self._known: dict[str, TokenInfo] = {}

    @property
    def present(self) -> list[TokenInfo]:
        return list(self._known.values())

    def poll(self) -> list[TokenEvent]:
        """Compare the slots with the last poll; a module that fails to answer counts as no
        token, so a broken module shows as "removed" rather than raising on the token thread."""
        try:
            now = {t.serial: t for t in list_tokens(self.module) if t.initialised}
        except TokenError:
            now = {}
        events = [TokenEvent("removed", t) for s, t in self._known.items() if s not in now]
        events += [TokenEvent("inserted", t) for s, t in now.items() if s not in self._known]
        self._known = now
        return events

    def run(
        self, callback: Callable[[TokenEvent], None], stop: threading.Event, interval: float = 0.5
    ) -> None:
        while not stop.is_set():
            for event in self.poll():
                callback(event)
            stop.wait(interval)
