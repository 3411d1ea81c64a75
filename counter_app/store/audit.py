"""The tamper-evident audit chains.

Every state change appends one event inside the same transaction as the change, so an event
exists exactly when the change does. There is one chain per counter (named by the counter:
``COUNTER_APP_COUNTER`` or ``counter`` in config.toml), one for the signing module
(:data:`SIGNING_CHAIN`), and ``main``, which holds every event a store made before there were
several (and the default counter's since). Each chain has its own head row, its own gapless
sequence and its own hashes; the signed checkpoints join them (store/anchor.py signs every
chain's head at once).

A chain's head row is read ``FOR UPDATE`` (PostgreSQL) or under SQLite's ``BEGIN IMMEDIATE``
writer lock, so the writers of one chain never fork it, and the writers of two chains never wait
for each other's head. It is locked as late as possible: the store's sessions keep the events a
transaction appends (each stamped with the time it was appended) and write them, with their
sequence numbers and hashes, just before the commit (docs/audit.md, "Several counters on one
database"). Inside a savepoint, and outside the store's sessions, events are written at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import Insert, Table, bindparam, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from counter_app.store.models import AuditEvent, AuditHead
from counter_app.store.types import utcnow

if TYPE_CHECKING:
    from counter_app.store.anchor import Anchor

GENESIS_HASH = "0" * 64
SYSTEM = "system"
# The chain of the events a store made before there were several, and the default counter's
# (its name, "main"): its events' hashes name no chain, exactly as they were written.
LEGACY_CHAIN = "main"
# The signing module's chain: every certificate and CRL event. No counter is named "" (names are
# stripped and must not be empty), so it is never a counter's.
SIGNING_CHAIN = ""
# session.info key of the chain a session's events go to (the store's; the signing module's
# sessions name theirs).
CHAIN = "audit.chain"
# PostgreSQL transaction-scoped advisory lock of the few writers that serialise across counters.
SHARED_LOCK_KEY = 0x61756469  # "audi"
# session.info key of the newest event a transaction appended (row digests join it at commit).
LAST_EVENT = "audit.last_event"
# session.info keys: set on the store's sessions (their events are written at commit), and the
# events a transaction appended and has not written yet.
DEFERRED = "audit.deferred"
PENDING_EVENTS = "audit.pending_events"


def chain_label(chain: str) -> str:
    """How a message names a chain."""
    return "the signing module's chain" if chain == SIGNING_CHAIN else f"chain {chain!r}"


def canonical_content(
    seq: int,
    time: dt.datetime,
    operator: str,
    action: str,
    obj: str,
    details: str,
    chain: str = LEGACY_CHAIN,
) -> bytes:
    """The bytes an event's hash covers: sorted-key compact JSON, UTF-8, microsecond UTC time;
    the chain's name too, outside ``main`` (an event moved to another chain no longer hashes)."""
    body = {
        "seq": seq,
        "time": time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "operator": operator,
        "action": action,
        "object": obj,
        "details": details,
    }
    if chain != LEGACY_CHAIN:
        body["chain"] = chain
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + content).hexdigest()


def encode_details(details: Mapping[str, Any] | None) -> str:
    return json.dumps(
        dict(details or {}), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )


def chain_of(session: Session) -> str:
    """The chain this session's events go to."""
    return str(session.info.get(CHAIN, LEGACY_CHAIN))


def use_chain(session: Session, chain: str) -> None:
    """Send this transaction's events to ``chain`` (a day closed for another counter is
    recorded in that counter's chain, under its head's lock)."""
    if pending_events(session) and chain != chain_of(session):
        raise RuntimeError("a transaction's events go to one chain")
    session.info[CHAIN] = chain


def head_insert(dialect: str) -> Insert:
    """A new chain's head row (seq 0, the genesis hash), unless another writer made it first."""
    table = cast(Table, AuditHead.__table__)
    values = {"chain": bindparam("b_chain"), "seq": 0, "hash": GENESIS_HASH}
    if dialect == "postgresql":
        return postgresql.insert(table).values(values).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).values(values).on_conflict_do_nothing()
    return insert(table).values(values)


