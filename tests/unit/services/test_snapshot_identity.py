"""A unit's certificate answers to the agent verified for it (the frozen snapshot), not to the
unit's latest agent: a second enrollment with a new agent must not take over the first one."""

from __future__ import annotations

import pytest

from counter_app.services.certificates import show_application
from counter_app.services.records import IdentityMismatch
from tests.unit.services.conftest import AGENT_NEW_ID, AGENT_OLD_ID, Counter, unit


def test_new_agents_id_does_not_prove_identity_for_the_old_agents_certificate(
    counter: Counter,
) -> None:
    first = counter.enroll(unit(), label="UNIT1")
    counter.enroll(unit(agent_id=AGENT_NEW_ID), label="UNIT2", additional_certificate=True)
    before = counter.counts()
    with pytest.raises(IdentityMismatch):
        counter.suspend(first.serial, identity=AGENT_NEW_ID)
    assert counter.counts() == before
    assert counter.status(first.serial) == "good"


def test_old_agents_id_still_proves_identity_for_their_certificate(counter: Counter) -> None:
    first = counter.enroll(unit(), label="UNIT1")
    counter.enroll(unit(agent_id=AGENT_NEW_ID), label="UNIT2", additional_certificate=True)
    counter.suspend(first.serial, identity=AGENT_OLD_ID)
    assert counter.status(first.serial) == "hold"


def test_first_enrollment_still_shows_the_first_agent(counter: Counter) -> None:
    first = counter.enroll(unit(), label="UNIT1")
    counter.enroll(unit(agent_id=AGENT_NEW_ID), label="UNIT2", additional_certificate=True)
    shown = show_application(counter.ctx, first.application_id)
    assert shown["subscriber"]["agent"]["id_number"] == AGENT_OLD_ID
    assert shown["subscriber"]["agent"]["name"] == "李四"
    assert {"type": "resident_id_card", "number": AGENT_OLD_ID} in shown["documents"]
