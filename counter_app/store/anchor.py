"""Signed checkpoints of the audit chains' heads, kept in a chain and in a witness file.

A hash chain alone does not stop someone who can write the database: the hashes are public, so
the tail can be cut, the whole chain rewritten or emptied. A checkpoint is every chain's head
(sequence number and hash: one chain per counter and one for the signing module, see
store/audit.py) signed at once with the RA's audit key (Ed25519), a key the database never holds
(compare Certificate Transparency's signed tree heads). Each checkpoint is

- appended to the checkpointing process's own chain as an ``audit.checkpoint`` event (a later
  rewrite of anything before any head it signed no longer matches the hash it signed), and
- appended as one line to a witness file outside the database (``audit-witness.log`` in the data
  dir, or ``audit_witness`` in config.toml), which the RA keeps append-only and copies off the
  machine: deleting events up to a witnessed checkpoint, or emptying the chain, is then caught.

``audit verify`` checks every checkpoint event's signature and every witness line against the
chain. Events after the newest checkpoint are only as good as the database: checkpoints are made
at the end of every CLI command that wrote, when a GUI session closes, every minute in the
long-running services, and by ``counter-app audit checkpoint``. See docs/audit.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from counter_app.domain.errors import CounterError
from counter_app.store import audit
from counter_app.store.db import Store, store_error
from counter_app.store.models import AuditEvent, AuditHead
from counter_app.store.types import utcnow

try:
    import fcntl
except ImportError:  # Windows: one process appends at a time anyway (the head's lock)
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

CHECKPOINT_ACTION = "audit.checkpoint"
KEY_FILE = "audit-key.pem"
PUBLIC_KEY_FILE = "audit-key.pub"
TRUSTED_DIR = "audit-trusted"
WITNESS_FILE = "audit-witness.log"
PASSPHRASE_ENV = "COUNTER_APP_AUDIT_PASSPHRASE"
STATEMENT_PREFIX = b"counter-app audit checkpoint v1\n"  # one chain's head (before 0009)
STATEMENT_PREFIX_V2 = b"counter-app audit checkpoint v2\n"  # every chain's head
CHECKPOINT_INTERVAL_S = 60.0


class AuditKeyMissing(CounterError):
    code = "audit_key_missing"
    zh = "本数据目录没有审计签名密钥（{path}）：审计链已由密钥 {key_id} 锚定，请从保管处复制该密钥"
    en = (
        "this data dir holds no audit signing key ({path}): the chain is anchored by key "
        "{key_id}; copy that key here from where it is kept"
    )


class ChainContradictsWitness(CounterError):
    code = "chain_contradicts_witness"
    zh = "审计链与见证文件不符（{detail}），不予签署检查点：请运行 counter-app audit verify"
    en = (
        "the audit chain contradicts the witness file ({detail}); no checkpoint is signed: "
        "run counter-app audit verify"
    )


class AuditKeyLocked(CounterError):
    code = "audit_key_locked"
    zh = "审计签名密钥已加密：请设置环境变量 {env}"
    en = "the audit signing key is encrypted: set {env}"


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


Heads = dict[str, tuple[int, str]]  # chain -> (sequence number, hash) of its head


def statement(heads: Heads, time: str, kid: str, version: int = 2) -> bytes:
    """The bytes a checkpoint's signature covers (version 1: the one chain before 0009)."""
    if version == 1:
        ((head_seq, head_hash),) = heads.values()
        body: dict[str, Any] = {
            "head_hash": head_hash,
            "head_seq": head_seq,
            "key": kid,
            "time": time,
        }
        prefix = STATEMENT_PREFIX
    else:
        body = {"heads": _heads_json(heads), "key": kid, "time": time}
        prefix = STATEMENT_PREFIX_V2
    return prefix + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _heads_json(heads: Heads) -> dict[str, list[Any]]:
    return {chain: [seq, digest] for chain, (seq, digest) in sorted(heads.items())}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Checkpoint:
    """Signed heads: what the checkpoint event's details and the witness line both carry.

    Version 1 (written before 0009) signed the one chain's head (``main``'s, since).
    """

    heads: Heads
    time: str
    key: str
    signature: str
    version: int = 2

    def details(self) -> dict[str, Any]:
        signed = {"time": self.time, "key": self.key, "signature": self.signature}
        if self.version == 1:
            ((head_seq, head_hash),) = self.heads.values()
            return {"head_seq": head_seq, "head_hash": head_hash, **signed}
        return {"heads": _heads_json(self.heads), **signed}

    @classmethod
    def from_details(cls, data: dict[str, Any]) -> Checkpoint:
        signed = str(data["time"]), str(data["key"]), str(data["signature"])
        if "heads" not in data:
            head = (int(data["head_seq"]), str(data["head_hash"]))
            return cls({audit.LEGACY_CHAIN: head}, *signed, version=1)
        heads = {str(c): (int(seq), str(digest)) for c, (seq, digest) in data["heads"].items()}
        return cls(heads, *signed)

    def verify(self, trusted: dict[str, Ed25519PublicKey]) -> str | None:
        """None when the signature holds under a trusted key, else what is wrong."""
        public = trusted.get(self.key)
        if public is None:
            return f"is signed by key {self.key}, which this data dir does not trust"
        try:
            public.verify(
                _unb64(self.signature),
                statement(self.heads, self.time, self.key, self.version),
            )
        except (InvalidSignature, ValueError):
            return f"carries a signature that does not verify under key {self.key}"
        return None


