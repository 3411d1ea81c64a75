"""Signed checkpoints of the audit chain's head, kept in the chain and in a witness file.

A hash chain alone does not stop someone who can write the database: the hashes are public, so
the tail can be cut, the whole chain rewritten or emptied. A checkpoint is the head's sequence
number and hash signed with the RA's audit key (Ed25519), a key the database never holds (compare
Certificate Transparency's signed tree heads). Each checkpoint is

- appended to the chain as an ``audit.checkpoint`` event (a later rewrite of anything before it
  no longer matches the hash it signed), and
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
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
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
STATEMENT_PREFIX = b"counter-app audit checkpoint v1\n"
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


def statement(head_seq: int, head_hash: str, time: str, kid: str) -> bytes:
    """The bytes a checkpoint's signature covers."""
    body = {"head_hash": head_hash, "head_seq": head_seq, "key": kid, "time": time}
    return STATEMENT_PREFIX + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Checkpoint:
    """A signed head: what the checkpoint event's details and the witness line both carry."""

    head_seq: int
    head_hash: str
    time: str
    key: str
    signature: str

    def details(self) -> dict[str, Any]:
        return {
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "time": self.time,
            "key": self.key,
            "signature": self.signature,
        }

    @classmethod
    def from_details(cls, data: dict[str, Any]) -> Checkpoint:
        return cls(
            int(data["head_seq"]),
            str(data["head_hash"]),
            str(data["time"]),
            str(data["key"]),
            str(data["signature"]),
        )

    def verify(self, trusted: dict[str, Ed25519PublicKey]) -> str | None:
        """None when the signature holds under a trusted key, else what is wrong."""
        public = trusted.get(self.key)
        if public is None:
            return f"is signed by key {self.key}, which this data dir does not trust"
        try:
            public.verify(
                _unb64(self.signature),
                statement(self.head_seq, self.head_hash, self.time, self.key),
            )
        except (InvalidSignature, ValueError):
            return f"carries a signature that does not verify under key {self.key}"
        return None


