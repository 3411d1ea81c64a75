"""Counter work run in separate processes by the concurrency tests (importable by ``spawn``).

Each transaction is shaped like the first transaction of an enrollment: an application number,
audit events, a receipt number. Half the transactions append an event BEFORE taking the first
number (a new subscriber is recorded first) and half after (a known subscriber), which is the
lock order that deadlocks if numbers and the audit head are not locked in one order.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from typing import Any

from counter_app.domain.applications import NumberKind
from counter_app.domain.errors import CounterError
from counter_app.services.numbers import next_number
from counter_app.store import audit
from counter_app.store.db import open_store

# One fixed local day for every worker, so all of them contend for the same sequence rows.
DAY = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)


def take_numbers(url: str, worker: int, rounds: int, start: Any) -> list[tuple[str, str]]:
    """``rounds`` transactions; returns the (application, receipt) numbers this worker took.

    A failure comes back as a one-line string: our errors do not survive pickling whole.
    """
    try:
        return _take_numbers(url, worker, rounds, start)
    except Exception as exc:  # any failure is reported to the test, which fails on it
        message = exc.message("en") if isinstance(exc, CounterError) else repr(exc)
        raise RuntimeError(f"worker {worker}: {message}") from None


def _take_numbers(url: str, worker: int, rounds: int, start: Any) -> list[tuple[str, str]]:
    store = open_store(url)
    taken: list[tuple[str, str]] = []
    start.wait()
    try:
        for i in range(rounds):
            with store.session() as session:
                if (worker + i) % 2 == 0:
                    audit.append(session, operator=f"w{worker}", action="subscriber.add", obj="s")
                app = next_number(session, NumberKind.APPLICATION, DAY)
                audit.append(session, operator=f"w{worker}", action="enroll.accept", obj=app)
                receipt = next_number(session, NumberKind.RECEIPT, DAY)
                audit.append(session, operator=f"w{worker}", action="payment.record", obj=receipt)
            taken.append((app, receipt))
    finally:
        store.close()
    return taken


def run_counters(url: str, workers: int, rounds: int) -> list[tuple[str, str]]:
    """Start ``workers`` processes together; every number any of them took, in one list."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        start = manager.Barrier(workers)
        with ctx.Pool(workers) as pool:
            results = pool.starmap(take_numbers, [(url, w, rounds, start) for w in range(workers)])
    return [pair for result in results for pair in result]


def migrate(url: str, start: Any) -> str | None:
    """Open the store with ``create`` (Alembic to head) once every worker is ready."""
    start.wait()
    try:
        store = open_store(url, create=True)
    except Exception as exc:  # any failure is reported to the test, which fails on it
        raise RuntimeError(repr(exc)) from None
    try:
        return store.current_revision()
    finally:
        store.close()


def run_migrations(url: str, workers: int) -> list[str | None]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        start = manager.Barrier(workers)
        with ctx.Pool(workers) as pool:
            return pool.starmap(migrate, [(url, start)] * workers)
