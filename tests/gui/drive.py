"""Drive the enrollment wizard like a clerk (clicks and keys), shared by tests and the bench."""

from __future__ import annotations

from typing import Any, TypeVar

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from counter_app.gui.enroll.agreement import AgreementPage
from counter_app.gui.enroll.identity import IdentityPage
from counter_app.gui.pages.fee import FeePage
from counter_app.gui.pages.reviewer import ReviewerDialog, ReviewerPage
from counter_app.gui.pages.token import TokenStepPage
from counter_app.gui.wizard.view import WizardView

W = TypeVar("W", bound=QWidget)
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


def on_screen(qtbot: Any, widget: W, width: int = 1000, height: int = 700) -> W:
    """Show ``widget`` at this size, closed with the test."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    return widget


def wizard(qtbot: Any, context: Any, height: int = 720) -> WizardView:
    """The enrollment wizard, shown."""
    from counter_app.gui.enroll.wizard import build

    return on_screen(qtbot, build(context), 1000, height)


def type_text(edit: QWidget, text: str) -> None:
    """ASCII key by key; Chinese as an input method's committed text (as a real IME does).

    The event loop runs between keys, as it does between a clerk's keystrokes, so the time one
    key takes to handle is what a stall measurement sees (not a whole string's worth at once).
    """
    if text.isascii():
        for char in text:
            QTest.keyClicks(edit, char)
            QApplication.processEvents()
        return
    edit.setFocus()
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(edit, event)
    QApplication.processEvents()


def click(widget: QWidget) -> None:
    QTest.mouseClick(widget, LEFT)
    QApplication.processEvents()


def tick(box: QWidget) -> None:
    """Click a check box on its indicator (a wide box toggles only there and on its text)."""
    QTest.mouseClick(box, LEFT, pos=QPoint(6, box.height() // 2))
    QApplication.processEvents()


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


def ask_waiver(page: FeePage, approver: str, reference: str = "JM-2026-01") -> ReviewerDialog:
    """Choose the waiver, give its notice and approver, and open the supervisor's sign-in."""
    click(page.method_buttons["waiver"])
    type_text(page.reference_edit, reference)
    type_text(page.approver_edit, approver)
    click(page.supervisor_button)
    assert page.dialog is not None
    return page.dialog


def review_dialog(page: ReviewerPage) -> ReviewerDialog:
    click(page.sign_button)
    assert page.dialog is not None
    return page.dialog


def sign_dialog(dialog: ReviewerDialog, name: str | None, password: str) -> None:
    """Sign in on an approval dialog (``name`` None: the one it was opened with)."""
    if name is not None:
        type_text(dialog.name_edit, name)
    type_text(dialog.password_edit, password)
    click(dialog.approve_button)


def approve(view: WizardView, name: str, password: str) -> None:
    page = view.page
    assert isinstance(page, ReviewerPage)
    dialog = review_dialog(page)
    sign_dialog(dialog, name, password)
    wait_until(lambda: page.reviewer is not None or dialog.password_msg.text() != "")
    click(view.next_button)


def _choose(page: TokenStepPage, label: str | None) -> bool:
    for row in range(page.token_list.count()):
        token = page.token_list.item(row).data(Qt.ItemDataRole.UserRole)
        if label is None or getattr(token, "label", None) == label:
            page.token_list.setCurrentRow(row)
            return True
    return False


def run_token_step(
    view: WizardView, pin: str, timeout_ms: int = 120000, label: str | None = None
) -> TokenStepPage:
    page = view.page
    assert isinstance(page, TokenStepPage)
    wait_until(lambda: _choose(page, label), timeout_ms)
    pin_edit: QLineEdit = page.pin_edit
    type_text(pin_edit, pin)
    click(page.start_button)
    wait_until(lambda: page.result is not None or (page.error and not page.busy), timeout_ms)
    return page


def enroll_through_widgets(
    view: WizardView, reviewer: str, reviewer_password: str, pin: str, label: str | None = None
) -> TokenStepPage:
    fill_identity(view)
    accept_agreement(view)
    pay_cash(view)
    approve(view, reviewer, reviewer_password)
    return run_token_step(view, pin, label=label)
