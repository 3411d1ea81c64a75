"""The Qt side of a wizard page: it shows, collects and says whether it is complete.

A page exposes ``valid`` (Next may be pressed), ``busy`` (a worker is running for it),
``error`` (a sentence to show under the page) and :meth:`WizardPage.apply`, which returns the data
it contributes to the flow. Every change of these emits ``changed`` so the wizard view updates
its buttons. Pages stay alive while the wizard is open, so going back finds everything typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from counter_app.domain.errors import ValidationError
from counter_app.gui.context import GuiContext
from counter_app.gui.errors import describe, describe_at_field
from counter_app.gui.forms import load_form
from counter_app.gui.tasks import TaskHandle
from counter_app.gui.widgets import call_in_worker


class WizardPage(QWidget):
    changed = Signal()
    # A page whose own action completed (a token step) asks the view to move on by itself.
    advance_requested = Signal()
    # False on pages after an irreversible step: going back could not undo what was done.
    allows_back = True

    def __init__(
        self, context: GuiContext, parent: QWidget | None = None, *, form: str | None = None
    ) -> None:
        """``form``: the page's Designer form (``ui/<form>``), loaded into it as ``self.form``."""
        super().__init__(parent)
        self.context = context
        if form is not None:
            self.form = load_form(form, self)
        self._valid = False
        self._busy = False
        self._error = ""
        self._tasks: list[TaskHandle] = []

    # -- state the wizard view reads --------------------------------------------------------------
    @property
    def valid(self) -> bool:
        return self._valid

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def error(self) -> str:
        return self._error

    def set_valid(self, valid: bool) -> None:
        if valid != self._valid:
            self._valid = valid
            self.changed.emit()

    def set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.changed.emit()

    def set_error(self, error: str | BaseException | None) -> None:
        text = describe(error) if isinstance(error, BaseException) else (error or "")
        if text != self._error:
            self._error = text
            self.changed.emit()

    # -- what a concrete page provides --------------------------------------------------------
    def title(self) -> str:
        raise NotImplementedError

    def enter(self, data: Mapping[str, Any]) -> None:
        """Called each time the page is shown, with the flow's data so far."""

    def apply(self) -> dict[str, Any]:
        """The data this page contributes; called only when ``valid``."""
        raise NotImplementedError

    # -- calling a service ----------------------------------------------------------------------
    def call_service(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None],
        token: bool = False,
        **kwargs: Any,
    ) -> TaskHandle:
        """Run a service call in a worker with the page busy; its error shows under the page.

        ``token=True`` runs it on the token lane (every call touching the PKCS#11 token).
        """
        self.set_error(None)
        handle = call_in_worker(
            self.context.runner,
            self.set_busy,
            fn,
            *args,
            on_done=on_done,
            on_error=self.set_error,
            token=token,
            **kwargs,
        )
        self._tasks.append(handle)
        return handle

    def discard_tasks(self) -> None:
        for handle in self._tasks:
            handle.discard()
        self._tasks.clear()


class CheckedField(QObject):
    """A line edit checked as the clerk types, its message in a label beside it.

    ``check`` is a domain validator: it returns the normalised value or raises a
    :class:`ValidationError`, whose message (current language) goes into ``message``. An empty
    required field is invalid but shows no message until the clerk has left it once, so a fresh
    form is not covered in red.
    """

    changed = Signal()

    def __init__(
        self,
        edit: QLineEdit,
        message: QLabel,
        check: Callable[[str], str],
        *,
        required: bool = True,
        empty_message: Callable[[], str] | None = None,
    ) -> None:
        super().__init__(edit)
        self.edit = edit
        self.message = message
        self._check = check
        self.required = required
        self._empty_message = empty_message
        self._touched = False
        self.value: str | None = None
        self.valid = False
        message.setWordWrap(True)
        message.setStyleSheet("color: #b00020;")
        edit.textChanged.connect(self.revalidate)
        edit.editingFinished.connect(self._left)
        self.revalidate()

    def _left(self) -> None:
        self._touched = True
        self.revalidate()

    def revalidate(self) -> None:
        text = self.edit.text()
        shown = ""
        if not text:
            self.value = None
            self.valid = not self.required
            if self.required and self._touched and self._empty_message is not None:
                shown = self._empty_message()
        else:
            try:
                self.value = self._check(text)
                self.valid = True
            except ValidationError as exc:
                self.value = None
                self.valid = False
                shown = describe_at_field(exc)
        self.message.setText(shown)
        self.message.setVisible(bool(shown))
        self.changed.emit()
