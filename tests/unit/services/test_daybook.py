"""日结: a day of mixed services (paid in cash, card and transfer, a rollback with its refund, a
waiver, a free service) and every figure of the day report checked against sums done by hand;
then the close, the freeze it puts on the counter, and the reopening."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from counter_app.domain.daybook import business_day
from counter_app.domain.errors import PermissionDenied
from counter_app.services import daybook
from counter_app.services.enroll import EnrollmentResult
from counter_app.services.pipeline import ServiceRolledBack
from counter_app.store import audit
from counter_app.store.backoffice import DayCloseRow
from counter_app.store.counter import RefundRow
from counter_app.token.errors import TokenError
from tests.unit.services.conftest import Counter, person_b, unit, waived_device

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Day:
    date: dt.date
    zhang: EnrollmentResult
    rolled_back: str


def at_ten_in_shanghai(counter: Counter) -> dt.date:
    """Put the counter's clock at 10:00 Shanghai time today, so the day cannot turn mid-test."""
    now = dt.datetime.now(dt.UTC)
    local = now.astimezone(SHANGHAI)
    ten = dt.datetime.combine(local.date(), dt.time(10), tzinfo=SHANGHAI)
    counter.clock.offset = ten - now
    return local.date()


def business(counter: Counter) -> Day:
    """The day, by hand (fen):

    ======================  =======  ======  ========  ========  ======
    service                 clerk    cash    card      transfer  waived
    ======================  =======  ======  ========  ========  ======
    enroll 张三 individual  clerk1   10000
    enroll unit             clerk2                     30000
    enroll 王小明 (fails)    clerk1   10000   (refund T… 10000 cash)
    enroll device, waiver   clerk1                               50000
    add-item 张三           clerk1           5000
    suspend 张三 (free)      clerk1
    ======================  =======  ======  ========  ========  ======
    """
    day = at_ten_in_shanghai(counter)
    zhang = counter.enroll(label="SUB1")
    counter.enroll(unit(), label="UNIT1", operators=counter.acting(maker="clerk2"))
    failing = counter.tokens.add("SUB2")
    failing.fail_write = TokenError(detail="the token refused the certificate object")
    with pytest.raises(ServiceRolledBack) as info:
        counter.enroll(person_b(), label="SUB2")
    counter.enroll(waived_device(), label="DEV1", operators=counter.acting(supervisor="sup1"))
    counter.add_item(zhang.serial)
    counter.suspend(zhang.serial)
    return Day(day, zhang, info.value.data["application"])


def test_day_report_adds_up_to_the_hand_computed_figures(counter: Counter) -> None:
    day = business(counter)
    report = daybook.day_report(counter.ctx, day.date).to_json()
    assert report["date"] == day.date.isoformat()
    assert report["collected_fen"] == {"cash": 20000, "card": 5000, "transfer": 30000}
    assert report["refunded_fen"] == 10000
    assert report["waived_fen"] == 50000
    assert report["net_fen"] == 45000
    assert report["expected_cash_fen"] == 10000
    assert report["services"] == {"add_item": 1, "enroll": 3, "suspend": 1}
    assert report["rolled_back"] == 1
    assert report["closed"] is False


def test_day_report_splits_by_operator_and_counter(counter: Counter) -> None:
    day = business(counter)
    report = daybook.day_report(counter.ctx, day.date).to_json()
    clerk1, clerk2 = report["by_operator"]["clerk1"], report["by_operator"]["clerk2"]
    assert clerk1["collected_fen"] == {"cash": 20000, "card": 5000, "transfer": 0}
    assert (clerk1["refunded_fen"], clerk1["waived_fen"], clerk1["net_fen"]) == (
        10000,
        50000,
        15000,
    )
    assert clerk2["collected_fen"] == {"cash": 0, "card": 0, "transfer": 30000}
    assert clerk2["net_fen"] == 30000
    assert list(report["by_counter"]) == ["main"]
    assert report["by_counter"]["main"]["net_fen"] == 45000


def test_the_refund_is_the_one_the_pipeline_recorded(counter: Counter) -> None:
    day = business(counter)
    with counter.store.session() as session:
        [refund] = session.execute(select(RefundRow)).scalars().all()
    assert refund.application_id == day.rolled_back
    assert refund.refund_number.startswith("T")
    assert (refund.amount_fen, refund.method, refund.counter) == (10000, "cash", "main")


def test_another_day_and_another_counter_are_not_counted(counter: Counter) -> None:
    day = business(counter)
    assert daybook.day_report(counter.ctx, day.date + dt.timedelta(days=1)).total.net_fen == 0
    assert daybook.day_report(counter.ctx, day.date, "counter-2").total.net_fen == 0


