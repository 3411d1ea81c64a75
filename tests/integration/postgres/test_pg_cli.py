"""The real console script with its database on PostgreSQL (``--db-url`` and COUNTER_APP_DB_URL)."""

from __future__ import annotations

from tests.conftest import ADMIN_PASSWORD, CLI
from tests.integration.postgres.conftest import PostgresServer

ADMIN = {"COUNTER_APP_OPERATOR": "admin", "COUNTER_APP_PASSWORD": ADMIN_PASSWORD}


def _init(cli: CLI, url: str) -> None:
    result = cli("--db-url", url, "init", env={"COUNTER_APP_PASSWORD": ADMIN_PASSWORD})
    assert result.returncode == 0, result.stderr


def test_init_with_db_url_makes_the_schema_on_the_server_and_no_sqlite_file(
    cli: CLI, postgres: PostgresServer, empty_db: str
) -> None:
    _init(cli, postgres.url(empty_db))
    assert not (cli.data_dir / "counter.db").exists()
    assert postgres.sql(empty_db, "SELECT operator, action FROM audit_events") == [
        ("admin", "store.init")
    ]


def test_operator_added_through_the_environment_url_is_listed_and_audited(
    cli: CLI, postgres: PostgresServer, empty_db: str
) -> None:
    url = postgres.url(empty_db)
    _init(cli, url)
    env = {**ADMIN, "COUNTER_APP_DB_URL": url}
    added = cli(
        "operator",
        "add",
        "clerk1",
        "--role",
        "clerk",
        env={**env, "COUNTER_APP_NEW_PASSWORD": "Clerk-pass1"},
    )
    assert added.returncode == 0, added.stderr
    assert cli("operator", "list", env=env).stdout.split() == [
        "admin",
        "admin",
        "active",
        "clerk1",
        "clerk",
        "active",
    ]
    verified = cli("audit", "verify", env=env)
    assert verified.returncode == 0 and "2 events" in verified.stdout


def test_init_twice_on_one_server_is_refused(
    cli: CLI, postgres: PostgresServer, empty_db: str
) -> None:
    url = postgres.url(empty_db)
    _init(cli, url)
    again = cli("--db-url", url, "init", env={"COUNTER_APP_PASSWORD": "Other-pass1"})
    assert again.returncode == 2 and again.stderr.count("\n") == 1
    assert postgres.sql(empty_db, "SELECT count(*) FROM operators") == [(1,)]


def test_audit_verify_names_an_event_edited_on_the_server(
    cli: CLI, postgres: PostgresServer, empty_db: str
) -> None:
    url = postgres.url(empty_db)
    _init(cli, url)
    postgres.sql(empty_db, "UPDATE audit_events SET operator='mallory' WHERE seq=1")
    result = cli("--lang", "en", "--db-url", url, "audit", "verify")
    assert result.returncode != 0
    assert "event 1" in result.stderr and "changed" in result.stderr


def test_a_database_that_was_never_initialised_says_run_init(
    cli: CLI, postgres: PostgresServer, empty_db: str
) -> None:
    result = cli("--lang", "en", "--db-url", postgres.url(empty_db), "audit", "verify")
    assert result.returncode == 2 and "counter-app init" in result.stderr
    assert postgres.sql(empty_db, "SELECT to_regclass('alembic_version')") == [(None,)]


def test_unreachable_server_is_one_line_without_the_password(
    cli: CLI, postgres: PostgresServer
) -> None:
    url = f"postgresql+psycopg://counter:S3cret-pw@/counter?host={postgres.sockdir}&port=1"
    result = cli("--lang", "en", "--db-url", url, "audit", "verify")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "database unavailable" in result.stderr and "S3cret-pw" not in result.stderr
