"""Unlock (解锁) wizard: fee, then the token step with the subscriber's ID, SO PIN and new PIN.

The identity check and the PIN reset are the unlock service's; the page only collects. The SO
PIN and the new PIN leave their fields before the worker starts and are never kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from counter_app.domain.fees import SettlementForm
from counter_app.gui import registry
from counter_app.gui.context import GuiContext
from counter_app.gui.pages.fee import FeePage
from counter_app.gui.pages.result import ResultPage
from counter_app.gui.pages.reviewer import ReviewerPage
from counter_app.gui.pages.token import TokenStepPage, acting
from counter_app.gui.wizard.flows import unlock_flow
from counter_app.gui.wizard.view import PageBuilder, WizardView
from counter_app.services import unlock
from counter_app.services.context import ServiceContext
from counter_app.services.operators import OperatorInfo
from counter_app.services.tokens import TokenChoice


def run_unlock(
    ctx: ServiceContext,
    data: Mapping[str, Any],
    token: TokenChoice,
    pin: str,
    clerk: OperatorInfo,
) -> unlock.UnlockResult:
    request = unlock.UnlockRequest(
        token,
        str(data["identity"]),
        so_pin=pin,
        new_pin=str(data["new_pin"]),
        settlement=SettlementForm.from_mapping(data["payment"]),
    )
    return unlock.unlock(ctx, request, acting(data, clerk))


class UnlockTokenPage(TokenStepPage):
    """The token step with the identity shown and the new PIN typed twice."""

    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(
            context,
            parent,
            action=run_unlock,
            start_text=QCoreApplication.translate("UnlockWizard", "&Unlock the PIN"),
            progress_text=QCoreApplication.translate("UnlockWizard", "Resetting the PIN…"),
            form_name="unlock_token.ui",  # the SO PIN, the subscriber's ID and the new PIN twice
        )
        self.identity_edit = self.form.get(QLineEdit, "identity_edit")
        self.new_pin_edit = self.form.get(QLineEdit, "new_pin_edit")
        self.repeat_pin_edit = self.form.get(QLineEdit, "repeat_pin_edit")
        self.mismatch_label = self.form.get(QLabel, "mismatch_label")
        for edit in (self.identity_edit, self.new_pin_edit, self.repeat_pin_edit):
            edit.textChanged.connect(self._update)

    def _update(self, *_: object) -> None:
        super()._update()
        if not hasattr(self, "repeat_pin_edit"):
            return
        new, repeat = self.new_pin_edit.text(), self.repeat_pin_edit.text()
        mismatch = bool(repeat) and new != repeat
        self.mismatch_label.setText(self.tr("The two new PINs differ.") if mismatch else "")
        complete = bool(self.identity_edit.text().strip() and new) and new == repeat
        if not complete:
            self.start_button.setEnabled(False)

    def extra_data(self) -> dict[str, Any]:
        data = {"identity": self.identity_edit.text().strip(), "new_pin": self.new_pin_edit.text()}
        self.new_pin_edit.clear()
        self.repeat_pin_edit.clear()
        return data


PAGES: dict[str, PageBuilder] = {
    "fee": partial(FeePage, service="unlock"),
    "review": ReviewerPage,
    "token": UnlockTokenPage,
    "result": ResultPage,
}

registry.register_wizard(
    "unlock",
    lambda context: WizardView(context, registry.service("unlock").title(), unlock_flow, PAGES),
)
