"""The store on a real SQLite file: schema by Alembic, UTC times, the audit chain."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from counter_app.domain.errors import AuthenticationFailed, StoreNotInitialised
from counter_app.domain.operators import Role
from counter_app.services import operators
from counter_app.store import audit
from counter_app.store.db import Store, open_store
from counter_app.store.models import AuditEvent, Base, Operator


@pytest.fixture
def store(tmp_path: Path):
    s = open_store(f"sqlite:///{tmp_path / 'counter.db'}", create=True)
    yield s
    s.close()


def test_migrations_create_exactly_the_models_schema(store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode(store, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "counter.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_opening_a_missing_database_refuses_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(StoreNotInitialised):
        open_store(f"sqlite:///{tmp_path / 'nothing' / 'counter.db'}")
    assert not (tmp_path / "nothing").exists()


def test_times_come_back_utc_aware(store) -> None:
    operators.create_first_admin(store, "admin", "Adm1n-pass")
    with store.session() as session:
        row = session.query(Operator).one()
        assert row.created_at.tzinfo is dt.UTC
        event = session.query(AuditEvent).one()
        assert event.time.tzinfo is dt.UTC


def test_naive_datetime_is_refused(store) -> None:
    with pytest.raises(TypeError), store.session() as session:
        audit.append(session, operator="x", action="t", obj="o", time=dt.datetime(2026, 1, 1))


def test_password_is_stored_as_argon2_hash_only(store, tmp_path: Path) -> None:
    operators.create_first_admin(store, "admin", "Adm1n-pass")
    raw = (tmp_path / "counter.db").read_bytes()
    assert b"Adm1n-pass" not in raw
    with store.session() as session:
        assert session.query(Operator).one().password_hash.startswith("$argon2id$")


def test_failed_sign_in_is_audited_without_the_password(store) -> None:
    operators.create_first_admin(store, "admin", "Adm1n-pass")
    with pytest.raises(AuthenticationFailed):
        operators.authenticate(store, "admin", "guess-1234")
    with store.session() as session:
        last = session.query(AuditEvent).order_by(AuditEvent.seq.desc()).first()
        assert last is not None and last.action == "operator.login_failed"
        assert "guess-1234" not in last.details


def test_audit_chain_of_many_events_verifies(store) -> None:
    admin = operators.create_first_admin(store, "admin", "Adm1n-pass")
    for i in range(20):
        operators.add_operator(store, admin, f"clerk{i}", Role.CLERK, "Clerk-pass1")
    with store.session() as session:
        result = audit.verify(session)
    assert result.ok and result.count == 21


def check_failed_transaction_drops_its_events(store: Store) -> None:
    """An event appended in a transaction that fails vanishes with it (SQLite and PostgreSQL:
    tests/integration/postgres/test_pg_store.py runs the same check)."""
    operators.create_first_admin(store, "admin", "Adm1n-pass")
    with pytest.raises(RuntimeError), store.session() as session:
        audit.append(session, operator="admin", action="test", obj="x")
        raise RuntimeError("boom")
    with store.session() as session:
        assert audit.verify(session).count == 1


def test_events_appended_in_a_failed_transaction_vanish_with_it(store) -> None:
    check_failed_transaction_drops_its_events(store)


def test_head_read_from_files_matches_alembic(store) -> None:
    from alembic.script import ScriptDirectory

    from counter_app.store.db import _alembic_config, code_head_revision

    assert (
        code_head_revision()
        == ScriptDirectory.from_config(_alembic_config(store.engine)).get_current_head()
    )
    assert store.current_revision() == code_head_revision()
