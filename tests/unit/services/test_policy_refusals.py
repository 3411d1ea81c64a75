"""Every refusal of the authorisation policy (domain/policy.py), through the service pipeline:
the specific error, and nothing written (no application, payment, journal, certificate, key)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from counter_app.domain.errors import OperatorDisabled, PermissionDenied
from counter_app.domain.fees import WaiverApproverMismatch
from counter_app.domain.policy import (
    EmergencyReasonRequired,
    IdentityOrSupervisorRequired,
    IdentityRequired,
    SecondPersonIsMaker,
    SecondPersonRequired,
    SecondPersonRole,
    SupervisorIsMaker,
    SupervisorRequired,
    SupervisorRole,
)
from counter_app.services import operators
from counter_app.services.certificates import show_application
from counter_app.services.records import IdentityMismatch
from tests.unit.services.conftest import ID_B, Counter, waived_device
from tests.unit.services.fakes import FakeDevice


@contextmanager
def refused(
    counter: Counter, error: type[Exception], serial: str | None = None, status: str = "good"
) -> Iterator[None]:
    """The block raises ``error`` and writes nothing: no row of any table, no key; the
    certificate ``serial``, when given, keeps its ``status``."""
    before = counter.counts()
    with pytest.raises(error):
        yield
    assert counter.counts() == before
    if serial is not None:
        assert counter.status(serial) == status


@pytest.fixture
def serial(counter: Counter) -> str:
    """An individual's live certificate on token SUB1, issued by clerk1 and rev1."""
    return counter.enroll().serial


# -- the maker's role ---------------------------------------------------------------------------


@pytest.mark.parametrize("maker", ["admin", "rev1"])
def test_only_clerks_and_supervisors_may_enroll(counter: Counter, maker: str) -> None:
    with refused(counter, PermissionDenied):
        counter.enroll(operators=counter.acting(maker=maker, second="rev2"))


def test_admin_cannot_suspend(counter: Counter, serial: str) -> None:
    with refused(counter, PermissionDenied, serial):
        counter.suspend(serial, operators=counter.acting(maker="admin", second=None))


def test_admin_cannot_revoke(counter: Counter, serial: str) -> None:
    with refused(counter, PermissionDenied, serial):
        counter.revoke(serial, operators=counter.acting(maker="admin", second="rev1"))


def test_reviewer_cannot_revoke_as_the_maker(counter: Counter, serial: str) -> None:
    with refused(counter, PermissionDenied):
        counter.revoke(serial, operators=counter.acting(maker="rev1", second="rev2"))


# -- the second person ------------------------------------------------------------------------

NEEDS_SECOND: dict[str, Callable[[Counter, str], Any]] = {
    "enroll": lambda c, s: c.enroll(
        label="SUB9", operators=c.acting(second=None), additional_certificate=True
    ),
    "renew": lambda c, s: c.renew(s, operators=c.acting(second=None)),
    "change": lambda c, s: c.change(s, {"mobile": "13900139000"}, operators=c.acting(second=None)),
    "add_item": lambda c, s: c.add_item(s, operators=c.acting(second=None)),
    "reissue": lambda c, s: c.reissue(s, operators=c.acting(second=None)),
    "unlock": lambda c, s: c.unlock(operators=c.acting(second=None)),
}


@pytest.mark.parametrize("service", sorted(NEEDS_SECOND))
def test_service_without_a_second_person_is_refused(
    counter: Counter, serial: str, service: str
) -> None:
    if service == "renew":
        counter.clock.advance(days=340)  # inside the 30-day renewal window
    with refused(counter, SecondPersonRequired):
        NEEDS_SECOND[service](counter, serial)
    assert all(d.unblocked == 0 for d in counter.tokens.devices.values())


def test_clerk_alone_cannot_revoke_without_a_second_person(counter: Counter, serial: str) -> None:
    with refused(counter, SecondPersonRequired, serial):
        counter.revoke(serial, operators=counter.acting(second=None))


def test_second_person_cannot_be_the_maker(counter: Counter) -> None:
    with refused(counter, SecondPersonIsMaker):
        counter.enroll(operators=counter.acting(maker="sup1", second="sup1"))


