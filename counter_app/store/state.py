"""State rows tied to the audit chain: each change to a tracked row records the row's digest.

A hash chain proves which events happened, not that the rows they describe still say what was
written: someone who can write the database could set a payment to ¥1 or a revoked certificate
back to good and leave every event intact. So every transaction that inserts, changes or deletes
a row of a tracked table records, in the audit chain and in that same transaction, the SHA-256 of
the row's canonical content (``row_digests`` in an event's details). ``audit verify`` re-derives
each current row's digest and compares it with the latest one recorded: a row changed, deleted or
inserted behind the application's back is named.

The digests are taken by SQLAlchemy session events on the store's sessions (the unit of work),
so the services need not know about them: a row the application legitimately updates (an
application's status, an operator's password) simply gets its new digest recorded. They are
merged into the last event the transaction appended (no extra event), or, when the transaction
appended none, into a ``state.record`` event of their own. Bulk ORM statements on a tracked table
(``session.execute(update(PaymentRow)...)``) are refused: their rows are not seen, so their new
state could not be recorded. The signing module's issuance path, which runs on the driver's
cursor for speed, records its digests itself (:mod:`counter_app.store.certificates`).

Each record names the columns its digest covers, so a column a later migration adds does not
make every existing row look edited: it is covered from the row's next change on.

Each counter and the signing module write their own audit chain, so two counters' changes of one
row land in two chains. A record therefore carries the row's version: 1 for its first record,
then one more for each change (``audit_row_versions`` holds the newest for rows changed after
their first record; the row's own lock serialises its changes, so the next version is read
under it). ``audit verify`` takes the highest version as the newest record, whichever chain
holds it; records of the one chain a store held before (``main``) carry none and come first,
in their chain's order.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, sessionmaker

from counter_app.domain.errors import CounterError
from counter_app.store import audit, backoffice, ca_tables, counter
from counter_app.store.models import AuditEvent, AuditRowVersion, Base

# The tables whose rows the chain describes. Looked up by name, so a table another part of the
# product adds (or has not added yet) is handled the same way once it is in the metadata.
TRACKED_TABLES = (
    "operators",
    "applications",
    "agreement_records",
    "payments",
    "refunds",
    "ca_certificates",
    # The supervisor's desk (store/backoffice.py).
    "day_closes",
    "token_stock",
    "expiry_notices",
)
# Every tracked table's model is put in the metadata by importing it here, not left to whatever
# else the running command happened to import: a check that could not see a table would pass
# over its rows unread (`audit verify` alone imports no signing module).
MODELS = (counter, ca_tables, backoffice)
DETAILS_KEY = "row_digests"
STATE_ACTION = "state.record"
# A certificate record reserved before its signature (status pending) is recorded when it is
# signed or revoked; until then it is a reservation, not a certificate (OCSP answers unknown).
UNRECORDED_ALLOWED = {"ca_certificates": ("status", "pending")}

_PENDING = "audit.state.pending"


class BulkWriteRefused(CounterError):
    """A bulk ORM statement on a tracked table: its rows' new state could not be recorded."""

    code = "bulk_write_refused"
    zh = "不允许对受审计的表 {table} 执行批量写入语句"
    en = "bulk statements on the audited table {table} are refused (their new state would not be recorded)"


_PLAIN = frozenset((str, int, bool, type(None)))


def _value(value: Any) -> Any:
    """A column value as JSON: times in microsecond UTC, bytes by their SHA-256."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, bytes | bytearray | memoryview):
        return ["sha256", hashlib.sha256(bytes(value)).hexdigest()]
    if isinstance(value, int | str):  # enums of ours
        return value
    if isinstance(value, dt.date | decimal.Decimal):
        return str(value)
    raise TypeError(f"no canonical form for a {type(value).__name__} column value")


def row_digest(columns: Iterable[str], values: Mapping[str, Any]) -> str:
    """SHA-256 of the named columns' values, in the order given."""
    body = [[name, _value(values[name])] for name in columns]
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def columns_of(table: Table) -> tuple[str, ...]:
    return tuple(sorted(c.name for c in table.columns))


@functools.cache
def _columns_text(name: str) -> str:
    return ",".join(columns_of(table(name)))


def primary_key(table: Table, values: Mapping[str, Any]) -> str:
    return "/".join(str(values[c.name]) for c in table.primary_key.columns)


def table(name: str) -> Table:
    return Base.metadata.tables[name]


