"""One subscriber per token, one live certificate per subscriber and type (unless the reviewer
approves another), and the token's PIN: each refused before anything is written."""

from __future__ import annotations

import pytest

from counter_app.services.enroll import SecondLiveCertificate
from counter_app.services.tokens import TokenHeldByAnother
from counter_app.token.errors import WrongPin
from tests.unit.services.conftest import Counter, person_b


def test_token_holding_another_subscribers_live_certificate_is_refused(counter: Counter) -> None:
    counter.enroll(label="SUB1")  # 张三's live certificate is on SUB1
    before = counter.counts()
    with pytest.raises(TokenHeldByAnother):
        counter.enroll(person_b(), label="SUB1")
    assert counter.counts() == before
    assert len(counter.tokens.by_label("SUB1").keys) == 1


def test_same_person_enrolled_again_on_another_token_is_refused(counter: Counter) -> None:
    first = counter.enroll(label="SUB1")
    before = counter.counts()
    with pytest.raises(SecondLiveCertificate) as info:
        counter.enroll(label="SUB2")
    assert info.value.data["serial"] == first.serial
    assert counter.counts() == before
    assert counter.tokens.by_label("SUB2").generated == 0


def test_second_live_certificate_is_issued_when_the_reviewer_approves_it(
    counter: Counter,
) -> None:
    first = counter.enroll(label="SUB1")
    second = counter.enroll(label="SUB2", additional_certificate=True)
    assert second.serial != first.serial
    assert counter.status(first.serial) == "good"
    assert counter.status(second.serial) == "good"


def test_wrong_pin_is_refused_before_anything_is_written(counter: Counter) -> None:
    before = counter.counts()
    with pytest.raises(WrongPin):
        counter.enroll(pin="999999")
    assert counter.counts() == before