@dataclass(frozen=True)
class WitnessEntry:
    """One line of the witness file: a checkpoint and the event (of ``chain``) that recorded it."""

    chain: str
    event: int
    event_hash: str
    checkpoint: Checkpoint

    def line(self) -> str:
        body = {"event": self.event, "event_hash": self.event_hash, **self.checkpoint.details()}
        if self.checkpoint.version > 1:
            body["chain"] = self.chain
        return json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n"

    @classmethod
    def parse(cls, text: str | bytes) -> WitnessEntry:
        data = json.loads(text)
        return cls(
            str(data.get("chain", audit.LEGACY_CHAIN)),
            int(data["event"]),
            str(data["event_hash"]),
            Checkpoint.from_details(data),
        )

    def points(self) -> Iterator[tuple[str, int, str]]:
        """Every (chain, event, hash) this line names: the heads it signed and its own event."""
        for chain, (seq, digest) in self.checkpoint.heads.items():
            if seq:
                yield chain, seq, digest
        yield self.chain, self.event, self.event_hash


class Anchor:
    """The audit key and the witness file of one data dir."""

    def __init__(self, data_dir: Path, witness: Path | None = None) -> None:
        self.data_dir = data_dir
        self.key_path = data_dir / KEY_FILE
        self.public_path = data_dir / PUBLIC_KEY_FILE
        self.witness_path = witness or data_dir / WITNESS_FILE
        self.extra_public: list[Path] = []
        self._trusted: dict[str, Ed25519PublicKey] | None = None

    @classmethod
    def for_config(cls, data_dir: Path, extra: dict[str, object]) -> Anchor:
        witness = extra.get("audit_witness")
        return cls(data_dir, Path(str(witness)).expanduser() if witness else None)

    # --- keys ---------------------------------------------------------------------------

    def trusted_keys(self) -> dict[str, Ed25519PublicKey]:
        """Public keys whose checkpoints verify: this data dir's, and any in audit-trusted/."""
        paths = [self.public_path, *sorted((self.data_dir / TRUSTED_DIR).glob("*.pub"))]
        paths += self.extra_public
        found: dict[str, Ed25519PublicKey] = {}
        for path in paths:
            if not path.is_file():
                continue
            public = serialization.load_pem_public_key(path.read_bytes())
            if isinstance(public, Ed25519PublicKey):
                found[key_id(public)] = public
        return found

    def trusted_keys_cached(self) -> dict[str, Ed25519PublicKey]:
        if self._trusted is None:
            self._trusted = self.trusted_keys()
        return self._trusted

    def _load_key(self) -> Ed25519PrivateKey:
        data = self.key_path.read_bytes()
        password = None
        if b"ENCRYPTED" in data:
            secret = os.environ.get(PASSPHRASE_ENV)
            if not secret:
                raise AuditKeyLocked(env=PASSPHRASE_ENV)
            password = secret.encode()
        key = serialization.load_pem_private_key(data, password=password)
        if not isinstance(key, Ed25519PrivateKey):
            raise TypeError(f"{self.key_path} does not hold an Ed25519 key")
        return key

    def _create_key(self) -> Ed25519PrivateKey:
        """A new key, 0600; encrypted when COUNTER_APP_AUDIT_PASSPHRASE is set."""
        key = Ed25519PrivateKey.generate()
        secret = os.environ.get(PASSPHRASE_ENV)
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(secret.encode())
            if secret
            else serialization.NoEncryption()
        )
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        self.public_path.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        log.info("created audit key %s at %s", key_id(key.public_key()), self.key_path)
        return key

    def signing_key(self, session: Session) -> Ed25519PrivateKey:
        """This data dir's key; made the first time only while the chain has no checkpoint.

        A counter joining a chain another counter already anchors must be given that key (or
        its own trusted by the others): a fresh key of its own would not be trusted there.
        """
        if self.key_path.exists():
            return self._load_key()
        anchored = session.execute(
            select(AuditEvent.details)
            .where(AuditEvent.action == CHECKPOINT_ACTION)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).scalar()
        if anchored is not None:
            raise AuditKeyMissing(path=str(self.key_path), key_id=json.loads(anchored)["key"])
        return self._create_key()

    # --- checkpoints --------------------------------------------------------------------

    def checkpoint(self, store: Store, *, force: bool = False) -> WitnessEntry | None:
        """Sign every chain's head, unless the newest checkpoint covers them all (or ``force``).

        The event goes to the store's own chain, under that chain's head lock only: the other
        chains' heads are read as committed, never locked, so no counter waits for a checkpoint.
        The event commits first, then the witness line is written: a crash between the two
        leaves a checkpoint only in the database, never a witness line for an event that is not.
        """
        if not force and not self._due(store):
            return None
        with store.session() as session:
            own = audit.lock_head(session)
            heads = current_heads(session)
            heads[own.chain] = (own.seq, own.hash)
            if not force and not _uncovered(session, heads):
                return None
            self._check_tail(session, heads)
            key = self.signing_key(session)
            kid = key_id(key.public_key())
            when = utcnow()
            time = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            signature = key.sign(statement(heads, time, kid))
            signed = Checkpoint(heads, time, kid, _b64(signature))
            audit.append(
                session,
                operator=audit.SYSTEM,
                action=CHECKPOINT_ACTION,
                obj=f"audit:{own.seq}",
                details=signed.details(),
                time=when,
            )
            event = audit.write_now(session)
            entry = WitnessEntry(event.chain, event.seq, event.hash, signed)
        self._append_witness(entry)
        return entry

    def _due(self, store: Store) -> bool:
        # Read without any head's lock: most commands that only read leave nothing to sign.
        with store.engine.connect() as conn:
            return _uncovered(conn, current_heads(conn))

    def _check_tail(self, session: Session, heads: Heads) -> None:
        """Refuse to sign chains that no longer hold this data dir's newest checkpoint.

        Each chain it signed must still hold the head it signed and link from it up to its
        current head; otherwise a cut or rewritten chain would be signed as if it were the real
        one.
        """
        last = self.last_witnessed()
        if last is None:
            return
        points: dict[str, dict[int, str]] = {}
        for chain, seq, digest in last.points():
            points.setdefault(chain, {})[seq] = digest
        for chain, signed in sorted(points.items()):
            label = audit.chain_label(chain)
            head_seq, head_hash = heads.get(chain, (0, audit.GENESIS_HASH))
            if head_seq < max(signed):
                raise ChainContradictsWitness(detail=f"event {max(signed)} of {label} is gone")
            prev: str | None = None
            for event in session.execute(
                select(AuditEvent)
                .where(AuditEvent.chain == chain)
                .where(AuditEvent.seq >= min(signed), AuditEvent.seq <= head_seq)
                .order_by(AuditEvent.seq)
            ).scalars():
                content = audit.canonical_content(
                    event.seq,
                    event.time,
                    event.operator,
                    event.action,
                    event.object,
                    event.details,
                    chain,
                )
                linked = prev is None or (
                    event.prev_hash == prev and audit.chain_hash(prev, content) == event.hash
                )
                if not linked or signed.get(event.seq, event.hash) != event.hash:
                    raise ChainContradictsWitness(
                        detail=f"event {event.seq} of {label} differs or does not link"
                    )
                prev = event.hash
            if prev != head_hash:
                raise ChainContradictsWitness(detail=f"the head of {label} is not its newest event")

    def last_witnessed(self) -> WitnessEntry | None:
        """The witness file's newest line (read from its end: the file only grows)."""
        try:
            with self.witness_path.open("rb") as fh:
                size = fh.seek(0, os.SEEK_END)
                fh.seek(max(0, size - 16384))
                lines = fh.read().splitlines()
        except FileNotFoundError:
            return None
        if not lines:
            return None
        return WitnessEntry.parse(lines[-1])

    def _append_witness(self, entry: WitnessEntry) -> None:
        self.witness_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.witness_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, entry.line().encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    # --- verification -------------------------------------------------------------------

    def load_witness(self) -> dict[tuple[str, int], WitnessEntry] | str:
        """The witness file's checkpoints by (chain, event), each signature checked; or what
        is wrong."""
        trusted = self.trusted_keys_cached()
        if not trusted:
            return (
                f"no audit public key in {self.data_dir} ({PUBLIC_KEY_FILE}): the chain cannot "
                "be checked against its signed checkpoints; run `counter-app audit checkpoint`"
            )
        if not self.witness_path.is_file():
            return f"the witness file {self.witness_path} is missing"
        entries: dict[tuple[str, int], WitnessEntry] = {}
        with self.witness_path.open(encoding="utf-8") as fh:
            for number, text in enumerate(fh, start=1):
                try:
                    entry = WitnessEntry.parse(text)
                except (ValueError, KeyError, TypeError):
                    return (
                        f"line {number} of the witness file {self.witness_path} is not a checkpoint"
                    )
                problem = entry.checkpoint.verify(trusted)
                if problem:
                    return f"the checkpoint on line {number} of the witness file {problem}"
                entries[(entry.chain, entry.event)] = entry
        if not entries:
            return f"the witness file {self.witness_path} holds no checkpoint"
        return entries


