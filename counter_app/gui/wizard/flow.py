"""Which page comes next and what each page needs, without Qt (Electrum's AbstractWizard idea).

A :class:`WizardFlow` holds the steps of one service and the data gathered so far. Moving
forward merges what the current page produced into the data and resolves the next step (a fixed
id or a function of the data, for branches such as individual / unit / device). Moving back
never drops data: a page shown again finds what the clerk typed. A step declares the data keys
it ``needs``; reaching it without them is a programming error and raises :class:`FlowError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

NextStep = str | Callable[[Mapping[str, Any]], str | None] | None


class FlowError(RuntimeError):
    """A wizard definition or navigation bug (not user input): unknown step, missing data."""


@dataclass(frozen=True)
class Step:
    """One page of a wizard: its id, the data keys it reads and provides, and what follows."""

    id: str
    next: NextStep = None
    needs: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()

    def resolve_next(self, data: Mapping[str, Any]) -> str | None:
        return self.next(data) if callable(self.next) else self.next


@dataclass
class WizardFlow:
    steps: Mapping[str, Step]
    start: str
    data: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, steps: Iterable[Step], start: str | None = None) -> WizardFlow:
        ordered = list(steps)
        if not ordered:
            raise FlowError("a wizard needs at least one step")
        by_id = {s.id: s for s in ordered}
        if len(by_id) != len(ordered):
            raise FlowError("duplicate step ids")
        flow = cls(by_id, start or ordered[0].id)
        flow._check_reachable(flow.start)
        flow.history.append(flow.start)
        return flow

    @property
    def current(self) -> Step:
        return self.steps[self.history[-1]]

    @property
    def can_go_back(self) -> bool:
        return len(self.history) > 1

    def is_last(self) -> bool:
        """True when the current step, with the data known now, has no next step."""
        return self.current.resolve_next(self.data) is None

    def peek_next(self, produced: Mapping[str, Any] | None = None) -> str | None:
        merged = {**self.data, **(produced or {})}
        return self.current.resolve_next(merged)

    def advance(self, produced: Mapping[str, Any]) -> Step:
        """Record what the current page produced and move to the next step."""
        step = self.current
        missing = [key for key in step.provides if key not in produced]
        if missing:
            raise FlowError(f"step {step.id!r} did not provide {missing}")
        self.data.update(produced)
        following = step.resolve_next(self.data)
        if following is None:
            raise FlowError(f"step {step.id!r} is the last one")
        self._check_reachable(following)
        self.history.append(following)
        return self.steps[following]

    def back(self) -> Step:
        """Return to the previous step; the data gathered stays."""
        if not self.can_go_back:
            raise FlowError("already at the first step")
        self.history.pop()
        return self.current

    def position(self) -> tuple[int, int]:
        """(1-based index of the current step, steps on the path so far if it ended here)."""
        return len(self.history), len(self.history) + self._remaining()

    def _remaining(self) -> int:
        count, seen, step = 0, set(self.history), self.current
        following = step.resolve_next(self.data)
        while following is not None and following not in seen and following in self.steps:
            count += 1
            seen.add(following)
            following = self.steps[following].resolve_next(self.data)
        return count

    def _check_reachable(self, step_id: str) -> None:
        if step_id not in self.steps:
            raise FlowError(f"unknown step {step_id!r}")
        missing = [key for key in self.steps[step_id].needs if key not in self.data]
        if missing:
            raise FlowError(f"step {step_id!r} needs {missing} first")
