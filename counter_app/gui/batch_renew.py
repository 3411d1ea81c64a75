"""批量更新 — the batch renewal page: a unit's certificates in the renewal window are listed, the
clerk ticks those to renew, a reviewer approves once, the total is paid once, then each token is
inserted in turn and renewed (or skipped, its share refunded).

The page only collects and shows; :mod:`counter_app.services.batch` plans, checks, records and
refunds. Database work runs on the pool, token work on the token lane. Not registered in the
main window here; the window's navigation adds it with :func:`make_batch_page`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from counter_app.domain.daybook import signed_yuan
from counter_app.domain.fees import SettlementForm
from counter_app.gui import registry
from counter_app.gui.context import GuiContext
from counter_app.gui.home import method_title
from counter_app.gui.lookup import audited_list
from counter_app.gui.pages.reviewer import ReviewerDialog, ask_approval
from counter_app.gui.widgets import WorkerPage, column, push_button, serial_first
from counter_app.services import batch
from counter_app.services.batch import BatchItem, ItemOutcome, OpenBatch
from counter_app.services.certificates import CertificateView
from counter_app.services.operators import OperatorInfo
from counter_app.services.pipeline import Operators
from counter_app.services.tokens import TokenChoice


class BatchRenewPage(WorkerPage, QWidget):
    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.found: list[CertificateView] = []
        self.open_batch: OpenBatch | None = None
        self.outcomes: list[ItemOutcome] = []
        self.dialog: ReviewerDialog | None = None
        layout = QVBoxLayout(self)
        title = QLabel(registry.service("batch_renew").title())
        title.setStyleSheet("font-size: 20pt;")
        layout.addWidget(title)

        search = QHBoxLayout()
        search.addWidget(QLabel(self.tr("Unit name or USCC")))
        self.search_edit = QLineEdit()
        self.search_edit.returnPressed.connect(self.search)
        search.addWidget(self.search_edit)
        self.search_button = push_button(None, "", self.search, search, text=self.tr("&Find"))
        layout.addLayout(search)

        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(
            [column(key) for key in ("serial", "subscriber", "expires", "token")]
        )
        serial_first(self.table)
        # Ticking a certificate in or out of the batch changes the total shown.
        self.table.itemChanged.connect(
            lambda item: self._quote() if item.column() == 0 and self.open_batch is None else None
        )
        layout.addWidget(self.table)

        pay = QHBoxLayout()
        pay.addWidget(QLabel(self.tr("Payment")))
        self.method_combo = QComboBox()
        for key in ("cash", "card", "transfer"):
            self.method_combo.addItem(method_title(key), key)
        pay.addWidget(self.method_combo)
        self.total_label = QLabel()
        pay.addWidget(self.total_label)
        pay.addWidget(QLabel(self.tr("Tendered (yuan)")))
        self.tendered_edit = QLineEdit()
        pay.addWidget(self.tendered_edit)
        self.start_button = push_button(
            None, "", self.approve, pay, text=self.tr("Approve and &take payment")
        )
        layout.addLayout(pay)

        turn = QHBoxLayout()
        self.turn_label = QLabel()
        self.turn_label.setWordWrap(True)
        turn.addWidget(self.turn_label, 1)
        self.pin_edit = QLineEdit()
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setPlaceholderText(self.tr("Token PIN"))
        turn.addWidget(self.pin_edit)
        self.renew_button = push_button(
            None, "", self.renew_current, turn, text=self.tr("&Renew this one")
        )
        self.skip_button = push_button(
            None, "", self.skip_current, turn, text=self.tr("S&kip (refund its share)")
        )
        layout.addLayout(turn)

        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        layout.addWidget(self.message_label)
        self.update_buttons()

    # -- helpers --------------------------------------------------------------------------------
    def _chosen(self) -> list[CertificateView]:
        return [
            view
            for row, view in enumerate(self.found)
            if (item := self.table.item(row, 0)) is not None
            and item.checkState() == Qt.CheckState.Checked
        ]

    def _pending(self) -> list[tuple[BatchItem, int]]:
        if self.open_batch is None:
            return []
        done = {o.serial for o in self.outcomes}
        return [(i, fee) for i, fee in self.open_batch.shares if i.serial not in done]

    def update_buttons(self) -> None:
        idle = not self.busy
        started = self.open_batch is not None
        pending = self._pending()
        self.search_button.setEnabled(idle and not started)
        self.start_button.setEnabled(idle and not started and bool(self.found))
        self.renew_button.setEnabled(idle and bool(pending))
        self.skip_button.setEnabled(idle and bool(pending))
        self.pin_edit.setEnabled(idle and bool(pending))
        if pending:
            item, fee = pending[0]
            token = item.token.serial or item.token.label or ""
            self.turn_label.setText(
                self.tr("Insert token %1 for certificate %2 (¥ %3).")
                .replace("%1", token)
                .replace("%2", item.serial)
                .replace("%3", signed_yuan(fee))
            )
        elif not started:
            self.turn_label.setText("")

    # -- steps ----------------------------------------------------------------------------------
    def search(self) -> None:
        text = self.search_edit.text().strip()
        if not text:
            return
        ctx = self.context.service_context()
        reader = self.context.clerk().name

        def run() -> list[CertificateView]:
            return audited_list(ctx, reader, batch.renewable_for(ctx, text), subscriber=text)

        self.call(run, on_done=self._found)

    def _found(self, views: list[CertificateView]) -> None:
        self.found = views
        self.table.blockSignals(True)
        self.table.setRowCount(len(views))
        for row, view in enumerate(views):
            serial = QTableWidgetItem(view.serial)
            serial.setFlags(serial.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            serial.setCheckState(Qt.CheckState.Checked)
            self.table.setItem(row, 0, serial)
            self.table.setItem(row, 1, QTableWidgetItem(view.subscriber_name or ""))
            self.table.setItem(row, 2, QTableWidgetItem(f"{view.not_after.astimezone():%Y-%m-%d}"))
            self.table.setItem(row, 3, QTableWidgetItem(view.token_serial or ""))
        self.table.blockSignals(False)
        if not views:
            self.say(self.tr("No certificate of this subscriber is due for renewal."))
        else:
            self._quote()
        self.update_buttons()

    def _items(self) -> list[BatchItem]:
        return [
            BatchItem(v.serial, TokenChoice(serial=v.token_serial, label=None))
            for v in self._chosen()
            if v.token_serial
        ]

    def _quote(self) -> None:
        ctx = self.context.service_context()

        def shown(total: int) -> None:
            self.total_label.setText(self.tr("Total ¥ %1").replace("%1", signed_yuan(total)))

        self.call(batch.quote, ctx, self._items(), on_done=shown)

    def approve(self) -> None:
        """One review for the whole batch: a reviewer signs in, then the payment is taken."""
        self.dialog = ask_approval(self, self.context, self._take_payment)

    def _take_payment(self, reviewer: OperatorInfo | None) -> None:
        ctx = self.context.service_context()
        items = self._items()
        method = str(self.method_combo.currentData())
        settlement = SettlementForm(method=method, tendered=self.tendered_edit.text() or None)
        operators = Operators(maker=self.context.clerk(), second=reviewer)
        self._operators = operators

        def started(open_batch: OpenBatch) -> None:
            self.open_batch = open_batch
            self.say(
                self.tr("Paid ¥ %1 (receipt %2, change ¥ %3).")
                .replace("%1", signed_yuan(open_batch.fee_fen))
                .replace("%2", open_batch.receipt_number or "—")
                .replace("%3", signed_yuan(open_batch.change_fen))
            )

        self.call(batch.start_batch, ctx, items, settlement, operators, on_done=started)

    def renew_current(self) -> None:
        pending = self._pending()
        if not pending or self.open_batch is None:
            return
        item = pending[0][0]
        pin = self.pin_edit.text()
        # The PIN leaves its field before the worker starts and is never kept.
        self.pin_edit.clear()
        ctx = self.context.service_context()
        self.call(
            batch.renew_item,
            ctx,
            self.open_batch,
            item,
            pin,
            self._operators,
            on_done=self._item_done,
            token=True,
        )

    def skip_current(self) -> None:
        pending = self._pending()
        if not pending or self.open_batch is None:
            return
        ctx = self.context.service_context()
        self.call(
            batch.skip_item,
            ctx,
            self.open_batch,
            pending[0][0],
            "skipped at the counter",
            on_done=self._item_done,
        )

    def _item_done(self, outcome: ItemOutcome) -> None:
        self.outcomes.append(outcome)
        if outcome.result == "renewed":
            self.say(self.tr("Renewed: %1.").replace("%1", outcome.serial))
        else:
            self.say(
                self.tr("Not renewed: %1 (refund %2). %3")
                .replace("%1", outcome.serial)
                .replace("%2", outcome.refund_number or "—")
                .replace("%3", outcome.error or ""),
                error=True,
            )
        if not self._pending() and self.open_batch is not None:
            ctx = self.context.service_context()
            self.call(
                batch.finish_batch,
                ctx,
                self.open_batch,
                list(self.outcomes),
                on_done=self._finished,
            )

    def _finished(self, result: batch.BatchResult) -> None:
        self.result = result
        renewed = sum(1 for o in result.outcomes if o.result == "renewed")
        self.turn_label.setText(
            self.tr("Batch done: %1 of %2 renewed, ¥ %3 refunded.")
            .replace("%1", str(renewed))
            .replace("%2", str(len(result.outcomes)))
            .replace("%3", signed_yuan(result.refunded_fen))
        )


def make_batch_page(context: GuiContext) -> QWidget:
    return BatchRenewPage(context)
