"""Sign-in through the real dialog on a real SQLite store."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from counter_app.gui.login import LoginDialog
from tests.conftest import ADMIN_PASSWORD


def _sign_in(qtbot, dialog: LoginDialog, name: str, password: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.name_edit, name)
    qtbot.keyClicks(dialog.password_edit, password)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)


@pytest.fixture
def dialog(qtbot, context) -> LoginDialog:  # type: ignore[no-untyped-def]
    shown = LoginDialog(context)
    qtbot.addWidget(shown)
    return shown


def _refused(qtbot, dialog: LoginDialog, name: str, password: str) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(dialog.failed, timeout=10000):
        _sign_in(qtbot, dialog, name, password)


def test_correct_password_signs_the_operator_in(qtbot, zh, dialog) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(dialog.signed_in, timeout=10000):
        _sign_in(qtbot, dialog, "admin", ADMIN_PASSWORD)
    assert dialog.operator is not None and dialog.operator.name == "admin"
    assert dialog.result() == LoginDialog.DialogCode.Accepted


def test_wrong_password_shows_the_message_next_to_the_field(qtbot, zh, dialog) -> None:  # type: ignore[no-untyped-def]
    dialog.show()
    _refused(qtbot, dialog, "admin", "Wrong-pass1")
    assert dialog.message_label.text() == "操作员名或密码错误"
    assert dialog.message_label.isVisible()
    assert dialog.operator is None


def test_password_field_is_cleared_after_a_failed_attempt(qtbot, zh, dialog) -> None:  # type: ignore[no-untyped-def]
    _refused(qtbot, dialog, "admin", "Wrong-pass1")
    assert dialog.password_edit.text() == ""


def test_password_field_is_masked(zh, qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    assert dialog.password_edit.echoMode() == dialog.password_edit.EchoMode.Password


def test_failure_message_is_english_when_the_language_is_english(qtbot, en, dialog) -> None:  # type: ignore[no-untyped-def]
    _refused(qtbot, dialog, "nobody", "Wrong-pass1")
    assert dialog.message_label.text() == "wrong operator name or password"


def test_locked_operator_is_told_so_even_with_the_right_password(qtbot, en, dialog) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        _refused(qtbot, dialog, "admin", "Wrong-pass1")
        dialog.name_edit.clear()
    _refused(qtbot, dialog, "admin", ADMIN_PASSWORD)
    assert "admin is locked after 5 failed sign-ins" in dialog.message_label.text()
    assert dialog.operator is None


def test_sign_in_waits_while_the_store_opens(qtbot, en, dialog) -> None:  # type: ignore[no-untyped-def]
    dialog.wait_for_store()
    assert not dialog.sign_in_button.isEnabled()
    assert dialog.message_label.text() == "Opening the database…"
    dialog.name_edit.setText("admin")
    dialog.password_edit.setText("anything")
    dialog.submit()  # Return in the password field before the store is open: nothing happens
    assert dialog.password_edit.text() == "anything"
    dialog.store_ready()
    assert dialog.sign_in_button.isEnabled()
    assert not dialog.message_label.isVisible()
