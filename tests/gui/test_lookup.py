"""The look-up screen: search, show, and suspend / resume / revoke through the real widgets."""

from __future__ import annotations

from counter_app.gui.lookup import LookupScreen
from tests.gui.drive import click, on_screen, sign_dialog, type_text, wait_until


def _screen(qtbot, context) -> LookupScreen:  # type: ignore[no-untyped-def]
    return on_screen(qtbot, LookupScreen(context))


def _found(qtbot, screen: LookupScreen, text: str = "张三") -> None:  # type: ignore[no-untyped-def]
    type_text(screen.search_edit, text)
    click(screen.search_button)
    wait_until(lambda: screen.current is not None or screen.message_label.text() != "")


IDENTITY = "140105198506122318"  # the example individual's ID card, shown at the counter


def _shown(screen: LookupScreen) -> None:
    type_text(screen.identity_edit, IDENTITY)


def _reviewer_signs_in(screen: LookupScreen) -> None:
    from tests.integration.services.conftest import OPERATORS

    dialog = screen.dialog
    assert dialog is not None and dialog.isVisible()
    sign_dialog(dialog, "rev1", OPERATORS["rev1"][1])
    wait_until(lambda: dialog.reviewer is not None)


def _found_enrolled(qtbot, context, counter):  # type: ignore[no-untyped-def]
    """The example subscriber enrolled, and their certificate found on the screen."""
    enrolled = counter.enrolled()
    screen = _screen(qtbot, context)
    _found(qtbot, screen)
    return screen, enrolled


def _suspend(qtbot, context, counter):  # type: ignore[no-untyped-def]
    """The subscriber's certificate found, their identity typed, suspend pressed and answered."""
    screen, enrolled = _found_enrolled(qtbot, context, counter)
    _shown(screen)
    click(screen.suspend_button)
    wait_until(lambda: not screen.busy)
    return screen, enrolled


def _status_in_db(counter, serial: str) -> str:  # type: ignore[no-untyped-def]
    return counter.db(f"select status from ca_certificates where serial_hex = '{serial}'")[0][0]


def test_search_by_name_lists_the_subscribers_certificate(
    qtbot, counter_context, counter, zh
) -> None:  # type: ignore[no-untyped-def]
    screen, enrolled = _found_enrolled(qtbot, counter_context, counter)
    assert screen.table.rowCount() == 1
    assert screen.table.item(0, 0).text() == enrolled["serial"]
    assert screen.table.item(0, 2).text() == "有效"


def test_suspend_from_the_lookup_screen_puts_the_certificate_on_hold(
    qtbot, counter_context, counter, zh
) -> None:  # type: ignore[no-untyped-def]
    screen, enrolled = _suspend(qtbot, counter_context, counter)
    assert screen.current is not None and screen.current.status == "on_hold"
    assert screen.table.item(0, 2).text() == "已挂起"
    assert _status_in_db(counter, enrolled["serial"]) == "hold"
    assert screen.resume_button.isEnabled() and not screen.suspend_button.isEnabled()


def test_resume_from_the_lookup_screen_makes_it_active_again(
    qtbot, counter_context, counter, zh
) -> None:  # type: ignore[no-untyped-def]
    screen, enrolled = _suspend(qtbot, counter_context, counter)
    assert _status_in_db(counter, enrolled["serial"]) == "hold"
    click(screen.resume_button)
    _reviewer_signs_in(screen)
    wait_until(lambda: not screen.busy and screen.current is not None)
    wait_until(lambda: screen.current is not None and screen.current.status == "active")
    assert _status_in_db(counter, enrolled["serial"]) == "good"


def test_revoke_needs_the_confirmation_tick(qtbot, counter_context, counter, zh) -> None:  # type: ignore[no-untyped-def]
    screen, _ = _found_enrolled(qtbot, counter_context, counter)
    assert not screen.revoke_button.isEnabled()
    click(screen.confirm_revoke)
    assert screen.revoke_button.isEnabled()


def test_revoke_with_a_reason_from_the_lookup_screen(qtbot, counter_context, counter, zh) -> None:  # type: ignore[no-untyped-def]
    screen, enrolled = _found_enrolled(qtbot, counter_context, counter)
    screen.reason_combo.setCurrentIndex(screen.reason_combo.findData("key-compromise"))
    _shown(screen)
    click(screen.confirm_revoke)
    click(screen.revoke_button)
    _reviewer_signs_in(screen)
    wait_until(lambda: screen.current is not None and screen.current.status == "revoked")
    assert screen.current is not None and screen.current.status == "revoked"
    row = counter.db(
        f"select status, reason from ca_certificates where serial_hex = '{enrolled['serial']}'"
    )[0]
    assert row[0] == "revoked" and "key" in row[1].lower()
    assert not screen.resume_button.isEnabled() and not screen.suspend_button.isEnabled()


def test_wrong_identity_shown_is_refused_in_words(qtbot, counter_context, counter, en) -> None:  # type: ignore[no-untyped-def]
    screen, enrolled = _found_enrolled(qtbot, counter_context, counter)
    type_text(screen.identity_edit, "11010519491231002X")
    click(screen.suspend_button)
    wait_until(lambda: not screen.busy)
    assert screen.message_label.text() == (
        "the identity document shown does not match the certificate's subscriber or its agent"
    )
    assert _status_in_db(counter, enrolled["serial"]) == "good"


def test_suspend_without_the_identity_is_refused_in_words(
    qtbot, counter_context, counter, en
) -> None:  # type: ignore[no-untyped-def]
    screen, enrolled = _found_enrolled(qtbot, counter_context, counter)
    click(screen.suspend_button)
    wait_until(lambda: not screen.busy and screen.message_label.text() != "")
    assert "needs the subscriber's identity" in screen.message_label.text()
    assert _status_in_db(counter, enrolled["serial"]) == "good"