def test_a_clerk_cannot_be_the_second_person(counter: Counter) -> None:
    with refused(counter, SecondPersonRole):
        counter.enroll(operators=counter.acting(maker="clerk1", second="clerk2"))


# -- identity ---------------------------------------------------------------------------------


def test_revoke_without_identity_is_refused(counter: Counter, serial: str) -> None:
    with refused(counter, IdentityRequired, serial):
        counter.revoke(serial, identity=None)


def test_resume_without_identity_is_refused(counter: Counter, serial: str) -> None:
    counter.suspend(serial)
    with refused(counter, IdentityRequired, serial, "hold"):
        counter.resume(serial, identity=None)


def test_suspend_without_identity_or_supervisor_is_refused(counter: Counter, serial: str) -> None:
    with refused(counter, IdentityOrSupervisorRequired, serial):
        counter.suspend(serial, identity=None)


def test_emergency_hold_without_a_reason_is_refused(counter: Counter, serial: str) -> None:
    with refused(counter, EmergencyReasonRequired, serial):
        counter.suspend(
            serial, identity=None, operators=counter.acting(second=None, supervisor="sup1")
        )


def test_emergency_hold_with_a_reason_is_applied_and_recorded(
    counter: Counter, serial: str
) -> None:
    changed = counter.suspend(
        serial,
        identity=None,
        operators=counter.acting(second=None, supervisor="sup1"),
        emergency_reason="订户来电称介质被盗",
    )
    assert counter.status(serial) == "hold"
    shown = show_application(counter.ctx, changed.application_id)
    assert shown["status"] == "done"
    assert shown["supervisor"] == "sup1"
    assert shown["details"]["emergency_reason"] == "订户来电称介质被盗"
    assert shown["details"]["identity_checked"] is False


def test_identity_of_someone_else_is_refused(counter: Counter, serial: str) -> None:
    with refused(counter, IdentityMismatch, serial):
        counter.revoke(serial, identity=ID_B)


# -- the fee waiver ---------------------------------------------------------------------------


def test_waiver_without_a_supervisor_signed_in_is_refused(counter: Counter) -> None:
    with refused(counter, SupervisorRequired):
        counter.enroll(waived_device(), label="DEV1")


def test_waiver_approved_by_a_reviewer_is_refused(counter: Counter) -> None:
    with refused(counter, SupervisorRole):
        counter.enroll(
            waived_device(approved_by=None),
            label="DEV1",
            operators=counter.acting(second="rev1", supervisor="rev2"),
        )


def test_supervisor_cannot_waive_their_own_service(counter: Counter) -> None:
    with refused(counter, SupervisorIsMaker):
        counter.enroll(
            waived_device(),
            label="DEV1",
            operators=counter.acting(maker="sup1", second="rev1", supervisor="sup1"),
        )


def test_waiver_form_naming_another_supervisor_is_refused(counter: Counter) -> None:
    with refused(counter, WaiverApproverMismatch):
        counter.enroll(
            waived_device(approved_by="sup2"),
            label="DEV1",
            operators=counter.acting(supervisor="sup1"),
        )


def test_waiver_by_the_signed_in_supervisor_is_recorded(counter: Counter) -> None:
    result = counter.enroll(
        waived_device(), label="DEV1", operators=counter.acting(supervisor="sup1")
    )
    shown = show_application(counter.ctx, result.application_id)
    assert shown["supervisor"] == "sup1"
    [payment] = shown["payments"]
    assert payment["method"] == "waiver"
    assert payment["waiver_approved_by"] == "sup1"


# -- operators re-read as they act --------------------------------------------------------------


@pytest.mark.parametrize("who", ["clerk1", "rev1"])
def test_operator_disabled_after_sign_in_stops_at_once(counter: Counter, who: str) -> None:
    acting = counter.acting()  # signed in while still active
    operators.disable_operator(counter.store, counter.people["admin"], who)
    with refused(counter, OperatorDisabled):
        counter.enroll(operators=acting)


def test_reviewer_disabled_while_the_token_opens_stops_before_recording(counter: Counter) -> None:
    def disable_reviewer(_device: FakeDevice) -> None:
        operators.disable_operator(counter.store, counter.people["admin"], "rev1")

    counter.tokens.on_session = disable_reviewer
    with refused(counter, OperatorDisabled):
        counter.enroll()
