"""The enrollment (新办) wizard: its flow (plain Python) and the page for each step.

Built so far: identity, then agreement. The fee, review, token and result steps need the
enrollment service (``counter_app.services.enroll``); until it exists the flow ends at a page
that says so plainly and cannot be finished.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from counter_app.gui import registry
from counter_app.gui.context import GuiContext
from counter_app.gui.enroll.agreement import AgreementPage
from counter_app.gui.enroll.identity import IdentityPage
from counter_app.gui.wizard.flow import Step, WizardFlow
from counter_app.gui.wizard.page import WizardPage
from counter_app.gui.wizard.view import PageBuilder, WizardView


def enrollment_flow() -> WizardFlow:
    return WizardFlow.of(
        [
            Step("identity", next="agreement", provides=("subscriber", "documents")),
            Step("agreement", next="pending", needs=("subscriber",), provides=("agreement",)),
            Step("pending", next=None, needs=("subscriber", "agreement")),
        ]
    )


class NotYetAvailablePage(WizardPage):
    """Where the wizard stops until the enrollment service exists; it can never be valid."""

    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        label = QLabel(self)
        label.setObjectName("pending_label")
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setText(
            self.tr(
                "Fee, review, token and hand-over are not available yet in this version. "
                "Nothing has been saved."
            )
        )
        QVBoxLayout(self).addWidget(label)

    def title(self) -> str:
        return self.tr("Not available yet")

    def enter(self, data: Mapping[str, Any]) -> None:
        self.set_valid(False)

    def apply(self) -> dict[str, Any]:
        raise AssertionError("this page is never valid")


PAGES: dict[str, PageBuilder] = {
    "identity": IdentityPage,
    "agreement": AgreementPage,
    "pending": NotYetAvailablePage,
}


def build(context: GuiContext) -> WizardView:
    return WizardView(context, registry.service("enroll").title(), enrollment_flow, PAGES)


registry.register_wizard("enroll", build)
