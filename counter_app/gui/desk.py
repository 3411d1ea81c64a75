"""主管工作台 — the supervisor's desk: the day's figures at this counter, the close (日结) and the
reopening, the last week's money as a chart, the token stock with a low-stock warning, and the
expiry reminders.

Everything is gathered by :func:`counter_app.services.desk.desk_view` and every act is a service
call (close, reopen, send reminders), each in a worker; the page decides nothing: a clerk may
press "Close the day" and reads the service's refusal. Not registered in the main window here;
the window's navigation adds it with :func:`make_desk`.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QCoreApplication, QDate, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from counter_app.domain.daybook import signed_yuan
from counter_app.domain.fees import parse_yuan
from counter_app.gui import i18n, registry
from counter_app.gui.context import GuiContext
from counter_app.gui.home import METHOD_LABELS, method_title
from counter_app.gui.i18n import QT_TRANSLATE_NOOP
from counter_app.gui.widgets import (
    ERROR_STYLE,
    OK_STYLE,
    WorkerPage,
    column,
    push_button,
    text_label,
)
from counter_app.services import daybook, reminders
from counter_app.services.desk import DeskView, bar_heights, desk_view, service_names

# The day's money by payment method (the methods' own titles), then these.
MONEY_ROWS = ("cash", "card", "transfer", "refunded", "waived", "net", "expected_cash")
MONEY_LABELS = {
    "refunded": QT_TRANSLATE_NOOP("DeskPage", "Refunded"),
    "waived": QT_TRANSLATE_NOOP("DeskPage", "Waived"),
    "net": QT_TRANSLATE_NOOP("DeskPage", "Net"),
    "expected_cash": QT_TRANSLATE_NOOP("DeskPage", "Cash expected in the till"),
}
STOCK_LABELS = {
    "in-stock": QT_TRANSLATE_NOOP("DeskPage", "In stock"),
    "issued": QT_TRANSLATE_NOOP("DeskPage", "Issued"),
    "returned": QT_TRANSLATE_NOOP("DeskPage", "Returned"),
    "faulty": QT_TRANSLATE_NOOP("DeskPage", "Faulty"),
    "lost": QT_TRANSLATE_NOOP("DeskPage", "Lost"),
}
COLLECTED_COLOUR = QColor("#3A6EA5")
REFUNDED_COLOUR = QColor("#C0504D")


def _tr(text: str) -> str:
    return QCoreApplication.translate("DeskPage", text)


def _money_title(key: str) -> str:
    return method_title(key) if key in METHOD_LABELS else _tr(MONEY_LABELS[key])


class DayChart(QWidget):
    """The last days' collected and refunded money as pairs of bars (painted, no chart module)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: DeskView | None = None
        self.setMinimumHeight(170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def show_view(self, view: DeskView) -> None:
        self.view = view
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.view is None or not self.view.bars:
            painter.end()
            return
        bars = self.view.bars
        label_h, top_pad = 20, 18
        plot_h = self.height() - label_h - top_pad
        slot = self.width() / len(bars)
        width = max(4.0, slot * 0.3)
        heights = bar_heights(bars, plot_h)
        base = self.height() - label_h
        for i, (bar, (collected, refunded)) in enumerate(zip(bars, heights, strict=True)):
            x = i * slot + slot / 2 - width
            painter.fillRect(QRectF(x, base - collected, width, collected), COLLECTED_COLOUR)
            painter.fillRect(QRectF(x + width, base - refunded, width, refunded), REFUNDED_COLOUR)
            painter.setPen(self.palette().text().color())
            painter.drawText(
                QRectF(i * slot, base + 2, slot, label_h - 2),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                bar.day.strftime("%m-%d"),
            )
            if bar.collected_fen:
                painter.drawText(
                    QRectF(i * slot, base - collected - top_pad, slot, top_pad),
                    Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                    signed_yuan(bar.collected_fen).split(".")[0],
                )
        painter.end()


class DeskPage(WorkerPage, QWidget):
    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.view: DeskView | None = None
        layout = QVBoxLayout(self)
        title = QLabel(registry.service("desk").title())
        title.setObjectName("title_label")
        title.setStyleSheet("font-size: 20pt;")
        layout.addWidget(title)
        layout.addLayout(self._build_selector())
        grid = QGridLayout()
        grid.addWidget(self._build_day_box(), 0, 0)
        grid.addWidget(self._build_close_box(), 0, 1)
        grid.addWidget(self._build_chart_box(), 1, 0, 1, 2)
        grid.addWidget(self._build_stock_box(), 2, 0)
        grid.addWidget(self._build_reminder_box(), 2, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        self.message_label = text_label(self, "message_label", wrap=True)
        layout.addWidget(self.message_label)
        layout.addStretch(1)

    # -- building -------------------------------------------------------------------------------
    def _build_selector(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Business day")))
        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setDate(self._business_today())
        row.addWidget(self.date_edit)
        row.addWidget(QLabel(self.tr("Counter")))
        self.counter_edit = QLineEdit()
        self.counter_edit.setMaximumWidth(160)
        row.addWidget(self.counter_edit)
        self.refresh_button = push_button(None, "", self.refresh, row, text=self.tr("&Refresh"))
        row.addStretch(1)
        return row

    def _build_day_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("The day's figures"))
        form = QFormLayout(box)
        self.status_label = QLabel("—")
        form.addRow(column("status"), self.status_label)
        self.money_labels: dict[str, QLabel] = {}
        for key in MONEY_ROWS:
            label = QLabel("—")
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.money_labels[key] = label
            form.addRow(_money_title(key), label)
        self.services_label = QLabel("—")
        self.services_label.setWordWrap(True)
        form.addRow(self.tr("Services"), self.services_label)
        return box

    def _build_close_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Daily close"))
        form = QFormLayout(box)
        self.counted_edit = QLineEdit()
        self.counted_edit.setPlaceholderText("0.00")
        form.addRow(self.tr("Cash counted (yuan)"), self.counted_edit)
        self.counted_error = QLabel()
        self.counted_error.setStyleSheet(ERROR_STYLE)
        form.addRow("", self.counted_error)
        self.note_edit = QLineEdit()
        form.addRow(self.tr("Note"), self.note_edit)
        self.close_button = push_button(
            None, "", self.close_day, None, text=self.tr("&Close the day")
        )
        self.reopen_button = push_button(
            None, "", self.reopen_day, None, text=self.tr("Re&open the day")
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.reopen_button)
        form.addRow(buttons)
        self.close_info = text_label(box, wrap=True)
        form.addRow(self.close_info)
        return box

    def _build_chart_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Collected (blue) and refunded (red), last 7 days, yuan"))
        layout = QVBoxLayout(box)
        self.chart = DayChart()
        layout.addWidget(self.chart)
        return box

    def _build_stock_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Token stock"))
        form = QFormLayout(box)
        self.stock_labels: dict[str, QLabel] = {}
        for key, text in STOCK_LABELS.items():
            label = QLabel("—")
            self.stock_labels[key] = label
            form.addRow(_tr(text), label)
        self.stock_warning = text_label(box, "stock_warning", wrap=True, style=ERROR_STYLE)
        form.addRow(self.stock_warning)
        return box

    def _build_reminder_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Expiry reminders (30 days)"))
        layout = QVBoxLayout(box)
        self.reminder_label = text_label(box, wrap=True)
        self.reminder_label.setText("—")
        layout.addWidget(self.reminder_label)
        self.send_button = push_button(
            None, "", self.send_reminders, layout, text=self.tr("&Send reminders")
        )
        layout.addStretch(1)
        return box

    # -- workers ------------------------------------------------------------------------------
    def update_buttons(self) -> None:
        idle = not self.busy
        for button in (self.refresh_button, self.close_button, self.reopen_button):
            button.setEnabled(idle)
        # Reminders are sent only when some are due (any until the first figures are read).
        due = self.view is None or self.view.to_remind > 0
        self.send_button.setEnabled(idle and due)

    def _business_today(self) -> QDate:
        """Today in the RA's time zone (its business days run midnight to midnight there), not
        the machine's: a counter whose clock runs on UTC would otherwise show yesterday's books
        from 00:00 to 08:00 in Beijing."""
        services = self.context.services
        day = daybook.today(services) if services is not None else dt.date.today()
        return QDate(day.year, day.month, day.day)

    def _day(self) -> dt.date:
        date = self.date_edit.date()
        return dt.date(date.year(), date.month(), date.day())

    def _counter(self) -> str | None:
        return self.counter_edit.text().strip() or None

    # -- acts -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        ctx = self.context.service_context()
        self.call(desk_view, ctx, self._day(), self._counter(), on_done=self.show_view)

    def close_day(self) -> None:
        self.counted_error.setText("")
        try:
            counted = parse_yuan(self.counted_edit.text(), field="counted_cash")
        except Exception as exc:  # a refused amount is shown beside its field
            from counter_app.gui.errors import describe_at_field

            self.counted_error.setText(describe_at_field(exc))
            return
        ctx = self.context.service_context()
        who = self.context.clerk()
        # Read on the GUI thread; the worker only gets plain values.
        day, counter, note = self._day(), self._counter(), self.note_edit.text()

        def run() -> daybook.CloseResult:
            return daybook.close_day(ctx, who, day, counted, counter=counter, note=note)

        self.call(run, on_done=lambda r: self._acted(self.tr("The day is closed."), r))

    def reopen_day(self) -> None:
        ctx = self.context.service_context()
        who = self.context.clerk()
        day, counter, note = self._day(), self._counter(), self.note_edit.text()

        def run() -> daybook.CloseResult:
            return daybook.reopen_day(ctx, who, day, counter=counter, note=note)

        self.call(run, on_done=lambda r: self._acted(self.tr("The day is reopened."), r))

    def send_reminders(self) -> None:
        ctx = self.context.service_context()
        who = self.context.clerk()

        def run() -> reminders.NoticeRun:
            return reminders.notify_expiring(ctx, who, 30)

        def done(result: reminders.NoticeRun) -> None:
            self.say(self.tr("Reminders sent: %1.").replace("%1", str(len(result.sent))))
            self.refresh()

        self.call(run, on_done=done)

    def _acted(self, text: str, _result: object) -> None:
        self.say(text)
        self.refresh()

    # -- showing --------------------------------------------------------------------------------
    def show_view(self, view: DeskView) -> None:
        self.view = view
        if not self.counter_edit.text():
            self.counter_edit.setText(view.counter)
        self.status_label.setText(self.tr("Closed") if view.closed else self.tr("Open"))
        self.status_label.setStyleSheet(OK_STYLE if view.closed else "")
        for key, fen in view.money_rows():
            self.money_labels[key].setText(f"¥ {signed_yuan(fen)}")
        services = view.report["services"]
        names = service_names() if i18n.current_lang().startswith("zh") else {}
        self.services_label.setText(
            "，".join(f"{names.get(k, k)} {v}" for k, v in services.items()) or self.tr("None")
        )
        close = view.report.get("close")
        if close:
            self.close_info.setText(
                self.tr("Closed by %1: counted ¥ %2, difference ¥ %3.")
                .replace("%1", close["supervisor"])
                .replace("%2", signed_yuan(close["counted_cash_fen"]))
                .replace("%3", signed_yuan(close["difference_fen"]))
            )
        else:
            self.close_info.setText("")
        self.chart.show_view(view)
        for key, label in self.stock_labels.items():
            label.setText(str(view.stock_levels[key]))
        self.stock_warning.setText(
            self.tr("Fewer than %1 tokens in stock: order more.").replace(
                "%1", str(view.stock_threshold)
            )
            if view.stock_low
            else ""
        )
        self.reminder_label.setText(
            self.tr("%1 certificate(s) expire within 30 days; %2 not reminded yet.")
            .replace("%1", str(view.expiring))
            .replace("%2", str(view.to_remind))
        )
        self.update_buttons()


def make_desk(context: GuiContext) -> QWidget:
    """The supervisor's desk page, filled in a worker as soon as it is made."""
    page = DeskPage(context)
    page.refresh()
    return page
