"""Operator sign-in dialog: name and masked password, checked by the operators service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QPushButton, QWidget

from counter_app.gui.context import GuiContext
from counter_app.gui.errors import describe
from counter_app.gui.forms import load_form

if TYPE_CHECKING:
    from counter_app.services.operators import OperatorInfo


def _authenticate(store: Any, name: str, password: str) -> OperatorInfo:
    # Imported in the worker: the window shows before argon2 and the store's modules load.
    from counter_app.services import operators

    return operators.authenticate(store, name, password)


class LoginDialog(QDialog):
    """Sign in; on success ``operator`` holds who signed in and the dialog is accepted.

    The password is taken out of the field before the worker starts and the field is cleared,
    so the secret lives only as long as the service call needs it.
    """

    signed_in = Signal(object)
    failed = Signal(str)

    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.operator: OperatorInfo | None = None
        self.form = load_form("login.ui", self)
        self.setWindowTitle(self.tr("counter-app: sign in"))
        self.name_edit = self.form.get(QLineEdit, "name_edit")
        self.password_edit = self.form.get(QLineEdit, "password_edit")
        self.message_label = self.form.get(QLabel, "message_label")
        self.sign_in_button = self.form.get(QPushButton, "sign_in_button")
        self.form.get(QPushButton, "quit_button").clicked.connect(self.reject)
        self.sign_in_button.clicked.connect(self.submit)
        self.name_edit.returnPressed.connect(self.password_edit.setFocus)
        self.password_edit.returnPressed.connect(self.submit)
        self.message_label.hide()
        self._store_ready = True
        self.name_edit.setFocus()
        self.resize(480, 280)

    def wait_for_store(self) -> None:
        """The store is still opening (start-up): the button waits, the fields can be typed."""
        self._store_ready = False
        self.sign_in_button.setEnabled(False)
        self._show_message(self.tr("Opening the database…"))

    def store_ready(self) -> None:
        self._store_ready = True
        self.sign_in_button.setEnabled(True)
        self._show_message("")

    def store_failed(self, exc: BaseException) -> None:
        self._show_message(describe(exc))

    def submit(self) -> None:
        if not self._store_ready:
            return
        name = self.name_edit.text().strip()
        password = self.password_edit.text()
        self.password_edit.clear()
        if not name or not password:
            self._show_message(self.tr("Enter your operator name and password."))
            (self.name_edit if not name else self.password_edit).setFocus()
            return
        self._set_busy(True)
        self._context.runner.run(
            _authenticate,
            self._context.store,
            name,
            password,
            on_done=self._signed_in,
            on_error=self._refused,
        )

    def _signed_in(self, info: object) -> None:
        from counter_app.services.operators import OperatorInfo

        assert isinstance(info, OperatorInfo)
        self._set_busy(False)
        self.operator = info
        self.signed_in.emit(info)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self._set_busy(False)
        text = describe(exc)
        self._show_message(text)
        self.password_edit.setFocus()
        self.failed.emit(text)

    def _show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.name_edit, self.password_edit, self.sign_in_button):
            widget.setEnabled(not busy)
        if busy:
            self._show_message("")
