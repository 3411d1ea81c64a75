"""Tokens inserted and removed, noticed by polling the slots (no Qt here).

The GUI's token monitor (``counter_app.gui.token_status``) runs :meth:`TokenWatcher.poll` on the
token thread and turns its events into signals; a CLI or test may call :meth:`TokenWatcher.run`
in a thread of its own. Only initialised tokens count: a free slot (SoftHSM always offers one)
is not a token a clerk inserted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from counter_app.token.errors import TokenError
from counter_app.token.session import TokenInfo, list_tokens

Source = Callable[[], Iterable[TokenInfo]]


@dataclass(frozen=True)
class TokenEvent:
    kind: str  # "inserted" | "removed"
    token: TokenInfo


class TokenWatcher:
    def __init__(self, module: str, *, source: Source | None = None) -> None:
        """``source`` lists the tokens in the slots; ``list_tokens(module)`` unless given."""
        self.module = module
        self._source: Source = source or (lambda: list_tokens(module))
        self._known: dict[str, TokenInfo] = {}

    @property
    def present(self) -> list[TokenInfo]:
        return list(self._known.values())

    def poll(self, *, raise_errors: bool = False) -> list[TokenEvent]:
        """Compare the slots with the last poll. A module that fails to answer counts as no
        token, so a broken module shows as "removed" rather than raising on the token thread;
        with ``raise_errors`` its :class:`TokenError` is raised instead and nothing changes."""
        try:
            now = {t.serial: t for t in self._source() if t.initialised}
        except TokenError:
            if raise_errors:
                raise
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
