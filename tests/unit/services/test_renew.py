"""证书密钥更新 (and 补办): an expired certificate is not renewed (the subscriber enrolls anew); a
replacement certifies the same subject as the certificate it replaces."""

from __future__ import annotations

import pytest
from cryptography.x509.oid import NameOID

from counter_app.domain.lifecycle import RenewalOfExpired
from tests.unit.services.conftest import Counter, unit, waived_device


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


def _organisation(counter: Counter, serial: str) -> str:
    cert = counter.certificate(serial)
    return str(cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value)


@pytest.mark.parametrize("service", ["renew", "reissue"])
def test_device_certificate_replaced_keeps_its_owners_name(counter: Counter, service: str) -> None:
    counter.enroll(unit(), label="UNIT1")  # the owner is a subscriber here: O is its name
    device = counter.enroll(
        waived_device(), label="DEV1", operators=counter.acting(supervisor="sup1")
    )
    assert _organisation(counter, device.serial) == "太原市某某科技有限公司"
    if service == "renew":
        counter.clock.advance(days=340)
        replaced = counter.renew(device.serial, label="DEV1")
    else:
        replaced = counter.reissue(device.serial, label="DEV2")
    assert _organisation(counter, replaced.serial) == "太原市某某科技有限公司"
