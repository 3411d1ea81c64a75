"""The anchored audit on a real SQLite file: row digests, the audit key, checkpoints, the witness."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from counter_app.domain.operators import Role
from counter_app.services import operators
from counter_app.store import audit
from counter_app.store.anchor import (
    CHECKPOINT_ACTION,
    PASSPHRASE_ENV,
    Anchor,
    AuditKeyLocked,
    AuditKeyMissing,
    ChainContradictsWitness,
    adopt,
)
from counter_app.store.db import Store, open_store
from counter_app.store.models import AuditEvent, Operator
from counter_app.store.state import DETAILS_KEY, STATE_ACTION, BulkWriteRefused
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'counter.db'}", create=True)
    yield s
    s.close()


@pytest.fixture
def anchor(tmp_path: Path) -> Anchor:
    return Anchor(tmp_path / "data")


@pytest.fixture
def admin(store: Store) -> operators.OperatorInfo:
    return operators.create_first_admin(store, "admin", ADMIN_PASSWORD)


def _events(store: Store) -> list[AuditEvent]:
    with store.session() as session:
        return list(session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())


def _sql(tmp_path: Path, *statements: str) -> None:
    with sqlite3.connect(tmp_path / "counter.db") as conn:
        for statement in statements:
            conn.execute(statement)


def _verify(store: Store, anchor: Anchor | None) -> audit.VerifyResult:
    with store.session() as session:
        return audit.verify(session, anchor)


def test_a_new_rows_digest_joins_the_event_of_its_transaction(
    store: Store, admin: operators.OperatorInfo
) -> None:
    (event,) = _events(store)
    assert event.action == "store.init"
    rows = json.loads(event.details)[DETAILS_KEY]["operators"]["rows"]
    assert list(rows) == [str(admin.id)]
    assert _verify(store, None).ok


def test_a_row_changed_without_an_event_gets_a_state_record_of_its_own(
    store: Store, admin: operators.OperatorInfo
) -> None:
    with store.session() as session:
        session.execute(select(Operator)).scalar_one().active = False
    assert _events(store)[-1].action == STATE_ACTION
    assert _verify(store, None).ok


def test_a_bulk_update_of_a_tracked_table_is_refused(
    store: Store, admin: operators.OperatorInfo
) -> None:
    with pytest.raises(BulkWriteRefused), store.session() as session:
        session.execute(update(Operator).values(role="clerk"))


def test_the_first_checkpoint_makes_a_private_key_and_a_witness_line(
    store: Store, anchor: Anchor, admin: operators.OperatorInfo
) -> None:
    entry = anchor.checkpoint(store)
    assert (
        entry is not None
        and entry.checkpoint.heads[audit.LEGACY_CHAIN][0] == 1
        and entry.event == 2
    )
    assert stat.S_IMODE(anchor.key_path.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" not in anchor.witness_path.read_bytes()
    assert len(anchor.witness_path.read_text().splitlines()) == 1
    assert _verify(store, anchor).ok


def test_no_checkpoint_is_made_when_the_newest_event_is_one(
    store: Store, anchor: Anchor, admin: operators.OperatorInfo
) -> None:
    anchor.checkpoint(store)
    assert anchor.checkpoint(store) is None
    assert [e.action for e in _events(store)] == ["store.init", CHECKPOINT_ACTION]


def test_an_encrypted_key_signs_only_with_its_passphrase(
    store: Store, anchor: Anchor, admin: operators.OperatorInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "audit-Passphrase-1")
    anchor.checkpoint(store)
    assert b"ENCRYPTED" in anchor.key_path.read_bytes()
    monkeypatch.delenv(PASSPHRASE_ENV)
    with pytest.raises(AuditKeyLocked):
        anchor.checkpoint(store, force=True)


def test_a_counter_without_the_key_does_not_anchor_a_chain_with_a_key_of_its_own(
    store: Store, anchor: Anchor, admin: operators.OperatorInfo, tmp_path: Path
) -> None:
    anchor.checkpoint(store)
    other = Anchor(tmp_path / "other")
    with pytest.raises(AuditKeyMissing):
        other.checkpoint(store, force=True)
    assert not other.key_path.exists()


def test_a_chain_cut_below_the_witness_is_not_signed(
    store: Store, anchor: Anchor, admin: operators.OperatorInfo, tmp_path: Path
) -> None:
    anchor.checkpoint(store)
    operators.add_operator(store, admin, "clerk1", Role.CLERK, "Clerk-pass1")
    _sql(
        tmp_path,
        "DELETE FROM audit_events WHERE seq >= 2",
        "UPDATE audit_head SET seq = 1, hash = (SELECT hash FROM audit_events WHERE seq = 1)",
    )
    with pytest.raises(ChainContradictsWitness):
        anchor.checkpoint(store, force=True)


def test_a_missing_witness_file_fails_verification(
    store: Store, anchor: Anchor, admin: operators.OperatorInfo
) -> None:
    anchor.checkpoint(store)
    anchor.witness_path.unlink()
    result = _verify(store, anchor)
    assert not result.ok and "witness file" in result.problem and "missing" in result.problem


def test_a_witness_line_signed_by_another_key_fails_verification(
    store: Store, anchor: Anchor, admin: operators.OperatorInfo, tmp_path: Path
) -> None:
    anchor.checkpoint(store)
    forger = Anchor(tmp_path / "forger")
    other_db = open_store(f"sqlite:///{tmp_path / 'other.db'}", create=True)
    operators.create_first_admin(other_db, "admin", ADMIN_PASSWORD)
    forged = forger.checkpoint(other_db)
    other_db.close()
    assert forged is not None
    with anchor.witness_path.open("a") as fh:
        fh.write(forged.line())
    result = _verify(store, anchor)
    assert not result.ok and "line 2 of the witness file" in result.problem
    assert "does not trust" in result.problem


def test_an_off_machine_witness_copy_verifies_the_chain(
    store: Store, anchor: Anchor, admin: operators.OperatorInfo, tmp_path: Path
) -> None:
    anchor.checkpoint(store)
    copy = tmp_path / "usb" / "witness.log"
    copy.parent.mkdir()
    copy.write_bytes(anchor.witness_path.read_bytes())
    anchor.witness_path.unlink()
    assert _verify(store, Anchor(anchor.data_dir, copy)).ok


def test_adopt_records_rows_written_before_the_anchor_existed(
    store: Store, admin: operators.OperatorInfo, tmp_path: Path
) -> None:
    _sql(
        tmp_path,
        "INSERT INTO operators (id, name, role, password_hash, active, created_at, "
        "password_changed_at) SELECT 7, 'old', 'clerk', password_hash, active, created_at, "
        "password_changed_at FROM operators WHERE id = 1",
    )
    assert "operators row 7 has no audit record" in _verify(store, None).problem
    assert adopt(store, "admin") == 1
    assert _verify(store, None).ok


def test_adopt_leaves_a_changed_row_reported(
    store: Store, admin: operators.OperatorInfo, tmp_path: Path
) -> None:
    _sql(tmp_path, "UPDATE operators SET role = 'clerk'")
    assert adopt(store, "admin") == 0
    assert "was changed" in _verify(store, None).problem
