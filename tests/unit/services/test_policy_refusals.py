"""Every refusal of the authorisation policy (domain/policy.py), through the service pipeline:
the specific error, and nothing written (no application, payment, journal, certificate, key)."""

from __future__ import annotations

from collections.abc import Callable
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


@pytest.fixture
def serial(counter: Counter) -> str:
    """An individual's live certificate on token SUB1, issued by clerk1 and rev1."""
    return counter.enroll().serial


# -- the maker's role ---------------------------------------------------------------------------


@pytest.mark.parametrize("maker", ["admin", "rev1"])
def test_only_clerks_and_supervisors_may_enroll(counter: Counter, maker: str) -> None:
    before = counter.counts()
    with pytest.raises(PermissionDenied):
        counter.enroll(operators=counter.acting(maker=maker, second="rev2"))
    assert counter.counts() == before


def test_admin_cannot_suspend(counter: Counter, serial: str) -> None:
    before = counter.counts()
    with pytest.raises(PermissionDenied):
        counter.suspend(serial, operators=counter.acting(maker="admin", second=None))
    assert counter.counts() == before
    assert counter.status(serial) == "good"


def test_admin_cannot_revoke(counter: Counter, serial: str) -> None:
    before = counter.counts()
    with pytest.raises(PermissionDenied):
        counter.revoke(serial, operators=counter.acting(maker="admin", second="rev1"))
    assert counter.counts() == before
    assert counter.status(serial) == "good"


def test_reviewer_cannot_revoke_as_the_maker(counter: Counter, serial: str) -> None:
    before = counter.counts()
    with pytest.raises(PermissionDenied):
        counter.revoke(serial, operators=counter.acting(maker="rev1", second="rev2"))
    assert counter.counts() == before


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
    before = counter.counts()
    with pytest.raises(SecondPersonRequired):
        NEEDS_SECOND[service](counter, serial)
    assert counter.counts() == before
    assert all(d.unblocked == 0 for d in counter.tokens.devices.values())


def test_clerk_alone_cannot_revoke_without_a_second_person(counter: Counter, serial: str) -> None:
    before = counter.counts()
    with pytest.raises(SecondPersonRequired):
        counter.revoke(serial, operators=counter.acting(second=None))
    assert counter.counts() == before
    assert counter.status(serial) == "good"


def test_second_person_cannot_be_the_maker(counter: Counter) -> None:
    before = counter.counts()
    with pytest.raises(SecondPersonIsMaker):
        counter.enroll(operators=counter.acting(maker="sup1", second="sup1"))
    assert counter.counts() == before


def test_a_clerk_cannot_be_the_second_person(counter: Counter) -> None:
    before = counter.counts()
    with pytest.raises(SecondPersonRole):
        counter.enroll(operators=counter.acting(maker="clerk1", second="clerk2"))
    assert counter.counts() == before


# -- identity ---------------------------------------------------------------------------------


def test_revoke_without_identity_is_refused(counter: Counter, serial: str) -> None:
    before = counter.counts()
    with pytest.raises(IdentityRequired):
        counter.revoke(serial, identity=None)
    assert counter.counts() == before
    assert counter.status(serial) == "good"


def test_resume_without_identity_is_refused(counter: Counter, serial: str) -> None:
    counter.suspend(serial)
    before = counter.counts()
    with pytest.raises(IdentityRequired):
        counter.resume(serial, identity=None)
    assert counter.counts() == before
    assert counter.status(serial) == "hold"


def test_suspend_without_identity_or_supervisor_is_refused(counter: Counter, serial: str) -> None:
    before = counter.counts()
    with pytest.raises(IdentityOrSupervisorRequired):
        counter.suspend(serial, identity=None)
    assert counter.counts() == before
    assert counter.status(serial) == "good"


def test_emergency_hold_without_a_reason_is_refused(counter: Counter, serial: str) -> None:
    before = counter.counts()
    with pytest.raises(EmergencyReasonRequired):
        counter.suspend(
            serial, identity=None, operators=counter.acting(second=None, supervisor="sup1")
        )
    assert counter.counts() == before
    assert counter.status(serial) == "good"


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
    before = counter.counts()
    with pytest.raises(IdentityMismatch):
        counter.revoke(serial, identity=ID_B)
    assert counter.counts() == before
    assert counter.status(serial) == "good"


# -- the fee waiver ---------------------------------------------------------------------------


def test_waiver_without_a_supervisor_signed_in_is_refused(counter: Counter) -> None:
    before = counter.counts()
    with pytest.raises(SupervisorRequired):
        counter.enroll(waived_device(), label="DEV1")
    assert counter.counts() == before


def test_waiver_approved_by_a_reviewer_is_refused(counter: Counter) -> None:
    before = counter.counts()
    with pytest.raises(SupervisorRole):
        counter.enroll(
            waived_device(approved_by=None),
            label="DEV1",
            operators=counter.acting(second="rev1", supervisor="rev2"),
        )
    assert counter.counts() == before


def test_supervisor_cannot_waive_their_own_service(counter: Counter) -> None:
    before = counter.counts()
    with pytest.raises(SupervisorIsMaker):
        counter.enroll(
            waived_device(),
            label="DEV1",
            operators=counter.acting(maker="sup1", second="rev1", supervisor="sup1"),
        )
    assert counter.counts() == before


def test_waiver_form_naming_another_supervisor_is_refused(counter: Counter) -> None:
    before = counter.counts()
    with pytest.raises(WaiverApproverMismatch):
        counter.enroll(
            waived_device(approved_by="sup2"),
            label="DEV1",
            operators=counter.acting(supervisor="sup1"),
        )
    assert counter.counts() == before


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
    before = counter.counts()
    with pytest.raises(OperatorDisabled):
        counter.enroll(operators=acting)
    assert counter.counts() == before


def test_reviewer_disabled_while_the_token_opens_stops_before_recording(counter: Counter) -> None:
    def disable_reviewer(_device: FakeDevice) -> None:
        operators.disable_operator(counter.store, counter.people["admin"], "rev1")

    counter.tokens.on_session = disable_reviewer
    before = counter.counts()
    with pytest.raises(OperatorDisabled):
        counter.enroll()
    assert counter.counts() == before
