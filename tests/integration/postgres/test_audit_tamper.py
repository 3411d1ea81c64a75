"""The tamper matrix (issue 15, item 1): on SQLite and on PostgreSQL, someone who can write the
database but does not hold the audit key edits, inserts, deletes, reorders, truncates, rewrites or
empties the chain, or edits the rows it describes; the real ``audit verify`` names each attack
and exits 1. The untouched store verifies.

The store is a real counter's: operators added, an individual enrolled on SoftHSM (application,
agreement record, payment, certificate), the certificate revoked, and a refund recorded the way
the services record one. It is made once per backend and copied for each attack.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import Table, delete, insert, select, text, update
from sqlalchemy.engine import Connection

from counter_app.config import default_pkcs11_module
from counter_app.store import audit
from counter_app.store.counter import RefundRow
from counter_app.store.db import make_engine, open_store
from counter_app.store.models import AuditEvent, AuditHead, Operator
from tests.conftest import CLI, CLIResult, SoftHSM, base_env
from tests.integration.postgres.conftest import PostgresServer
from tests.integration.services.conftest import (
    Counter,
    example,
    template_data_dir,  # noqa: F401  (the services' session fixture, used by name below)
)

EVENTS = cast(Table, AuditEvent.__table__)
HEAD = cast(Table, AuditHead.__table__)
# The counter's chain (it is named "main"); the signing module's events are in a chain of its own.
MAIN = audit.LEGACY_CHAIN
IN_MAIN = EVENTS.c.chain == MAIN


@dataclass
class Business:
    """A copy of the prepared store: where it lives and what was done in it."""

    cli: CLI
    url: str
    facts: dict[str, Any]

    def verify(self) -> CLIResult:
        return self.cli("--lang", "en", "audit", "verify")

    def sql(self, *statements: str) -> None:
        engine = make_engine(self.url, create=False)
        try:
            with engine.begin() as conn:
                for statement in statements:
                    conn.execute(text(statement))
        finally:
            engine.dispose()

    def rewrite(self, change: Callable[[Connection], None]) -> None:
        engine = make_engine(self.url, create=False)
        try:
            with engine.begin() as conn:
                change(conn)
        finally:
            engine.dispose()


def _softhsm(root: Path) -> SoftHSM:
    tokendir = root / "tokens"
    tokendir.mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokendir}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    return SoftHSM(default_pkcs11_module(), conf, tokendir)


def _do_business(counter: Counter, url: str) -> dict[str, Any]:
    facts = counter.enrolled("individual", "SUB1")
    identity = example("individual")["subscriber"]["id_number"]
    revoked = counter.run(
        "cert", "revoke", facts["serial"], "--reason", "key-compromise", "--identity", identity
    )
    assert revoked.returncode == 0, revoked.stderr
    # A refund as the service pipeline records one: a row of its own and an event, one commit.
    store = open_store(url)
    try:
        with store.session() as session:
            session.add(
                RefundRow(
                    refund_number="T0000000000001",
                    receipt_number=facts["receipt_number"],
                    application_id=facts["application_id"],
                    amount_fen=5000,
                    method="cash",
                    reason="test refund",
                    clerk="clerk1",
                    time=dt.datetime.now(dt.UTC),
                )
            )
            audit.append(
                session, operator="clerk1", action="payment.refund", obj="refund:T0000000000001"
            )
    finally:
        store.close()
    checkpoint = counter.run("audit", "checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stderr
    return facts


@pytest.fixture(scope="module")
def sqlite_golden(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    template: Path = request.getfixturevalue("template_data_dir")
    root = tmp_path_factory.mktemp("tamper-sqlite")
    shutil.copytree(template, root / "data")
    softhsm = _softhsm(root)
    cli = CLI(root / "data", {**base_env(root), "SOFTHSM2_CONF": str(softhsm.conf)})
    url = f"sqlite:///{root / 'data' / 'counter.db'}"
    return root / "data", _do_business(Counter(cli, softhsm, root), url)


@pytest.fixture(scope="module")
def pg_golden(
    postgres: PostgresServer,
    pg_counter_template: tuple[Path, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    template_dir, template_db = pg_counter_template
    root = tmp_path_factory.mktemp("tamper-pg")
    database = postgres.create_database(template=template_db)
    shutil.copytree(template_dir, root / "data")
    softhsm = _softhsm(root)
    env = {
        **base_env(root),
        "SOFTHSM2_CONF": str(softhsm.conf),
        "COUNTER_APP_DB_URL": postgres.url(database),
    }
    facts = _do_business(Counter(CLI(root / "data", env), softhsm, root), postgres.url(database))
    yield root / "data", database, facts
    postgres.drop_database(database)


@pytest.fixture(params=["sqlite", "postgresql"])
def business(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Business]:
    if request.param == "sqlite":
        golden, facts = request.getfixturevalue("sqlite_golden")
        shutil.copytree(golden, tmp_path / "data")
        cli = CLI(tmp_path / "data", base_env(tmp_path))
        yield Business(cli, f"sqlite:///{tmp_path / 'data' / 'counter.db'}", facts)
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    golden_dir, golden_db, facts = request.getfixturevalue("pg_golden")
    database = postgres.create_database(template=golden_db)
    shutil.copytree(golden_dir, tmp_path / "data")
    url = postgres.url(database)
    cli = CLI(tmp_path / "data", {**base_env(tmp_path), "COUNTER_APP_DB_URL": url})
    yield Business(cli, url, facts)
    postgres.drop_database(database)


def _refused(business: Business) -> str:
    result = business.verify()
    assert result.returncode == 1, (result.stdout, result.stderr)
    return result.stderr


def _last_seq(conn: Connection, chain: str = MAIN) -> int:
    return int(conn.execute(select(HEAD.c.seq).where(HEAD.c.chain == chain)).scalar_one())


def _rechain(conn: Connection, rows: list[Any], chain: str = MAIN) -> None:
    """Write ``rows`` as the whole of ``chain`` with correct hashes and head: no key is
    needed."""
    conn.execute(delete(EVENTS).where(EVENTS.c.chain == chain))
    prev = audit.GENESIS_HASH
    for seq, row in enumerate(rows, start=1):
        content = audit.canonical_content(
            seq, row["time"], row["operator"], row["action"], row["object"], row["details"], chain
        )
        digest = audit.chain_hash(prev, content)
        conn.execute(
            insert(EVENTS).values(
                {**row, "chain": chain, "seq": seq, "prev_hash": prev, "hash": digest}
            )
        )
        prev = digest
    conn.execute(update(HEAD).where(HEAD.c.chain == chain).values(seq=len(rows), hash=prev))


def _events(conn: Connection, chain: str = MAIN) -> list[dict[str, Any]]:
    query = select(EVENTS).where(EVENTS.c.chain == chain).order_by(EVENTS.c.seq)
    return [dict(r) for r in conn.execute(query).mappings()]


# --- the untouched store ------------------------------------------------------------------


def test_the_untouched_store_verifies(business: Business) -> None:
    result = business.verify()
    assert result.returncode == 0, result.stderr
    assert "audit chain intact" in result.stdout


# --- the chain ----------------------------------------------------------------------------


def test_an_edited_event_is_named(business: Business) -> None:
    business.sql("UPDATE audit_events SET operator = 'mallory' WHERE seq = 3")
    err = _refused(business)
    assert "event 3" in err and "changed after it was written" in err


def test_an_inserted_event_is_named(business: Business) -> None:
    def insert_second(conn: Connection) -> None:
        first = conn.execute(select(EVENTS).where(IN_MAIN, EVENTS.c.seq == 1)).mappings().one()
        conn.execute(update(EVENTS).where(IN_MAIN, EVENTS.c.seq >= 2).values(seq=-EVENTS.c.seq))
        conn.execute(update(EVENTS).where(IN_MAIN, EVENTS.c.seq < 0).values(seq=1 - EVENTS.c.seq))
        content = audit.canonical_content(
            2, first["time"], "admin", "operator.add", "operator:evil", "{}"
        )
        conn.execute(
            insert(EVENTS).values(
                chain=MAIN,
                seq=2,
                time=first["time"],
                operator="admin",
                action="operator.add",
                object="operator:evil",
                details="{}",
                prev_hash=first["hash"],
                hash=audit.chain_hash(first["hash"], content),
            )
        )

    business.rewrite(insert_second)
    # The forged event links and hashes well; it is not what the witness file signed there.
    err = _refused(business)
    assert "event 2" in err and "differs from the checkpoint the witness file holds" in err


@pytest.mark.parametrize(
    ("statements", "named"),
    [
        pytest.param(
            ("DELETE FROM audit_events WHERE seq = 2",),
            ("event 2 is missing",),
            id="a-deleted-event",
        ),
        pytest.param(
            (
                "UPDATE audit_events SET seq = -2 WHERE seq = 2",
                "UPDATE audit_events SET seq = 2 WHERE seq = 3",
                "UPDATE audit_events SET seq = 3 WHERE seq = -2",
            ),
            ("event 2", "does not link"),
            id="reordered-events",
        ),
        pytest.param(
            (
                "DELETE FROM audit_events",
                f"UPDATE audit_head SET seq = 0, hash = '{audit.GENESIS_HASH}'",
            ),
            ("ends at event 0", "truncated"),
            id="an-emptied-chain",
        ),
        pytest.param(
            ("UPDATE operators SET role = 'admin' WHERE name = 'clerk1'",),
            ("operators row", "was changed"),
            id="an-operator-made-admin",
        ),
        pytest.param(
            ("UPDATE agreement_records SET reviewer = 'clerk1'",),
            ("agreement_records row",),
            id="an-agreement-record-edited",
        ),
        pytest.param(
            ("UPDATE refunds SET amount_fen = 1",),
            ("refunds row",),
            id="a-refund-edited",
        ),
        pytest.param(
            ("DELETE FROM refunds",),
            ("refunds row", "was deleted"),
            id="a-deleted-refund",
        ),
    ],
)
def test_tampering_by_sql_is_named(
    business: Business, statements: tuple[str, ...], named: tuple[str, ...]
) -> None:
    business.sql(*statements)
    err = _refused(business)
    for words in named:
        assert words in err


def test_a_truncated_tail_with_its_head_moved_back_is_named(business: Business) -> None:
    def cut(conn: Connection) -> None:
        keep = _last_seq(conn) - 3
        last = conn.execute(select(EVENTS.c.hash).where(IN_MAIN, EVENTS.c.seq == keep)).scalar_one()
        conn.execute(delete(EVENTS).where(IN_MAIN, EVENTS.c.seq > keep))
        conn.execute(update(HEAD).where(HEAD.c.chain == MAIN).values(seq=keep, hash=last))

    business.rewrite(cut)
    assert "truncated" in _refused(business)


def test_a_chain_rewritten_with_fresh_hashes_fails_its_signed_checkpoints(
    business: Business,
) -> None:
    def rewrite(conn: Connection) -> None:
        rows = _events(conn)
        rows[2]["operator"] = "mallory"  # event 3, then every hash after it recomputed
        _rechain(conn, rows)

    business.rewrite(rewrite)
    err = _refused(business)
    assert "no longer matches the chain" in err


def test_a_chain_rewritten_without_its_checkpoints_fails_the_witness_file(
    business: Business,
) -> None:
    def rewrite(conn: Connection) -> None:
        rows = [r for r in _events(conn) if r["action"] != "audit.checkpoint"]
        rows[2]["operator"] = "mallory"
        _rechain(conn, rows)

    business.rewrite(rewrite)
    assert "differs from the checkpoint the witness file holds" in _refused(business)


# --- the state the chain describes --------------------------------------------------------


def test_a_payment_edited_to_one_yuan_is_named(business: Business) -> None:
    receipt = business.facts["receipt_number"]
    business.sql(f"UPDATE payments SET fee_fen = 100 WHERE receipt_number = '{receipt}'")
    err = _refused(business)
    assert "payments row" in err and "changed after its audit record" in err


def test_a_revoked_certificate_set_back_to_good_is_named(business: Business) -> None:
    serial = business.facts["serial"]
    business.sql(
        "UPDATE ca_certificates SET status = 'good', revoked_at = NULL, revoked_epoch = NULL, "
        f"reason = NULL WHERE serial_hex = '{serial}'"
    )
    err = _refused(business)
    assert f"ca_certificates row {serial} was changed" in err


def test_an_application_status_edited_is_named(business: Business) -> None:
    application = business.facts["application_id"]
    business.sql(f"UPDATE applications SET status = 'refused' WHERE id = '{application}'")
    assert f"applications row {application} was changed" in _refused(business)


def test_an_operator_inserted_behind_the_application_is_named(business: Business) -> None:
    business.sql(
        "INSERT INTO operators (id, name, role, password_hash, active, created_at, "
        "password_changed_at) SELECT 99, 'mallory', 'admin', password_hash, active, created_at, "
        "password_changed_at FROM operators WHERE name = 'admin'"
    )
    err = _refused(business)
    assert "operators row 99 has no audit record" in err


def test_a_certificate_record_inserted_as_good_is_named(business: Business) -> None:
    serial = business.facts["serial"]
    business.sql(
        "INSERT INTO ca_certificates (serial_hex, subject, profile, application_id, status, "
        "not_before, not_after, tbs_der, der, created_at) SELECT 'ABCDEF', subject, profile, "
        "application_id, 'good', not_before, not_after, tbs_der, der, created_at "
        f"FROM ca_certificates WHERE serial_hex = '{serial}'"
    )
    assert "ca_certificates row ABCDEF has no audit record" in _refused(business)


# --- several counters' chains ---------------------------------------------------------------

EAST = "east"


def _alternate(business: Business, chains: tuple[str, ...]) -> None:
    """Counters ``chains`` change clerk1's operator row in turn, each in its own chain."""
    store = open_store(business.url)
    try:
        for n, chain in enumerate(chains, start=1):
            with store.session(chain) as session:
                row = session.execute(
                    select(Operator).where(Operator.name == "clerk1")
                ).scalar_one()
                row.failed_signins = n
    finally:
        store.close()


