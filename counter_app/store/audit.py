"""The tamper-evident audit chain.

Every state change appends one event inside the same transaction as the change, so an event
exists exactly when the change does. The head row is read ``FOR UPDATE`` (PostgreSQL) or under
SQLite's ``BEGIN IMMEDIATE`` writer lock, so concurrent counters append to one chain, never a fork.

The head is the one row every writer shares, so it is locked as late as possible: the store's
sessions keep the events a transaction appends (each stamped with the time it was appended) and
write them, with their sequence numbers and hashes, just before the commit. The head's lock is
then held for the end of each transaction (the event inserts and the commit), not for all of
its work (docs/audit.md, "Several counters on one database"). Inside a savepoint, and outside
the store's sessions, events are written at once as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_app.store.models import AuditEvent, AuditHead
from counter_app.store.types import utcnow

if TYPE_CHECKING:
    from counter_app.store.anchor import Anchor

GENESIS_HASH = "0" * 64
SYSTEM = "system"
# session.info key of the newest event a transaction appended (row digests join it at commit).
LAST_EVENT = "audit.last_event"
# session.info keys: set on the store's sessions (their events are written at commit), and the
# events a transaction appended and has not written yet.
DEFERRED = "audit.deferred"
PENDING_EVENTS = "audit.pending_events"


def canonical_content(
    seq: int, time: dt.datetime, operator: str, action: str, obj: str, details: str
) -> bytes:
    """The bytes an event's hash covers: sorted-key compact JSON, UTF-8, microsecond UTC time."""
    body = {
        "seq": seq,
        "time": time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "operator": operator,
        "action": action,
        "object": obj,
        "details": details,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + content).hexdigest()


def encode_details(details: Mapping[str, Any] | None) -> str:
    return json.dumps(
        dict(details or {}), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )


def lock_head(session: Session) -> AuditHead:
    """Take the chain's head row for the rest of the caller's transaction.

    Every write transaction that appends an event holds this lock until it commits, so it is the
    one lock all writers share; the store's sessions take it at commit (:func:`write_pending`),
    LAST: other rows (the day's number sequences) are locked before it, in one lock order, so two
    counters can never deadlock on PostgreSQL. Taking it again in the same transaction is free.
    """
    return session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one()


def next_event(
    seq_before: int,
    prev_hash: str,
    *,
    operator: str,
    action: str,
    obj: str,
    details: Mapping[str, Any] | None,
    time: dt.datetime | None = None,
) -> dict[str, Any]:
    """The column values of the event that follows the head ``(seq_before, prev_hash)``: the one
    place an event's content and hash are made, whichever way it is written."""
    if time is not None and time.tzinfo is None:
        raise TypeError("audit times must be timezone-aware")
    when = (time or utcnow()).astimezone(dt.UTC)
    # Microsecond precision is what every backend stores; hash what will be read back.
    seq = seq_before + 1
    text = encode_details(details)
    digest = chain_hash(prev_hash, canonical_content(seq, when, operator, action, obj, text))
    return {
        "seq": seq,
        "time": when,
        "operator": operator,
        "action": action,
        "object": obj,
        "details": text,
        "prev_hash": prev_hash,
        "hash": digest,
    }


@dataclass
class PendingEvent:
    """An event appended in a transaction, written to the chain when the transaction commits."""

    time: dt.datetime
    operator: str
    action: str
    obj: str
    details: dict[str, Any]


def append(
    session: Session,
    *,
    operator: str,
    action: str,
    obj: str,
    details: Mapping[str, Any] | None = None,
    time: dt.datetime | None = None,
) -> None:
    """Append one event to the chain in the caller's transaction. ``details`` holds no secret.

    On the store's sessions the event is written when the transaction commits (in the order
    appended, with the time of this call); it is part of the transaction all the same.
    """
    if time is not None and time.tzinfo is None:
        raise TypeError("audit times must be timezone-aware")
    when = (time or utcnow()).astimezone(dt.UTC)
    if not session.info.get(DEFERRED) or session.in_nested_transaction():
        append_now(session, operator=operator, action=action, obj=obj, details=details, time=when)
        return
    pending = session.info.setdefault(PENDING_EVENTS, [])
    pending.append(PendingEvent(when, operator, action, obj, dict(details or {})))


def pending_events(session: Session) -> list[PendingEvent]:
    """The events this transaction appended and has not written yet (oldest first)."""
    return session.info.get(PENDING_EVENTS, [])  # type: ignore[no-any-return]


def append_now(
    session: Session,
    *,
    operator: str,
    action: str,
    obj: str,
    details: Mapping[str, Any] | None = None,
    time: dt.datetime | None = None,
) -> AuditEvent:
    """Append one event and write it at once (the head locked from now to the commit)."""
    if time is not None and time.tzinfo is None:
        raise TypeError("audit times must be timezone-aware")
    write_pending(session)  # the transaction's earlier events come first
    head = lock_head(session)
    event = _write(session, head, time or utcnow(), operator, action, obj, details)
    session.flush()
    return event


