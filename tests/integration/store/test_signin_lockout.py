"""Sign-in lockout on a real SQLite store: five failures in a row lock an operator."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from counter_app.domain.errors import (
    AuthenticationFailed,
    InvalidName,
    OperatorLocked,
    PermissionDenied,
)
from counter_app.domain.operators import Role
from counter_app.services import operators
from counter_app.store import audit
from counter_app.store.db import open_store
from counter_app.store.models import AuditEvent

PASSWORD = "Clerk-pass1"
WRONG = "Wrong-pass1"
T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path: Path):
    s = open_store(f"sqlite:///{tmp_path / 'counter.db'}", create=True)
    yield s
    s.close()


@pytest.fixture
def admin(store) -> operators.OperatorInfo:
    admin = operators.create_first_admin(store, "admin", "Adm1n-pass")
    operators.add_operator(store, admin, "clerk1", Role.CLERK, PASSWORD)
    return admin


def at(minutes: float):  # type: ignore[no-untyped-def]
    return lambda: T0 + dt.timedelta(minutes=minutes)


def fail(store, times: int, minutes: float = 0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        with pytest.raises((AuthenticationFailed, OperatorLocked)):
            operators.authenticate(store, "clerk1", WRONG, clock=at(minutes))


def actions(store) -> list[str]:  # type: ignore[no-untyped-def]
    with store.session() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_fifth_failure_in_a_row_locks_the_operator(store, admin) -> None:
    fail(store, 4)
    with pytest.raises(OperatorLocked) as caught:
        operators.authenticate(store, "clerk1", WRONG, clock=at(0))
    assert "operator unlock clerk1" in caught.value.message("en")


def test_four_failures_still_let_the_right_password_in(store, admin) -> None:
    fail(store, 4)
    assert operators.authenticate(store, "clerk1", PASSWORD, clock=at(0)).name == "clerk1"


def test_right_password_while_locked_is_refused_like_a_wrong_one(store, admin) -> None:
    fail(store, 5)
    with pytest.raises(OperatorLocked) as right:
        operators.authenticate(store, "clerk1", PASSWORD, clock=at(1))
    with pytest.raises(OperatorLocked) as wrong:
        operators.authenticate(store, "clerk1", WRONG, clock=at(1))
    assert right.value.message("zh") == wrong.value.message("zh")
    assert right.value.message("en") == wrong.value.message("en")


def test_lock_ends_after_fifteen_minutes(store, admin) -> None:
    fail(store, 5)
    with pytest.raises(OperatorLocked):
        operators.authenticate(store, "clerk1", PASSWORD, clock=at(14.9))
    assert operators.authenticate(store, "clerk1", PASSWORD, clock=at(15.1)).name == "clerk1"


def test_failure_after_an_expired_lock_counts_from_one(store, admin) -> None:
    fail(store, 5)
    fail(store, 4, minutes=16)
    assert operators.authenticate(store, "clerk1", PASSWORD, clock=at(16)).name == "clerk1"


def test_success_resets_the_count_of_failures(store, admin) -> None:
    fail(store, 4)
    operators.authenticate(store, "clerk1", PASSWORD, clock=at(0))
    fail(store, 4)
    assert operators.authenticate(store, "clerk1", PASSWORD, clock=at(0)).name == "clerk1"


def test_admin_unlock_lets_the_operator_in_at_once(store, admin) -> None:
    fail(store, 5)
    operators.unlock_operator(store, admin, "clerk1")
    assert operators.authenticate(store, "clerk1", PASSWORD, clock=at(1)).name == "clerk1"


def test_unlock_by_a_non_admin_is_refused(store, admin) -> None:
    operators.add_operator(store, admin, "sup1", Role.SUPERVISOR, "Super-pass1")
    supervisor = operators.authenticate(store, "sup1", "Super-pass1")
    fail(store, 5)
    with pytest.raises(PermissionDenied):
        operators.unlock_operator(store, supervisor, "clerk1")


def test_listing_shows_the_lock(store, admin) -> None:
    fail(store, 5, minutes=0)
    listed = {o.name: o for o in operators.list_operators(store)}
    # The lock ends 15 minutes after T0, which is in the past by now: it is shown as over.
    assert listed["clerk1"].locked_until is None
    fail(store, 5, minutes=10**7)
    listed = {o.name: o for o in operators.list_operators(store)}
    assert listed["clerk1"].locked_until is not None


def test_each_failure_the_lock_and_the_unlock_are_audited(store, admin) -> None:
    fail(store, 6)
    operators.unlock_operator(store, admin, "clerk1")
    seen = actions(store)
    assert seen[-8:] == ["operator.login_failed"] * 5 + [
        "operator.locked",
        "operator.login_refused",
        "operator.unlock",
    ]
    with store.session() as session:
        assert audit.verify(session).ok


def test_sign_in_name_with_a_control_character_is_refused_before_log_and_audit(
    store, admin, caplog: pytest.LogCaptureFixture
) -> None:
    with store.session() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(InvalidName):
        operators.authenticate(store, "clerk1\nadmin signed in", WRONG)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
    assert "admin signed in" not in caplog.text


def test_sign_in_name_with_a_bidi_mark_is_refused(store, admin) -> None:
    with pytest.raises(InvalidName):
        operators.authenticate(store, "clerk1\u202e", PASSWORD)
