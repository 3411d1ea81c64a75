"""The Session menu: lock and idle lock, sign out, change own password, language, About."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from counter_app.gui.lock import IdleWatcher, LockDialog, idle_minutes
from counter_app.gui.main_window import MainWindow
from counter_app.services import operators
from tests.gui.conftest import ROLE_PASSWORD
from tests.gui.drive import click, type_text, wait_until

NEW_PASSWORD = "Another-Good-Pass-2027!"


def _window(qtbot, context) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(context, watch_tokens=False)
    qtbot.addWidget(window)
    window.show()
    return window


def _locked(qtbot, sign_in_as) -> tuple[MainWindow, LockDialog]:  # type: ignore[no-untyped-def]
    window = _window(qtbot, sign_in_as("clerk"))
    window.lock_action.trigger()
    dialog = window.lock_dialog
    assert dialog is not None
    return window, dialog


def test_lock_hides_the_work_until_the_password(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    window, dialog = _locked(qtbot, sign_in_as)
    assert not window.work.isVisible()
    type_text(dialog.password_edit, ROLE_PASSWORD)
    click(dialog.unlock_button)
    wait_until(lambda: not window.locked)
    assert window.work.isVisible()


def test_a_wrong_password_keeps_the_counter_locked(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    window, dialog = _locked(qtbot, sign_in_as)
    type_text(dialog.password_edit, "not-the-password")
    click(dialog.unlock_button)
    wait_until(lambda: dialog.message_label.isVisible())
    assert window.locked
    assert not window.work.isVisible()


def test_escape_does_not_unlock(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    window, dialog = _locked(qtbot, sign_in_as)
    dialog.reject()
    assert window.locked


def test_five_wrong_passwords_at_the_lock_lock_the_operator_out(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    window, dialog = _locked(qtbot, sign_in_as)
    for _ in range(5):
        type_text(dialog.password_edit, "wrong-password")
        click(dialog.unlock_button)
        wait_until(lambda: dialog.unlock_button.isEnabled())
    info = operators.find_operator(window._context.store, "clerk1")
    assert info is not None and info.locked_until is not None
    # Even the right password is refused now: the lock-out is the operators service's.
    type_text(dialog.password_edit, ROLE_PASSWORD)
    click(dialog.unlock_button)
    wait_until(lambda: dialog.unlock_button.isEnabled())
    assert window.locked


def test_sign_out_from_the_lock_ends_the_session(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    window, dialog = _locked(qtbot, sign_in_as)
    with qtbot.waitSignal(window.signed_out, timeout=3000):
        click(dialog.sign_out_button)
    assert window._context.operator is None


def test_ctrl_l_is_the_lock_shortcut(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, sign_in_as("clerk"))
    assert window.lock_action.shortcut().toString() == "Ctrl+L"


def test_idle_lock_locks_after_the_quiet_time(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, sign_in_as("clerk"))
    window.idle.timer.setInterval(50)
    window.idle.resume()
    wait_until(lambda: window.locked, 3000)


def test_input_restarts_the_idle_clock(qtbot, gui_app) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent

    watcher = IdleWatcher(300)
    fired: list[bool] = []
    watcher.idle.connect(lambda: fired.append(True))
    try:
        qtbot.wait(200)
        press = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier)
        watcher.eventFilter(watcher, press)
        qtbot.wait(200)
        assert not fired  # 400 ms since start, but only 200 since the key
        wait_until(lambda: bool(fired), 3000)
    finally:
        watcher.stop()


def test_idle_minutes_setting_defaults_to_five() -> None:
    assert idle_minutes({}) == 5
    assert idle_minutes({"idle_lock_minutes": 2}) == 2
    assert idle_minutes({"idle_lock_minutes": "x"}) == 5


def test_change_password_needs_the_current_one(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, sign_in_as("clerk"))
    dialog = window.change_password()
    type_text(dialog.current_edit, "not-my-password")
    type_text(dialog.new_edit, NEW_PASSWORD)
    type_text(dialog.repeat_edit, NEW_PASSWORD)
    dialog.submit()
    wait_until(lambda: dialog.message_label.isVisible())
    assert dialog.isVisible()
    assert operators.authenticate(window._context.store, "clerk1", ROLE_PASSWORD)


def test_change_password_refuses_two_different_new_ones(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, sign_in_as("clerk"))
    dialog = window.change_password()
    type_text(dialog.current_edit, ROLE_PASSWORD)
    type_text(dialog.new_edit, NEW_PASSWORD)
    type_text(dialog.repeat_edit, NEW_PASSWORD + "x")
    dialog.submit()
    assert "differ" in dialog.message_label.text()


def test_change_password_sets_the_new_one(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, sign_in_as("clerk"))
    dialog = window.change_password()
    type_text(dialog.current_edit, ROLE_PASSWORD)
    type_text(dialog.new_edit, NEW_PASSWORD)
    type_text(dialog.repeat_edit, NEW_PASSWORD)
    dialog.submit()
    wait_until(lambda: not dialog.isVisible())
    assert operators.authenticate(window._context.store, "clerk1", NEW_PASSWORD).name == "clerk1"


def test_language_switch_retranslates_open_screens(qtbot, sign_in_as, zh) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, sign_in_as("clerk"))
    lookup = window.open_service("lookup")
    wizard = window.open_service("enroll")
    assert wizard is not None and lookup is not None
    assert window.session_menu.title() == "会话(&S)"
    window.language_actions["en"].trigger()
    wait_until(lambda: window.session_menu.title() == "&Session", 3000)
    assert window.services_list.item(0).text().startswith("Home")
    assert window.home.today_box.title() == "Services today"
    assert wizard.cancel_button.text() == "&Cancel"  # type: ignore[attr-defined]
    # A Designer form retranslates itself (QUiLoader with language change enabled).
    assert lookup.form.get(QLabel, "title_label").text() == "Look up"  # type: ignore[attr-defined]
    window.language_actions["zh_CN"].trigger()
    wait_until(lambda: window.session_menu.title() == "会话(&S)", 3000)
    assert wizard.cancel_button.text() == "取消(&C)"  # type: ignore[attr-defined]


def test_about_names_version_data_dir_and_database(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, sign_in_as("clerk"))
    dialog = window.about()
    wait_until(lambda: dialog.facts is not None)
    from counter_app import __version__

    assert dialog.values["version"].text() == __version__
    assert dialog.values["data_dir"].text() == str(window._context.config.data_dir)
    assert dialog.values["database"].text().startswith("sqlite:///")
