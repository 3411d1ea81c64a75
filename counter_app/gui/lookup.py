"""查询 — look up certificates, show one, and suspend / resume / revoke it.

Every call (search, show, change of status) runs in a worker through the certificates service;
the screen only shows what the service returns and the service's refusal in words. Suspend,
resume and revoke in the services list open this same screen with that action in front.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from counter_app.domain.lifecycle import (
    CertificateStatus,
    RecordStatus,
    RevocationReason,
    Transition,
    allowed_transitions,
)
from counter_app.gui import i18n, registry
from counter_app.gui.context import GuiContext
from counter_app.gui.forms import load_form
from counter_app.gui.i18n import QT_TRANSLATE_NOOP
from counter_app.gui.pages.reviewer import ReviewerDialog, ask_approval
from counter_app.gui.widgets import WorkerPage, column, fill_table, serial_first
from counter_app.services import certificates
from counter_app.services.certificates import CertificateView, StatusChanged, StatusRequest
from counter_app.services.context import ServiceContext
from counter_app.services.operators import OperatorInfo
from counter_app.services.pipeline import Operators

STATUS_LABELS: dict[str, str] = {
    CertificateStatus.ACTIVE: QT_TRANSLATE_NOOP("LookupScreen", "Active"),
    CertificateStatus.ON_HOLD: QT_TRANSLATE_NOOP("LookupScreen", "Suspended"),
    CertificateStatus.REVOKED: QT_TRANSLATE_NOOP("LookupScreen", "Revoked"),
    CertificateStatus.EXPIRED: QT_TRANSLATE_NOOP("LookupScreen", "Expired"),
    RecordStatus.PENDING: QT_TRANSLATE_NOOP("LookupScreen", "Being issued"),
}
REASON_LABELS = {
    RevocationReason.KEY_COMPROMISE: QT_TRANSLATE_NOOP("LookupScreen", "Key compromise"),
    RevocationReason.AFFILIATION_CHANGED: QT_TRANSLATE_NOOP("LookupScreen", "Affiliation changed"),
    RevocationReason.SUPERSEDED: QT_TRANSLATE_NOOP("LookupScreen", "Superseded"),
    RevocationReason.CESSATION_OF_OPERATION: QT_TRANSLATE_NOOP(
        "LookupScreen", "Cessation of operation"
    ),
    RevocationReason.UNSPECIFIED: QT_TRANSLATE_NOOP("LookupScreen", "Unspecified"),
}


def audited_list(
    ctx: ServiceContext, reader: str, views: list[CertificateView], **details: Any
) -> list[CertificateView]:
    """In a worker, after listing certificates: the reading audited (who looked at whose)."""
    certificates.record_read(
        ctx,
        reader,
        "certificate_list",
        "certificates",
        **details,
        serials=[v.serial for v in views],
    )
    return views


def status_text(status: str) -> str:
    return QCoreApplication.translate("LookupScreen", STATUS_LABELS.get(status, status))


class LookupScreen(WorkerPage, QWidget):
    def __init__(
        self, context: GuiContext, parent: QWidget | None = None, *, action: str | None = None
    ) -> None:
        super().__init__(parent)
        self.dialog: ReviewerDialog | None = None
        self.context = context
        self.action = action
        self.current: CertificateView | None = None
        self.results: list[CertificateView] = []
        self.form = form = load_form("lookup.ui", self)
        self.title_label = form.get(QLabel, "title_label")
        self.title_label.setText(registry.service(action or "lookup").title())
        self.search_edit = form.get(QLineEdit, "search_edit")
        self.status_combo = form.get(QComboBox, "status_combo")
        self.status_combo.addItem(self.tr("Any status"), None)
        for key in CertificateStatus:
            self.status_combo.addItem(status_text(key), key.value)
        self.search_button = form.get(QPushButton, "search_button")
        self.table = form.get(QTableWidget, "results_table")
        self.retranslate()
        serial_first(self.table)
        self.details = form.get(QLabel, "details_label")
        self.identity_edit = form.get(QLineEdit, "identity_edit")
        self.reason_combo = form.get(QComboBox, "reason_combo")
        for reason, label in REASON_LABELS.items():
            self.reason_combo.addItem(
                QCoreApplication.translate("LookupScreen", label), reason.value
            )
        self.confirm_revoke = form.get(QCheckBox, "confirm_revoke")
        self.suspend_button, self.resume_button, self.revoke_button = form.get_all(
            QPushButton, "suspend_button", "resume_button", "revoke_button"
        )
        self.message_label = form.get(QLabel, "message_label")

        self.search_edit.returnPressed.connect(self.search)
        self.search_button.clicked.connect(self.search)
        self.table.currentCellChanged.connect(lambda row, *_: self._row_chosen(row))
        self.confirm_revoke.toggled.connect(self.update_buttons)
        self.suspend_button.clicked.connect(self.suspend)
        self.resume_button.clicked.connect(self.resume)
        self.revoke_button.clicked.connect(self.revoke)
        self.update_buttons()

    def retranslate(self) -> None:
        # The results' column titles are the ones tables share (context ``columns``).
        self.table.setHorizontalHeaderLabels(
            [column(key) for key in ("serial", "subscriber", "status", "valid_until")]
        )

    # -- search and show --------------------------------------------------------------------------
    def search(self) -> None:
        text = self.search_edit.text().strip() or None
        status = self.status_combo.currentData()
        self.say("")
        ctx = self.context.service_context()
        reader = self.context.clerk().name

        def run() -> list[CertificateView]:
            views = certificates.list_certificates(ctx, subscriber=text, status=status)
            return audited_list(ctx, reader, views, subscriber=text, status=status)

        self.call(run, on_done=self._found)

    def _found(self, views: object) -> None:
        assert isinstance(views, list)
        self.results = views
        fill_table(
            self.table,
            [
                (
                    view.serial,
                    view.subscriber_name or "",
                    status_text(view.status),
                    self.context.shown_date(view.not_after),
                )
                for view in views
            ],
        )
        if not views:
            self.say(self.tr("No certificate found."))
            self.show_certificate(None)
        else:
            self.table.selectRow(0)
            self.show_certificate(views[0])

    def _row_chosen(self, row: int) -> None:
        if 0 <= row < len(self.results):
            self.show_certificate(self.results[row])

    def show_certificate(self, view: CertificateView | None) -> None:
        self.current = view
        if view is None:
            self.details.setText("")
        else:
            lines = [
                (column("serial"), view.serial),
                (column("status"), status_text(view.status)),
                (column("subscriber"), view.subscriber_name or ""),
                (column("subject"), view.subject),
                (
                    self.tr("Valid"),
                    f"{self.context.shown_date(view.not_before)} — {self.context.shown_date(view.not_after)}",
                ),
                (column("token"), view.token_serial or ""),
                (column("application"), view.application_id or ""),
            ]
            if view.reason:
                lines.append((self.tr("Reason"), view.reason))
            colon = "：" if i18n.current_lang() == "zh_CN" else ": "
            self.details.setText("\n".join(f"{k}{colon}{v}" for k, v in lines))
        self.update_buttons()

    def update_buttons(self, *_: object) -> None:
        # The domain says which actions this status allows; the screen only enables them.
        allowed = allowed_transitions(self.current.status) if self.current else frozenset()
        idle = not self.busy
        self.search_button.setEnabled(idle)
        self.suspend_button.setEnabled(idle and Transition.HOLD in allowed)
        self.resume_button.setEnabled(idle and Transition.RELEASE in allowed)
        revocable = Transition.REVOKE in allowed
        self.confirm_revoke.setEnabled(idle and revocable)
        self.revoke_button.setEnabled(idle and revocable and self.confirm_revoke.isChecked())

    # -- status changes -----------------------------------------------------------------------------
    def _identity(self) -> str | None:
        return self.identity_edit.text().strip() or None

    def suspend(self) -> None:
        self._change(certificates.suspend, self.tr("Suspended."))

    def resume(self) -> None:
        self._approved(certificates.resume, self.tr("Resumed."))

    def revoke(self) -> None:
        reason = RevocationReason(str(self.reason_combo.currentData()))
        self._approved(certificates.revoke, self.tr("Revoked."), reason)

    def _approved(
        self, fn: Callable[..., StatusChanged], said: str, reason: RevocationReason | None = None
    ) -> ReviewerDialog | None:
        """Resume and revoke rest on a second person (the policy): a reviewer signs in first."""
        if self.current is None:
            return None
        self.dialog = ask_approval(
            self, self.context, lambda reviewer: self._change(fn, said, reason, reviewer)
        )
        return self.dialog

    def _change(
        self,
        fn: Callable[..., StatusChanged],
        said: str,
        reason: RevocationReason | None = None,
        reviewer: OperatorInfo | None = None,
    ) -> None:
        if self.current is None:
            return
        ctx = self.context.service_context()
        request = StatusRequest(self.current.serial, identity=self._identity(), reason=reason)
        operators = Operators(maker=self.context.clerk(), second=reviewer)

        def run() -> StatusChanged:
            return fn(ctx, request, operators)

        def done(changed: object) -> None:
            assert isinstance(changed, StatusChanged)
            self.confirm_revoke.setChecked(False)
            self._replace(changed.certificate)
            self.say(said)

        self.call(run, on_done=done)

    def _replace(self, view: CertificateView) -> None:
        for row, old in enumerate(self.results):
            if old.serial == view.serial:
                self.results[row] = view
                self.table.setItem(row, 2, QTableWidgetItem(status_text(view.status)))
        self.show_certificate(view)


def _factory(action: str | None) -> registry.PageFactory:
    return lambda context: LookupScreen(context, action=action)


registry.register_wizard("lookup", _factory(None))
for _action in ("suspend", "resume", "revoke"):
    registry.register_wizard(_action, _factory(_action))