@pytest.fixture
def two_counters(business: Business) -> Business:
    """The store after counter ``east`` joined ``main``: both changed one row alternately,
    then a checkpoint signed every chain's head."""
    _alternate(business, (MAIN, EAST, MAIN, EAST))
    checkpoint = business.cli("audit", "checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stderr
    return business


def test_two_counters_changing_one_row_alternately_verify(two_counters: Business) -> None:
    result = two_counters.verify()
    assert result.returncode == 0, result.stderr
    assert "3 chains" in result.stdout


def test_a_row_two_counters_changed_then_edited_names_the_newest_record(
    two_counters: Business,
) -> None:
    two_counters.sql("UPDATE operators SET failed_signins = 2 WHERE name = 'clerk1'")
    err = _refused(two_counters)
    assert "operators row" in err and "changed after its audit record" in err
    assert f"of chain '{EAST}'" in err


def test_one_counters_truncated_chain_is_named(two_counters: Business) -> None:
    def cut(conn: Connection) -> None:
        keep = _last_seq(conn, EAST) - 1
        in_east = EVENTS.c.chain == EAST
        last = conn.execute(select(EVENTS.c.hash).where(in_east, EVENTS.c.seq == keep)).scalar()
        conn.execute(delete(EVENTS).where(in_east, EVENTS.c.seq > keep))
        conn.execute(update(HEAD).where(HEAD.c.chain == EAST).values(seq=keep, hash=last))

    two_counters.rewrite(cut)
    err = _refused(two_counters)
    assert f"chain '{EAST}'" in err and "truncated" in err


def test_one_counters_emptied_chain_is_named(two_counters: Business) -> None:
    two_counters.sql(
        f"DELETE FROM audit_events WHERE chain = '{EAST}'",
        f"DELETE FROM audit_head WHERE chain = '{EAST}'",
    )
    err = _refused(two_counters)
    assert f"chain '{EAST}'" in err and "ends at event 0" in err and "truncated" in err


def test_an_event_moved_to_another_chain_is_named(two_counters: Business) -> None:
    # East appends after the checkpoint; the event is moved to the end of main (linked there,
    # both heads set to match): its hash names the chain it was written in.
    _alternate(two_counters, (EAST,))

    def move(conn: Connection) -> None:
        in_east = EVENTS.c.chain == EAST
        seq = _last_seq(conn, EAST)
        moved = conn.execute(select(EVENTS).where(in_east, EVENTS.c.seq == seq)).mappings().one()
        head = conn.execute(select(HEAD).where(HEAD.c.chain == MAIN)).mappings().one()
        conn.execute(
            update(EVENTS)
            .where(in_east, EVENTS.c.seq == seq)
            .values(chain=MAIN, seq=head["seq"] + 1, prev_hash=head["hash"])
        )
        conn.execute(
            update(HEAD).where(HEAD.c.chain == MAIN).values(seq=head["seq"] + 1, hash=moved["hash"])
        )
        conn.execute(
            update(HEAD).where(HEAD.c.chain == EAST).values(seq=seq - 1, hash=moved["prev_hash"])
        )

    two_counters.rewrite(move)
    err = _refused(two_counters)
    assert f"of chain '{MAIN}'" in err and "changed after it was written" in err


def test_a_chain_dropped_from_a_checkpoint_fails_its_signature(two_counters: Business) -> None:
    def drop(conn: Connection) -> None:
        rows = _events(conn)
        signed = json.loads(rows[-1]["details"])
        assert rows[-1]["action"] == "audit.checkpoint" and EAST in signed["heads"]
        del signed["heads"][EAST]
        rows[-1]["details"] = audit.encode_details(signed)
        _rechain(conn, rows)

    two_counters.rewrite(drop)
    err = _refused(two_counters)
    assert "is a checkpoint that carries a signature that does not verify" in err
