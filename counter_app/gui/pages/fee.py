"""Fee page: the amount from the fee table, tendered and change as the clerk types, or a waiver.

The amount comes from ``ServiceContext.fee_table`` for the service and the certificate type;
every check is the domain's (:class:`Payment`, :class:`WaiverRequest`): the page only shows the
messages beside their fields. A waiver needs the supervisor to sign in at the counter (the same
dialog as the reviewer's, for the supervisor role): a typed name alone never waives a fee.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import shiboken6
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from counter_app.domain.display import key_algorithm_title
from counter_app.domain.errors import ValidationError
from counter_app.domain.fees import (
    CertificateType,
    Payment,
    PaymentMethod,
    WaiverRequest,
    format_yuan,
    parse_yuan,
    yuan_in_capitals,
)
from counter_app.domain.signature import FeeShown
from counter_app.gui import i18n
from counter_app.gui.context import GuiContext
from counter_app.gui.errors import describe_at_field
from counter_app.gui.forms import load_form
from counter_app.gui.pages.reviewer import ReviewerDialog, ask_approval
from counter_app.gui.subscriber_screen import subscriber_screen
from counter_app.gui.widgets import text_label
from counter_app.gui.wizard.page import WizardPage
from counter_app.services.operators import OperatorInfo
from counter_app.token.capabilities import inserted_capabilities

WAIVER = "waiver"
# The payment buttons in ui/fee.ui, in the order shown (each named ``method_<value>``).
PAYMENT_METHODS = (PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.TRANSFER)


def _show(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


class FeePage(WizardPage):
    """``service`` is the fee table's service key (enroll, renew, change, ...)."""

    def __init__(
        self, context: GuiContext, parent: QWidget | None = None, *, service: str = "enroll"
    ) -> None:
        super().__init__(context, parent)
        self.service = service
        self.fee = 0
        self.cert_type: CertificateType | None = None
        self._kind: str | None = None
        # The supervisor who signed in for the waiver (the pipeline checks them again).
        self.supervisor: OperatorInfo | None = None
        self.label_of_token = ""
        self.dialog: ReviewerDialog | None = None
        self._touched: set[str] = set()
        self.payment: dict[str, Any] | None = None
        self._build()
        self.revalidate()

    # -- layout (ui/fee.ui) -------------------------------------------------------------------
    def _build(self) -> None:
        self.form = form = load_form("fee.ui", self)
        self.type_combo = form.get(QComboBox, "type_combo")
        self.type_label = form.get(QLabel, "type_label")
        self.algorithm_combo = form.get(QComboBox, "algorithm_combo")
        self.algorithm_label = form.get(QLabel, "algorithm_label")
        self.fee_value = form.get(QLabel, "fee_value")
        self.fee_capitals = form.get(QLabel, "fee_capitals")
        self.method_label = form.get(QLabel, "method_label")
        self.tendered_edit = form.get(QLineEdit, "tendered_edit")
        self.tendered_msg = form.get(QLabel, "tendered_msg")
        self.tendered_label = form.get(QLabel, "tendered_label")
        self.change_value = form.get(QLabel, "change_value")
        self.change_label = form.get(QLabel, "change_label")
        self.reference_edit = form.get(QLineEdit, "waiver_reference")
        self.reference_msg = form.get(QLabel, "waiver_reference_msg")
        self.reference_label = form.get(QLabel, "reference_label")
        self.approver_edit = form.get(QLineEdit, "waiver_approver")
        self.approver_msg = form.get(QLabel, "waiver_approver_msg")
        self.approver_label = form.get(QLabel, "approver_label")
        self._rows = form.layout(QFormLayout, "fields")
        # What the inserted token can make, said under the key algorithm when it limits it.
        self.algorithm_note = text_label(self, "algorithm_note", wrap=True)
        position = self._rows.getWidgetPosition(self.algorithm_combo)
        row = position[0] if isinstance(position, tuple) else 1
        self._rows.insertRow(row + 1, "", self.algorithm_note)
        self.algorithm_note.hide()
        self.token_algorithms: tuple[str, ...] | None = None
        self.supervisor_button = QPushButton(self.tr("Supervisor &sign-in…"), self)
        self.supervisor_button.setObjectName("supervisor_sign_in")
        self.supervisor_button.clicked.connect(self.ask_supervisor)
        box = self.approver_edit.parentWidget()
        layout = box.layout() if box is not None else None
        if layout is not None:
            layout.addWidget(self.supervisor_button)
        for label in (self.tendered_msg, self.reference_msg, self.approver_msg):
            label.hide()

        self.method_group = QButtonGroup(self)
        self.method_buttons: dict[str, QRadioButton] = {}
        for key in (*(m.value for m in PAYMENT_METHODS), WAIVER):
            button = form.get(QRadioButton, f"method_{key}")
            self.method_group.addButton(button)
            self.method_buttons[key] = button
            button.toggled.connect(self._method_toggled)

        self.type_combo.currentIndexChanged.connect(self._type_changed)
        for edit in (self.tendered_edit, self.reference_edit, self.approver_edit):
            edit.textChanged.connect(self.revalidate)
            edit.editingFinished.connect(lambda e=edit: self._left(e))
        self.algorithm_combo.currentIndexChanged.connect(self.revalidate)
        self.method_buttons[PaymentMethod.CASH.value].setChecked(True)

    def title(self) -> str:
        return self.tr("Fee")

    # -- data in ---------------------------------------------------------------------------------
    def enter(self, data: Mapping[str, Any]) -> None:
        ctx = self.context.service_context()
        fixed = data.get("certificate")
        if fixed is not None:  # renew, change, ...: the type of the certificate being replaced
            codes = [str(fixed.certificate_type)]
        else:
            kind = str(data.get("subscriber", {}).get("kind", ""))
            codes = [
                c
                for c, t in ctx.fee_table.types.items()
                if not kind or t.subscriber_kind.value == kind  # unlock: any type, clerk picks
            ]
        current = [self.type_combo.itemData(i) for i in range(self.type_combo.count())]
        if current != codes:  # only rebuilt when the choice changed: what was typed stays
            self.type_combo.blockSignals(True)
            self.type_combo.clear()
            for code in codes:
                cert_type = ctx.fee_table.certificate_type(code)
                zh = i18n.current_lang() == "zh_CN"
                self.type_combo.addItem(cert_type.name_zh if zh else cert_type.name_en, code)
            self.type_combo.blockSignals(False)
            self._type_changed()
        self.type_combo.setEnabled(fixed is None and len(codes) > 1)
        choose_key = fixed is None and self.service == "enroll"
        self._rows.setRowVisible(self.algorithm_label, choose_key)
        self._rows.setRowVisible(
            self.algorithm_note, choose_key and bool(self.algorithm_note.text())
        )
        if choose_key:
            self._ask_token()
        self.revalidate()

    def _ask_token(self) -> None:
        """Read, on the token lane, what the inserted token can make (no PIN needed)."""
        module = self.context.service_context().pkcs11_module
        handle = self.context.runner.run_token(
            inserted_capabilities,
            module,
            on_done=self._token_read,
            on_error=lambda _exc: None,  # the pipeline checks the token again before payment
        )
        # Discarded with the page's other calls: a late answer must not touch a deleted page.
        self._tasks.append(handle)

    def _token_read(self, found: object) -> None:
        assert isinstance(found, list)
        if not shiboken6.isValid(self.algorithm_combo):
            return  # the page was closed while the token was read
        # Only one token in the readers tells which one the subscriber will use.
        self.token_algorithms = found[0].key_algorithms() if len(found) == 1 else None
        self.label_of_token = found[0].label if len(found) == 1 else ""
        self._limit_algorithms()
        self.revalidate()

    def _limit_algorithms(self) -> None:
        """Offer only what both the fee table and the inserted token allow, and say why."""
        model = self.algorithm_combo.model()
        allowed = self.token_algorithms
        missing = []
        for index in range(self.algorithm_combo.count()):
            name = str(self.algorithm_combo.itemData(index))
            ok = allowed is None or name in allowed
            item = model.item(index) if isinstance(model, QStandardItemModel) else None
            if item is not None:
                item.setEnabled(ok)
            if not ok:
                missing.append(self.algorithm_combo.itemText(index))
        current = str(self.algorithm_combo.currentData() or "")
        if allowed is not None and current not in allowed:
            for index in range(self.algorithm_combo.count()):
                if str(self.algorithm_combo.itemData(index)) in allowed:
                    self.algorithm_combo.setCurrentIndex(index)
                    break
        text = ""
        if missing:
            text = (
                self.tr("The token in the reader (%1) cannot make: %2.")
                .replace("%1", self.label_of_token)
                .replace("%2", ", ".join(missing))
            )
        self.algorithm_note.setText(text)
        self._rows.setRowVisible(self.algorithm_note, bool(text))

    def _type_changed(self, *_: object) -> None:
        code = self.type_combo.currentData()
        ctx = self.context.services
        if code is None or ctx is None:
            self.cert_type = None
            return
        self.cert_type = ctx.fee_table.certificate_type(code)
        self.fee = ctx.fee_table.fee_for(self.service, self.cert_type)
        self.algorithm_combo.blockSignals(True)
        self.algorithm_combo.clear()
        for algorithm in self.cert_type.key_algorithms:
            self.algorithm_combo.addItem(key_algorithm_title(algorithm.value), algorithm.value)
        self.algorithm_combo.setCurrentIndex(
            self.cert_type.key_algorithms.index(self.cert_type.default_key_algorithm)
        )
        self._limit_algorithms()
        self.algorithm_combo.blockSignals(False)
        self.fee_value.setText(f"¥{format_yuan(self.fee)}")
        self.fee_capitals.setText(f"（{yuan_in_capitals(self.fee)}）")
        self.revalidate()

    # -- validation as the clerk types ------------------------------------------------------------
    @property
    def method(self) -> str:
        for key, button in self.method_buttons.items():
            if button.isChecked():
                return key
        return PaymentMethod.CASH.value

    def _method_toggled(self, on: bool) -> None:
        if on:
            self.revalidate()

    def _left(self, edit: QLineEdit) -> None:
        self._touched.add(edit.objectName())
        self.revalidate()

    def ask_supervisor(self) -> ReviewerDialog:
        """The supervisor signs in for the waiver."""
        self.dialog = ask_approval(
            self,
            self.context,
            self._supervisor_signed_in,
            supervisor=True,
            name=self.approver_edit.text().strip(),
        )
        return self.dialog

    def _supervisor_signed_in(self, supervisor: OperatorInfo | None) -> None:
        self.supervisor = supervisor
        if self.supervisor is not None:
            self.approver_edit.setText(self.supervisor.name)
        self.revalidate()

    def revalidate(self, *_: object) -> None:
        self._revalidate()
        self._mirror()

    def _mirror(self) -> None:
        """The fee, tendered and change on the subscriber's screen, as the clerk types."""
        screen = subscriber_screen(self.context, create=False)
        if screen is None:
            return
        fee = self.fee if self.cert_type is not None else None
        tendered = change = None
        if self.payment is not None and self.method == PaymentMethod.CASH.value and fee:
            tendered = parse_yuan(str(self.payment["tendered"]), field="tendered")
            change = tendered - fee
        screen.show_fee(FeeShown.of(fee, tendered, change))

    def _revalidate(self) -> None:
        method = self.method
        free = self.cert_type is not None and self.fee == 0
        cash, waiver = method == PaymentMethod.CASH.value, method == WAIVER
        # Whole rows of the form, so a hidden row leaves no gap between those shown.
        self._rows.setRowVisible(self.method_label, not free)
        for label in (self.tendered_label, self.change_label):
            self._rows.setRowVisible(label, cash and not free)
        for label in (self.reference_label, self.approver_label):
            self._rows.setRowVisible(label, waiver and not free)
        for label in (self.tendered_msg, self.reference_msg, self.approver_msg):
            _show(label, "")
        self.change_value.setText("")
        self.payment = None
        if self.cert_type is None:
            self.set_valid(False)
            return
        if free:
            self.payment = {"method": PaymentMethod.CASH.value, "tendered": "0.00"}
        elif waiver:
            self.payment = self._check_waiver()
        elif cash:
            self.payment = self._check_cash()
        else:
            self.payment = {"method": method, "tendered": format_yuan(self.fee)}
        self.set_valid(self.payment is not None)

    def _check_cash(self) -> dict[str, Any] | None:
        text = self.tendered_edit.text().strip()
        if not text:
            if "tendered_edit" in self._touched:
                _show(self.tendered_msg, self.tr("Enter the amount received."))
            return None
        try:
            payment = Payment(PaymentMethod.CASH, self.fee, parse_yuan(text, field="tendered"))
        except ValidationError as exc:
            _show(self.tendered_msg, describe_at_field(exc))
            return None
        self.change_value.setText(
            f"¥{format_yuan(payment.change_due)}（{yuan_in_capitals(payment.change_due)}）"
        )
        return {"method": PaymentMethod.CASH.value, "tendered": format_yuan(payment.tendered)}

    def _check_waiver(self) -> dict[str, Any] | None:
        reference = self.reference_edit.text().strip()
        approver = self.approver_edit.text().strip()
        if not reference or not approver:
            if not reference and "waiver_reference" in self._touched:
                _show(self.reference_msg, self.tr("Required."))
            if not approver and "waiver_approver" in self._touched:
                _show(self.approver_msg, self.tr("Required."))
            return None
        try:
            request = WaiverRequest.parse(reference, approver)
        except ValidationError as exc:
            target = self.approver_msg if exc.field.endswith("approved_by") else self.reference_msg
            _show(target, describe_at_field(exc))
            return None
        signed = self.supervisor
        if (
            signed is None
            or request.approved_by is None
            or (signed.name.casefold() != request.approved_by.casefold())
        ):
            _show(self.approver_msg, self.tr("The supervisor must sign in for the waiver."))
            return None
        return {"waiver": {"reference": request.reference, "approved_by": signed.name}}

    # -- data out ----------------------------------------------------------------------------------
    def apply(self) -> dict[str, Any]:
        assert self.cert_type is not None and self.payment is not None
        return {
            "certificate_type": self.cert_type.code,
            "key_algorithm": self.algorithm_combo.currentData() or None,
            "payment": self.payment,
            "fee_fen": self.fee,
            "supervisor": self.supervisor if "waiver" in self.payment else None,
        }
