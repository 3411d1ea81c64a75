"""The store on a real PostgreSQL server: schema by Alembic, UTC times, the audit chain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text

from counter_app.domain.errors import StoreNotInitialised, StoreUnavailable
from counter_app.domain.operators import Role
from counter_app.services import operators
from counter_app.store import audit
from counter_app.store.db import Store, code_head_revision, open_store
from counter_app.store.models import AuditEvent, Base, Operator
from tests.integration.postgres.conftest import PostgresServer
from tests.integration.store.test_store import check_failed_transaction_drops_its_events


@pytest.fixture
def store(pg_url: str) -> Iterator[Store]:
    s = open_store(pg_url)
    yield s
    s.close()


def test_migrations_create_exactly_the_models_schema(
    postgres: PostgresServer, empty_db: str
) -> None:
    store = open_store(postgres.url(empty_db), create=True)
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        assert store.current_revision() == code_head_revision()
    finally:
        store.close()


def test_migrating_twice_changes_nothing(postgres: PostgresServer, pg_url: str) -> None:
    store = open_store(pg_url, create=True)
    try:
        assert store.current_revision() == code_head_revision()
    finally:
        store.close()


def test_opening_an_empty_database_without_create_refuses(
    postgres: PostgresServer, empty_db: str
) -> None:
    with pytest.raises(StoreNotInitialised):
        open_store(postgres.url(empty_db))
    assert postgres.sql(empty_db, "SELECT to_regclass('audit_events')") == [(None,)]


def test_times_come_back_utc_aware_whatever_the_server_time_zone(
    postgres: PostgresServer, migrated_db: str
) -> None:
    postgres.sql(migrated_db, f"ALTER DATABASE \"{migrated_db}\" SET timezone TO 'Asia/Shanghai'")
    store = open_store(postgres.url(migrated_db))
    try:
        when = dt.datetime(2026, 3, 1, 23, 59, 59, 123456, tzinfo=dt.UTC)
        with store.session() as session:
            audit.append(session, operator="x", action="t", obj="o", time=when)
        with store.session() as session:
            event = session.query(AuditEvent).one()
        assert event.time == when and event.time.tzinfo is dt.UTC
    finally:
        store.close()


def test_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(TypeError), store.session() as session:
        audit.append(session, operator="x", action="t", obj="o", time=dt.datetime(2026, 1, 1))


def test_operator_rows_carry_utc_times(store: Store) -> None:
    operators.create_first_admin(store, "admin", "Adm1n-pass")
    with store.session() as session:
        assert session.query(Operator).one().created_at.tzinfo is dt.UTC


def test_audit_chain_of_many_events_verifies(store: Store) -> None:
    admin = operators.create_first_admin(store, "admin", "Adm1n-pass")
    for i in range(4):
        operators.add_operator(store, admin, f"clerk{i}", Role.CLERK, "Clerk-pass1")
    with store.session() as session:
        for i in range(200):
            audit.append(session, operator="admin", action="test", obj=f"o{i}")
    with store.session() as session:
        result = audit.verify(session)
    assert result.ok and result.count == 205


def test_events_appended_in_a_failed_transaction_vanish_with_it(store: Store) -> None:
    check_failed_transaction_drops_its_events(store)


def test_a_transaction_that_appended_does_not_hold_the_head_until_it_commits(
    store: Store,
) -> None:
    # Counter A appends an event and goes on working; counter B appends and commits meanwhile.
    # The head is taken at each commit, so B does not wait for A (lock_timeout would fire).
    operators.create_first_admin(store, "admin", "Adm1n-pass")
    with store.session() as a:
        audit.append(a, operator="a", action="test", obj="first-appended")
        a.flush()
        with store.session() as b:
            b.execute(text("SET LOCAL lock_timeout = '2s'"))
            audit.append(b, operator="b", action="test", obj="first-committed")
    with store.session() as session:
        result = audit.verify(session)
        order = session.execute(
            select(AuditEvent.object).where(AuditEvent.action == "test").order_by(AuditEvent.seq)
        ).scalars()
        assert list(order) == ["first-committed", "first-appended"]
    assert result.ok and result.count == 3


def test_two_counters_holding_their_own_chains_do_not_wait_for_each_other(store: Store) -> None:
    # Counter east holds its chain's head (as every transaction does from its commit's first
    # event insert to the end); counter west appends and commits meanwhile under a 2 s
    # lock_timeout, and a second writer of east's chain is the one that waits.
    operators.create_first_admin(store, "admin", "Adm1n-pass")
    with store.session("east") as east:
        audit.append(east, operator="a", action="test", obj="east")
        audit.write_now(east)
        with store.session("west") as west:
            west.execute(text("SET LOCAL lock_timeout = '2s'"))
            audit.append(west, operator="b", action="test", obj="west")
        with pytest.raises(StoreUnavailable), store.session("east") as also_east:
            also_east.execute(text("SET LOCAL lock_timeout = '200ms'"))
            audit.append(also_east, operator="c", action="test", obj="east again")
    with store.session() as session:
        result = audit.verify(session)
        chains = dict(
            session.execute(
                select(AuditEvent.object, AuditEvent.chain).where(AuditEvent.action == "test")
            ).all()
        )
    assert result.ok and result.count == 3
    assert chains == {"east": "east", "west": "west"}


def test_events_of_one_transaction_are_written_in_the_order_appended(store: Store) -> None:
    operators.create_first_admin(store, "admin", "Adm1n-pass")
    with store.session() as session:
        for i in range(5):
            audit.append(session, operator="admin", action="test", obj=f"o{i}")
    with store.session() as session:
        objects = session.execute(
            select(AuditEvent.object).where(AuditEvent.action == "test").order_by(AuditEvent.seq)
        ).scalars()
        assert list(objects) == [f"o{i}" for i in range(5)]
        assert audit.verify(session).ok


def _chain_of_four(store: Store) -> None:
    admin = operators.create_first_admin(store, "admin", "Adm1n-pass")
    for name in ("clerk1", "clerk2", "clerk3"):
        operators.add_operator(store, admin, name, Role.CLERK, "Clerk-pass1")


@pytest.mark.parametrize(
    ("statements", "bad_seq", "words"),
    [
        (['UPDATE audit_events SET details=\'{"role":"admin"}\' WHERE seq=3'], 3, "changed"),
        (["DELETE FROM audit_events WHERE seq=2"], 3, "event 2 is missing"),
        (["DELETE FROM audit_events WHERE seq=4"], 4, "removed"),
        (["UPDATE audit_events SET time = time + interval '1 second' WHERE seq=2"], 2, "changed"),
    ],
    ids=["edited", "deleted", "newest-deleted", "time-shifted"],
)
def test_tampering_in_the_database_is_named_by_verify(
    postgres: PostgresServer,
    migrated_db: str,
    statements: list[str],
    bad_seq: int,
    words: str,
) -> None:
    store = open_store(postgres.url(migrated_db))
    try:
        _chain_of_four(store)
        for sql in statements:
            postgres.sql(migrated_db, sql)
        with store.session() as session:
            result = audit.verify(session)
        assert not result.ok and result.bad_seq == bad_seq and words in result.problem
    finally:
        store.close()


def test_a_server_that_is_not_there_is_store_unavailable(postgres: PostgresServer) -> None:
    url = postgres.url("postgres").replace(f"port={postgres.port}", "port=1")
    with pytest.raises(StoreUnavailable) as info:
        open_store(url)
    assert "\n" not in info.value.message("en")


def test_two_counters_locking_in_opposite_orders_get_a_conflict_not_a_hang(
    postgres: PostgresServer, migrated_db: str
) -> None:
    import threading

    from counter_app.store.db import StoreConflict

    postgres.sql(migrated_db, "INSERT INTO sequences VALUES ('x', '1', 0)")
    stores = [open_store(postgres.url(migrated_db)) for _ in range(2)]
    both_hold_one = threading.Barrier(2)
    outcomes: list[str] = []
    seq_lock = text("SELECT value FROM sequences WHERE name='x' FOR UPDATE")

    def counter(first_head: bool, store: Store) -> None:
        try:
            with store.session() as session:
                if first_head:
                    audit.lock_head(session)
                else:
                    session.execute(seq_lock)
                both_hold_one.wait()
                if first_head:
                    session.execute(seq_lock)
                else:
                    audit.lock_head(session)
            outcomes.append("committed")
        except StoreConflict as exc:
            outcomes.append(exc.message("en"))

    threads = [threading.Thread(target=counter, args=(i == 0, stores[i])) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    for s in stores:
        s.close()
    assert sorted(outcomes) == [StoreConflict().message("en"), "committed"]


def test_counters_updated_together_migrate_the_shared_schema_once(
    postgres: PostgresServer, empty_db: str
) -> None:
    from tests.integration.postgres.workers import run_migrations

    revisions = run_migrations(postgres.url(empty_db), 3)
    assert revisions == [code_head_revision()] * 3
    assert postgres.sql(empty_db, "SELECT count(*) FROM audit_head") == [(1,)]