@dataclass
class Digests:
    """Row digests of one transaction, per table: what goes into an event's details (each row's
    digest, None once deleted, and its version)."""

    tables: dict[str, dict[str, tuple[str | None, int]]] = field(default_factory=dict)

    def add(self, table_name: str, key: str, digest: str | None, version: int = 1) -> None:
        self.tables.setdefault(table_name, {})[key] = (digest, version)

    def details(self) -> dict[str, Any]:
        return {
            name: {"columns": _columns_text(name), "rows": rows}
            for name, rows in sorted(self.tables.items())
        }


# --- recording, on the store's sessions ------------------------------------------------------


def _tracked(obj: Any) -> Table | None:
    local = getattr(obj, "__table__", None)
    return local if isinstance(local, Table) and local.name in TRACKED_TABLES else None


def _collect(session: Session, _flush_context: Any) -> None:
    # After each flush the instances are still listed as new/dirty/deleted and have their keys.
    # Only the instances are kept (and whether this transaction inserted them); their digests
    # are taken once, at commit, from what is final.
    pending: dict[int, tuple[Any, bool]] | None = session.info.get(_PENDING)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if _tracked(obj) is None:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        if pending is None:
            pending = session.info[_PENDING] = {}
        inserted = obj in session.new or pending.get(id(obj), (None, False))[1]
        pending[id(obj)] = (obj, inserted)


def _digests(session: Session, objects: Iterable[tuple[Any, bool]]) -> Digests:
    changed: list[tuple[str, str, str | None, bool]] = []
    for obj, inserted in objects:
        local = _tracked(obj)
        assert local is not None
        state = inspect(obj)
        if state.identity is None:
            continue  # flushed inside a savepoint that was rolled back
        key = "/".join(str(v) for v in state.identity)
        if state.deleted or state.was_deleted:
            changed.append((local.name, key, None, inserted))
        elif state.persistent:
            values = {
                c.name: getattr(obj, state.mapper.get_property_by_column(c).key)
                for c in local.columns
            }
            changed.append((local.name, key, row_digest(columns_of(local), values), inserted))
    found = Digests()
    known = _versions(session, {(name, key) for name, key, _, _ in changed})
    for name, key, digest, inserted in changed:
        held = known.get((name, key))
        version = held.version + 1 if held is not None else 1 if inserted else 2
        if version > 1:
            if held is None:
                session.add(AuditRowVersion(table_name=name, row_key=key, version=version))
            else:
                held.version = version
        found.add(name, key, digest, version)
    return found


