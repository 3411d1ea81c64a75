"""The service journal, held by the process working on it (业务日志与占用).

Every service opens a journal entry when it records its application, and commits each step to it
before the next starts. The entry names its owner (``host:pid:start-time``) and a lease that the
owner renews at each step; recovery takes an entry only when its owner is dead (same host: no
process with that pid and start time) or its lease has run out (another host), and every step and
the close check under a row lock that the entry is still the caller's. Two counters can therefore
never both act on one interrupted service.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
from collections.abc import Mapping
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from counter_app.domain.errors import CounterError, NotFound
from counter_app.store import audit
from counter_app.store.counter import ApplicationRow, JournalEntry
from counter_app.store.counter_repo import CounterRows

log = logging.getLogger(__name__)

# Long enough for the slowest token step (RSA key generation on a real smart card can take a
# minute); each step renews it.
LEASE = dt.timedelta(minutes=10)


class JournalTaken(CounterError):
    code = "journal_taken"
    zh = "业务 {application} 已由另一进程（{owner}）接手处理，本进程停止操作"
    en = "service {application} has been taken over by another process ({owner}); this one stops"


class JournalBusy(CounterError):
    code = "journal_busy"
    zh = "业务 {application} 正由另一进程（{owner}）办理中，不能恢复"
    en = "service {application} is still being worked on by another process ({owner})"


def _process_start(pid: int) -> str:
    # Field 22 of /proc/PID/stat is the start time in clock ticks since boot: with the pid it
    # names one process for the life of the machine (a pid alone is reused).
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "0"


@cache
def _host() -> str:
    return socket.gethostname()[:64]


def me() -> str:
    """This process, as journal owners are written: ``host:pid:start``."""
    pid = os.getpid()
    return f"{_host()}:{pid}:{_process_start(pid)}"


def owner_alive(owner: str | None, lease_until: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether the process named by ``owner`` may still be working on its entry."""
    if not owner:
        return False
    if owner == me():
        return True
    host, _, rest = owner.partition(":")
    pid_text, _, start = rest.partition(":")
    if host == _host() and pid_text.isdigit():
        pid = int(pid_text)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return _process_start(pid) == start
    # Another machine: only its lease tells.
    return lease_until is not None and lease_until > now


def open_entry(
    session: Session, application: ApplicationRow, now: dt.datetime, step: str = "recorded"
) -> JournalEntry:
    entry = JournalEntry(
        application_id=application.id,
        service=application.service,
        step=step,
        state="open",
        token_serial=application.token_serial,
        token_label=application.token_label,
        data="{}",
        updated_at=now,
        owner=me(),
        lease_until=now + LEASE,
    )
    CounterRows(session).add(entry)
    return entry


def held(session: Session, application_id: str, now: dt.datetime) -> JournalEntry:
    """The caller's own entry, locked for the rest of the transaction, its lease renewed."""
    entry = entry_for(session, application_id, lock=True)
    if entry.owner != me():
        raise JournalTaken(application=application_id, owner=entry.owner or "?")
    entry.lease_until = now + LEASE
    return entry


def claim(session: Session, application_id: str, now: dt.datetime) -> JournalEntry:
    """Take over an open entry whose owner is gone; refuse one still being worked on."""
    entry = entry_for(session, application_id, lock=True)
    if entry.owner != me() and owner_alive(entry.owner, entry.lease_until, now):
        raise JournalBusy(application=application_id, owner=entry.owner or "?")
    previous = entry.owner
    entry.owner, entry.lease_until = me(), now + LEASE
    audit.append(
        session,
        operator=audit.SYSTEM,
        action="journal.claim",
        obj=f"application:{application_id}",
        details={"from": previous, "to": entry.owner},
    )
    return entry


def step(
    session: Session, application_id: str, name: str, now: dt.datetime, **fields: Any
) -> JournalEntry:
    """Record that ``name`` is done (and what it produced) in the caller's transaction."""
    entry = held(session, application_id, now)
    entry.step, entry.updated_at = name, now
    for key, value in fields.items():
        setattr(entry, key, value)
    audit.append(
        session,
        operator=audit.SYSTEM,
        action=f"journal.{name}",
        obj=f"application:{application_id}",
        details={k: v for k, v in fields.items() if k in ("key_id", "cert_serial")},
    )
    return entry


def finish(
    session: Session,
    application_id: str,
    state: str,
    now: dt.datetime,
    extra: Mapping[str, Any] | None = None,
) -> JournalEntry:
    entry = held(session, application_id, now)
    entry.state, entry.updated_at = state, now
    if state == "done":
        entry.step = "done"
    if extra:
        entry.data = json.dumps(
            {**json.loads(entry.data or "{}"), **extra}, ensure_ascii=False, sort_keys=True
        )
    entry.lease_until = None
    return entry


def entry_for(session: Session, application_id: str, *, lock: bool = False) -> JournalEntry:
    """An application's journal entry; ``lock`` holds it for the rest of the transaction."""
    entry = CounterRows(session).journal_entry(application_id, lock=lock)
    if entry is None:
        raise NotFound(what_zh="业务日志", what_en="journal entry", key=application_id)
    return entry
