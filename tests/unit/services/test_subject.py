"""Unit names are counted in characters: up to 64 Chinese characters go into the certificate in
full; 65 are refused before any money, row or key."""

from __future__ import annotations

import pytest
from cryptography.x509.oid import NameOID

from counter_app.ca.profiles import SubjectRefused
from tests.unit.services.conftest import Counter, unit

_WORDS = "山西省太原市小店区晋阳街道人力资源和社会保障信息技术服务中心附属软件开发"


def unit_name(length: int) -> str:
    body = (_WORDS * 3)[: length - 4]
    return body + "有限公司"


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


def test_unit_name_of_65_characters_is_refused_before_anything_is_written(
    counter: Counter,
) -> None:
    before = counter.counts()
    with pytest.raises(SubjectRefused):
        counter.enroll(unit(unit_name(65)), label="UNIT1")
    assert counter.counts() == before
    assert counter.tokens.by_label("UNIT1").generated == 0