def current_heads(conn: Session | Connection) -> Heads:
    """Every chain's head as committed (no lock), chains without events left out."""
    rows = conn.execute(select(AuditHead.chain, AuditHead.seq, AuditHead.hash))
    return {chain: (seq, digest) for chain, seq, digest in rows if seq}


def _uncovered(conn: Session | Connection, heads: Heads) -> bool:
    """Whether some chain's head is not signed by the newest checkpoint (nor is it)."""
    newest = conn.execute(
        select(AuditEvent.chain, AuditEvent.seq, AuditEvent.details)
        .where(AuditEvent.action == CHECKPOINT_ACTION)
        .order_by(AuditEvent.time.desc())
        .limit(1)
    ).first()
    if newest is None:
        return any(seq for seq, _ in heads.values())
    try:
        signed = Checkpoint.from_details(json.loads(newest.details)).heads
    except (ValueError, KeyError, TypeError):
        return True
    return any(
        seq and (chain, seq) != (newest.chain, newest.seq) and signed.get(chain, (0,))[0] != seq
        for chain, (seq, _) in heads.items()
    )


@dataclass
class SignedHeads:
    """What the witness file and the checkpoint events say each chain held, for ``audit
    verify``: the points are checked as each chain is walked, the heads one chain's checkpoint
    signed of the others once every chain is walked."""

    # The witness file's checkpoint events (chain, seq) -> hash, checked as each is walked, and
    # the newest event it names of each chain, its own or a head it signed (a chain cut below it
    # was truncated). The heads it signed are checked through the checkpoint events that carry
    # them, as before there were several chains (the message names the checkpoint).
    witness: dict[tuple[str, int], str] = field(default_factory=dict)
    witnessed_ends: dict[str, int] = field(default_factory=dict)
    claims: list[tuple[str, int, str, int, str]] = field(default_factory=list)
    seen: dict[tuple[str, int], str] = field(default_factory=dict)
    ends: dict[str, int] = field(default_factory=dict)

    @classmethod
    def gather(cls, session: Session, witness: dict[tuple[str, int], WitnessEntry]) -> SignedHeads:
        found = cls()
        for entry in witness.values():
            found.witness[(entry.chain, entry.event)] = entry.event_hash
            for chain, seq, _ in entry.points():
                found.witnessed_ends[chain] = max(seq, found.witnessed_ends.get(chain, 0))
        for chain, seq, details in session.execute(
            select(AuditEvent.chain, AuditEvent.seq, AuditEvent.details).where(
                AuditEvent.action == CHECKPOINT_ACTION
            )
        ):
            with suppress(ValueError, KeyError, TypeError):  # the walk names a broken one
                for other, (at, digest) in Checkpoint.from_details(
                    json.loads(details)
                ).heads.items():
                    if other != chain and at:
                        found.claims.append((chain, seq, other, at, digest))
                        found.seen[(other, at)] = ""
        return found

    def chains(self) -> set[str]:
        return set(self.witnessed_ends) | {claim[2] for claim in self.claims}

    def newest_witnessed(self, chain: str) -> int:
        return self.witnessed_ends.get(chain, 0)

    def walked(self, event: AuditEvent) -> str:
        """What is wrong with an event against the witness file ("" if nothing)."""
        point = (event.chain, event.seq)
        if point in self.seen:
            self.seen[point] = event.hash
        self.ends[event.chain] = event.seq
        witnessed = self.witness.get(point)
        if witnessed is not None and witnessed != event.hash:
            return (
                "differs from the checkpoint the witness file holds for it: the chain was rewritten"
            )
        return ""

    def check_claims(self) -> tuple[str, int, str] | None:
        """The first checkpoint whose head of another chain that chain no longer holds."""
        for chain, seq, other, at, digest in self.claims:
            label = audit.chain_label(other)
            if self.ends.get(other, 0) < at:
                return (
                    chain,
                    seq,
                    (
                        f"is a checkpoint of event {at} of {label}, which ends at event "
                        f"{self.ends.get(other, 0)}: that chain was truncated"
                    ),
                )
            if self.seen.get((other, at)) != digest:
                return (
                    chain,
                    seq,
                    (
                        f"is a checkpoint of event {at} of {label} that no longer matches the chain: "
                        "events before it were rewritten"
                    ),
                )
        return None


