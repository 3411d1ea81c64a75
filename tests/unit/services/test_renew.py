"""证书密钥更新 of a certificate that has expired is refused: the subscriber enrolls anew."""

from __future__ import annotations

import pytest

from counter_app.domain.lifecycle import RenewalOfExpired
from tests.unit.services.conftest import Counter


def test_renewing_an_expired_certificate_is_refused(counter: Counter) -> None:
    enrolled = counter.enroll()
    counter.clock.advance(days=400)
    before = counter.counts()
    with pytest.raises(RenewalOfExpired):
        counter.renew(enrolled.serial)
    assert counter.counts() == before


def test_renewing_inside_the_window_issues_a_new_certificate(counter: Counter) -> None:
    enrolled = counter.enroll()
    counter.clock.advance(days=340)
    renewed = counter.renew(enrolled.serial)
    assert counter.status(renewed.serial) == "good"
    assert counter.status(enrolled.serial) == "revoked"