def lock_head(session: Session, chain: str | None = None) -> AuditHead:
    """Take a chain's head row (this session's chain by default) for the rest of the
    transaction; a chain's first writer makes its head row.

    Every transaction that appends to the chain holds this lock until it commits; the store's
    sessions take it at commit (:func:`write_pending`), LAST: other rows (the day's number
    sequences) are locked before it, in one lock order, so two counters can never deadlock on
    PostgreSQL. Taking it again in the same transaction is free.
    """
    name = chain_of(session) if chain is None else chain
    query = select(AuditHead).where(AuditHead.chain == name).with_for_update()
    head = session.execute(query).scalar_one_or_none()
    if head is None:
        dialect = session.get_bind().dialect.name
        session.execute(head_insert(dialect), {"b_chain": name})
        head = session.execute(query).scalar_one()
    return head


def lock_shared(session: Session) -> None:
    """Serialise the caller's transaction with every other caller of this, at any counter (the
    stock room, expiry reminders, a batch's refunds): a lock of its own, not any chain's head.
    SQLite's writer lock already serialises every writer."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SHARED_LOCK_KEY})


def next_event(
    seq_before: int,
    prev_hash: str,
    *,
    chain: str,
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
    digest = chain_hash(prev_hash, canonical_content(seq, when, operator, action, obj, text, chain))
    return {
        "chain": chain,
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
    Inside a savepoint, and outside the store's sessions, it is written at once.
    """
    if time is not None and time.tzinfo is None:
        raise TypeError("audit times must be timezone-aware")
    when = (time or utcnow()).astimezone(dt.UTC)
    pending = session.info.setdefault(PENDING_EVENTS, [])
    pending.append(PendingEvent(when, operator, action, obj, dict(details or {})))
    if not session.info.get(DEFERRED) or session.in_nested_transaction():
        write_pending(session)


def pending_events(session: Session) -> list[PendingEvent]:
    """The events this transaction appended and has not written yet (oldest first)."""
    return session.info.get(PENDING_EVENTS, [])  # type: ignore[no-any-return]


def write_now(session: Session) -> AuditEvent:
    """Write the events this transaction appended at once (the head locked from now to the
    commit) and return the newest: for a caller that needs its event's sequence and hash."""
    write_pending(session)
    return cast(AuditEvent, session.info[LAST_EVENT])


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
        head.seq,
        head.hash,
        chain=head.chain,
        operator=operator,
        action=action,
        obj=obj,
        details=details,
        time=time,
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
    create_head: Any
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
    """:func:`append` on a driver cursor (the issuance hot path): the signing module's chain,
    the same hashes.

    The head row is locked first (``FOR UPDATE`` on PostgreSQL; SQLite's BEGIN IMMEDIATE already
    holds the writer lock), exactly as :func:`append` does, so both extend one chain.
    """
    chain = {"b_chain": SIGNING_CHAIN}
    row = statements.lock_head.run(cursor, chain).fetchone()
    if row is None:  # the chain's first event
        statements.create_head.run(cursor, chain)
        row = statements.lock_head.run(cursor, chain).fetchone()
    seq, prev = row
    values = next_event(
        seq, prev, chain=SIGNING_CHAIN, operator=operator, action=action, obj=obj, details=details
    )
    statements.insert_event.run(cursor, values | {"time": statements.time(values["time"])})
    statements.move_head.run(cursor, chain | {"b_seq": values["seq"], "b_hash": values["hash"]})


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head_hash: str
    bad_seq: int | None = None
    problem: str = ""
    chain: str = LEGACY_CHAIN
    chains: int = 1

    def message(self) -> str:
        if self.ok:
            return (
                f"audit chain intact: {self.count} events in {self.chains} chains, "
                f"heads {self.head_hash}"
            )
        if self.bad_seq is None:
            return f"audit check failed: {self.problem}"
        return (
            f"audit chain broken at event {self.bad_seq} of {chain_label(self.chain)}: "
            f"{self.problem} ({self.count} events verified before it)"
        )


