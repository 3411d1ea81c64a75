"""Operators: create the first admin, add, list, disable, unlock, change passwords, sign in.

Passwords are Argon2id hashes (argon2-cffi); a password itself is never stored or audited.
Every change, every failed sign-in and every lock is audited. After
:data:`MAX_FAILED_SIGNINS` failures in a row an operator is locked for :data:`LOCK_DURATION`
or until an admin unlocks them; while locked every attempt gets the same answer, so a guess
made during the lock learns nothing about the password.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from counter_app.domain.errors import (
    AlreadyExists,
    AuthenticationFailed,
    CounterError,
    NotFound,
    OperatorDisabled,
    OperatorLocked,
)
from counter_app.domain.operators import (
    Role,
    check_operator_name,
    check_password_policy,
    check_sign_in_name,
    require_role,
)
from counter_app.store import audit
from counter_app.store.db import Store
from counter_app.store.models import Operator
from counter_app.store.operator_repo import OperatorRows
from counter_app.store.types import utcnow

log = logging.getLogger(__name__)
_hasher = PasswordHasher()
# Compared against when the operator does not exist, so a wrong name costs the same time.
# A fixed hash with the hasher's parameters, not one made at import: every CLI command imports
# this module and an Argon2 hash costs about 0.15 s; made lazily, the first unknown name would
# cost a hash more than a known one.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$esEXMPctySXteT1IbbDIyQ$JrXeq7Ok7RNOOdvoT0V6Gz3B8ZmM6pVQIShy6+nj0/M"


MAX_FAILED_SIGNINS = 5
LOCK_DURATION = dt.timedelta(minutes=15)
Clock = Callable[[], dt.datetime]


class LastAdmin(CounterError):
    code = "last_admin"
    zh = "不能停用最后一个有效的管理员"
    en = "the last active admin cannot be disabled"


class AlreadyInitialised(CounterError):
    code = "already_initialised"
    zh = "数据目录已初始化，已有操作员"
    en = "already initialised: operators exist"


@dataclass(frozen=True)
class OperatorInfo:
    """What the front ends may know of an operator (never the hash)."""

    id: int
    name: str
    role: Role
    active: bool
    locked_until: dt.datetime | None = None

    @classmethod
    def of(cls, row: Operator, now: dt.datetime | None = None) -> OperatorInfo:
        until = row.locked_until
        if until is not None and until <= (now or utcnow()):
            until = None
        return cls(row.id, row.name, Role(row.role), row.active, until)


def _find(session: Session, name: str) -> Operator | None:
    return OperatorRows(session).by_name(name)


def _existing(session: Session, name: str) -> Operator:
    row = _find(session, name)
    if row is None:
        raise NotFound(what_zh="操作员", what_en="operator", key=name)
    return row


def create_first_admin(store: Store, name: str, password: str) -> OperatorInfo:
    name = check_operator_name(name)
    check_password_policy(password)
    with store.session() as session:
        if OperatorRows(session).any():
            raise AlreadyInitialised()
        row = _new_operator(session, name, Role.ADMIN, password)
        audit.append(
            session,
            operator=name,
            action="store.init",
            obj=f"operator:{name}",
            details={"role": Role.ADMIN.value},
        )
        return OperatorInfo.of(row)


def _new_operator(session: Session, name: str, role: Role, password: str) -> Operator:
    now = utcnow()
    row = Operator(
        name=name,
        role=role.value,
        password_hash=_hasher.hash(password),
        active=True,
        created_at=now,
        password_changed_at=now,
    )
    OperatorRows(session).add(row)
    return row


def authenticate(store: Store, name: str, password: str, *, clock: Clock = utcnow) -> OperatorInfo:
    """Check a sign-in; a failure is audited and says nothing about which part was wrong.

    A name with control characters is refused before it reaches the log or the audit chain.
    """
    name = check_sign_in_name(name)
    log.debug("sign-in attempt for operator %s", name)
    now = clock()
    with store.session() as session:
        row = _find(session, name)
        try:
            # Verified even for a locked operator, so the answer takes the same time either way.
            _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
            ok = row is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if row is None:
            _audit_signin(session, name, "login_failed", {})
            failure: CounterError = AuthenticationFailed()
        elif row.locked_until is not None and row.locked_until > now:
            _audit_signin(session, name, "login_refused", {"reason": "locked"})
            failure = _locked(row)
        elif not ok:
            failure = _count_failure(session, row, now)
        elif not row.active:
            _audit_signin(session, name, "login_refused", {"reason": "disabled"})
            failure = OperatorDisabled(name=name)
        else:
            if row.failed_signins or row.locked_until is not None:
                row.failed_signins = 0
                row.locked_until = None
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            return OperatorInfo.of(row, now)
    raise failure


def _audit_signin(session: Session, name: str, outcome: str, details: dict[str, object]) -> None:
    """A sign-in that failed or was refused (``name`` as typed: cut to what the columns hold)."""
    audit.append(
        session,
        operator=name[:64],
        action=f"operator.{outcome}",
        obj=f"operator:{name[:200]}",
        details=details,
    )


def _count_failure(session: Session, row: Operator, now: dt.datetime) -> CounterError:
    """One more failure in a row; the fifth locks the operator (an expired lock starts afresh)."""
    if row.locked_until is not None:
        row.failed_signins = 0
        row.locked_until = None
        session.flush()
    OperatorRows(session).count_failure(row)
    _audit_signin(session, row.name, "login_failed", {"failures": row.failed_signins})
    if row.failed_signins < MAX_FAILED_SIGNINS:
        return AuthenticationFailed()
    row.locked_until = now + LOCK_DURATION
    log.info("operator %s locked after %d failed sign-ins", row.name, row.failed_signins)
    audit.append(
        session,
        operator=row.name,
        action="operator.locked",
        obj=f"operator:{row.name}",
        details={"failures": row.failed_signins, "until": row.locked_until.isoformat()},
    )
    return _locked(row)


def _locked(row: Operator) -> OperatorLocked:
    assert row.locked_until is not None
    return OperatorLocked(
        name=row.name,
        failures=MAX_FAILED_SIGNINS,
        until=row.locked_until.strftime("%Y-%m-%d %H:%M"),
    )


def unlock_operator(store: Store, actor: OperatorInfo, name: str) -> OperatorInfo:
    """An admin lifts a sign-in lock before its time and resets the failure count."""
    require_role(
        actor.role, (Role.ADMIN,), action_zh="解锁操作员", action_en="unlocking an operator"
    )
    with store.session() as session:
        row = _existing(session, name)
        was = {"failures": row.failed_signins, "was_locked": row.locked_until is not None}
        row.failed_signins = 0
        row.locked_until = None
        audit.append(
            session,
            operator=actor.name,
            action="operator.unlock",
            obj=f"operator:{name}",
            details=was,
        )
        return OperatorInfo.of(row)


def add_operator(
    store: Store, actor: OperatorInfo, name: str, role: Role, password: str
) -> OperatorInfo:
    require_role(actor.role, (Role.ADMIN,), action_zh="添加操作员", action_en="adding an operator")
    name = check_operator_name(name)
    check_password_policy(password)
    with store.session() as session:
        if _find(session, name) is not None:
            raise AlreadyExists(what_zh="操作员", what_en="operator", key=name)
        row = _new_operator(session, name, role, password)
        audit.append(
            session,
            operator=actor.name,
            action="operator.add",
            obj=f"operator:{name}",
            details={"role": role.value},
        )
        return OperatorInfo.of(row)


def find_operator(store: Store, name: str) -> OperatorInfo | None:
    """An operator by name, or ``None``; used to check who approved what."""
    with store.session() as session:
        row = _find(session, name)
        return OperatorInfo.of(row) if row is not None else None


def list_operators(store: Store) -> list[OperatorInfo]:
    with store.session() as session:
        return [OperatorInfo.of(r) for r in OperatorRows(session).all()]


def disable_operator(store: Store, actor: OperatorInfo, name: str) -> OperatorInfo:
    require_role(
        actor.role, (Role.ADMIN,), action_zh="停用操作员", action_en="disabling an operator"
    )
    with store.session() as session:
        row = _existing(session, name)
        last_admin = row.role == Role.ADMIN and row.active
        if last_admin and OperatorRows(session).active_count(Role.ADMIN.value) <= 1:
            raise LastAdmin()
        row.active = False
        audit.append(
            session, operator=actor.name, action="operator.disable", obj=f"operator:{name}"
        )
        return OperatorInfo.of(row)


def change_password(store: Store, actor: OperatorInfo, name: str, new_password: str) -> None:
    """An operator changes their own password; an admin may set anyone's."""
    if actor.name != name:
        require_role(
            actor.role,
            (Role.ADMIN,),
            action_zh="修改他人密码",
            action_en="changing another operator's password",
        )
    check_password_policy(new_password)
    with store.session() as session:
        row = _existing(session, name)
        row.password_hash = _hasher.hash(new_password)
        row.password_changed_at = utcnow()
        audit.append(session, operator=actor.name, action="operator.passwd", obj=f"operator:{name}")
