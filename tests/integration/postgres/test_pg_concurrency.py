"""Several counters writing at once: no number taken twice, one audit chain, on both backends."""

from __future__ import annotations

from pathlib import Path

from counter_app.store import audit
from counter_app.store.db import open_store
from tests.integration.postgres.conftest import PostgresServer
from tests.integration.postgres.workers import run_counters

WORKERS, ROUNDS = 4, 25


def _check(url: str) -> None:
    taken = run_counters(url, WORKERS, ROUNDS)
    apps, receipts = [a for a, _ in taken], [r for _, r in taken]
    total = WORKERS * ROUNDS
    assert len(set(apps)) == len(apps) == total
    assert len(set(receipts)) == len(receipts) == total
    # No gaps either: every rolled-back attempt gave its number back.
    assert max(apps) == f"A20261124{total:05d}" and max(receipts) == f"R20261124{total:05d}"
    store = open_store(url)
    try:
        with store.session() as session:
            result = audit.verify(session)
    finally:
        store.close()
    assert result.ok, result.problem
    subscriber_events = sum((w + i) % 2 == 0 for w in range(WORKERS) for i in range(ROUNDS))
    assert result.count == total * 2 + subscriber_events


def test_concurrent_counters_on_postgresql_never_share_a_number_or_fork_the_chain(
    postgres: PostgresServer, migrated_db: str
) -> None:
    _check(postgres.url(migrated_db))


def test_concurrent_counters_on_sqlite_never_share_a_number_or_fork_the_chain(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'counter.db'}"
    open_store(url, create=True).close()
    _check(url)
