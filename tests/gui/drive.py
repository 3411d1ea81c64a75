"""Drive the enrollment wizard like a clerk (clicks and keys), shared by tests and the bench."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from counter_app.gui.enroll.agreement import AgreementPage
from counter_app.gui.enroll.identity import IdentityPage
from counter_app.gui.pages.fee import FeePage
from counter_app.gui.pages.reviewer import ReviewerPage
from counter_app.gui.pages.token import TokenStepPage
from counter_app.gui.wizard.view import WizardView

VALID_ID = "11010519491231002X"
LEFT = Qt.MouseButton.LeftButton


def wait_until(predicate: Any, timeout_ms: int = 60000) -> None:
    """Spin the event loop (never block it) until ``predicate()`` holds."""
    waited = 0
    while not predicate():
        if waited >= timeout_ms:
            raise TimeoutError(f"condition not met within {timeout_ms} ms")
        QTest.qWait(10)
        waited += 10


def type_text(edit: QWidget, text: str) -> None:
    """ASCII by key clicks; Chinese as an input method's committed text (as a real IME does)."""
    if text.isascii():
        QTest.keyClicks(edit, text)
        return
    edit.setFocus()
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(edit, event)


def click(widget: QWidget) -> None:
    QTest.mouseClick(widget, LEFT)


def fill_identity(view: WizardView, name: str = "张三", id_number: str = VALID_ID) -> None:
    page = view.page
    assert isinstance(page, IdentityPage)
    type_text(page.field("ind_name"), name)
    type_text(page.field("ind_id_number"), id_number)
    type_text(page.field("ind_mobile"), "13800138000")
    for row in page._doc_rows:
        click(row.check)
    click(view.next_button)


def accept_agreement(view: WizardView) -> None:
    page = view.page
    assert isinstance(page, AgreementPage)
    wait_until(lambda: page.agreement is not None)
    page.text_view.setFocus()
    QTest.keyClick(page.text_view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    wait_until(page.accepted_check.isEnabled)
    QTest.keyClick(page.accepted_check, Qt.Key.Key_Space)
    click(view.next_button)


def pay_cash(view: WizardView, tendered: str = "150.00") -> FeePage:
    page = view.page
    assert isinstance(page, FeePage)
    click(page.method_buttons["cash"])
    type_text(page.tendered_edit, tendered)
    click(view.next_button)
    return page


def approve(view: WizardView, name: str, password: str) -> None:
    page = view.page
    assert isinstance(page, ReviewerPage)
    click(page.sign_button)
    dialog = page.dialog
    assert dialog is not None
    type_text(dialog.name_edit, name)
    type_text(dialog.password_edit, password)
    click(dialog.approve_button)
    wait_until(lambda: page.reviewer is not None or dialog.password_msg.text() != "")
    click(view.next_button)


def run_token_step(view: WizardView, pin: str, timeout_ms: int = 120000) -> TokenStepPage:
    page = view.page
    assert isinstance(page, TokenStepPage)
    wait_until(lambda: page.token_list.count() > 0, timeout_ms)
    if page.token_list.currentItem() is None:
        page.token_list.setCurrentRow(0)
    pin_edit: QLineEdit = page.pin_edit
    type_text(pin_edit, pin)
    click(page.start_button)
    wait_until(lambda: page.result is not None or (page.error and not page.busy), timeout_ms)
    return page


def enroll_through_widgets(
    view: WizardView, reviewer: str, reviewer_password: str, pin: str
) -> TokenStepPage:
    fill_identity(view)
    accept_agreement(view)
    pay_cash(view)
    approve(view, reviewer, reviewer_password)
    return run_token_step(view, pin)
