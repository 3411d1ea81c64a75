"""The real console script with its database on PostgreSQL (``--db-url`` and COUNTER_APP_DB_URL)."""

from __future__ import annotations

from tests.conftest import ADMIN_PASSWORD, CLI, add_officers
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
    # init's event, then the signed checkpoint every writing command ends with
    assert postgres.sql(empty_db, "SELECT operator, action FROM audit_events ORDER BY seq") == [
        ("admin", "store.init"),
        ("system", "audit.checkpoint"),
    ]


def test_operator_added_through_the_environment_url_is_listed_and_audited(
    cli: CLI, postgres: PostgresServer, empty_db: str
) -> None:
    url = postgres.url(empty_db)
    _init(cli, url)
    env = {**ADMIN, "COUNTER_APP_DB_URL": url}
    add_officers(cli, {"clerk1": ("clerk", "Clerk-pass1")}, {"COUNTER_APP_DB_URL": url})
    assert cli("operator", "list", env=env).stdout.split() == [
        "admin",
        "admin",
        "active",
        "clerk1",
        "clerk",
        "active",
    ]
    verified = cli("audit", "verify", env=env)
    # init and operator add, each followed by its checkpoint
    assert verified.returncode == 0 and "4 events" in verified.stdout


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


ROLE_PASSWORD = "Role-pw-9x"


def _role_and_database(postgres: PostgresServer, empty_db: str) -> str:
    """A login role that owns the test's database, as docs/deployment.md sets one up."""
    postgres.sql("postgres", f"CREATE ROLE counter_app LOGIN PASSWORD '{ROLE_PASSWORD}'")
    postgres.sql("postgres", f'ALTER DATABASE "{empty_db}" OWNER TO counter_app')
    postgres.sql(empty_db, "ALTER SCHEMA public OWNER TO counter_app")
    return postgres.tcp_url("counter_app", empty_db)


def test_counter_role_with_its_password_in_pgpass_initialises_over_tcp(
    cli: CLI, postgres: PostgresServer, empty_db: str
) -> None:
    url = _role_and_database(postgres, empty_db)
    try:
        pgpass = cli.data_dir.parent / "home" / ".pgpass"
        pgpass.parent.mkdir(parents=True, exist_ok=True)
        pgpass.write_text(f"127.0.0.1:{postgres.port}:{empty_db}:counter_app:{ROLE_PASSWORD}\n")
        pgpass.chmod(0o600)
        _init(cli, url)
        assert postgres.sql(
            empty_db, "SELECT tableowner FROM pg_tables WHERE tablename='operators'"
        ) == [("counter_app",)]
    finally:
        postgres.drop_database(empty_db)
        postgres.sql("postgres", "DROP ROLE counter_app")


def test_missing_database_password_is_one_line(
    cli: CLI, postgres: PostgresServer, empty_db: str
) -> None:
    url = _role_and_database(postgres, empty_db)
    try:
        result = cli(
            "--lang", "en", "--db-url", url, "init", env={"COUNTER_APP_PASSWORD": ADMIN_PASSWORD}
        )
        assert result.returncode == 2 and result.stderr.count("\n") == 1
        assert "database unavailable" in result.stderr and "password" in result.stderr
    finally:
        postgres.drop_database(empty_db)
        postgres.sql("postgres", "DROP ROLE counter_app")
