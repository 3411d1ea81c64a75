"""Agreement versions, their hash, and the subscriber's acceptance."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from counter_app.domain.agreement import (
    AgreementNotAccepted,
    AgreementRecord,
    AgreementVersion,
    UnknownAgreementVersion,
    check_acceptance,
    parse_agreement,
    parse_agreement_file_name,
)
from counter_app.domain.fields import WrongType

from .conftest import RESOURCES


def test_sha256_is_of_the_exact_file_bytes(agreements: list[AgreementVersion]) -> None:
    raw = (RESOURCES / "agreements" / "v1.zh.txt").read_bytes()
    assert agreements[0].sha256 == hashlib.sha256(raw).hexdigest()


def test_a_changed_character_changes_the_hash() -> None:
    assert AgreementVersion("1", "协议").sha256 != AgreementVersion("1", "协议 ").sha256


def test_text_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(UnicodeDecodeError):
        AgreementVersion.from_bytes("1", "协议".encode("gbk"))


def test_accepted_known_version_is_returned(agreements: list[AgreementVersion]) -> None:
    assert check_acceptance("1", True, agreements) is agreements[0]


def test_unknown_version_is_refused(agreements: list[AgreementVersion]) -> None:
    with pytest.raises(UnknownAgreementVersion) as caught:
        check_acceptance("2", True, agreements)
    assert caught.value.field == "agreement.version"


def test_not_accepted_is_refused(agreements: list[AgreementVersion]) -> None:
    with pytest.raises(AgreementNotAccepted) as caught:
        check_acceptance("1", False, agreements)
    assert caught.value.field == "agreement.accepted"


def test_truthy_string_is_not_acceptance(agreements: list[AgreementVersion]) -> None:
    with pytest.raises(AgreementNotAccepted):
        check_acceptance("1", "yes", agreements)


def test_parse_agreement_requires_a_boolean(agreements: list[AgreementVersion]) -> None:
    with pytest.raises(WrongType):
        parse_agreement({"version": "1", "accepted": "true"}, agreements)
    assert parse_agreement({"version": 1, "accepted": True}, agreements) is agreements[0]


def test_file_names_give_version_and_language() -> None:
    assert parse_agreement_file_name("v1.zh.txt") == ("1", "zh")
    assert parse_agreement_file_name("v2.1.en.txt") == ("2.1", "en")
    with pytest.raises(ValueError):
        parse_agreement_file_name("agreement.txt")


def test_record_keeps_version_hash_and_both_operators(agreements: list[AgreementVersion]) -> None:
    at = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
    record = AgreementRecord.of(agreements[0], accepted_at=at, clerk="c1", reviewer="r1")
    assert (record.version, record.sha256, record.reviewer) == ("1", agreements[0].sha256, "r1")
