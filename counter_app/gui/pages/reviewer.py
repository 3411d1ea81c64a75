"""Reviewer approval: a second operator signs in on a dialog; the clerk cannot approve their own.

The rule is the domain's :func:`check_reviewer`; the dialog applies it as the name is typed
(the clerk's own name is refused beside the field before any password is sent) and again on the
operator the operators service authenticated. The password leaves its field before the worker
starts and is never kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from counter_app.domain.applications import SelfReview, check_reviewer
from counter_app.domain.display import key_algorithm_title
from counter_app.domain.errors import CounterError
from counter_app.domain.fees import format_yuan
from counter_app.domain.operators import Role
from counter_app.domain.policy import Person, check_supervisor
from counter_app.gui.context import GuiContext
from counter_app.gui.errors import describe_at_field
from counter_app.gui.forms import load_form
from counter_app.gui.widgets import ERROR_STYLE, WorkerDialog, hbox, show_message, text_label
from counter_app.gui.wizard.page import WizardPage
from counter_app.services.operators import OperatorInfo


def _as_reviewer(clerk: str, info: OperatorInfo) -> None:
    check_reviewer(clerk, info.name, info.role.value)


def _as_supervisor(clerk: str, info: OperatorInfo) -> None:
    check_supervisor(
        Person(clerk, Role.CLERK),
        Person(info.name, info.role, info.active),
        what_zh="费用减免",
        what_en="a fee waiver",
    )


def ask_approval(
    parent: QWidget,
    context: GuiContext,
    on_approved: Callable[[OperatorInfo | None], None],
    **how: Any,
) -> ReviewerDialog:
    """Open the second operator's sign-in for the clerk (window-modal, not a nested event loop);
    ``on_approved`` gets who signed in. ``how``: :class:`ReviewerDialog`'s options."""
    dialog = ReviewerDialog(context, context.clerk().name, parent, **how)
    dialog.accepted.connect(lambda: on_approved(dialog.reviewer))
    dialog.open()
    return dialog


