"""A wizard on screen: a header, the current page, an error line, Back / Next / Cancel.

The view asks the :class:`~counter_app.gui.wizard.flow.WizardFlow` where to go and the pages
what they hold; it decides nothing itself. Pages are built on first visit and kept, so Back
loses nothing. Next is enabled only while the current page is valid and not busy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from counter_app.gui.context import GuiContext
from counter_app.gui.widgets import hbox, text_label
from counter_app.gui.wizard.flow import WizardFlow
from counter_app.gui.wizard.page import WizardPage

PageBuilder = Callable[[GuiContext], WizardPage]


class WizardView(QWidget):
    """Shows ``flow`` with one page per step, built by ``builders[step_id]``."""

    finished = Signal(dict)
    cancelled = Signal()

    def __init__(
        self,
        context: GuiContext,
        title: str,
        make_flow: Callable[[], WizardFlow],
        builders: Mapping[str, PageBuilder],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self._make_flow = make_flow
        self._builders = builders
        self.flow = make_flow()
        self.pages: dict[str, WizardPage] = {}

        self.title_label = QLabel(title, self)
        self.title_label.setObjectName("wizard_title")
        self.title_label.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.step_label = text_label(self, "wizard_step")
        self.stack = QStackedWidget(self)
        self.error_label = text_label(self, "wizard_error", wrap=True, style="color: #b00020;")
        self.back_button = QPushButton(self.tr("< &Back"), self)
        self.next_button = QPushButton(self.tr("&Next >"), self)
        self.cancel_button = QPushButton(self.tr("&Cancel"), self)
        self.next_button.setDefault(True)
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        self.cancel_button.clicked.connect(self.cancel)

        layout = QVBoxLayout(self)
        layout.addLayout(hbox([self.title_label], [self.step_label]))
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.error_label)
        layout.addLayout(hbox([self.cancel_button], [self.back_button, self.next_button]))
        self._show_current()

    @property
    def builders(self) -> Mapping[str, PageBuilder]:
        """How each step's page is made (read-only; pages are built when first reached)."""
        return self._builders

    @property
    def page(self) -> WizardPage:
        return self.pages[self.flow.current.id]

    def _show_current(self) -> None:
        step_id = self.flow.current.id
        page = self.pages.get(step_id)
        if page is None:
            page = self._builders[step_id](self.context)
            page.changed.connect(self._refresh)
            page.advance_requested.connect(self.go_next)
            self.pages[step_id] = page
            self.stack.addWidget(page)
        page.enter(self.flow.data)
        self.stack.setCurrentWidget(page)
        self._refresh()
        page.setFocus(Qt.FocusReason.OtherFocusReason)
        first = page.nextInFocusChain()
        if first is not None:
            first.setFocus(Qt.FocusReason.TabFocusReason)

    def changeEvent(self, event: QEvent) -> None:
        """A language switch: the buttons and the step line in the new language."""
        if event.type() == QEvent.Type.LanguageChange and self.flow.current.id in self.pages:
            self.back_button.setText(self.tr("< &Back"))
            self.cancel_button.setText(self.tr("&Cancel"))
            self._refresh()
        super().changeEvent(event)

    def _refresh(self) -> None:
        page = self.page
        index, total = self.flow.position()
        self.step_label.setText(
            self.tr("Step %1 of %2: %3")
            .replace("%1", str(index))
            .replace("%2", str(total))
            .replace("%3", page.title())
        )
        last = self.flow.is_last() if page.valid else False
        self.next_button.setText(self.tr("&Finish") if last else self.tr("&Next >"))
        self.next_button.setEnabled(page.valid and not page.busy)
        self.back_button.setEnabled(self.flow.can_go_back and page.allows_back and not page.busy)
        # Once the irreversible step is done, "Cancel" would throw nothing away: hide it.
        self.cancel_button.setVisible(page.allows_back)
        self.error_label.setText(page.error)
        self.error_label.setVisible(bool(page.error))

    def go_next(self) -> None:
        page = self.page
        if not page.valid or page.busy:
            return
        produced: dict[str, Any] = page.apply()
        if self.flow.peek_next(produced) is None:
            self.flow.data.update(produced)
            self.finished.emit(dict(self.flow.data))
            self.restart()
            return
        self.flow.advance(produced)
        self._show_current()

    def go_back(self) -> None:
        if self.flow.can_go_back and self.page.allows_back and not self.page.busy:
            self.flow.back()
            self._show_current()

    def cancel(self) -> None:
        """Throw the wizard away and start over (pages and data discarded)."""
        if self.page.busy:
            return  # a token step is never cut in half
        self.restart()
        self.cancelled.emit()

    def restart(self) -> None:
        """A fresh wizard for the next subscriber (pages and data discarded)."""
        for page in self.pages.values():
            page.discard_tasks()
            self.stack.removeWidget(page)
            page.deleteLater()
        self.pages.clear()
        self.flow = self._make_flow()
        self._show_current()
