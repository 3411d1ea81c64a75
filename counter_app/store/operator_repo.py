"""Operators: the questions services ask of the people who sign in at the counter.

See :mod:`counter_app.store.counter_repo` for how services use a repository.
"""

from __future__ import annotations

from sqlalchemy import func, select

from counter_app.store.counter_repo import Rows
from counter_app.store.models import Operator


class OperatorRows(Rows):
    def by_id(self, operator_id: int) -> Operator | None:
        return self._session.get(Operator, operator_id)

    def by_name(self, name: str) -> Operator | None:
        return self._one(select(Operator).where(Operator.name == name))

    def any(self) -> bool:
        """Whether any operator exists (the store has been initialised)."""
        return bool(self._session.execute(select(func.count()).select_from(Operator)).scalar_one())

    def all(self) -> list[Operator]:
        """Every operator, by name."""
        return self._all(select(Operator).order_by(Operator.name))

    def active_count(self, role: str) -> int:
        return self._session.execute(
            select(func.count())
            .select_from(Operator)
            .where(Operator.role == role, Operator.active.is_(True))
        ).scalar_one()

    def count_failure(self, row: Operator) -> int:
        """One more failed sign-in in a row, counted in SQL so two counters failing at the same
        moment both count; the new count."""
        row.failed_signins = Operator.failed_signins + 1  # type: ignore[assignment]
        self._session.flush()
        self._session.refresh(row, ["failed_signins"])
        return row.failed_signins
