"""The token step: choose the subscriber's token, enter its PIN (masked), run the service.

The service call (key made on the token, CSR, issuance, certificate written back) runs on the
token lane of the task runner, never on the GUI thread; a progress bar runs meanwhile. The PIN
is taken out of its field and the field cleared before the worker starts. Tokens come from the
page's own :class:`TokenMonitor` (inserted / removed noticed within half a second); a token
pulled during the step makes the service raise, and its message names the recovery path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QWidget,
)

from counter_app.gui.context import GuiContext
from counter_app.gui.forms import custom_widget, load_form
from counter_app.gui.token_status import TokenMonitor, describe_token, token_watcher
from counter_app.gui.wizard.page import WizardPage
from counter_app.services.context import ServiceContext
from counter_app.services.operators import OperatorInfo
from counter_app.services.pipeline import Operators
from counter_app.services.tokens import TokenChoice
from counter_app.token.session import TokenInfo

# (services, the flow's data, the token chosen, its PIN, the clerk) -> the service's result
TokenAction = Callable[[ServiceContext, Mapping[str, Any], TokenChoice, str, OperatorInfo], Any]
TOKEN_ROLE = Qt.ItemDataRole.UserRole


def acting(data: Mapping[str, Any], clerk: OperatorInfo) -> Operators:
    """The operators of a wizard's service: the clerk, the reviewer and the supervisor who
    signed in on its pages (the pipeline re-reads them and applies the policy)."""
    reviewer, supervisor = data.get("reviewer"), data.get("supervisor")
    return Operators(
        maker=clerk,
        second=reviewer if isinstance(reviewer, OperatorInfo) else None,
        supervisor=supervisor if isinstance(supervisor, OperatorInfo) else None,
    )


def issuing_step(
    action: TokenAction, start_text: Callable[[], str]
) -> Callable[[GuiContext], TokenStepPage]:
    """The token step of a service that makes a key and issues a certificate (enrollment, the
    replacements); ``start_text()`` is its button's text in the current language."""

    def build(context: GuiContext) -> TokenStepPage:
        return TokenStepPage(
            context,
            action=action,
            start_text=start_text(),
            progress_text=QCoreApplication.translate(
                "TokenStepPage", "Making the key on the token and issuing the certificate…"
            ),
        )

    return build


@custom_widget
class TokenChooser(QWidget):
    """What every token step's form begins with (``ui/token_chooser.ui``): what to do, the tokens
    inserted and a word when there is none. ``token_step.ui`` and ``unlock_token.ui`` place it;
    its children keep their names, so a page finds them in its own form."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        load_form("token_chooser.ui", self)


class TokenStepPage(WizardPage):
    """Runs ``action`` on the chosen token; valid (and moving on by itself) once it succeeded."""

    def __init__(
        self,
        context: GuiContext,
        parent: QWidget | None = None,
        *,
        action: TokenAction,
        start_text: str,
        progress_text: str,
        form_name: str = "token_step.ui",
    ) -> None:
        super().__init__(context, parent)
        self._action = action
        self._data: Mapping[str, Any] = {}
        self.result: Any = None
        self._chosen: object | None = None
        # A service with fields of its own (unlock) has its own form with the same widget names.
        self.form = form = load_form(form_name, self)
        self.hint_label = form.get(QLabel, "hint_label")
        self.token_list = form.get(QListWidget, "token_list")
        self.none_label = form.get(QLabel, "no_token_label")
        self.pin_label = form.get(QLabel, "pin_label")
        self.pin_edit = form.get(QLineEdit, "pin_edit")
        self.start_button = form.get(QPushButton, "start_button")
        self.start_button.setText(start_text)
        self.progress = form.get(QProgressBar, "progress")
        self.progress_label = form.get(QLabel, "progress_label")
        self.progress_label.setText(progress_text)
        self.removed_label = form.get(QLabel, "removed_label")
        self.token_list.currentItemChanged.connect(self._update)
        self.pin_edit.textChanged.connect(self._update)
        self.pin_edit.returnPressed.connect(self.start)
        self.start_button.clicked.connect(self.start)
        self.monitor: TokenMonitor | None = TokenMonitor(
            context.runner, token_watcher(context.config), self
        )
        self.monitor.changed.connect(self.show_tokens)
        self.monitor.removed.connect(self._token_removed)
        self._update()

    def title(self) -> str:
        return self.tr("Token")

    def enter(self, data: Mapping[str, Any]) -> None:
        self._data = data
        if self.monitor is not None:
            self.monitor.start()
        self._update()

    def hideEvent(self, event: Any) -> None:
        if self.monitor is not None:
            self.monitor.stop()
        super().hideEvent(event)

    # -- tokens --------------------------------------------------------------------------------
    def show_tokens(self, tokens: list[TokenInfo]) -> None:
        chosen = self.selected_token()
        self.token_list.clear()
        for token in tokens:
            if not token.initialised:
                continue
            item = QListWidgetItem(describe_token(token))
            item.setData(TOKEN_ROLE, token)
            self.token_list.addItem(item)
            if chosen is not None and getattr(token, "serial", None) == getattr(
                chosen, "serial", None
            ):
                self.token_list.setCurrentItem(item)
        if self.token_list.currentItem() is None and self.token_list.count() == 1:
            self.token_list.setCurrentRow(0)
        self._update()

    def selected_token(self) -> object | None:
        item = self.token_list.currentItem()
        return item.data(TOKEN_ROLE) if item is not None else None

    def _token_removed(self, token: object) -> None:
        if (
            self.busy
            and self._chosen is not None
            and getattr(token, "serial", None) == getattr(self._chosen, "serial", None)
        ):
            self.removed_label.setText(
                self.tr(
                    "The token was removed while it was in use. Wait for this step to report; "
                    "if it was interrupted, re-insert the token and use Recover."
                )
            )

    # -- the step --------------------------------------------------------------------------------
    def _update(self, *_: object) -> None:
        busy = self.busy
        done = self.result is not None
        self.none_label.setVisible(self.token_list.count() == 0 and not done)
        self.progress.setVisible(busy)
        self.progress_label.setVisible(busy)
        ready = self.selected_token() is not None and bool(self.pin_edit.text())
        self.start_button.setEnabled(ready and not busy and not done)
        for widget in (self.token_list, self.pin_edit):
            widget.setEnabled(not busy and not done)

    def set_busy(self, busy: bool) -> None:
        super().set_busy(busy)
        self._update()

    def start(self) -> None:
        token = self.selected_token()
        pin = self.pin_edit.text()
        self.pin_edit.clear()  # the PIN lives only as long as the call needs it
        if token is None or not pin or self.busy or self.result is not None:
            return
        self._chosen = token
        self.removed_label.setText("")
        choice = TokenChoice(
            serial=str(getattr(token, "serial", "")) or None,
            label=str(getattr(token, "label", "")) or None,
        )
        self.call_service(
            self._action,
            self.context.service_context(),
            {**self._data, **self.extra_data()},
            choice,
            pin,
            self.context.clerk(),
            on_done=self._done,
            token=True,
        )
        del pin

    def extra_data(self) -> dict[str, Any]:
        """What a subclass adds for this one call only (never kept in the flow's data)."""
        return {}

    def _done(self, result: object) -> None:
        self.result = result
        self.allows_back = False
        self._update()
        self.set_valid(True)
        self.advance_requested.emit()

    def apply(self) -> dict[str, Any]:
        return {"result": self.result}
