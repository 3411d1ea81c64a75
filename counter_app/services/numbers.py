"""Receipt and application numbers: unique across every counter sharing one database.

A number is ``<A|R><yyyymmdd><5-digit sequence>`` (:func:`format_number`); the sequence row of the
day is read ``FOR UPDATE`` (PostgreSQL) or under SQLite's writer lock, in the caller's transaction,
so two counters never take the same number and a rolled-back transaction gives its number back.

On PostgreSQL the sequence row is locked BEFORE the counter's audit chain head, which the
commit takes last (store/audit.py): one lock order for every writer (locking in both orders
deadlocked two counters enrolling at once, found by tests/integration/postgres/
test_pg_concurrency.py). The day's row is shared by every counter: the numbers are gapless
across them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from counter_app.domain.applications import NumberKind, format_number
from counter_app.store.counter_repo import CounterRows

# Numbers follow the RA's local day (China Standard Time), as printed on receipts.
CST = dt.timezone(dt.timedelta(hours=8), "CST")


def next_number(session: Session, kind: NumberKind, now: dt.datetime) -> str:
    # The day's row is locked before the audit head, which the commit takes last
    # (store/audit.py): one lock order for every writer.
    local_day = now.astimezone(CST).date()
    value = CounterRows(session).take_number(kind.name.lower(), local_day.strftime("%Y%m%d"))
    return format_number(kind, local_day, value)