def check_event(event: AuditEvent, anchor: Anchor | None, signed: SignedHeads) -> str:
    """What is wrong with one event as a checkpoint or against the witness file ("" if nothing)."""
    if event.action == CHECKPOINT_ACTION:
        problem = _check_checkpoint_event(event, anchor)
        if problem:
            return problem
    return signed.walked(event)


def _check_checkpoint_event(event: AuditEvent, anchor: Anchor | None) -> str:
    try:
        signed = Checkpoint.from_details(json.loads(event.details))
    except (ValueError, KeyError, TypeError):
        return "is a checkpoint without a signed head"
    own = signed.heads.get(event.chain, (0, audit.GENESIS_HASH))
    if own != (event.seq - 1, event.prev_hash):
        return (
            f"is a checkpoint of event {own[0]} that no longer matches the chain: "
            "events before it were rewritten"
        )
    if anchor is None:
        return ""
    problem = signed.verify(anchor.trusted_keys_cached())
    return f"is a checkpoint that {problem}" if problem else ""


class PeriodicCheckpointer:
    """Checkpoints the head every ``interval`` seconds in a daemon thread (long-running services)."""

    def __init__(self, anchor: Anchor, store: Store, interval: float = CHECKPOINT_INTERVAL_S):
        self._anchor, self._store, self._interval = anchor, store, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-checkpoint", daemon=True)

    def start(self) -> PeriodicCheckpointer:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            checkpoint_quietly(self._anchor, self._store)

    def stop(self) -> None:
        self._stop.set()
        with suppress(RuntimeError):
            self._thread.join(timeout=5)


def checkpoint_quietly(anchor: Anchor, store: Store) -> WitnessEntry | None:
    """A checkpoint if one is due; a failure is logged, never raised (the work is done already)."""
    try:
        return anchor.checkpoint(store)
    except (CounterError, OSError, SQLAlchemyError) as exc:
        # One line: a driver's message spans several, and the clerk's own message comes last.
        if isinstance(exc, OperationalError):
            exc = store_error(exc)
        text = exc.message("en") if isinstance(exc, CounterError) else str(exc)
        log.warning("no audit checkpoint was made: %s", " ".join(text.split()))
        return None


def adopt(store: Store, operator: str) -> int:
    """Record the digests of tracked rows that have none (a store older than the anchor)."""
    from counter_app.store import state

    with store.session() as session:
        audit.lock_head(session)
        recorded = state.RecordedState()
        for event in audit.iter_events(session):
            recorded.take(event.chain, event.seq, event.details)
        found = state.unrecorded(session, recorded)
        count = sum(len(rows) for rows in found.tables.values())
        if count:
            audit.append(
                session,
                operator=operator,
                action="state.adopt",
                obj="state",
                details={state.DETAILS_KEY: found.details()},
            )
        return count
