"""Recovery never takes a journal entry whose owner is alive (another process still working on
it), and takes one whose owner is dead; it closes what an interrupted service left open.

The other owner is a real process (``sleep``) whose ``host:pid:start`` is written as the entry's
owner, exactly as :func:`counter_app.services.journal.me` would write it in that process.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from counter_app.services import journal, recovery
from counter_app.services.certificates import show_application
from counter_app.services.pipeline import ServiceInterrupted
from counter_app.store.counter import JournalEntry
from counter_app.token.errors import TokenRemoved
from tests.unit.services.conftest import Counter
from tests.unit.services.fakes import USER_PIN


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "30"])
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def owner_of(proc: subprocess.Popen[bytes]) -> str:
    host = journal.me().rsplit(":", 2)[0]
    return f"{host}:{proc.pid}:{journal._process_start(proc.pid)}"


def interrupted(counter: Counter, owner: str, lease_until: dt.datetime | None = None) -> str:
    """An enrollment cut off after issuing (the token pulled at the write), handed to ``owner``."""
    device = counter.tokens.add("SUB1")
    device.fail_write = TokenRemoved()
    with pytest.raises(ServiceInterrupted) as info:
        counter.enroll(label="SUB1")
    device.fail_write = None  # re-inserted
    app_id = str(info.value.data["application"])
    with counter.store.session() as session:
        entry = session.execute(
            select(JournalEntry).where(JournalEntry.application_id == app_id)
        ).scalar_one()
        assert (entry.state, entry.step) == ("open", "issued")
        entry.owner = owner
        if lease_until is not None:
            entry.lease_until = lease_until
    return app_id


def journal_entry(counter: Counter, app_id: str) -> tuple[str, str | None]:
    with counter.store.session() as session:
        entry = journal.entry_for(session, app_id)
        return entry.state, entry.owner


def test_entry_of_a_live_owner_is_not_taken(
    counter: Counter, other_process: subprocess.Popen[bytes]
) -> None:
    owner = owner_of(other_process)
    app_id = interrupted(counter, owner)
    [outcome] = recovery.recover(counter.ctx, USER_PIN)
    assert (outcome.application_id, outcome.result) == (app_id, "busy")
    assert journal_entry(counter, app_id) == ("open", owner)
    assert counter.tokens.by_label("SUB1").certificates == []


def test_entry_of_a_live_owner_is_listed_as_busy(
    counter: Counter, other_process: subprocess.Popen[bytes]
) -> None:
    app_id = interrupted(counter, owner_of(other_process))
    [item] = recovery.list_interrupted(counter.ctx)
    assert (item.application_id, item.busy) == (app_id, True)


def test_entry_of_a_dead_owner_is_taken(
    counter: Counter, other_process: subprocess.Popen[bytes]
) -> None:
    owner = owner_of(other_process)
    app_id = interrupted(counter, owner)
    other_process.kill()
    other_process.wait(timeout=10)
    [outcome] = recovery.recover(counter.ctx, USER_PIN)
    assert (outcome.application_id, outcome.result) == (app_id, "finished")
    assert journal_entry(counter, app_id) == ("done", journal.me())
    [held] = counter.tokens.by_label("SUB1").certificates
    serial = counter.ca.serial_for_application(app_id)
    assert serial is not None and held.certificate.serial_number == int(serial, 16)


@pytest.mark.parametrize(("lease_minutes", "taken"), [(5, False), (-5, True)])
def test_entry_of_another_host_is_taken_only_when_its_lease_has_run_out(
    counter: Counter, lease_minutes: int, taken: bool
) -> None:
    lease_until = counter.clock() + dt.timedelta(minutes=lease_minutes)
    app_id = interrupted(counter, "counter-b.example:4242:99", lease_until)
    [outcome] = recovery.recover(counter.ctx, USER_PIN)
    assert outcome.application_id == app_id
    assert outcome.result == ("finished" if taken else "busy")


class Crash(Exception):
    """The process ends right after the application was recorded (in-process stand-in for the
    ``COUNTER_APP_TEST_CRASH_AFTER=recorded`` hook, which calls ``os._exit``)."""


def interrupted_change_on_the_records(counter: Counter, monkeypatch: pytest.MonkeyPatch) -> str:
    """A change of the mobile (no token involved), cut off after it was recorded and paid."""
    enrolled = counter.enroll()

    def crash(step: str) -> None:
        if step == "recorded":
            raise Crash(step)

    with monkeypatch.context() as patch:
        patch.setattr(counter.ctx, "step_done", crash)
        with pytest.raises(Crash):
            counter.change(enrolled.serial, {"mobile": "13900139000"})
    [item] = recovery.list_interrupted(counter.ctx)
    assert (item.service, item.step, item.token_serial, item.token_label) == (
        "change",
        "recorded",
        None,
        None,
    )
    return item.application_id


def test_interrupted_change_on_the_records_is_recovered(
    counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_id = interrupted_change_on_the_records(counter, monkeypatch)
    [outcome] = recovery.recover(counter.ctx, None)
    assert (outcome.application_id, outcome.result) in {
        (app_id, "finished"),
        (app_id, "rolled_back"),
    }, outcome
    assert journal_entry(counter, app_id)[0] != "open"


def test_interrupted_change_on_the_records_rolls_back_with_a_refund(
    counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_id = interrupted_change_on_the_records(counter, monkeypatch)
    [outcome] = recovery.recover(counter.ctx, None, rollback=True)
    assert (outcome.application_id, outcome.result) == (app_id, "rolled_back"), outcome
    [refund] = show_application(counter.ctx, app_id)["refunds"]
    assert refund["amount_fen"] == 5000
