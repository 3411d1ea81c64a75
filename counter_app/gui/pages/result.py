"""Result page: what was done (serial, validity, receipt, change due) and the documents to print.

Printing renders the PDF through ``services.documents.render`` in a worker, keeps it under the
data directory's ``printouts/`` and opens the system's print preview (see ``gui/print_preview``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from counter_app.domain.display import shown_time
from counter_app.domain.fees import format_yuan, yuan_in_capitals
from counter_app.gui.context import GuiContext
from counter_app.gui.print_preview import Printable, prepare, preview_dialog, written_to
from counter_app.gui.wizard.page import WizardPage

# The rows of ui/result.ui (``<key>_caption`` beside ``result_<key>``), and its print buttons
# (``print_<kind>``, '-' as '_'): the receipt always, a service's own forms when it names them.
ROWS = ("serial", "validity", "token", "application_id", "receipt_number", "fee", "change")
PRINTOUTS = ("receipt", "application", "agreement", "change-form")


def validity_text(context: GuiContext, not_before: dt.datetime, not_after: dt.datetime) -> str:
    """Both ends in the RA's zone; the zone's label once, at the end (as on the printed form)."""
    start = shown_time(not_before, context.time_zone, label=False, seconds=False)
    return f"{start} — {context.shown_time(not_after)}"


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
        super().__init__(context, parent, form="result.ui")
        self._facts: dict[str, Any] = {}
        form = self.form
        self.done_label = form.get(QLabel, "done_label")
        self.values: dict[str, QLabel] = {}
        self.row_labels: dict[str, QLabel] = {}
        for key in ROWS:
            self.values[key] = form.get(QLabel, f"result_{key}")
            self.row_labels[key] = form.get(QLabel, f"{key}_caption")
        self.print_buttons: dict[str, QPushButton] = {}
        for kind in PRINTOUTS:
            button = form.get(QPushButton, f"print_{kind.replace('-', '_')}")
            if kind == "receipt" or kind in forms:
                button.clicked.connect(lambda _=False, k=kind: self.print_document(k))
                self.print_buttons[kind] = button
            else:
                button.hide()
        self.printed_label = form.get(QLabel, "printed_label")

    def title(self) -> str:
        return self.tr("Result")

    def enter(self, data: Mapping[str, Any]) -> None:
        self._facts = facts(data.get("result"))
        f = self._facts
        shown = {
            "serial": f.get("serial") or "",
            "validity": (
                validity_text(self.context, f["not_before"], f["not_after"])
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
            prepare,
            self.context.service_context(),
            kind,
            str(key),
            self.context.clerk().name,
            on_done=self._prepared,
        )

    def _prepared(self, printable: object) -> None:
        assert isinstance(printable, Printable)
        self.printed_label.setText(written_to(printable))
        self.preview = preview_dialog(printable, self)
        self.preview.open()

    def apply(self) -> dict[str, Any]:
        return {}