def test_close_records_counted_cash_beside_the_expected(counter: Counter) -> None:
    day = business(counter)
    closed = daybook.close_day(
        counter.ctx, counter.people["sup1"], day.date, 9900, note="one yuan short"
    )
    assert (closed.expected_cash_fen, closed.counted_cash_fen, closed.difference_fen) == (
        10000,
        9900,
        -100,
    )
    report = daybook.day_report(counter.ctx, day.date, "main").to_json()
    assert report["closed"] is True
    assert report["close"]["supervisor"] == "sup1"
    assert report["close"]["note"] == "one yuan short"


def test_a_closed_day_refuses_a_paid_service_before_any_side_effect(counter: Counter) -> None:
    day = business(counter)
    daybook.close_day(counter.ctx, counter.people["sup1"], day.date, 10000)
    before = counter.counts()
    with pytest.raises(daybook.DayClosed) as info:
        counter.enroll(person_b(), label="SUB3")
    assert counter.counts() == before
    assert "reopen" in info.value.message("en")


def test_a_closed_day_still_allows_a_free_service(counter: Counter) -> None:
    day = business(counter)
    daybook.close_day(counter.ctx, counter.people["sup1"], day.date, 10000)
    counter.resume(day.zhang.serial)


def test_reopening_lifts_the_freeze(counter: Counter) -> None:
    day = business(counter)
    daybook.close_day(counter.ctx, counter.people["sup1"], day.date, 10000)
    daybook.reopen_day(counter.ctx, counter.people["sup2"], day.date, note="late payment")
    counter.enroll(person_b(), label="SUB3")
    assert daybook.day_report(counter.ctx, day.date).to_json()["collected_fen"]["cash"] == 30000


def test_a_clerk_cannot_close_the_day(counter: Counter) -> None:
    day = business(counter)
    with pytest.raises(PermissionDenied):
        daybook.close_day(counter.ctx, counter.people["clerk1"], day.date, 10000)


def test_a_day_closed_twice_is_refused(counter: Counter) -> None:
    day = business(counter)
    daybook.close_day(counter.ctx, counter.people["sup1"], day.date, 10000)
    with pytest.raises(daybook.DayAlreadyClosed):
        daybook.close_day(counter.ctx, counter.people["sup1"], day.date, 10000)


def test_a_day_not_closed_cannot_be_reopened(counter: Counter) -> None:
    day = at_ten_in_shanghai(counter)
    with pytest.raises(daybook.DayNotClosed):
        daybook.reopen_day(counter.ctx, counter.people["sup1"], day)


def test_a_day_not_begun_cannot_be_closed(counter: Counter) -> None:
    day = at_ten_in_shanghai(counter)
    with pytest.raises(daybook.DayInFuture):
        daybook.close_day(counter.ctx, counter.people["sup1"], day + dt.timedelta(days=1), 0)


def test_close_and_reopen_are_audited_and_verified(counter: Counter) -> None:
    day = business(counter)
    daybook.close_day(counter.ctx, counter.people["sup1"], day.date, 10000)
    daybook.reopen_day(counter.ctx, counter.people["sup1"], day.date)
    with counter.store.session() as session:
        actions = [e.action for e in audit.iter_events(session)]
        assert actions[-2:] == ["day.close", "day.reopen"]
        assert audit.verify(session).ok


def test_a_close_edited_behind_the_app_is_named_by_verify(counter: Counter) -> None:
    day = business(counter)
    daybook.close_day(counter.ctx, counter.people["sup1"], day.date, 9900)
    with counter.store.engine.begin() as conn:
        conn.execute(update(DayCloseRow).values(counted_cash_fen=10000))
    with counter.store.session() as session:
        result = audit.verify(session)
    assert not result.ok
    assert "day_closes row 1 was changed" in result.problem


def test_business_day_turns_at_midnight_in_shanghai() -> None:
    # 16:30 UTC on 1 March is 00:30 on 2 March in Shanghai.
    moment = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)
    assert business_day(moment, SHANGHAI) == dt.date(2026, 3, 2)


def test_a_day_with_a_service_in_progress_cannot_be_closed(counter: Counter) -> None:
    from counter_app.services.pipeline import ServiceInterrupted
    from counter_app.token.errors import TokenRemoved

    day = at_ten_in_shanghai(counter)
    counter.tokens.add("SUB1").fail_write = TokenRemoved()
    with pytest.raises(ServiceInterrupted):
        counter.enroll(label="SUB1")
    with pytest.raises(daybook.ServicesInProgress) as info:
        daybook.close_day(counter.ctx, counter.people["sup1"], day, 10000)
    assert "recover" in info.value.message("en")
