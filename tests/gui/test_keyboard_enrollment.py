"""A whole enrollment with the keyboard only: every key goes to the widget that has the focus.

Tab and Shift+Tab move, Space presses a button or ticks a box, Return submits a field, arrow keys
choose in a list, Ctrl+End scrolls the agreement; Chinese text arrives as an input method's
committed string (what a Chinese IME sends). No mouse event and no direct call on a widget.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from counter_app.gui.enroll.agreement import AgreementPage
from counter_app.gui.enroll.identity import IdentityPage
from counter_app.gui.enroll.wizard import build
from counter_app.gui.pages.fee import FeePage
from counter_app.gui.pages.result import ResultPage
from counter_app.gui.pages.reviewer import ReviewerPage
from counter_app.gui.pages.token import TokenStepPage
from tests.gui.conftest import OPERATORS, USER_PIN
from tests.gui.drive import VALID_ID, wait_until

NO = Qt.KeyboardModifier.NoModifier


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def key(k: Qt.Key, modifier: Qt.KeyboardModifier = NO) -> None:
    QTest.keyClick(focused(), k, modifier)
    QApplication.processEvents()


def type_keys(text: str) -> None:
    if text.isascii():
        QTest.keyClicks(focused(), text)
    else:
        event = QInputMethodEvent("", [])
        event.setCommitString(text)
        QApplication.sendEvent(focused(), event)
    QApplication.processEvents()


def tab_to(target: QWidget, limit: int = 80) -> None:
    """Press Tab until ``target`` has the focus (it must be reachable by Tab)."""
    for _ in range(limit):
        if focused() is target:
            return
        key(Qt.Key.Key_Tab)
    raise AssertionError(f"{target.objectName() or target} cannot be reached with Tab")


def press(button: QWidget) -> None:
    tab_to(button)
    key(Qt.Key.Key_Space)


def test_a_whole_enrollment_by_keyboard_only(qtbot, counter_context, counter, zh) -> None:  # type: ignore[no-untyped-def]
    counter.token("SUB1")
    view = build(counter_context)
    qtbot.addWidget(view)
    view.resize(1000, 720)
    view.show()
    view.activateWindow()
    assert QTest.qWaitForWindowActive(view, 5000)

    identity = view.page
    assert isinstance(identity, IdentityPage)
    tab_to(identity.field("ind_name"))
    type_keys("张三")
    tab_to(identity.field("ind_id_number"))
    type_keys(VALID_ID)
    tab_to(identity.field("ind_mobile"))
    type_keys("13800138000")
    for row in identity._doc_rows:
        press(row.check)
    wait_until(view.next_button.isEnabled, 5000)
    press(view.next_button)

    agreement = view.page
    assert isinstance(agreement, AgreementPage)
    wait_until(lambda: agreement.agreement is not None)
    tab_to(agreement.text_view)
    key(Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    wait_until(agreement.accepted_check.isEnabled, 5000)
    press(agreement.accepted_check)
    press(view.next_button)

    fee = view.page
    assert isinstance(fee, FeePage)
    press(fee.method_buttons["cash"])
    tab_to(fee.tendered_edit)
    type_keys("150")
    press(view.next_button)

    review = view.page
    assert isinstance(review, ReviewerPage)
    press(review.sign_button)
    dialog = review.dialog
    assert dialog is not None
    wait_until(lambda: focused() is dialog.name_edit, 5000)
    type_keys("rev1")
    key(Qt.Key.Key_Return)  # to the password
    type_keys(OPERATORS["rev1"][1])
    key(Qt.Key.Key_Return)  # approve
    wait_until(lambda: review.reviewer is not None, 10000)
    # The window manager gives the activation back when a dialog closes; offscreen has none.
    view.activateWindow()
    assert QTest.qWaitForWindowActive(view, 5000)
    press(view.next_button)

    token = view.page
    assert isinstance(token, TokenStepPage)
    wait_until(lambda: token.token_list.count() > 0, 60000)
    tab_to(token.token_list)
    for _ in range(token.token_list.count()):
        if getattr(token.token_list.currentItem(), "text", lambda: "")().startswith("SUB1"):
            break
        key(Qt.Key.Key_Down)
    tab_to(token.pin_edit)
    type_keys(USER_PIN)
    key(Qt.Key.Key_Return)  # start
    wait_until(lambda: token.result is not None or (token.error and not token.busy), 120000)
    assert token.error == ""
    result = view.page
    assert isinstance(result, ResultPage)
    assert re.fullmatch(r"[0-9A-F]+", result.values["serial"].text())