class ReviewerDialog(WorkerDialog, QDialog):
    """A second operator signs in at the clerk's screen: a reviewer by default, or a supervisor
    (``supervisor=True``) for what the policy gives only to supervisors, such as a waiver."""

    def __init__(
        self,
        context: GuiContext,
        clerk: str,
        parent: QWidget | None = None,
        *,
        supervisor: bool = False,
        name: str = "",
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._clerk = clerk
        self._check = _as_supervisor if supervisor else _as_reviewer
        self.reviewer: OperatorInfo | None = None
        self.form = load_form("reviewer_dialog.ui", self)
        self.setWindowTitle(
            self.tr("counter-app: supervisor approval")
            if supervisor
            else self.tr("counter-app: reviewer approval")
        )
        if supervisor:
            # The same sign-in, said for the supervisor who approves a waiver.
            self.form.get(QLabel, "title_label").setText(self.tr("Supervisor approval"))
            self.form.get(QLabel, "explain_label").setText(
                self.tr(
                    "A fee waiver rests on a written notice and a supervisor, who signs in "
                    "here to approve it. The clerk who took the application cannot approve it."
                )
            )
            self.form.get(QLabel, "name_label").setText(self.tr("Supervisor &name:"))
        self.name_edit = self.form.get(QLineEdit, "name_edit")
        self.password_edit = self.form.get(QLineEdit, "password_edit")
        self.name_msg = self.form.get(QLabel, "name_msg")
        self.password_msg = self.message_label = self.form.get(QLabel, "password_msg")
        self.approve_button = self.form.get(QPushButton, "approve_button")
        self.form.get(QPushButton, "cancel_button").clicked.connect(self.reject)
        for label in (self.name_msg, self.password_msg):
            label.setStyleSheet(ERROR_STYLE)
            label.hide()
        self.name_edit.textChanged.connect(self._name_changed)
        self.name_edit.returnPressed.connect(self.password_edit.setFocus)
        self.password_edit.returnPressed.connect(self.submit)
        self.approve_button.clicked.connect(self.submit)
        self.resize(520, 300)
        if name:
            self.name_edit.setText(name)
            self.password_edit.setFocus()
        self._name_changed()

    def _name_changed(self, *_: object) -> None:
        name = self.name_edit.text().strip()
        own = bool(name) and name.casefold() == self._clerk.strip().casefold()
        show_message(self.name_msg, describe_at_field(SelfReview("reviewer")) if own else "")
        self.approve_button.setEnabled(bool(name) and not own)

    def submit(self) -> None:
        name = self.name_edit.text().strip()
        password = self.password_edit.text()
        self.password_edit.clear()
        if not self.approve_button.isEnabled():
            return
        if not password:
            show_message(self.password_msg, self.tr("Enter the reviewer's password."))
            self.password_edit.setFocus()
            return
        self.check_password(name, password, on_done=self._signed_in, focus=self.password_edit)

    def _signed_in(self, info: OperatorInfo) -> None:
        try:
            self._check(self._clerk, info)
        except CounterError as exc:
            show_message(self.name_msg, describe_at_field(exc))
            self.name_edit.setFocus()
            return
        self.reviewer = info
        self.accept()

    def describe_refusal(self, exc: BaseException) -> str:
        return describe_at_field(exc)  # said beside the password field

    def busy_widgets(self) -> Sequence[QWidget]:
        return (self.name_edit, self.password_edit, self.approve_button)

    def _busy(self, busy: bool) -> None:
        super()._busy(busy)
        if busy:
            show_message(self.name_msg, "")


def _document_title(value: str) -> str:
    from counter_app.domain.subscribers import DocumentType
    from counter_app.gui.i18n import current_lang

    if current_lang() == "en":  # the domain names documents in Chinese only
        return value.replace("_", " ").capitalize()
    try:
        return DocumentType(value).zh
    except ValueError:
        return value


def _person_line(template: str, person: Mapping[str, Any]) -> str:
    parts = [str(person.get("name", ""))]
    ident = person.get("id_number") or person.get("uscc") or person.get("identifier")
    if ident:
        parts.append(str(ident))
    for key in ("mobile", "email"):
        if person.get(key):
            parts.append(str(person[key]))
    return template.replace("%1", " · ".join(parts))


def summary_lines(
    data: Mapping[str, Any], type_title: Callable[[str], str] | None = None
) -> list[str]:
    """What the reviewer checks, from the flow's data, in the current language: the subscriber
    as verified (and the agent), the documents ticked, the certificate type and key algorithm,
    the agreement version, the fee and how it was paid or waived."""
    lines = []
    subscriber = data.get("subscriber") or {}
    if subscriber:
        ident = (
            subscriber.get("id_number") or subscriber.get("uscc") or subscriber.get("identifier")
        )
        text = QCoreApplication.translate("ReviewerPage", "Subscriber: %1 (%2)")
        lines.append(text.replace("%1", str(subscriber.get("name", ""))).replace("%2", str(ident)))
        contact = [str(subscriber[k]) for k in ("mobile", "email") if subscriber.get(k)]
        if contact:
            lines.append(
                QCoreApplication.translate("ReviewerPage", "Contact: %1").replace(
                    "%1", " · ".join(contact)
                )
            )
        if subscriber.get("legal_representative"):
            lines.append(
                QCoreApplication.translate("ReviewerPage", "Legal representative: %1").replace(
                    "%1", str(subscriber["legal_representative"])
                )
            )
        agent = subscriber.get("agent")
        if isinstance(agent, Mapping):
            lines.append(
                _person_line(QCoreApplication.translate("ReviewerPage", "Agent: %1"), agent)
            )
    documents = data.get("documents")
    if documents:
        shown = [
            f"{_document_title(str(d.get('type', '')))} {d.get('number', '')}".strip()
            for d in documents
            if isinstance(d, Mapping)
        ]
        lines.append(
            QCoreApplication.translate("ReviewerPage", "Documents seen: %1").replace(
                "%1", "; ".join(shown)
            )
        )
    certificate = data.get("certificate")
    if certificate is not None:
        text = QCoreApplication.translate("ReviewerPage", "Certificate: %1")
        lines.append(text.replace("%1", certificate.serial))
    if data.get("certificate_type"):
        code = str(data["certificate_type"])
        lines.append(
            QCoreApplication.translate("ReviewerPage", "Certificate type: %1").replace(
                "%1", type_title(code) if type_title else code
            )
        )
    if data.get("key_algorithm"):
        lines.append(
            QCoreApplication.translate("ReviewerPage", "Key algorithm: %1").replace(
                "%1", key_algorithm_title(str(data["key_algorithm"]))
            )
        )
    agreement = data.get("agreement")
    if isinstance(agreement, Mapping) and agreement.get("version"):
        lines.append(
            QCoreApplication.translate("ReviewerPage", "Agreement accepted: version %1").replace(
                "%1", str(agreement["version"]).removeprefix("v")
            )
        )
    if "fee_fen" in data:
        text = QCoreApplication.translate("ReviewerPage", "Fee: ¥%1")
        lines.append(text.replace("%1", format_yuan(int(data["fee_fen"]))))
    payment = data.get("payment") or {}
    if payment.get("method") == "cash":
        text = QCoreApplication.translate("ReviewerPage", "Cash received: ¥%1")
        lines.append(text.replace("%1", str(payment.get("tendered"))))
    elif payment.get("method") in ("card", "transfer"):
        lines.append(
            QCoreApplication.translate("ReviewerPage", "Paid by card")
            if payment["method"] == "card"
            else QCoreApplication.translate("ReviewerPage", "Paid by transfer")
        )
    if "waiver" in payment:
        waiver = payment["waiver"]
        text = QCoreApplication.translate("ReviewerPage", "Waiver %1, approved by %2")
        lines.append(
            text.replace("%1", str(waiver.get("reference"))).replace(
                "%2", str(waiver.get("approved_by"))
            )
        )
    return lines


class ReviewerPage(WizardPage):
    """Valid once another operator with the reviewer or supervisor role has approved."""

    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.reviewer: OperatorInfo | None = None
        self._approved_summary = ""
        self.dialog: ReviewerDialog | None = None
        layout = QVBoxLayout(self)
        self.summary_label = text_label(self, "summary_label", wrap=True)
        self.status_label = text_label(self, "approval_status", style="font-size: 14pt;")
        # A second live certificate of the type for one subscriber is issued only when the
        # reviewer approves it explicitly (the pipeline refuses it otherwise).
        self.additional_check = QCheckBox(
            self.tr("The reviewer approves an &additional certificate for this subscriber"), self
        )
        self.additional_check.setObjectName("additional_certificate")
        self.additional_check.toggled.connect(self._additional_toggled)
        self.sign_button = QPushButton(self.tr("Reviewer &sign-in…"), self)
        self.sign_button.setObjectName("reviewer_sign_in")
        self.sign_button.clicked.connect(self.ask)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.additional_check)
        layout.addSpacing(12)
        layout.addWidget(self.status_label)
        layout.addLayout(hbox([self.sign_button]))
        layout.addStretch(1)
        self._show_status()

    def title(self) -> str:
        return self.tr("Review")

    def _additional_toggled(self, _on: bool) -> None:
        # What the reviewer approves changed: they sign in again for it.
        self.reviewer = None
        self._show_status()

    def enter(self, data: Mapping[str, Any]) -> None:
        self.additional_check.setVisible("agreement" in data)  # an enrollment
        summary = "\n".join(summary_lines(data, self._type_title))
        if self.reviewer is not None and summary != self._approved_summary:
            self.reviewer = None  # the clerk went back and changed what was approved
        self.summary_label.setText(summary)
        self._show_status()

    def _type_title(self, code: str) -> str:
        from counter_app.gui.i18n import current_lang

        services = self.context.services
        kind = services.fee_table.types.get(code) if services is not None else None
        if kind is None:
            return code
        return kind.name_en if current_lang() == "en" else kind.name_zh

    def ask(self) -> ReviewerDialog:
        self.dialog = ask_approval(self, self.context, self._approved)
        return self.dialog

    def _approved(self, reviewer: OperatorInfo | None) -> None:
        self.reviewer = reviewer
        self._approved_summary = self.summary_label.text()
        self._show_status()

    def _show_status(self) -> None:
        if self.reviewer is None:
            self.status_label.setText(self.tr("Not yet approved."))
        else:
            self.status_label.setText(self.tr("Approved by %1.").replace("%1", self.reviewer.name))
        self.set_valid(self.reviewer is not None)

    def apply(self) -> dict[str, Any]:
        assert self.reviewer is not None
        additional = self.additional_check.isVisible() and self.additional_check.isChecked()
        return {"reviewer": self.reviewer, "additional_certificate": additional}
