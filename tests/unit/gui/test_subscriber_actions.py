"""The subscriber page offers a service on a certificate as the domain's lifecycle allows it."""

from __future__ import annotations

import pytest

from counter_app.domain.lifecycle import CertificateStatus
from counter_app.gui.subscribers import ACTIONS, action_allowed

OFFERED = {
    CertificateStatus.ACTIVE: set(ACTIONS) - {"resume"},
    CertificateStatus.ON_HOLD: {"resume", "revoke", "reissue"},
    CertificateStatus.REVOKED: set(),
    CertificateStatus.EXPIRED: set(),
}


@pytest.mark.parametrize("status", list(OFFERED))
def test_services_offered_follow_the_lifecycle(status: CertificateStatus) -> None:
    assert {key for key in ACTIONS if action_allowed(key, status)} == OFFERED[status]


def test_a_certificate_still_being_signed_offers_nothing() -> None:
    assert not any(action_allowed(key, "pending") for key in ACTIONS)
