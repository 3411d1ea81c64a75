"""Unit names are counted in characters: up to 64 Chinese characters go into the certificate in
full; 65 are refused before any money, row or key."""

from __future__ import annotations

import warnings

import pytest
from cryptography.x509.oid import NameOID

from counter_app.ca.profiles import SubjectRefused
from tests.unit.services.conftest import Counter, unit

_WORDS = "山西省太原市小店区晋阳街道人力资源和社会保障信息技术服务中心附属软件开发"


def unit_name(length: int) -> str:
    body = (_WORDS * 3)[: length - 4]
    return body + "有限公司"


# cryptography counts X.520 bounds in UTF-8 bytes and warns when it parses such a name; the test's
# own reading of the certificate is not what is under test here (see the next test).
@pytest.mark.filterwarnings("ignore:Attribute's length must be")
@pytest.mark.parametrize("length", [22, 64])
def test_unit_name_of_up_to_64_chinese_characters_is_issued_in_full(
    counter: Counter, length: int
) -> None:
    name = unit_name(length)
    assert len(name) == length
    result = counter.enroll(unit(name), label="UNIT1")
    cert = counter.certificate(result.serial)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == name
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == name


def test_unit_name_of_64_characters_is_issued_without_a_warning(counter: Counter) -> None:
    # The length is checked in characters before signing (check_subject); cryptography's byte
    # count must not reach the clerk as a Python warning on stderr for every such issuance.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        counter.enroll(unit(unit_name(64)), label="UNIT1")
    assert [str(w.message) for w in caught if "length must be" in str(w.message)] == []


def test_unit_name_of_65_characters_is_refused_before_anything_is_written(
    counter: Counter,
) -> None:
    before = counter.counts()
    with pytest.raises(SubjectRefused):
        counter.enroll(unit(unit_name(65)), label="UNIT1")
    assert counter.counts() == before
    assert counter.tokens.by_label("UNIT1").generated == 0