@dataclass(frozen=True)
class WitnessEntry:
    """One line of the witness file: a checkpoint and the event that recorded it."""

    event: int
    event_hash: str
    checkpoint: Checkpoint

    def line(self) -> str:
        body = {"event": self.event, "event_hash": self.event_hash, **self.checkpoint.details()}
        return json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n"


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
        """Sign the head, unless the newest event is a checkpoint already (or ``force``).

        The event commits first, then the witness line is written: a crash between the two
        leaves a checkpoint only in the database, never a witness line for an event that is not.
        """
        if not force and not self._due(store):
            return None
        with store.session() as session:
            head = audit.lock_head(session)
            if not force and self._head_is_checkpoint(session, head):
                return None
            self._check_tail(session, head)
            key = self.signing_key(session)
            kid = key_id(key.public_key())
            when = utcnow()
            time = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            signature = key.sign(statement(head.seq, head.hash, time, kid))
            signed = Checkpoint(head.seq, head.hash, time, kid, _b64(signature))
            event = audit.append_now(
                session,
                operator=audit.SYSTEM,
                action=CHECKPOINT_ACTION,
                obj=f"audit:{head.seq}",
                details=signed.details(),
                time=when,
            )
            entry = WitnessEntry(event.seq, event.hash, signed)
        self._append_witness(entry)
        return entry

    def _due(self, store: Store) -> bool:
        # Read without the head's lock: most commands that only read leave nothing to sign.
        with store.engine.connect() as conn:
            head = conn.execute(select(AuditHead.seq).where(AuditHead.id == 1)).scalar()
            if not head:
                return False
            action = conn.execute(select(AuditEvent.action).where(AuditEvent.seq == head)).scalar()
        return action != CHECKPOINT_ACTION

    @staticmethod
    def _head_is_checkpoint(session: Session, head: AuditHead) -> bool:
        if head.seq == 0:
            return True  # an empty chain: nothing to sign
        action = session.execute(
            select(AuditEvent.action).where(AuditEvent.seq == head.seq)
        ).scalar()
        return action == CHECKPOINT_ACTION

    def _check_tail(self, session: Session, head: AuditHead) -> None:
        """Refuse to sign a chain that no longer holds this data dir's newest checkpoint.

        The events since then must still start from that checkpoint's event and link up to the
        head; otherwise a cut or rewritten chain would be signed as if it were the real one.
        """
        last = self.last_witnessed()
        if last is None:
            return
        prev: str | None = None
        for event in session.execute(
            select(AuditEvent).where(AuditEvent.seq >= last.event).order_by(AuditEvent.seq)
        ).scalars():
            if prev is None:
                if event.seq != last.event or event.hash != last.event_hash:
                    raise ChainContradictsWitness(detail=f"event {last.event} differs")
            else:
                content = audit.canonical_content(
                    event.seq, event.time, event.operator, event.action, event.object, event.details
                )
                if event.prev_hash != prev or audit.chain_hash(prev, content) != event.hash:
                    raise ChainContradictsWitness(detail=f"event {event.seq} does not link")
            prev = event.hash
        if prev is None:
            raise ChainContradictsWitness(detail=f"event {last.event} is gone")
        if prev != head.hash:
            raise ChainContradictsWitness(detail="the head is not the newest event")

    def last_witnessed(self) -> WitnessEntry | None:
        """The witness file's newest line (read from its end: the file only grows)."""
        try:
            with self.witness_path.open("rb") as fh:
                size = fh.seek(0, os.SEEK_END)
                fh.seek(max(0, size - 4096))
                lines = fh.read().splitlines()
        except FileNotFoundError:
            return None
        if not lines:
            return None
        data = json.loads(lines[-1])
        return WitnessEntry(
            int(data["event"]), str(data["event_hash"]), Checkpoint.from_details(data)
        )

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

    def load_witness(self) -> dict[int, WitnessEntry] | str:
        """The witness file's checkpoints by event, each signature checked; or what is wrong."""
        trusted = self.trusted_keys_cached()
        if not trusted:
            return (
                f"no audit public key in {self.data_dir} ({PUBLIC_KEY_FILE}): the chain cannot "
                "be checked against its signed checkpoints; run `counter-app audit checkpoint`"
            )
        if not self.witness_path.is_file():
            return f"the witness file {self.witness_path} is missing"
        entries: dict[int, WitnessEntry] = {}
        with self.witness_path.open(encoding="utf-8") as fh:
            for number, text in enumerate(fh, start=1):
                try:
                    data = json.loads(text)
                    entry = WitnessEntry(
                        int(data["event"]), str(data["event_hash"]), Checkpoint.from_details(data)
                    )
                except (ValueError, KeyError, TypeError):
                    return (
                        f"line {number} of the witness file {self.witness_path} is not a checkpoint"
                    )
                problem = entry.checkpoint.verify(trusted)
                if problem:
                    return f"the checkpoint on line {number} of the witness file {problem}"
                entries[entry.event] = entry
        if not entries:
            return f"the witness file {self.witness_path} holds no checkpoint"
        return entries


def check_event(event: AuditEvent, anchor: Anchor | None, witnessed: WitnessEntry | None) -> str:
    """What is wrong with one event as a checkpoint or against the witness file ("" if nothing)."""
    if event.action == CHECKPOINT_ACTION:
        problem = _check_checkpoint_event(event, anchor)
        if problem:
            return problem
    if witnessed is not None and witnessed.event_hash != event.hash:
        return "differs from the checkpoint the witness file holds for it: the chain was rewritten"
    return ""


def _check_checkpoint_event(event: AuditEvent, anchor: Anchor | None) -> str:
    try:
        signed = Checkpoint.from_details(json.loads(event.details))
    except (ValueError, KeyError, TypeError):
        return "is a checkpoint without a signed head"
    if signed.head_seq != event.seq - 1 or signed.head_hash != event.prev_hash:
        return (
            f"is a checkpoint of event {signed.head_seq} that no longer matches the chain: "
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
            recorded.take(event.seq, event.details)
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
