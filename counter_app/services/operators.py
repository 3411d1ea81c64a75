"""Operators: create the first admin, add, list, disable, change passwords, sign in.

Passwords are Argon2id hashes (argon2-cffi); a password itself is never stored or audited.
Every change and every failed sign-in is audited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from counter_app.domain.errors import (
    AlreadyExists,
    AuthenticationFailed,
    CounterError,
    NotFound,
    OperatorDisabled,
)
from counter_app.domain.operators import (
    Role,
    check_operator_name,
    check_password_policy,
    require_role,
)
from counter_app.store import audit
from counter_app.store.db import Store
from counter_app.store.models import Operator
from counter_app.store.types import utcnow

log = logging.getLogger(__name__)
_hasher = PasswordHasher()
# Compared against when the operator does not exist, so a wrong name costs the same time.
_DUMMY_HASH = _hasher.hash("counter-app dummy password")


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

    @classmethod
    def of(cls, row: Operator) -> OperatorInfo:
        return cls(row.id, row.name, Role(row.role), row.active)


def _find(session: Session, name: str) -> Operator | None:
    return session.execute(select(Operator).where(Operator.name == name)).scalar_one_or_none()


def create_first_admin(store: Store, name: str, password: str) -> OperatorInfo:
    name = check_operator_name(name)
    check_password_policy(password)
    with store.session() as session:
        if session.execute(select(func.count()).select_from(Operator)).scalar_one():
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
    session.add(row)
    session.flush()
    return row


def authenticate(store: Store, name: str, password: str) -> OperatorInfo:
    """Check a sign-in; a failure is audited and says nothing about which part was wrong."""
    log.debug("sign-in attempt for operator %s", name)
    with store.session() as session:
        row = _find(session, name)
        try:
            _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
            ok = row is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if ok and row is not None and not row.active:
            audit.append(
                session,
                operator=name,
                action="operator.login_refused",
                obj=f"operator:{name}",
                details={"reason": "disabled"},
            )
            failure: CounterError = OperatorDisabled(name=name)
        elif ok and row is not None:
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            return OperatorInfo.of(row)
        else:
            audit.append(
                session,
                operator=name[:64],
                action="operator.login_failed",
                obj=f"operator:{name[:200]}",
                details={},
            )
            failure = AuthenticationFailed()
    raise failure


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
        rows = session.execute(select(Operator).order_by(Operator.name)).scalars()
        return [OperatorInfo.of(r) for r in rows]


def disable_operator(store: Store, actor: OperatorInfo, name: str) -> OperatorInfo:
    require_role(
        actor.role, (Role.ADMIN,), action_zh="停用操作员", action_en="disabling an operator"
    )
    with store.session() as session:
        row = _find(session, name)
        if row is None:
            raise NotFound(what_zh="操作员", what_en="operator", key=name)
        if row.role == Role.ADMIN and row.active:
            admins = session.execute(
                select(func.count())
                .select_from(Operator)
                .where(Operator.role == Role.ADMIN.value, Operator.active.is_(True))
            ).scalar_one()
            if admins <= 1:
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
        row = _find(session, name)
        if row is None:
            raise NotFound(what_zh="操作员", what_en="operator", key=name)
        row.password_hash = _hasher.hash(new_password)
        row.password_changed_at = utcnow()
        audit.append(session, operator=actor.name, action="operator.passwd", obj=f"operator:{name}")
