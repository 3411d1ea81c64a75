"""Migration 0009 (several audit chains) on a store of before: its events become the chain
``main`` and still verify, with the checkpoints and witness lines signed then; one step down is
possible while no other chain holds an event."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, create_engine, select, text

from counter_app.store import audit, state
from counter_app.store.anchor import (
    CHECKPOINT_ACTION,
    Anchor,
    Checkpoint,
    WitnessEntry,
    key_id,
    statement,
)
from counter_app.store.db import _alembic_config, open_store
from counter_app.store.models import Operator

WHEN = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
OPERATOR = {
    "id": 1,
    "name": "admin",
    "role": "admin",
    "password_hash": "x",
    "active": True,
    "created_at": WHEN,
    "password_changed_at": WHEN,
    "failed_signins": 0,
    "locked_until": None,
}


def _old_event(conn: object, seq: int, prev: str, action: str, details: dict[str, object]) -> str:
    """An event as the code before 0009 wrote it (its hash names no chain)."""
    text_ = audit.encode_details(details)
    digest = audit.chain_hash(prev, audit.canonical_content(seq, WHEN, "admin", action, "x", text_))
    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO audit_events (seq, time, operator, action, object, details, prev_hash,"
            " hash) VALUES (:seq, '2026-11-30 08:00:00.000000', 'admin', :action, 'x',"
            " :details, :prev, :hash)"
        ),
        {"seq": seq, "action": action, "details": text_, "prev": prev, "hash": digest},
    )
    conn.execute(  # type: ignore[attr-defined]
        text("UPDATE audit_head SET seq = :seq, hash = :hash"), {"seq": seq, "hash": digest}
    )
    return digest


def _store_of_0008(tmp_path: Path) -> tuple[str, Anchor]:
    """An operator recorded by event 1 (a digest without a version), then a checkpoint of
    event 1 signed the way 0008's code signed it (one head), in the chain and the witness."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine: Engine = create_engine(url)
    command.upgrade(_alembic_config(engine), "0008")
    key = Ed25519PrivateKey.generate()
    anchor = Anchor(tmp_path)
    anchor.public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    columns = state.columns_of(state.table("operators"))
    rows = {"1": state.row_digest(columns, OPERATOR)}  # no version: 0008's format
    digests = {"operators": {"columns": ",".join(columns), "rows": rows}}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO operators (id, name, role, password_hash, active, created_at,"
                " password_changed_at, failed_signins) VALUES (1, 'admin', 'admin', 'x', 1,"
                " '2026-11-30 08:00:00.000000', '2026-11-30 08:00:00.000000', 0)"
            )
        )
        first = _old_event(conn, 1, audit.GENESIS_HASH, "operator.add", {"row_digests": digests})
        kid = key_id(key.public_key())
        heads = {audit.LEGACY_CHAIN: (1, first)}
        signature = key.sign(statement(heads, "2026-11-30T08:00:01.000000Z", kid, version=1))
        signed = Checkpoint(
            heads,
            "2026-11-30T08:00:01.000000Z",
            kid,
            base64.urlsafe_b64encode(signature).decode().rstrip("="),
            version=1,
        )
        second = _old_event(conn, 2, first, CHECKPOINT_ACTION, signed.details())
    anchor.witness_path.write_text(
        WitnessEntry(audit.LEGACY_CHAIN, 2, second, signed).line(), encoding="utf-8"
    )
    assert "chain" not in anchor.witness_path.read_text()  # the line as 0008 wrote it
    engine.dispose()
    return url, anchor


def test_the_events_of_before_become_the_chain_main_and_still_verify(tmp_path: Path) -> None:
    url, anchor = _store_of_0008(tmp_path)
    store = open_store(url)  # migrates to the newest revision
    try:
        with store.session() as session:
            chains = set(session.execute(text("SELECT DISTINCT chain FROM audit_events")).scalars())
            result = audit.verify(session, anchor)
        assert chains == {audit.LEGACY_CHAIN}
        assert result.ok, result.message()
        assert result.count == 2
    finally:
        store.close()


def test_a_row_recorded_before_is_recorded_anew_by_another_counter(tmp_path: Path) -> None:
    url, anchor = _store_of_0008(tmp_path)
    store = open_store(url)
    try:
        store.use_chain("east")
        with store.session() as session:
            session.execute(select(Operator)).scalar_one().failed_signins = 1
        with store.session() as session:
            assert audit.verify(session, anchor).ok  # east's record (version 2) is the newest
            session.execute(text("UPDATE operators SET failed_signins = 0"))
            result = audit.verify(session, anchor)
        assert not result.ok
        assert "(last recorded by event 1 of chain 'east')" in result.problem
    finally:
        store.close()


def test_one_step_down_keeps_the_chain_while_it_is_the_only_one(tmp_path: Path) -> None:
    url, _ = _store_of_0008(tmp_path)
    open_store(url).close()
    engine = create_engine(url)
    try:
        command.downgrade(_alembic_config(engine), "0009")  # below the newer migrations first
        command.downgrade(_alembic_config(engine), "-1")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0008"
            assert conn.execute(text("SELECT id, seq FROM audit_head")).all() == [(1, 2)]
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 2
    finally:
        engine.dispose()


def test_one_step_down_is_refused_once_another_chain_holds_an_event(tmp_path: Path) -> None:
    url, _ = _store_of_0008(tmp_path)
    store = open_store(url)
    with store.session("east") as session:
        audit.append(session, operator="admin", action="test", obj="x")
    store.close()
    engine = create_engine(url)
    try:
        command.downgrade(_alembic_config(engine), "0009")  # below the newer migrations first
        with pytest.raises(RuntimeError, match="chains other than 'main'"):
            command.downgrade(_alembic_config(engine), "-1")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0009"
    finally:
        engine.dispose()
