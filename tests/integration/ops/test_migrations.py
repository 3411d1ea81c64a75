"""Upgrades (issue 21, item 5): the newest migration is undone one step by ``counter-app
downgrade`` (on SQLite here, on PostgreSQL in tests/integration/postgres/test_pg_backup.py),
and ``counter-app upgrade`` (or any command of this release) migrates forward again."""

from __future__ import annotations

import sqlite3

from alembic.script import ScriptDirectory

from counter_app.store.db import MIGRATIONS_DIR
from tests.conftest import CLI


def newest_and_previous() -> tuple[str, str]:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_revision("head")
    assert head is not None and isinstance(head.down_revision, str)
    return head.revision, head.down_revision


def _revision(cli: CLI) -> str:
    with sqlite3.connect(cli.data_dir / "counter.db") as conn:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def test_downgrade_undoes_the_newest_migration_and_upgrade_redoes_it(
    initialised_cli: CLI,
) -> None:
    head, previous = newest_and_previous()
    result = initialised_cli("--lang", "en", "downgrade")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"schema downgraded from {head} to {previous}"
    assert _revision(initialised_cli) == previous
    # The doctor of this release names the gap (and migrates nothing itself).
    doctor = initialised_cli("--lang", "en", "doctor")
    assert f"schema at {previous}, this counter-app expects {head}" in doctor.stdout
    assert _revision(initialised_cli) == previous
    result = initialised_cli("--lang", "en", "upgrade")
    assert result.returncode == 0, result.stderr
    assert _revision(initialised_cli) == head
    verified = initialised_cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
