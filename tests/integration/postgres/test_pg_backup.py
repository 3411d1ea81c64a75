"""Backup and restore on PostgreSQL (issue 21, item 3): ``pg_dump --format=custom`` of the
configured database, restored with ``pg_restore`` into an empty one; the restored RA verifies
its audit and holds the same certificates."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ADMIN_PASSWORD, CLI, add_officers
from tests.integration.ca.conftest import CA_ENV, issue_via_cli
from tests.integration.postgres.conftest import PostgresServer

SECRET = {"COUNTER_APP_BACKUP_PASSPHRASE": "backup-Passphrase-1"}


def test_postgres_backup_restores_into_an_empty_database_and_verifies(
    cli: CLI, postgres: PostgresServer, empty_db: str, tmp_path: Path
) -> None:
    source = CLI(cli.data_dir, {**cli.env, "COUNTER_APP_DB_URL": postgres.url(empty_db)})
    assert source("init", env={"COUNTER_APP_PASSWORD": ADMIN_PASSWORD}).returncode == 0
    assert (r := source("ca", "init", env=CA_ENV)).returncode == 0, r.stderr
    add_officers(source)
    issue_via_cli(source, tmp_path)
    backup = tmp_path / "backup"
    result = source("--lang", "en", "backup", "--out", str(backup), env=SECRET)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("backed up postgresql database")
    assert (backup / "database.pgdump.age").exists()

    fresh = postgres.create_database()
    restored = CLI(tmp_path / "restored", {**cli.env, "COUNTER_APP_DB_URL": postgres.url(fresh)})
    result = restored("--lang", "en", "restore", str(backup), env=SECRET)
    assert result.returncode == 0, result.stderr
    verified = restored("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    query = "SELECT serial_hex, status FROM ca_certificates ORDER BY 1"
    assert postgres.sql(fresh, query) == postgres.sql(empty_db, query) != []
    postgres.drop_database(fresh)


def test_postgres_downgrade_is_one_step_and_upgrade_returns(
    cli: CLI, postgres: PostgresServer, empty_db: str
) -> None:
    from tests.integration.ops.test_migrations import newest_and_previous

    head, previous = newest_and_previous()
    env = {**cli.env, "COUNTER_APP_DB_URL": postgres.url(empty_db)}
    on_pg = CLI(cli.data_dir, env)
    assert on_pg("init", env={"COUNTER_APP_PASSWORD": ADMIN_PASSWORD}).returncode == 0
    result = on_pg("--lang", "en", "downgrade")
    assert result.returncode == 0, result.stderr
    assert postgres.sql(empty_db, "SELECT version_num FROM alembic_version") == [(previous,)]
    assert on_pg("upgrade").returncode == 0
    assert postgres.sql(empty_db, "SELECT version_num FROM alembic_version") == [(head,)]
    assert on_pg("audit", "verify").returncode == 0
