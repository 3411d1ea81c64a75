"""Agreement page: the full text, read to the end before "accepted" can be ticked.

The page shows the version and the SHA-256 of the exact bytes shown, which the application
record keeps. The text file is read in a worker (file I/O never on the GUI thread).

The subscriber's screen (双屏, :mod:`counter_app.gui.subscriber_screen`) shows the same text to
the subscriber, who may sign on its pad; this page says whether they have signed, with a
thumbnail, and hands the PNG on with the agreement. Without that screen nothing changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QPixmap, QTextCursor
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QWidget

from counter_app.config import resource_path
from counter_app.domain.signature import Signature
from counter_app.gui.context import GuiContext
from counter_app.gui.subscriber_screen import (
    SubscriberScreen,
    second_monitor,
    subscriber_screen,
)
from counter_app.gui.widgets import text_label
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
        super().__init__(context, parent, form="enroll_agreement.ui")
        self.text_view = self.form.get(QPlainTextEdit, "agreement_text")
        self.accepted_check = self.form.get(QCheckBox, "accepted_check")
        self.version_value, self.hash_value, self.scroll_hint = self.form.get_all(
            QLabel, "version_value", "hash_value", "scroll_hint"
        )
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
        self._build_subscriber_row()
        self.call_service(load_agreement, on_done=self._loaded)

    # -- the subscriber's screen ------------------------------------------------------------
    def _build_subscriber_row(self) -> None:
        self.signature: Signature | None = None
        row = QWidget(self)
        row.setObjectName("subscriber_row")
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        self.screen_button = QPushButton(row)
        self.screen_button.setObjectName("subscriber_screen_button")
        self.screen_button.clicked.connect(self.open_subscriber_screen)
        self.signed_label = text_label(row, "signed_label", wrap=True)
        self.signature_thumb = text_label(row, "signature_thumb")
        self.signature_thumb.hide()
        line.addWidget(self.screen_button)
        line.addWidget(self.signed_label, 1)
        line.addWidget(self.signature_thumb)
        host = self.layout()
        if host is not None:
            host.addWidget(row)
        self.facing: SubscriberScreen | None = subscriber_screen(self.context, create=False)
        if self.facing is not None:
            self.facing.start("")  # a new subscriber: no one else's signature is kept
            self.facing.signature_changed.connect(self._signature_changed)
        self._retranslate_subscriber_row()

    def _retranslate_subscriber_row(self) -> None:
        self.screen_button.setText(self.tr("Subscriber's &screen"))
        if self.signature is None:
            self.signed_label.setText(
                self.tr("The subscriber has not signed on the subscriber's screen.")
                if self.facing is not None and self.facing.isVisible()
                else self.tr("Subscriber's screen not open (signing on paper).")
            )
        else:
            self.signed_label.setText(
                self.tr("The subscriber has signed (SHA-256 %1…).").replace(
                    "%1", self.signature.sha256[:16]
                )
            )

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and hasattr(self, "screen_button"):
            self._retranslate_subscriber_row()
        super().changeEvent(event)

    def open_subscriber_screen(self) -> SubscriberScreen:
        """Open (or raise) the subscriber's screen with this agreement on it."""
        screen = self.facing
        if screen is None:
            screen = self.facing = subscriber_screen(self.context)
            assert screen is not None
            screen.signature_changed.connect(self._signature_changed)
            if self.agreement is not None:
                screen.start(self.agreement.text)
        screen.present()
        self._retranslate_subscriber_row()
        return screen

    def _signature_changed(self, signature: object) -> None:
        self.signature = signature if isinstance(signature, Signature) else None
        if self.signature is None:
            self.signature_thumb.clear()
            self.signature_thumb.hide()
        else:
            picture = QPixmap()
            picture.loadFromData(self.signature.png, "PNG")
            self.signature_thumb.setPixmap(
                picture.scaled(
                    180,
                    60,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
            self.signature_thumb.show()
        self._retranslate_subscriber_row()

    def title(self) -> str:
        return self.tr("Agreement")

    def _loaded(self, agreement: object) -> None:
        assert isinstance(agreement, AgreementText)
        self.agreement = agreement
        self.text_view.setPlainText(agreement.text)
        self.version_value.setText(agreement.version)
        self.hash_value.setText(agreement.sha256)
        if self.facing is not None:
            self.facing.start(agreement.text)
        elif second_monitor():
            self.open_subscriber_screen()  # the second monitor faces the subscriber: use it
        self._scrolled()

    def _check_soon(self, *_: object) -> None:
        # With the page as context: a check still queued when the page is deleted is dropped.
        QTimer.singleShot(0, self, self._scrolled)

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
        agreement: dict[str, Any] = {
            "version": self.agreement.version,
            "sha256": self.agreement.sha256,
            "accepted": True,
        }
        if self.signature is not None:
            agreement["signature"] = self.signature.png
        return {"agreement": agreement}
