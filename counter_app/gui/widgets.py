"""What the GUI's pages and dialogs share: a service call in a worker, the message line, a
read-only table, the column titles and retranslation on a language change.

A page (operators, settings, signing module, subscribers, look-up, desk, batch renewal) mixes in
:class:`WorkerPage`; a small dialog with one call (sign-in, lock, password, opening the signing
module) mixes in :class:`WorkerDialog`; both, and :class:`counter_app.gui.wizard.page.WizardPage`,
run the call through :func:`call_in_worker`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from counter_app.gui.errors import describe
from counter_app.gui.i18n import QT_TRANSLATE_NOOP

if TYPE_CHECKING:
    from counter_app.gui.context import GuiContext
    from counter_app.gui.tasks import TaskHandle, TaskRunner

ERROR_STYLE = "color: #b00020;"
OK_STYLE = "color: #1b5e20;"
NOTE_STYLE = "color: #555;"
TITLE_STYLE = "font-size: 15pt; font-weight: bold;"


def call_in_worker(
    runner: TaskRunner,
    set_busy: Callable[[bool], None],
    fn: Callable[..., Any],
    *args: Any,
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    token: bool = False,
    **kwargs: Any,
) -> TaskHandle:
    """Run ``fn`` in a worker (``token=True``: on the token lane), busy until it ends either way."""
    set_busy(True)

    def done(result: Any) -> None:
        set_busy(False)
        on_done(result)

    def failed(exc: BaseException) -> None:
        set_busy(False)
        on_error(exc)

    submit = runner.run_token if token else runner.run
    return submit(fn, *args, on_done=done, on_error=failed, **kwargs)


def say(label: QLabel, text: str, *, error: bool = False) -> None:
    """A page's message line: green for what was done, red for a refusal."""
    label.setStyleSheet(ERROR_STYLE if error else OK_STYLE)
    label.setText(text)


def show_message(label: QLabel, text: str) -> None:
    """A dialog's message line, shown only while it has something to say."""
    label.setText(text)
    label.setVisible(bool(text))


class Retranslating:
    """Mixin for a widget that sets its strings in code: ``retranslate`` on a language change."""

    def retranslate(self) -> None:
        """Set every string in the current language (subclasses)."""

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)  # type: ignore[misc]


class WorkerPage(Retranslating):
    """Mixin for a page whose service calls run in workers: ``busy`` while one runs, what may be
    pressed set by ``update_buttons`` before and after, a refusal said on ``message_label``."""

    context: GuiContext
    message_label: QLabel
    busy = False

    def call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None],
        token: bool = False,
        on_failure: Callable[[], None] | None = None,
    ) -> None:
        """``on_failure`` resets what the page set aside for the call's result."""

        def done(result: Any) -> None:
            on_done(result)
            self.update_buttons()

        def failed(exc: BaseException) -> None:
            if on_failure is not None:
                on_failure()
            self.say(describe(exc), error=True)

        handle = call_in_worker(
            self.context.runner,
            self._set_busy,
            fn,
            *args,
            on_done=done,
            on_error=failed,
            token=token,
        )
        self.__dict__.setdefault("_tasks", []).append(handle)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.update_buttons()

    def say(self, text: str, *, error: bool = False) -> None:
        say(self.message_label, text, error=error)

    def update_buttons(self) -> None:
        """Enable what may be pressed now (subclasses)."""


class WorkerDialog(Retranslating):
    """Mixin for a small dialog whose one service call runs in a worker: ``busy_widgets`` are
    disabled meanwhile, and a refusal is said on ``message_label`` with ``focus`` given back."""

    _context: GuiContext
    message_label: QLabel

    def busy_widgets(self) -> Sequence[QWidget]:
        raise NotImplementedError

    def busy_message(self) -> str | None:
        """What the message line says while the call runs (``None``: leave it as it is)."""
        return ""

    def show_message(self, text: str) -> None:
        show_message(self.message_label, text)

    def _busy(self, busy: bool) -> None:
        for widget in self.busy_widgets():
            widget.setEnabled(not busy)
        text = self.busy_message() if busy else None
        if text is not None:
            self.show_message(text)

    def describe_refusal(self, exc: BaseException) -> str:
        return describe(exc)

    def check_password(self, name: str, password: str, **how: Any) -> None:
        """An operator's sign-in checked in a worker; ``how``: :meth:`run_call`'s."""
        self.run_call(authenticate, self._context.store, name, password, **how)

    def run_call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None],
        focus: QWidget,
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        def failed(exc: BaseException) -> None:
            text = self.describe_refusal(exc)
            self.show_message(text)
            focus.setFocus()
            if on_refused is not None:
                on_refused(text)

        call_in_worker(
            self._context.runner, self._busy, fn, *args, on_done=on_done, on_error=failed
        )


