"""Renew (更新), change (变更), add item (增加应用项) and reissue (补办) wizards.

Each starts from the certificate being replaced (looked up by serial in a worker), then the
shared fee, reviewer, token and result pages; the token step calls ``services.replace``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from counter_app.domain.applications import check_application_item
from counter_app.domain.errors import ValidationError
from counter_app.domain.fees import SettlementForm
from counter_app.domain.subscribers import (
    DocumentType,
    parse_documents,
    parse_subscriber,
    subscriber_errors,
)
from counter_app.gui import i18n, registry
from counter_app.gui.context import GuiContext
from counter_app.gui.errors import describe_at_field
from counter_app.gui.lookup import status_text
from counter_app.gui.pages.fee import FeePage
from counter_app.gui.pages.result import ResultPage
from counter_app.gui.pages.reviewer import ReviewerPage
from counter_app.gui.pages.token import acting, issuing_step
from counter_app.gui.wizard.flows import FLOWS
from counter_app.gui.wizard.page import WizardPage
from counter_app.gui.wizard.view import PageBuilder, WizardView
from counter_app.services import certificates, replace
from counter_app.services.certificates import CertificateView
from counter_app.services.context import ServiceContext
from counter_app.services.operators import OperatorInfo
from counter_app.services.tokens import TokenChoice


def _say(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def find_certificate(
    ctx: ServiceContext, serial: str, reader: str
) -> tuple[CertificateView, dict[str, Any]]:
    view = certificates.show_certificate(ctx, serial)
    certificates.record_read(ctx, reader, "certificate", f"certificate:{view.serial}")
    subscriber: dict[str, Any] = {}
    if view.application_id:
        subscriber = dict(certificates.show_application(ctx, view.application_id)["subscriber"])
    return view, subscriber


class CertificatePage(WizardPage):
    """The certificate the service acts on: typed serial, found and shown in a worker."""

    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent, form="replace_certificate.ui")
        self.view: CertificateView | None = None
        self.subscriber: dict[str, Any] = {}
        form = self.form
        self.serial_edit = form.get(QLineEdit, "serial_edit")
        self.find_button = form.get(QPushButton, "find_button")
        self.details = form.get(QLabel, "certificate_details")
        self.serial_edit.returnPressed.connect(self.look_up)
        self.serial_edit.textChanged.connect(self._typed)
        self.find_button.clicked.connect(self.look_up)

    def title(self) -> str:
        return self.tr("Certificate")

    def _typed(self, *_: object) -> None:
        if self.view is not None and self.view.serial != self.serial_edit.text().strip().upper():
            self.view = None
            self.details.setText("")
            self.set_valid(False)

    def look_up(self) -> None:
        serial = self.serial_edit.text().strip()
        if serial:
            self.call_service(
                find_certificate,
                self.context.service_context(),
                serial,
                self.context.clerk().name,
                on_done=self._found,
            )

    def _found(self, found: object) -> None:
        assert isinstance(found, tuple)
        self.view, self.subscriber = found
        view = self.view
        self.details.setText(
            "\n".join(
                (
                    self.tr("Subscriber: %1").replace("%1", view.subscriber_name or ""),
                    self.tr("Status: %1").replace("%1", status_text(view.status)),
                    self.tr("Valid until: %1").replace(
                        "%1", self.context.shown_date(view.not_after)
                    ),
                    self.tr("Token: %1").replace("%1", view.token_serial or ""),
                )
            )
        )
        self.set_valid(True)

    def apply(self) -> dict[str, Any]:
        assert self.view is not None
        return {
            "certificate": self.view,
            "serial": self.view.serial,
            "subscriber": self.subscriber,
        }


# Fields a change may correct, by subscriber kind (dotted keys). Each is a row of
# ui/replace_change.ui: ``change_<key>`` ('.' as '_') with its ``_label``, ``_box`` and ``_msg``.
CHANGE_FIELDS = {
    "individual": ("mobile", "email"),
    "unit": ("legal_representative", "agent.name", "agent.mobile", "agent.email"),
    "device": ("name",),
}


def _widget_name(key: str) -> str:
    return f"change_{key.replace('.', '_')}"


def _get(data: Mapping[str, Any], dotted: str) -> str:
    head, _, rest = dotted.partition(".")
    value = data.get(head)
    if rest:
        return _get(value, rest) if isinstance(value, Mapping) else ""
    return "" if value is None else str(value)


class ChangePage(WizardPage):
    """Corrected details, checked by the domain as typed; identity itself cannot change."""

    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent, form="replace_change.ui")
        self._kind = ""
        self._original: dict[str, Any] = {}
        self.edits: dict[str, QLineEdit] = {}
        self.messages: dict[str, QLabel] = {}
        self._rows = self.form.layout(QFormLayout, "fields")
        # The documents that prove the change (which ones: the service's rule), ticked as seen.
        self.documents_box = QGroupBox(self.tr("Documents seen for this change"), self)
        self.documents_box.setObjectName("change_documents")
        self._documents_layout = QVBoxLayout(self.documents_box)
        self.document_checks: dict[str, QCheckBox] = {}
        self.letter_edit = QLineEdit(self.documents_box)
        self.letter_edit.setObjectName("authorisation_letter_number")
        self.letter_edit.setPlaceholderText(self.tr("Number of the letter of authorisation"))
        self.letter_edit.textChanged.connect(self.revalidate)
        outer = self.layout()
        if outer is not None:
            outer.addWidget(self.documents_box)
        for keys in CHANGE_FIELDS.values():
            for key in keys:
                name = _widget_name(key)
                self.form.get(QLineEdit, name).textChanged.connect(self.revalidate)
                self.form.get(QLabel, f"{name}_msg").hide()
                self._show_row(key, False)

    def _show_row(self, key: str, shown: bool) -> None:
        self._rows.setRowVisible(self.form.get(QWidget, f"{_widget_name(key)}_box"), shown)

    def title(self) -> str:
        return self.tr("Changes")

    def enter(self, data: Mapping[str, Any]) -> None:
        original = dict(data.get("subscriber") or {})
        original.pop("id", None)
        kind = str(original.get("kind", ""))
        if kind != self._kind or original != self._original:
            self._kind, self._original = kind, original
            self.edits.clear()
            self.messages.clear()
            for keys in CHANGE_FIELDS.values():
                for key in keys:
                    self._show_row(key, False)
            for key in CHANGE_FIELDS.get(kind, ()):
                name = _widget_name(key)
                edit = self.form.get(QLineEdit, name)
                edit.blockSignals(True)  # revalidated once, below, with every field in place
                edit.setText(_get(original, key))
                edit.blockSignals(False)
                self._show_row(key, True)
                self.edits[key] = edit
                self.messages[key] = self.form.get(QLabel, f"{name}_msg")
        self.revalidate()

    def merged(self) -> dict[str, Any]:
        merged = {k: v for k, v in self._original.items() if k not in ("kind",)}
        merged["kind"] = self._kind
        if isinstance(merged.get("agent"), Mapping):
            merged["agent"] = dict(merged["agent"])
        for key, edit in self.edits.items():
            head, _, rest = key.partition(".")
            value = edit.text().strip() or None
            if rest:
                merged.setdefault(head, {})[rest] = value
            else:
                merged[head] = value
        return _drop_none(merged)

    def revalidate(self, *_: object) -> None:
        errors = {e.field: e for e in subscriber_errors(self.merged(), path="subscriber")}
        for key, label in self.messages.items():
            error = errors.get(f"subscriber.{key}")
            _say(label, describe_at_field(error) if error is not None else "")
        changed = self.merged() != _drop_none(self._original)
        documents_ok = self._show_documents() if not errors and changed else False
        self.set_valid(not errors and changed and documents_ok)

    def _needed(self) -> tuple[tuple[DocumentType, str | None], ...]:
        before = parse_subscriber(self._original)
        after = parse_subscriber(self.merged())
        changed = {c["field"] for c in replace.field_changes(before, after)}
        return replace.documents_for_change(after, changed)

    def _show_documents(self) -> bool:
        """Show a tick box per document the change needs; true once every one is ticked."""
        needed = self._needed()
        wanted = {f"{t.value}:{n or ''}" for t, n in needed}
        for key in list(self.document_checks):
            if key not in wanted:
                self.document_checks.pop(key).deleteLater()
        zh = i18n.current_lang() == "zh_CN"
        for doc_type, number in needed:
            key = f"{doc_type.value}:{number or ''}"
            if key not in self.document_checks:
                name = doc_type.zh if zh else doc_type.value.replace("_", " ")
                box = QCheckBox(f"{name} {number or ''}".strip(), self.documents_box)
                box.setObjectName(f"seen_{doc_type.value}")
                box.toggled.connect(self.revalidate)
                self._documents_layout.addWidget(box)
                box.show()
                self.document_checks[key] = box
        letter = any(t is DocumentType.AUTHORISATION_LETTER for t, _ in needed)
        self.letter_edit.setVisible(letter)
        if letter:
            self._documents_layout.addWidget(self.letter_edit)
        ticked = all(box.isChecked() for box in self.document_checks.values())
        return ticked and (not letter or bool(self.letter_edit.text().strip()))

    def documents(self) -> list[dict[str, str]]:
        seen = []
        for doc_type, number in self._needed():
            value = self.letter_edit.text().strip() if number is None else number
            seen.append({"type": doc_type.value, "number": value})
        return seen

    def apply(self) -> dict[str, Any]:
        before = parse_subscriber(self._original)
        after = parse_subscriber(self.merged())
        return {
            "changes": {"subscriber": self.merged(), "documents": self.documents()},
            "new_certificate": replace.changes_certificate(before, after),
        }


def _drop_none(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            value = _drop_none(value)
        if value is not None:
            out[key] = value
    return out


class AddItemPage(WizardPage):
    """The application item to add, checked against the catalogue and what is registered."""

    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent, form="replace_item.ui")
        self._view: CertificateView | None = None
        form = self.form
        self.item_combo = form.get(QComboBox, "item_combo")
        self.item_msg = form.get(QLabel, "item_msg")
        self.item_msg.hide()
        self.note = form.get(QLabel, "item_note")
        self.item_combo.currentIndexChanged.connect(self.revalidate)

    def title(self) -> str:
        return self.tr("Application item")

    def enter(self, data: Mapping[str, Any]) -> None:
        self._view = data.get("certificate")
        if self.item_combo.count() == 0:
            zh = i18n.current_lang() == "zh_CN"
            for code, item in self.context.service_context().application_items.items():
                self.item_combo.addItem(item.name_zh if zh else item.name_en, code)
        self.revalidate()

    def revalidate(self, *_: object) -> None:
        code = self.item_combo.currentData()
        view = self._view
        if code is None or view is None:
            self.set_valid(False)
            return
        try:
            item = check_application_item(
                code,
                self.context.service_context().application_items,
                subscriber_kind=view.subscriber_kind,
                registered=view.items,
            )
        except ValidationError as exc:
            _say(self.item_msg, describe_at_field(exc))
            self.note.setText("")
            self.set_valid(False)
            return
        _say(self.item_msg, "")
        self.note.setText(
            self.tr("A new certificate is issued onto the same token.")
            if item.in_certificate
            else self.tr("Recorded at the RA only; the certificate stays as it is.")
        )
        self.set_valid(True)

    def apply(self) -> dict[str, Any]:
        code = str(self.item_combo.currentData())
        item = self.context.service_context().application_items[code]
        return {"item": code, "new_certificate": item.in_certificate}


class RecordPage(WizardPage):
    """A step with no token: one button runs ``action`` in the pool, then the wizard moves on."""

    def __init__(
        self,
        context: GuiContext,
        parent: QWidget | None = None,
        *,
        action: Callable[[ServiceContext, Mapping[str, Any], OperatorInfo], Any],
    ) -> None:
        super().__init__(context, parent, form="replace_record.ui")
        self._action = action
        self._data: Mapping[str, Any] = {}
        self.result: Any = None
        self.run_button = self.form.get(QPushButton, "record_button")
        if action is record_change:
            self.form.get(QLabel, "record_hint").setText(
                self.tr(
                    "The certificate does not carry what changes: the change is recorded at "
                    "the RA only, no token is needed and the certificate stays as it is."
                )
            )
            self.run_button.setText(self.tr("&Record the change"))
        self.run_button.clicked.connect(self.run)

    def title(self) -> str:
        return self.tr("Record")

    def enter(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def run(self) -> None:
        if self.busy or self.result is not None:
            return
        self.run_button.setEnabled(False)
        self.call_service(
            self._action,
            self.context.service_context(),
            dict(self._data),
            self.context.clerk(),
            on_done=self._done,
        )

    def set_error(self, error: str | BaseException | None) -> None:
        super().set_error(error)
        if error:
            self.run_button.setEnabled(True)

    def _done(self, result: object) -> None:
        self.result = result
        self.allows_back = False
        self.set_valid(True)
        self.advance_requested.emit()

    def apply(self) -> dict[str, Any]:
        return {"result": self.result}


# -- the service calls (token lane) ---------------------------------------------------------------
def _replace_request(data: Mapping[str, Any], token: TokenChoice, pin: str) -> Any:
    return replace.ReplaceRequest(
        data["serial"], token, pin, SettlementForm.from_mapping(data["payment"])
    )


def run_renew(
    ctx: ServiceContext, data: Mapping[str, Any], token: TokenChoice, pin: str, clerk: OperatorInfo
) -> Any:
    return replace.renew(ctx, _replace_request(data, token, pin), acting(data, clerk))


def run_reissue(
    ctx: ServiceContext, data: Mapping[str, Any], token: TokenChoice, pin: str, clerk: OperatorInfo
) -> Any:
    return replace.reissue(ctx, _replace_request(data, token, pin), acting(data, clerk))


def _change_request(
    data: Mapping[str, Any], token: TokenChoice | None, pin: str | None
) -> replace.ChangeRequest:
    changes = dict(data["changes"])
    documents = parse_documents(changes.pop("documents", []))
    return replace.ChangeRequest(
        data["serial"],
        changes,
        documents,
        token,
        pin,
        SettlementForm.from_mapping(data["payment"]),
    )


def run_change(
    ctx: ServiceContext, data: Mapping[str, Any], token: TokenChoice, pin: str, clerk: OperatorInfo
) -> Any:
    return replace.change(ctx, _change_request(data, token, pin), acting(data, clerk))


def record_change(ctx: ServiceContext, data: Mapping[str, Any], clerk: OperatorInfo) -> Any:
    """A change the certificate does not carry: recorded, no token."""
    return replace.change(ctx, _change_request(data, None, None), acting(data, clerk))


def run_add_item(
    ctx: ServiceContext, data: Mapping[str, Any], token: TokenChoice, pin: str, clerk: OperatorInfo
) -> Any:
    request = replace.AddItemRequest(
        data["serial"], data["item"], token, pin, SettlementForm.from_mapping(data["payment"])
    )
    return replace.add_item(ctx, request, acting(data, clerk))


def record_add_item(ctx: ServiceContext, data: Mapping[str, Any], clerk: OperatorInfo) -> Any:
    """An item the certificate does not carry: recorded, no token."""
    request = replace.AddItemRequest(
        data["serial"], data["item"], settlement=SettlementForm.from_mapping(data["payment"])
    )
    return replace.add_item(ctx, request, acting(data, clerk))


def _pages(
    service: str, action: Any, record: Any, extra: Mapping[str, PageBuilder]
) -> dict[str, PageBuilder]:
    return {
        "certificate": CertificatePage,
        **extra,
        "fee": partial(FeePage, service=service),
        "review": ReviewerPage,
        "token": issuing_step(
            action,
            lambda: QCoreApplication.translate("ReplaceWizard", "Make the new key and &issue"),
        ),
        "record": partial(RecordPage, action=record),
        "result": partial(ResultPage, forms=("application",)),
    }


def _register(
    service: str,
    action: Any,
    extra: Mapping[str, PageBuilder],
    record: Any = None,
) -> None:
    make_flow, pages = FLOWS[service], _pages(service, action, record, extra)
    registry.register_wizard(
        service,
        lambda context: WizardView(context, registry.service(service).title(), make_flow, pages),
    )


# The flows (which page follows which) are Qt-free in counter_app.gui.wizard.flows.
_register("renew", run_renew, {})
_register("reissue", run_reissue, {})
_register("change", run_change, {"changes": ChangePage}, record_change)
_register("add_item", run_add_item, {"item": AddItemPage}, record_add_item)
