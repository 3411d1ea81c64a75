"""Operator sign-in dialog: name and masked password, checked by the operators service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QPushButton, QWidget

from counter_app.gui.context import GuiContext
from counter_app.gui.errors import describe
from counter_app.gui.forms import load_form
from counter_app.gui.widgets import WorkerDialog

if TYPE_CHECKING:
    from counter_app.services.operators import OperatorInfo


class LoginDialog(WorkerDialog, QDialog):
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
        self.show_message(self.tr("Opening the database…"))

    def store_ready(self) -> None:
        self._store_ready = True
        self.sign_in_button.setEnabled(True)
        self.show_message("")

    def store_failed(self, exc: BaseException) -> None:
        self.show_message(describe(exc))

    def submit(self) -> None:
        if not self._store_ready:
            return
        name = self.name_edit.text().strip()
        password = self.password_edit.text()
        self.password_edit.clear()
        if not name or not password:
            self.show_message(self.tr("Enter your operator name and password."))
            (self.name_edit if not name else self.password_edit).setFocus()
            return
        self.check_password(
            name,
            password,
            on_done=self._signed_in,
            focus=self.password_edit,
            on_refused=self.failed.emit,
        )

    def busy_widgets(self) -> Sequence[QWidget]:
        return (self.name_edit, self.password_edit, self.sign_in_button)

    def _signed_in(self, info: OperatorInfo) -> None:
        self.operator = info
        self.signed_in.emit(info)
        self.accept()
