"""Agreement page: the full text, read to the end before "accepted" can be ticked.

The page shows the version and the SHA-256 of the exact bytes shown, which the application
record keeps. The text file is read in a worker (file I/O never on the GUI thread).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QCheckBox, QLabel, QPlainTextEdit, QWidget

from counter_app.config import resource_path
from counter_app.gui.context import GuiContext
from counter_app.gui.forms import load_form
from counter_app.gui.wizard.page import WizardPage

CURRENT_VERSION = "v1"


@dataclass(frozen=True)
class AgreementText:
    version: str
    text: str
    sha256: str


def load_agreement(version: str = CURRENT_VERSION, lang: str = "zh") -> AgreementText:
    """Read ``resources/agreements/<version>.<lang>.txt`` and hash its bytes."""
    raw = resource_path("agreements", f"{version}.{lang}.txt").read_bytes()
    return AgreementText(version, raw.decode("utf-8"), hashlib.sha256(raw).hexdigest())


class AgreementPage(WizardPage):
    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.form = load_form("enroll_agreement.ui", self)
        self.text_view = self.form.get(QPlainTextEdit, "agreement_text")
        self.accepted_check = self.form.get(QCheckBox, "accepted_check")
        self.version_value = self.form.get(QLabel, "version_value")
        self.hash_value = self.form.get(QLabel, "hash_value")
        self.scroll_hint = self.form.get(QLabel, "scroll_hint")
        self.agreement: AgreementText | None = None
        # Keyboard reading too (PgDn, Ctrl+End): read-only text is otherwise mouse-only.
        self.text_view.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.reached_end = False
        # Judged after the view has moved: the scroll bar signals before the viewport updates.
        bar = self.text_view.verticalScrollBar()
        bar.valueChanged.connect(self._check_soon)
        bar.rangeChanged.connect(self._check_soon)
        self.text_view.cursorPositionChanged.connect(self._check_soon)
        self.accepted_check.toggled.connect(self._update)
        self.call_service(load_agreement, on_done=self._loaded)

    def title(self) -> str:
        return self.tr("Agreement")

    def _loaded(self, agreement: object) -> None:
        assert isinstance(agreement, AgreementText)
        self.agreement = agreement
        self.text_view.setPlainText(agreement.text)
        self.version_value.setText(agreement.version)
        self.hash_value.setText(agreement.sha256)
        self._scrolled()

    def _check_soon(self, *_: object) -> None:
        QTimer.singleShot(0, self._scrolled)

    def _scrolled(self, *_: object) -> None:
        if self.agreement is None or self.reached_end:
            return
        if self._end_visible():
            self.reached_end = True
            self.accepted_check.setEnabled(True)
            self.scroll_hint.hide()
        self._update()

    def _end_visible(self) -> bool:
        """True when the text's last line is inside the viewport, on screen.

        Not "scroll bar at maximum": the range grows while the text is still being laid out
        (briefly 0 at the top) and Ctrl+End may stop a step short of it. The end's cursor
        rectangle is where the last line really is.
        """
        view = self.text_view
        if not view.isVisible():
            return False
        end = QTextCursor(view.document())
        end.movePosition(QTextCursor.MoveOperation.End)
        rect = view.cursorRect(end)
        return rect.top() >= 0 and rect.bottom() <= view.viewport().height()

    def _update(self, *_: object) -> None:
        self.set_valid(self.reached_end and self.accepted_check.isChecked())

    def enter(self, data: Mapping[str, Any]) -> None:
        self._scrolled()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._scrolled()

    def apply(self) -> dict[str, Any]:
        assert self.agreement is not None
        return {
            "agreement": {
                "version": self.agreement.version,
                "sha256": self.agreement.sha256,
                "accepted": True,
            }
        }
