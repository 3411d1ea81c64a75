"""The home page after sign-in: today's work, the till, interrupted work, expiring certificates,
and the token in the reader with whose it is.

Figures come from :func:`counter_app.services.home.home_figures` in a worker, on show and every
``REFRESH_MS``; the token's owner from :func:`counter_app.services.home.token_owner` when the
main window's token monitor reports a token; the installation's problems (``counter-app doctor``:
certificates near expiry, a stale CRL, a missing secret, loose file modes) from
:func:`counter_app.services.doctor.problems` on first show and every ``CHECK_EVERY_S``. Nothing
here touches the database, the network or a file on the GUI thread.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from counter_app.domain.fees import format_yuan
from counter_app.gui.context import GuiContext
from counter_app.gui.errors import describe
from counter_app.gui.i18n import QT_TRANSLATE_NOOP
from counter_app.gui.recovery import recover_text
from counter_app.gui.registry import service_title
from counter_app.gui.tasks import TaskHandle
from counter_app.gui.widgets import (
    NOTE_STYLE,
    TITLE_STYLE,
    column,
    data_table,
    fill_table,
    text_label,
)
from counter_app.services.home import HomeFigures, TokenOwner, home_figures, token_owner

REFRESH_MS = 30_000
CHECK_EVERY_S = 600  # doctor's checks reach the database and the signing service
METHOD_LABELS = {
    "cash": QT_TRANSLATE_NOOP("methods", "Cash"),
    "card": QT_TRANSLATE_NOOP("methods", "Card"),
    "transfer": QT_TRANSLATE_NOOP("methods", "Transfer"),
    "waiver": QT_TRANSLATE_NOOP("methods", "Waiver"),
    "none": QT_TRANSLATE_NOOP("methods", "No fee"),
}


def method_title(method: str) -> str:
    label = METHOD_LABELS.get(method)
    return QCoreApplication.translate("methods", label) if label else method


class HomePage(QWidget):
    """``recover_requested`` asks the window to open the recovery dialog (one click)."""

    recover_requested = Signal()
    refreshed = Signal()
    open_subscriber = Signal(str)

    def __init__(
        self, context: GuiContext, parent: QWidget | None = None, *, refresh_ms: int = REFRESH_MS
    ) -> None:
        super().__init__(parent)
        self.setObjectName("home_page")
        self.context = context
        self.figures: HomeFigures | None = None
        self.owners: dict[str, TokenOwner] = {}
        self.tokens: list[object] = []
        self._pending: TaskHandle | None = None
        self.error: str = ""
        self.findings: list[object] | None = None
        self._checked_at: float | None = None
        self._checking = False
        self.problems_label = text_label(self, "home_problems_label", wrap=True)
        self.problems_label.setStyleSheet(
            "background: #fff4e5; border: 1px solid #e0a040; padding: 6px;"
        )
        self.problems_label.hide()
        self.heading = text_label(self, "home_heading", style=TITLE_STYLE)
        self.scope_note = text_label(self, wrap=True, style=NOTE_STYLE)
        self.today_box = QGroupBox(self)
        self.services_table = data_table(self.today_box, "home_services_table", 3, single=False)
        self.money_box = QGroupBox(self)
        self.money_table = data_table(self.money_box, "home_money_table", 4, single=False)
        self.interrupted_box = QGroupBox(self)
        self.interrupted_label = text_label(
            self.interrupted_box, "home_interrupted_label", wrap=True
        )
        self.recover_button = QPushButton(self.interrupted_box)
        self.recover_button.setObjectName("home_recover_button")
        self.recover_button.clicked.connect(self.recover_requested)
        self.expiring_box = QGroupBox(self)
        self.expiring_table = data_table(self.expiring_box, "home_expiring_table", 3, single=False)
        self.token_box = QGroupBox(self)
        self.token_label = text_label(self.token_box, "home_token_label", wrap=True)
        self.token_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.updated_label = text_label(self, "home_updated_label", style=NOTE_STYLE)

        for box, widgets in (
            (self.today_box, [self.services_table]),
            (self.money_box, [self.money_table]),
            (self.interrupted_box, [self.interrupted_label, self.recover_button]),
            (self.expiring_box, [self.expiring_table]),
            (self.token_box, [self.token_label]),
        ):
            inner = QVBoxLayout(box)
            for widget in widgets:
                inner.addWidget(widget)
        grid = QGridLayout()
        grid.addWidget(self.today_box, 0, 0)
        grid.addWidget(self.money_box, 0, 1)
        grid.addWidget(self.expiring_box, 1, 0)
        side = QVBoxLayout()
        side.addWidget(self.token_box)
        side.addWidget(self.interrupted_box)
        grid.addLayout(side, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.scope_note)
        layout.addWidget(self.problems_label)
        layout.addLayout(grid, 1)
        layout.addWidget(self.updated_label)
        self.timer = QTimer(self)
        self.timer.setInterval(refresh_ms)
        self.timer.timeout.connect(self.refresh)
        self.timer.timeout.connect(self.check_installation)
        self.retranslate()

    # -- data -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Ask for fresh figures in a worker (a refresh still running is not doubled)."""
        if self._pending is not None or self.context.services is None:
            return
        operator = self.context.clerk().name
        self._pending = self.context.runner.run(
            home_figures,
            self.context.services,
            operator,
            on_done=self._arrived,
            on_error=self._failed,
        )

    def check_installation(self) -> None:
        """Run the doctor's checks in a worker (at most every ``CHECK_EVERY_S``)."""
        due = self._checked_at is None or time.monotonic() - self._checked_at > CHECK_EVERY_S
        if self._checking or not due:
            return
        from counter_app.services.doctor import problems

        self._checking = True
        self.context.runner.run(
            problems,
            self.context.config,
            signing_open=self.context.services is not None,
            on_done=self._checked,
            on_error=lambda exc: self._checked([]),  # the doctor itself failing is not news here
        )

    def _checked(self, findings: object) -> None:
        self._checking = False
        self._checked_at = time.monotonic()
        self.findings = list(findings) if isinstance(findings, list) else []
        self._render_problems()

    def _render_problems(self) -> None:
        from counter_app.gui.i18n import current_lang

        if not self.findings:
            self.problems_label.hide()
            return
        lang = current_lang()
        lines = [f"• {f.message(lang)}" for f in self.findings]  # type: ignore[attr-defined]
        self.problems_label.setText(
            self.tr("This installation needs attention (counter-app doctor):")
            + "\n"
            + "\n".join(lines)
        )
        self.problems_label.show()

    def _arrived(self, figures: object) -> None:
        assert isinstance(figures, HomeFigures)
        self._pending = None
        self.figures = figures
        self.error = ""
        # A blank token may have been written to since: ask again for tokens nobody owned.
        for serial in [k for k, v in self.owners.items() if v.subscriber_name is None]:
            del self.owners[serial]
        self.show_tokens(self.tokens)
        self._render()
        self.refreshed.emit()

    def _failed(self, exc: BaseException) -> None:
        self._pending = None
        self.error = describe(exc)
        self._render()
        self.refreshed.emit()

    def show_tokens(self, tokens: Sequence[object]) -> None:
        """From the window's token monitor: look up whose each newly seen token is."""
        self.tokens = [t for t in tokens if getattr(t, "initialised", True)]
        ctx = self.context
        for token in self.tokens:
            serial = getattr(token, "serial", None)
            if serial and serial not in self.owners and ctx.services is not None:
                ctx.runner.run(
                    token_owner,
                    ctx.services,
                    ctx.clerk().name,
                    str(serial),
                    on_done=self._owner_found,
                    on_error=lambda exc: None,  # the status bar already names the token
                )
        self._render_token()

    def _owner_found(self, owner: object) -> None:
        assert isinstance(owner, TokenOwner)
        self.owners[owner.token_serial] = owner
        self._render_token()

    # -- showing -----------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()
        self.check_installation()
        self.timer.start()

    def hideEvent(self, event: QEvent) -> None:  # type: ignore[override]
        self.timer.stop()
        super().hideEvent(event)  # type: ignore[arg-type]

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        operator = self.context.operator
        self.heading.setText(
            self.tr("Today at this counter")
            if operator is None
            else self.tr("Welcome, %1").replace("%1", operator.name)
        )
        self.scope_note.setText(
            self.tr(
                "Figures cover every operator working on this counter's database; times are %1."
            ).replace("%1", self._zone_name())
        )
        self.today_box.setTitle(self.tr("Services today"))
        self.money_box.setTitle(self.tr("Money today by method"))
        self.interrupted_box.setTitle(self.tr("Interrupted work"))
        self.expiring_box.setTitle(self.tr("Certificates expiring within 30 days"))
        self.token_box.setTitle(self.tr("Token in the reader"))
        self.recover_button.setText(recover_text())
        if self.findings:
            self._render_problems()
        self.services_table.setHorizontalHeaderLabels(
            [column("service"), self.tr("At this counter"), self.tr("By me")]
        )
        self.money_table.setHorizontalHeaderLabels(
            [column("method"), self.tr("Taken"), self.tr("Refunded"), self.tr("In the till")]
        )
        self.expiring_table.setHorizontalHeaderLabels(
            [column("subscriber"), column("expires"), column("serial")]
        )
        self._render()

    def _zone_name(self) -> str:
        from counter_app.domain.display import zone_label
        from counter_app.gui.i18n import current_lang

        return zone_label(self.context.time_zone, current_lang())

    def _render(self) -> None:
        f = self.figures
        if f is None:
            self.updated_label.setText(self.error or self.tr("Reading today's figures…"))
            self.interrupted_label.setText("")
            self.recover_button.setEnabled(False)
            self._render_token()
            return
        keys = sorted(set(f.services_here) | set(f.services_mine))
        rows = [
            (service_title(k), str(f.services_here.get(k, 0)), str(f.services_mine.get(k, 0)))
            for k in keys
        ]
        rows.append(
            (
                self.tr("Total"),
                str(sum(f.services_here.values())),
                str(sum(f.services_mine.values())),
            )
        )
        fill_table(self.services_table, rows, numbers_right=True)
        money = [
            (
                method_title(m),
                f"¥{format_yuan(f.taken.get(m, 0))}",
                f"¥{format_yuan(f.refunded.get(m, 0))}",
                f"¥{format_yuan(net)}",
            )
            for m, net in f.net.items()
        ]
        money.append(
            (
                self.tr("Total"),
                f"¥{format_yuan(sum(f.taken.values()))}",
                f"¥{format_yuan(sum(f.refunded.values()))}",
                f"¥{format_yuan(sum(f.net.values()))}",
            )
        )
        fill_table(self.money_table, money, numbers_right=True)
        fill_table(
            self.expiring_table,
            [
                (v.subscriber_name or "—", self.context.shown_date(v.not_after), v.serial)
                for v in f.expiring
            ],
            numbers_right=True,
        )
        waiting = [i for i in f.interrupted if not i.busy]
        if waiting:
            lines = [
                f"{service_title(i.service)} {i.application_id}"
                + (f" · {i.token_label or ''} {i.token_serial}" if i.token_serial else "")
                for i in waiting
            ]
            self.interrupted_label.setText(
                self.tr("Services waiting to be finished or rolled back: %1").replace(
                    "%1", str(len(waiting))
                )
                + "\n"
                + "\n".join(lines)
            )
        else:
            self.interrupted_label.setText(self.tr("None: every service was finished."))
        self.recover_button.setEnabled(bool(waiting))
        updated = (
            self.tr("Day %1; refreshed by itself every %2 s.")
            .replace("%1", f.day.isoformat())
            .replace("%2", str(self.timer.interval() // 1000))
        )
        self.updated_label.setText(f"{self.error}  {updated}" if self.error else updated)
        self._render_token()

    def _render_token(self) -> None:
        if not self.tokens:
            self.token_label.setText(self.tr("No token in the reader."))
            return
        lines = []
        for token in self.tokens:
            label = getattr(token, "label", "") or ""
            serial = str(getattr(token, "serial", "") or "")
            owner = self.owners.get(serial)
            if owner is None:
                whose = self.tr("looking up whose it is…")
            elif owner.subscriber_name is None:
                whose = self.tr("not issued at this counter (blank or foreign)")
            else:
                whose = (
                    self.tr("%1, application %2")
                    .replace("%1", owner.subscriber_name)
                    .replace("%2", owner.application_id or "")
                )
            lines.append(
                self.tr("%1 (%2): %3")
                .replace("%1", label)
                .replace("%2", serial)
                .replace("%3", whose)
            )
        self.token_label.setText("\n".join(lines))
