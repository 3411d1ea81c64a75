"""变更: a field the certificate does not carry changes the records only (with the document that
proves it); a field it carries re-issues it with the old end of term."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from counter_app.services.certificates import show_application
from counter_app.services.enroll import EnrollmentResult
from counter_app.services.replace import ChangeDocumentMissing, ChangeRecorded
from tests.unit.services.conftest import Counter


def test_change_of_mobile_updates_the_records_only(counter: Counter) -> None:
    enrolled = counter.enroll()
    before = counter.counts()
    result = counter.change(enrolled.serial, {"mobile": "13900139000"})
    assert isinstance(result, ChangeRecorded)
    assert result.new_certificate is False
    assert result.serial == enrolled.serial
    assert [c["field"] for c in result.changes] == ["mobile"]
    after = counter.counts()
    assert after.certificates == before.certificates
    assert after.keys_generated == before.keys_generated
    assert counter.status(enrolled.serial) == "good"
    shown = show_application(counter.ctx, result.application_id)
    assert shown["status"] == "done" and shown["serial"] is None
    assert shown["subscriber"]["mobile"] == "13900139000"


def test_change_without_the_proving_document_is_refused(counter: Counter) -> None:
    enrolled = counter.enroll()
    before = counter.counts()
    with pytest.raises(ChangeDocumentMissing):
        counter.change(enrolled.serial, {"mobile": "13900139000"}, documents=())
    assert counter.counts() == before


def _email(cert: x509.Certificate) -> list[str]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return san.get_values_for_type(x509.RFC822Name)


def _cn(cert: x509.Certificate) -> Any:
    return cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


@pytest.mark.parametrize(
    ("field", "value"), [("email", "zhang.san@example.cn"), ("name", "张三丰")]
)
def test_change_of_a_field_the_certificate_carries_reissues_with_the_old_end_of_term(
    counter: Counter, field: str, value: str
) -> None:
    enrolled = counter.enroll()
    counter.clock.advance(days=100)
    result = counter.change(enrolled.serial, {field: value}, label="SUB1")
    assert isinstance(result, EnrollmentResult)
    assert result.serial != enrolled.serial
    old, new = counter.certificate(enrolled.serial), counter.certificate(result.serial)
    assert new.not_valid_after_utc == old.not_valid_after_utc
    if field == "email":
        assert _email(new) == [value]
    else:
        assert _cn(new) == value
    assert counter.status(enrolled.serial) == "revoked"
    assert counter.ca.status(enrolled.serial).reason == "superseded"
    device = counter.tokens.by_label("SUB1")
    assert [c.certificate.serial_number for c in device.certificates] == [new.serial_number]
