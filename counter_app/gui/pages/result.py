"""Result page: what was done (serial, validity, receipt, change due) and the documents to print.

Printing renders the PDF through ``services.documents.render`` in a worker, keeps it under the
data directory's ``printouts/`` and opens the system's print preview (see ``gui/print_preview``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from counter_app.domain.fees import format_yuan, yuan_in_capitals
from counter_app.gui.context import GuiContext
from counter_app.gui.print_preview import Printable, prepare, preview_dialog
from counter_app.gui.wizard.page import WizardPage


def _local(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def facts(result: object) -> dict[str, Any]:
    """The result as a mapping, whichever service produced it."""
    if isinstance(result, Mapping):
        return dict(result)
    to_json = getattr(result, "to_json", None)
    if callable(to_json):
        data = dict(to_json())
        data["not_before"] = getattr(result, "not_before", None)
        data["not_after"] = getattr(result, "not_after", None)
        return data
    return {}


class ResultPage(WizardPage):
    """The last page: read-only facts; Finish starts the next subscriber's wizard."""

    allows_back = False

    def __init__(
        self, context: GuiContext, parent: QWidget | None = None, *, forms: tuple[str, ...] = ()
    ) -> None:
        super().__init__(context, parent)
        self._facts: dict[str, Any] = {}
        self.done_label = QLabel(self.tr("Done."), self)
        self.done_label.setObjectName("done_label")
        self.done_label.setStyleSheet("font-size: 15pt; font-weight: bold; color: #1b5e20;")
        self.form_layout = QFormLayout()
        self.values: dict[str, QLabel] = {}
        rows = (
            ("serial", self.tr("Certificate serial:")),
            ("validity", self.tr("Valid:")),
            ("token", self.tr("Token:")),
            ("application_id", self.tr("Application number:")),
            ("receipt_number", self.tr("Receipt number:")),
            ("fee", self.tr("Fee:")),
            ("change", self.tr("Change due:")),
        )
        self.row_labels: dict[str, QLabel] = {}
        for key, text in rows:
            label = QLabel(text, self)
            value = QLabel(self)
            value.setObjectName(f"result_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form_layout.addRow(label, value)
            self.values[key] = value
            self.row_labels[key] = label
        self.values["change"].setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.print_buttons: dict[str, QPushButton] = {}
        buttons = QHBoxLayout()
        names = {
            "receipt": self.tr("Print &receipt"),
            "application": self.tr("Print &application form"),
            "agreement": self.tr("Print a&greement record"),
            "change-form": self.tr("Print &change form"),
        }
        for kind in ("receipt", *forms):
            button = QPushButton(names[kind], self)
            button.setObjectName(f"print_{kind}")
            button.clicked.connect(lambda _=False, k=kind: self.print_document(k))
            buttons.addWidget(button)
            self.print_buttons[kind] = button
        buttons.addStretch(1)
        self.printed_label = QLabel(self)
        self.printed_label.setObjectName("printed_label")
        self.printed_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.done_label)
        layout.addLayout(self.form_layout)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addWidget(self.printed_label)
        layout.addStretch(1)

    def title(self) -> str:
        return self.tr("Result")

    def enter(self, data: Mapping[str, Any]) -> None:
        self._facts = facts(data.get("result"))
        f = self._facts
        shown = {
            "serial": f.get("serial") or "",
            "validity": (
                f"{_local(f['not_before'])} — {_local(f['not_after'])}"
                if isinstance(f.get("not_before"), dt.datetime)
                and isinstance(f.get("not_after"), dt.datetime)
                else ""
            ),
            "token": " ".join(x for x in (f.get("token_label"), f.get("token_serial")) if x),
            "application_id": f.get("application_id") or "",
            "receipt_number": f.get("receipt_number") or "",
            "fee": f"¥{format_yuan(int(f['fee_fen']))}" if "fee_fen" in f else "",
            "change": (
                f"¥{format_yuan(int(f['change_fen']))}（{yuan_in_capitals(int(f['change_fen']))}）"
                if "change_fen" in f
                else ""
            ),
        }
        for key, text in shown.items():
            self.values[key].setText(str(text))
            self.values[key].setVisible(bool(text))
            self.row_labels[key].setVisible(bool(text))
        self.print_buttons["receipt"].setEnabled(bool(f.get("receipt_number")))
        self.printed_label.setText("")
        self.set_valid(True)

    def print_document(self, kind: str) -> None:
        key = self._facts.get("receipt_number" if kind == "receipt" else "application_id")
        if not key:
            return
        self.call_service(
            prepare, self.context.service_context(), kind, str(key), on_done=self._prepared
        )

    def _prepared(self, printable: object) -> None:
        assert isinstance(printable, Printable)
        self.printed_label.setText(self.tr("Written to %1").replace("%1", str(printable.path)))
        self.preview = preview_dialog(printable, self)
        self.preview.open()

    def apply(self) -> dict[str, Any]:
        return {}