def write_pending(session: Session) -> None:
    """Write the transaction's pending events: the head's lock is taken here, at the end."""
    pending: list[PendingEvent] = session.info.pop(PENDING_EVENTS, [])
    if not pending:
        return
    head = lock_head(session)
    for e in pending:
        _write(session, head, e.time, e.operator, e.action, e.obj, e.details)
    session.flush()


def _write(
    session: Session,
    head: AuditHead,
    time: dt.datetime,
    operator: str,
    action: str,
    obj: str,
    details: Mapping[str, Any] | None,
) -> AuditEvent:
    values = next_event(
        head.seq, head.hash, operator=operator, action=action, obj=obj, details=details, time=time
    )
    event = AuditEvent(**values)
    session.add(event)
    head.seq, head.hash = values["seq"], values["hash"]
    session.info[LAST_EVENT] = event
    return event


class PreparedAudit(Protocol):
    """The head lock, event insert and head move compiled for a driver cursor, and the time
    conversion to the driver's form (``counter_app.store.prepared.HotPath``)."""

    lock_head: Any
    insert_event: Any
    move_head: Any
    time: Callable[[dt.datetime], Any]


def append_prepared(
    statements: PreparedAudit,
    cursor: Any,
    *,
    operator: str,
    action: str,
    obj: str,
    details: Mapping[str, Any] | None,
) -> None:
    """:func:`append` on a driver cursor (the issuance hot path): same chain, same hashes.

    The head row is locked first (``FOR UPDATE`` on PostgreSQL; SQLite's BEGIN IMMEDIATE already
    holds the writer lock), exactly as :func:`append` does, so both extend one chain.
    """
    seq, prev = statements.lock_head.run(cursor, {}).fetchone()
    values = next_event(seq, prev, operator=operator, action=action, obj=obj, details=details)
    statements.insert_event.run(cursor, values | {"time": statements.time(values["time"])})
    statements.move_head.run(cursor, {"b_seq": values["seq"], "b_hash": values["hash"]})


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head_hash: str
    bad_seq: int | None = None
    problem: str = ""

    def message(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.count} events, head {self.head_hash[:16]}"
        if self.bad_seq is None:
            return f"audit check failed: {self.problem}"
        return (
            f"audit chain broken at event {self.bad_seq}: {self.problem} "
            f"({self.count} events verified before it)"
        )


def iter_events(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    result = session.execute(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    )
    yield from result.scalars()


def verify(session: Session, anchor: Anchor | None = None) -> VerifyResult:
    """Walk the chain from the first event; report the first thing wrong.

    The chain itself (every event links to the one before, nothing changed, the head agrees),
    then, in the same walk, each checkpoint event against the chain and, with an ``anchor``, its
    signature and the witness file's checkpoints; then the tracked rows against the newest
    digest the chain records for them (:mod:`counter_app.store.state`).
    """
    from counter_app.store import anchor as anchoring
    from counter_app.store import state

    witness: dict[int, anchoring.WitnessEntry] = {}
    if anchor is not None:
        loaded = anchor.load_witness()
        if isinstance(loaded, str):
            return VerifyResult(False, 0, GENESIS_HASH, None, loaded)
        witness = loaded
    recorded = state.RecordedState()
    prev, expected_seq, count = GENESIS_HASH, 1, 0
    for event in iter_events(session):
        if event.seq != expected_seq:
            missing = (
                f"event {expected_seq} is missing" if event.seq > expected_seq else "out of order"
            )
            return VerifyResult(False, count, prev, event.seq, missing)
        if event.prev_hash != prev:
            return VerifyResult(
                False, count, prev, event.seq, "does not link to the event before it"
            )
        content = canonical_content(
            event.seq, event.time, event.operator, event.action, event.object, event.details
        )
        if chain_hash(prev, content) != event.hash:
            return VerifyResult(
                False, count, prev, event.seq, "content was changed after it was written"
            )
        problem = anchoring.check_event(event, anchor, witness.get(event.seq))
        if problem:
            return VerifyResult(False, count, prev, event.seq, problem)
        recorded.take(event.seq, event.details)
        prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
    head = session.get(AuditHead, 1)
    if head is None or head.seq != count or head.hash != prev:
        head_seq = head.seq if head is not None else 0
        return VerifyResult(
            False,
            count,
            prev,
            count + 1 if head_seq > count else head_seq,
            f"the chain ends at event {count} but its head says {head_seq}: events were removed or added",
        )
    if witness and max(witness) > count:
        return VerifyResult(
            False,
            count,
            prev,
            count + 1,
            f"the chain ends at event {count} but the witness file holds a signed checkpoint "
            f"at event {max(witness)}: the chain was truncated",
        )
    changed = state.check(session, recorded)
    if changed is not None:
        return VerifyResult(
            False, count, prev, None, f"state does not match the audit chain: {changed}"
        )
    return VerifyResult(True, count, prev)