def iter_events(
    session: Session, chain: str | None = None, batch: int = 5000
) -> Iterator[AuditEvent]:
    """The events of one chain in order, or of every chain (chain by chain)."""
    query = select(AuditEvent)
    if chain is not None:
        query = query.where(AuditEvent.chain == chain)
    query = query.order_by(AuditEvent.chain, AuditEvent.seq).execution_options(yield_per=batch)
    yield from session.execute(query).scalars()


def chain_names(session: Session) -> set[str]:
    """Every chain the store holds: those with a head row and those with events."""
    heads = session.execute(select(AuditHead.chain)).scalars()
    events = session.execute(select(AuditEvent.chain).distinct()).scalars()
    return {*heads, *events}


def verify(session: Session, anchor: Anchor | None = None) -> VerifyResult:
    """Walk every chain from its first event; report the first thing wrong.

    Each chain itself (every event links to the one before, nothing changed, its head agrees),
    then, in the same walk, each checkpoint event against its chain and, with an ``anchor``, its
    signature and the witness file's checkpoints; then every chain's head each checkpoint signed
    (:class:`counter_app.store.anchor.SignedHeads`); then the tracked rows against the newest
    digest the chains record for them (:mod:`counter_app.store.state`).
    """
    from counter_app.store import anchor as anchoring
    from counter_app.store import state

    witness: dict[tuple[str, int], anchoring.WitnessEntry] = {}
    if anchor is not None:
        loaded = anchor.load_witness()
        if isinstance(loaded, str):
            return VerifyResult(False, 0, GENESIS_HASH, None, loaded)
        witness = loaded
    signed = anchoring.SignedHeads.gather(session, witness)
    recorded = state.RecordedState()
    chains = sorted(chain_names(session) | signed.chains())
    total, heads = 0, []
    for chain in chains:
        result = _verify_chain(session, chain, anchor, signed, recorded)
        if not result.ok:
            return result
        total += result.count
        heads.append(result.head_hash[:8])
    problem = signed.check_claims()
    if problem is not None:
        return VerifyResult(False, total, GENESIS_HASH, problem[1], problem[2], problem[0])
    changed = state.check(session, recorded)
    if changed is not None:
        return VerifyResult(
            False, total, GENESIS_HASH, None, f"state does not match the audit chain: {changed}"
        )
    return VerifyResult(True, total, "/".join(heads), chains=len(chains))


def _verify_chain(
    session: Session,
    chain: str,
    anchor: Anchor | None,
    signed: Any,
    recorded: Any,
) -> VerifyResult:
    from counter_app.store import anchor as anchoring

    prev, expected_seq, count = GENESIS_HASH, 1, 0

    def broken(seq: int | None, problem: str) -> VerifyResult:
        return VerifyResult(False, count, prev, seq, problem, chain)

    for event in iter_events(session, chain):
        if event.seq != expected_seq:
            return broken(
                event.seq,
                f"event {expected_seq} is missing" if event.seq > expected_seq else "out of order",
            )
        if event.prev_hash != prev:
            return broken(event.seq, "does not link to the event before it")
        content = canonical_content(
            event.seq, event.time, event.operator, event.action, event.object, event.details, chain
        )
        if chain_hash(prev, content) != event.hash:
            return broken(event.seq, "content was changed after it was written")
        problem = anchoring.check_event(event, anchor, signed)
        if problem:
            return broken(event.seq, problem)
        recorded.take(chain, event.seq, event.details)
        prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
    head = session.get(AuditHead, chain)
    if (head is None and count) or (head is not None and (head.seq != count or head.hash != prev)):
        head_seq = head.seq if head is not None else 0
        return broken(
            count + 1 if head_seq > count else head_seq,
            f"the chain ends at event {count} but its head says {head_seq}: "
            "events were removed or added",
        )
    witnessed = signed.newest_witnessed(chain)
    if witnessed > count:
        return broken(
            count + 1,
            f"the chain ends at event {count} but the witness file holds a signed checkpoint "
            f"at event {witnessed}: the chain was truncated",
        )
    return VerifyResult(True, count, prev, chain=chain)