def authenticate(store: Any, name: str, password: str) -> Any:
    """An operator's sign-in, checked in a worker (the operators service: lock-out, audit)."""
    # Imported here: the sign-in window shows before argon2 and the store's modules load.
    from counter_app.services import operators

    return operators.authenticate(store, name, password)


def push_button(
    parent: QWidget | None,
    name: str,
    on_click: Callable[[], Any],
    row: QBoxLayout | None = None,
    *,
    text: str = "",
) -> QPushButton:
    """A button named ``name`` (for tests and shortcuts) that calls ``on_click``, added to
    ``row``; its ``text`` given here or set by ``retranslate``."""
    button = QPushButton(text, parent)
    if name:
        button.setObjectName(name)
    button.clicked.connect(on_click)
    if row is not None:
        row.addWidget(button)
    return button


def hbox(left: Sequence[QWidget] = (), right: Sequence[QWidget] = ()) -> QHBoxLayout:
    """A row with ``left`` at its left edge and ``right`` at its right, the free space between."""
    layout = QHBoxLayout()
    for widget in left:
        layout.addWidget(widget)
    layout.addStretch(1)
    for widget in right:
        layout.addWidget(widget)
    return layout


def data_table(
    parent: QWidget, name: str, columns: int, *, fit: bool = False, single: bool = True
) -> QTableWidget:
    """A read-only table chosen by whole rows; ``fit``: columns fit their contents, the last
    stretched (else all stretched)."""
    table = QTableWidget(0, columns, parent)
    table.setObjectName(name)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if single:
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    header = table.horizontalHeader()
    if fit:
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
    else:
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


def serial_first(table: QTableWidget) -> None:
    """Columns stretched, but the first (a serial, read out to the subscriber) never cut short."""
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)


def fill_table(
    table: QTableWidget, rows: Sequence[Sequence[str]], *, numbers_right: bool = False
) -> None:
    """Put ``rows`` of text in ``table``; ``numbers_right``: amounts and counts (after the first
    column) aligned right."""
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if numbers_right and c and text[:1] in "¥0123456789-":
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)


# Column titles several tables share, translated once in context ``columns``.
COLUMNS = {
    "serial": QT_TRANSLATE_NOOP("columns", "Serial"),
    "subscriber": QT_TRANSLATE_NOOP("columns", "Subscriber"),
    "status": QT_TRANSLATE_NOOP("columns", "Status"),
    "expires": QT_TRANSLATE_NOOP("columns", "Expires"),
    "token": QT_TRANSLATE_NOOP("columns", "Token"),
    "subject": QT_TRANSLATE_NOOP("columns", "Subject"),
    "application": QT_TRANSLATE_NOOP("columns", "Application"),
    "service": QT_TRANSLATE_NOOP("columns", "Service"),
    "method": QT_TRANSLATE_NOOP("columns", "Method"),
    "name": QT_TRANSLATE_NOOP("columns", "Name"),
    "identity": QT_TRANSLATE_NOOP("columns", "Identity"),
    "valid_until": QT_TRANSLATE_NOOP("columns", "Valid until"),
}


def column(key: str) -> str:
    return QCoreApplication.translate("columns", COLUMNS[key])


def text_label(parent: QWidget, name: str = "", *, wrap: bool = False, style: str = "") -> QLabel:
    """A label set by code: named ``name`` (for tests), wrapping long text, in ``style``."""
    label = QLabel(parent)
    if name:
        label.setObjectName(name)
    if wrap:
        label.setWordWrap(True)
    if style:
        label.setStyleSheet(style)
    return label
