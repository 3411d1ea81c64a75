"""Offer recovery of services a crash or a pulled token interrupted (the journal's open entries).

Shown after sign-in when ``list_interrupted`` finds any, and from the window's menu. Finishing
or rolling back needs the token and its PIN; the call runs on the token lane.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListWidget, QPushButton, QWidget

from counter_app.gui.context import GuiContext
from counter_app.gui.errors import describe
from counter_app.gui.forms import load_form
from counter_app.gui.i18n import QT_TRANSLATE_NOOP
from counter_app.gui.registry import service_title
from counter_app.gui.widgets import call_in_worker
from counter_app.services.recovery import Interrupted, Outcome, list_interrupted, recover

OUTCOME_LABELS = {
    "finished": QT_TRANSLATE_NOOP("RecoveryDialog", "finished"),
    "rolled_back": QT_TRANSLATE_NOOP("RecoveryDialog", "rolled back (refund the fee)"),
    "waiting_for_token": QT_TRANSLATE_NOOP("RecoveryDialog", "waiting for the token"),
    "failed": QT_TRANSLATE_NOOP("RecoveryDialog", "failed"),
}

STEP_LABELS = {
    "recorded": QT_TRANSLATE_NOOP("RecoveryDialog", "recorded, no key yet"),
    "key_generated": QT_TRANSLATE_NOOP("RecoveryDialog", "key made on the token"),
    "issued": QT_TRANSLATE_NOOP("RecoveryDialog", "certificate issued, not yet on the token"),
    "written": QT_TRANSLATE_NOOP("RecoveryDialog", "certificate on the token"),
}


def recover_text() -> str:
    """What opens recovery: the home page's button, the window's menu entry."""
    return QCoreApplication.translate("RecoveryDialog", "&Recover interrupted services…")


class RecoveryDialog(QDialog):
    def __init__(
        self, context: GuiContext, items: list[Interrupted], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._context = context
        self.outcomes: list[Outcome] = []
        self.setWindowTitle(self.tr("counter-app: interrupted services"))
        self.form = form = load_form("recovery_dialog.ui", self)
        self.items_list = form.get(QListWidget, "interrupted_list")
        for item in items:
            self.items_list.addItem(
                self.tr("%1  %2, stopped after step '%3', token %4")
                .replace("%1", item.application_id)
                .replace("%2", service_title(item.service))
                .replace("%3", self.tr(STEP_LABELS.get(item.step, item.step)))
                .replace("%4", item.token_label or item.token_serial or "?")
            )
        self.pin_edit = form.get(QLineEdit, "recovery_pin")
        self.message_label = form.get(QLabel, "recovery_message")
        self.later_button, self.rollback_button, self.finish_button = form.get_all(
            QPushButton, "later_button", "rollback_button", "finish_button"
        )
        self.later_button.clicked.connect(self.reject)
        self.finish_button.clicked.connect(lambda: self.run(rollback=False))
        self.rollback_button.clicked.connect(lambda: self.run(rollback=True))
        self.resize(640, 360)

    def run(self, *, rollback: bool) -> None:
        pin = self.pin_edit.text() or None
        self.pin_edit.clear()
        ctx = self._context
        call_in_worker(
            ctx.runner,
            self._busy,
            recover,
            ctx.service_context(),
            pin,
            rollback=rollback,
            operator=ctx.clerk().name,
            on_done=self._done,
            on_error=lambda exc: self.message_label.setText(describe(exc)),
            token=True,
        )

    def _done(self, outcomes: list[Outcome]) -> None:
        self.outcomes = outcomes
        lines = [
            f"{o.application_id}: {self.tr(OUTCOME_LABELS.get(o.result, o.result))}"
            + (f" ({o.detail})" if o.detail else "")
            for o in outcomes
        ]
        self.message_label.setText("\n".join(lines))
        if all(o.result in ("finished", "rolled_back") for o in outcomes):
            self.finish_button.setEnabled(False)
            self.rollback_button.setEnabled(False)
            self.later_button.setText(self.tr("&Close"))

    def _busy(self, busy: bool) -> None:
        for widget in (self.pin_edit, self.finish_button, self.rollback_button, self.later_button):
            widget.setEnabled(not busy)
        if busy:
            self.message_label.setText(self.tr("Working on the token…"))


def offer_recovery(
    context: GuiContext, parent: QWidget, on_open: Callable[[RecoveryDialog | None], None]
) -> None:
    """Look for interrupted services in a worker; open the dialog only if there are any."""

    def found(items: object) -> None:
        assert isinstance(items, list)
        dialog = RecoveryDialog(context, items, parent) if items else None
        if dialog is not None:
            dialog.open()
        on_open(dialog)

    context.runner.run(list_interrupted, context.service_context(), on_done=found)
