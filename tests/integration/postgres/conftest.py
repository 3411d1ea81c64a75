"""A real PostgreSQL 15 server for the session, on a private unix socket and port.

The server runs as an unprivileged user when the tests run as root (PostgreSQL refuses to run
as root), from a data directory that user owns outside pytest's root-only temp tree. Each test
gets a fresh database: ``empty_db`` (nothing in it) or ``migrated_db`` (a copy of a database
migrated once per session, made by ``CREATE DATABASE ... TEMPLATE``, which is much faster than
running Alembic per test).
"""

from __future__ import annotations

import itertools
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from counter_app.store.db import open_store
from tests.conftest import ADMIN_PASSWORD, CLI, SoftHSM, add_officers, base_env
from tests.integration.services.conftest import CA_PASSPHRASE, OPERATORS, Counter

PG_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
SERVER_USER = "postgres"
# Test-only speed-ups: durability is not under test here, and a crashed test server is thrown away.
FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "32MB",
}


def _pg_bin() -> Path:
    for candidate in PG_BIN_CANDIDATES:
        if (candidate / "initdb").exists():
            return candidate
    pytest.fail("PostgreSQL server binaries are missing: install the Debian package postgresql")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    """A throw-away PostgreSQL cluster; ``stop()``/``start()`` let fault tests take it away."""

    bindir: Path
    datadir: Path
    sockdir: Path
    port: int
    logfile: Path
    superuser: str = SERVER_USER
    _names = itertools.count(1)

    def _as_owner(self, *cmd: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", SERVER_USER, "--", *cmd]
        return list(cmd)

    def pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = self._as_owner(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), *args)
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=60)

    def start(self) -> None:
        self.pg_ctl("-w", "-l", str(self.logfile), "start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-w", "-m", mode, "stop")

    def is_running(self) -> bool:
        return self.pg_ctl("status", check=False).returncode == 0

    def url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{self.superuser}@/{database}?host={self.sockdir}&port={self.port}"

    def tcp_url(self, role: str, database: str) -> str:
        """A URL as a counter in the field has it: TCP, a role, the password kept elsewhere."""
        return f"postgresql+psycopg://{role}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(
            host=str(self.sockdir),
            port=self.port,
            user=self.superuser,
            dbname="postgres",
            autocommit=True,
        )

    def create_database(self, template: str | None = None) -> str:
        name = f"t{os.getpid()}_{next(self._names)}"
        with self.admin() as conn:
            sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
            conn.execute(sql)
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def sql(self, database: str, statement: str) -> list[tuple[object, ...]]:
        with psycopg.connect(
            host=str(self.sockdir),
            port=self.port,
            user=self.superuser,
            dbname=database,
            autocommit=True,
        ) as conn:
            cur = conn.execute(statement)
            return cur.fetchall() if cur.description else []


def _make_server() -> PostgresServer:
    bindir = _pg_bin()
    # pytest's temp tree is private to root; the server user needs a directory of its own.
    root = Path(tempfile.mkdtemp(prefix="counter-pg-"))
    root.chmod(0o755)
    datadir, sockdir = root / "data", root / "sock"
    sockdir.mkdir()
    if os.geteuid() == 0:
        owner = pwd.getpwnam(SERVER_USER)
        os.chown(root, owner.pw_uid, owner.pw_gid)
        os.chown(sockdir, owner.pw_uid, owner.pw_gid)
        superuser = SERVER_USER
    else:
        superuser = pwd.getpwuid(os.geteuid()).pw_name
    server = PostgresServer(bindir, datadir, sockdir, _free_port(), root / "server.log", superuser)
    init = server._as_owner(
        str(bindir / "initdb"),
        "-D",
        str(datadir),
        "-U",
        superuser,
        # The socket is private to this run; TCP on 127.0.0.1 asks for a password like a
        # deployed server does.
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "-E",
        "UTF8",
        "--locale",
        "C.UTF-8",
        "--no-sync",
    )
    subprocess.run(init, check=True, capture_output=True, timeout=120)
    settings = {
        **FAST_SETTINGS,
        "port": str(server.port),
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": f"'{sockdir}'",
    }
    with (datadir / "postgresql.auto.conf").open("a") as conf:
        conf.writelines(f"{k} = {v}\n" for k, v in settings.items())
    server.start()
    return server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = _make_server()
    try:
        yield server
    finally:
        if server.is_running():
            server.stop("immediate")
        shutil.rmtree(server.datadir.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def migrated_template(postgres: PostgresServer) -> str:
    """A database migrated to head once per session, used as the template of each test's."""
    name = postgres.create_database()
    store = open_store(postgres.url(name), create=True)
    store.close()
    return name


@pytest.fixture
def empty_db(postgres: PostgresServer) -> Iterator[str]:
    name = postgres.create_database()
    yield name
    if postgres.is_running():
        postgres.drop_database(name)


@pytest.fixture
def migrated_db(postgres: PostgresServer, migrated_template: str) -> Iterator[str]:
    name = postgres.create_database(template=migrated_template)
    yield name
    if postgres.is_running():
        postgres.drop_database(name)


@pytest.fixture
def pg_url(postgres: PostgresServer, migrated_db: str) -> str:
    return postgres.url(migrated_db)


# --- A counter ready for business whose database is on the server -----------------------------


class PgCounter(Counter):
    """The services' :class:`Counter` with its database on the server; ``db()`` reads it there."""

    def __init__(
        self, cli: CLI, softhsm: SoftHSM, tmp: Path, postgres: PostgresServer, database: str
    ) -> None:
        super().__init__(cli, softhsm, tmp)
        self.postgres, self.database = postgres, database

    @property
    def url(self) -> str:
        return self.postgres.url(self.database)

    def db(self, sql: str) -> list[tuple[object, ...]]:
        return self.postgres.sql(self.database, sql)

    def enrolled_with(self, data: dict[str, Any], label: str) -> dict[str, Any]:
        self.token(label)
        result = self.enroll(data, label)
        assert result.returncode == 0, result.stderr
        return dict(json.loads(result.stdout))


@pytest.fixture(scope="session")
def pg_counter_template(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    """Data dir (CA files) + database (operators, CA records) made once through the real CLI."""
    root = tmp_path_factory.mktemp("pg-template")
    database = postgres.create_database()
    cli = CLI(root / "data", {**base_env(root), "COUNTER_APP_DB_URL": postgres.url(database)})
    assert cli("init", env={"COUNTER_APP_PASSWORD": ADMIN_PASSWORD}).returncode == 0
    add_officers(cli, OPERATORS)
    made = cli("ca", "init", env={"COUNTER_APP_CA_PASSPHRASE": CA_PASSPHRASE})
    assert made.returncode == 0, made.stderr
    assert not (root / "data" / "counter.db").exists()
    return root / "data", database


@pytest.fixture
def pg_counter(
    tmp_path: Path,
    postgres: PostgresServer,
    pg_counter_template: tuple[Path, str],
    softhsm: SoftHSM,
) -> Iterator[PgCounter]:
    """A counter on a copy of the template data dir and a copy of the template database."""
    template_dir, template_db = pg_counter_template
    database = postgres.create_database(template=template_db)
    shutil.copytree(template_dir, tmp_path / "data")
    env = {
        **base_env(tmp_path),
        "SOFTHSM2_CONF": str(softhsm.conf),
        "COUNTER_APP_DB_URL": postgres.url(database),
    }
    yield PgCounter(CLI(tmp_path / "data", env), softhsm, tmp_path, postgres, database)
    if not postgres.is_running():
        postgres.start()
    postgres.drop_database(database)