def _versions(session: Session, rows: set[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The newest versions recorded for these rows (read under the rows' own locks)."""
    found: dict[tuple[str, str], Any] = {}
    by_table: dict[str, list[str]] = {}
    for name, key in rows:
        by_table.setdefault(name, []).append(key)
    for name, keys in sorted(by_table.items()):
        for held in session.execute(
            select(AuditRowVersion)
            .where(AuditRowVersion.table_name == name)
            .where(AuditRowVersion.row_key.in_(keys))
        ).scalars():
            found[(name, held.row_key)] = held
    return found


def _record(session: Session) -> None:
    """Before the commit: the row digests join the transaction's events, which are written."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # whatever the transaction still holds, so its rows are final
    if session.info.get(_PENDING):
        digests = _digests(session, session.info.pop(_PENDING).values())
        if digests.tables:
            attach(session, digests)
    audit.write_pending(session)


def _merge(details: dict[str, Any], digests: Digests) -> None:
    merged = details.get(DETAILS_KEY, {})
    for name, entry in digests.details().items():
        if name in merged:
            entry["rows"] = {**merged[name]["rows"], **entry["rows"]}
        merged[name] = entry
    details[DETAILS_KEY] = merged


def attach(session: Session, digests: Digests) -> None:
    """Put ``digests`` into this transaction's newest event, or into an event of their own.

    A pending event (not written yet) simply takes them. A written one is rewritten (details and
    hash, and the head) only while it is still the chain's head: the transaction holds the
    head's lock, so nothing came after it.
    """
    pending = audit.pending_events(session)
    if pending:
        _merge(pending[-1].details, digests)
        return
    head = audit.lock_head(session)
    last: AuditEvent | None = session.info.get(audit.LAST_EVENT)
    if last is None or last.hash != head.hash or inspect(last).session is not session:
        audit.append(
            session,
            operator=audit.SYSTEM,
            action=STATE_ACTION,
            obj="state",
            details={DETAILS_KEY: digests.details()},
        )
        return
    details = json.loads(last.details)
    _merge(details, digests)
    last.details = audit.encode_details(details)
    last.hash = audit.chain_hash(
        last.prev_hash,
        audit.canonical_content(
            last.seq, last.time, last.operator, last.action, last.object, last.details, last.chain
        ),
    )
    head.hash = last.hash
    session.flush()


def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(audit.LAST_EVENT, None)
        session.info.pop(audit.PENDING_EVENTS, None)  # a rolled-back transaction's events


def _refuse_bulk(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    target = getattr(state.statement, "table", None)
    if isinstance(target, Table) and target.name in TRACKED_TABLES:
        raise BulkWriteRefused(table=target.name)


def install(sessions: sessionmaker[Session]) -> None:
    """Record row digests on every session ``sessions`` makes."""
    event.listen(sessions, "after_flush", _collect)
    event.listen(sessions, "before_commit", _record)
    event.listen(sessions, "after_transaction_end", _forget)
    event.listen(sessions, "do_orm_execute", _refuse_bulk)


# --- checking -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    columns: tuple[str, ...]
    digest: str | None
    seq: int
    chain: str = audit.LEGACY_CHAIN
    version: int = 0  # 0: a record of the one chain before there were several

    def where(self) -> str:
        return f"event {self.seq} of {audit.chain_label(self.chain)}"


class RecordedState:
    """The newest digest the chains hold for each row, gathered while they are walked: the
    highest version; among records without one (the ``main`` chain's), the latest."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, Recorded]] = {}
        self._columns: dict[str, tuple[str, ...]] = {}
        # Rows two records claim the same version of: (table, key) -> the other record.
        self.forked: dict[tuple[str, str], Recorded] = {}

    def take(self, chain: str, seq: int, details: str) -> None:
        if DETAILS_KEY not in details:
            return
        for name, entry in json.loads(details).get(DETAILS_KEY, {}).items():
            text = entry["columns"]
            # One tuple per distinct column list: a million certificates share one.
            columns = self._columns.setdefault(f"{name}:{text}", tuple(text.split(",")))
            rows = self._rows.setdefault(name, {})
            for key, value in entry["rows"].items():
                digest, version = value if isinstance(value, list) else (value, 0)
                record = Recorded(columns, digest, seq, chain, int(version))
                held = rows.get(key)
                if held is not None and version and held.version == version:
                    self.forked[(name, key)] = held
                if held is None or version > held.version or (version == 0 == held.version):
                    rows[key] = record

    def rows(self, name: str) -> dict[str, Recorded]:
        return self._rows.get(name, {})


@dataclass(frozen=True)
class StateProblem:
    table: str
    key: str
    problem: str
    record: Recorded | None

    def __str__(self) -> str:
        where = f" (last recorded by {self.record.where()})" if self.record is not None else ""
        return f"{self.table} row {self.key} {self.problem}{where}"


def _current_rows(session: Session, local: Table, batch: int = 2000) -> Iterator[Any]:
    result = session.execute(select(local).execution_options(yield_per=batch))
    yield from result.mappings()


def check(session: Session, recorded: RecordedState) -> StateProblem | None:
    """The first tracked row whose content differs from its newest recorded digest."""
    existing = set(inspect(session.connection()).get_table_names())
    for name in TRACKED_TABLES:
        if name not in existing:  # a store older than the table
            continue
        local = table(name)
        expected = dict(recorded.rows(name))
        allowed = UNRECORDED_ALLOWED.get(name)
        for row in _current_rows(session, local):
            key = primary_key(local, row)
            record = expected.pop(key, None)
            if record is None:
                if allowed is not None and row[allowed[0]] == allowed[1]:
                    continue
                return StateProblem(
                    name, key, "has no audit record: it was inserted outside the application", None
                )
            forked = recorded.forked.get((name, key))
            if forked is not None:
                return StateProblem(
                    name,
                    key,
                    f"has two audit records of version {forked.version} ({forked.where()} and "
                    f"{record.where()}): a record was forged",
                    None,
                )
            if record.digest is None:
                return StateProblem(name, key, "was recorded as deleted but exists", record)
            if any(c not in row for c in record.columns):
                return StateProblem(name, key, "lost a column its record covers", record)
            if row_digest(record.columns, row) != record.digest:
                return StateProblem(name, key, "was changed after its audit record", record)
        for key, record in sorted(expected.items()):
            if record.digest is not None:
                return StateProblem(name, key, "was deleted", record)
    return None


def unrecorded(session: Session, recorded: RecordedState) -> Digests:
    """Digests of the tracked rows that have no record at all (a store older than the anchor)."""
    found = Digests()
    existing = set(inspect(session.connection()).get_table_names())
    for name in TRACKED_TABLES:
        if name not in existing:  # a store older than the table
            continue
        local = table(name)
        known = recorded.rows(name)
        for row in _current_rows(session, local):
            key = primary_key(local, row)
            if key not in known:
                found.add(name, key, row_digest(columns_of(local), row))
    return found
