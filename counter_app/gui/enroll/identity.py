"""Identity page: who the subscriber is (individual, unit with agent, device) and documents seen.

Every rule comes from :mod:`counter_app.domain.subscribers`: the page builds the same mapping as
APP.json's ``subscriber`` from the fields, asks ``subscriber_errors`` for every error and puts
each message beside the field its path names; ``required_documents`` says which documents to
tick, ``check_documents`` whether the ticks are enough.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from counter_app.domain.errors import ValidationError
from counter_app.domain.fields import MissingField
from counter_app.domain.subscribers import (
    DocumentSeen,
    DocumentType,
    IdType,
    Subscriber,
    SubscriberKind,
    check_documents,
    parse_documents,
    parse_subscriber,
    required_documents,
    subscriber_errors,
)
from counter_app.gui.context import GuiContext
from counter_app.gui.errors import describe, describe_at_field
from counter_app.gui.i18n import QT_TRANSLATE_NOOP
from counter_app.gui.widgets import ERROR_STYLE
from counter_app.gui.wizard.page import WizardPage

PATH = "subscriber"
# Widget name -> key in the subscriber mapping (a dotted path below ``subscriber``).
FIELDS: dict[SubscriberKind, dict[str, str]] = {
    SubscriberKind.INDIVIDUAL: {
        "ind_name": "name",
        "ind_id_type": "id_type",
        "ind_id_number": "id_number",
        "ind_mobile": "mobile",
        "ind_email": "email",
    },
    SubscriberKind.UNIT: {
        "unit_name": "name",
        "unit_uscc": "uscc",
        "unit_legal_representative": "legal_representative",
        "unit_social_insurance_unit_number": "social_insurance_unit_number",
        "agent_name": "agent.name",
        "agent_id_type": "agent.id_type",
        "agent_id_number": "agent.id_number",
        "agent_mobile": "agent.mobile",
        "agent_email": "agent.email",
    },
    SubscriberKind.DEVICE: {
        "dev_name": "name",
        "dev_identifier": "identifier",
        "dev_owner_uscc": "owner_uscc",
    },
}
ID_TYPE_LABELS = {
    IdType.RESIDENT_ID: QT_TRANSLATE_NOOP("documents", "Resident identity card"),
    IdType.PASSPORT: QT_TRANSLATE_NOOP("documents", "Passport"),
    IdType.HK_MACAO_PERMIT: QT_TRANSLATE_NOOP("documents", "Mainland travel permit (HK/Macao)"),
    IdType.TAIWAN_PERMIT: QT_TRANSLATE_NOOP("documents", "Mainland travel permit (Taiwan)"),
}
DOCUMENT_LABELS = {
    DocumentType.RESIDENT_ID_CARD: QT_TRANSLATE_NOOP("documents", "Resident identity card"),
    DocumentType.PASSPORT: QT_TRANSLATE_NOOP("documents", "Passport"),
    DocumentType.HK_MACAO_PERMIT: QT_TRANSLATE_NOOP(
        "documents", "Mainland travel permit (HK/Macao)"
    ),
    DocumentType.TAIWAN_PERMIT: QT_TRANSLATE_NOOP("documents", "Mainland travel permit (Taiwan)"),
    DocumentType.BUSINESS_LICENCE: QT_TRANSLATE_NOOP("documents", "Business licence"),
    DocumentType.AUTHORISATION_LETTER: QT_TRANSLATE_NOOP("documents", "Letter of authorisation"),
}
KIND_BUTTONS = {
    SubscriberKind.INDIVIDUAL: "kind_individual",
    SubscriberKind.UNIT: "kind_unit",
    SubscriberKind.DEVICE: "kind_device",
}


def _tr(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)


def _set_path(target: dict[str, Any], dotted: str, value: str) -> None:
    head, _, rest = dotted.partition(".")
    if rest:
        _set_path(target.setdefault(head, {}), rest, value)
    else:
        target[head] = value


class _DocumentRow:
    """One required document: a tick box and, when any number will do, a field for it."""

    def __init__(self, doc_type: DocumentType, number: str | None, parent: QWidget) -> None:
        self.type = doc_type
        self.number = number
        self.widget = QWidget(parent)
        layout = QHBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        label = _tr("documents", DOCUMENT_LABELS[doc_type])
        self.check = QCheckBox(f"{label}  {number}" if number else label, self.widget)
        self.check.setObjectName(f"doc_{doc_type.value}")
        layout.addWidget(self.check)
        self.number_edit: QLineEdit | None = None
        if number is None:
            self.number_edit = QLineEdit(self.widget)
            self.number_edit.setObjectName(f"doc_{doc_type.value}_number")
            self.number_edit.setPlaceholderText(
                QCoreApplication.translate("IdentityPage", "number on the document")
            )
            layout.addWidget(self.number_edit, 1)
        else:
            layout.addStretch(1)

    def seen(self) -> dict[str, str] | None:
        if not self.check.isChecked():
            return None
        typed = self.number_edit.text().strip() if self.number_edit is not None else ""
        return {"type": self.type.value, "number": self.number or typed}


class IdentityPage(WizardPage):
    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent, form="enroll_identity.ui")
        self.kind_pages = self.form.get(QStackedWidget, "kind_pages")
        self.documents_area = self.form.get(QWidget, "documents_area")
        self.documents_msg, self.documents_hint = self.form.get_all(
            QLabel, "documents_msg", "documents_hint"
        )
        self.documents_msg.setStyleSheet(ERROR_STYLE)
        self._documents_layout = QVBoxLayout(self.documents_area)
        self._documents_layout.setContentsMargins(0, 0, 0, 0)
        self._touched: set[str] = set()
        self._doc_rows: list[_DocumentRow] = []
        self._ticked: set[tuple[DocumentType, str | None]] = set()
        self._doc_key: tuple[tuple[DocumentType, str | None], ...] = ()
        self.subscriber: Subscriber | None = None
        self.documents: tuple[DocumentSeen, ...] = ()
        for kind, button_name in KIND_BUTTONS.items():
            button = self.form.get(QRadioButton, button_name)
            button.toggled.connect(lambda on, k=kind: self._kind_toggled(on, k))
        for names in FIELDS.values():
            for name in names:
                self._wire(name)
        self._kind = SubscriberKind.INDIVIDUAL
        self.revalidate()

    def title(self) -> str:
        return self.tr("Identity")

    def _wire(self, name: str) -> None:
        if name.endswith("id_type"):
            combo = self.form.get(QComboBox, name)
            for id_type, label in ID_TYPE_LABELS.items():
                combo.addItem(_tr("documents", label), id_type.value)
            combo.currentIndexChanged.connect(self.revalidate)
            # The domain names no error for a choice from the list; its message row stays hidden.
            self.message_label(name).hide()
            return
        edit = self.form.get(QLineEdit, name)
        edit.textChanged.connect(self.revalidate)
        edit.editingFinished.connect(lambda n=name: self._left(n))
        self.message_label(name).setStyleSheet("color: #b00020;")
        self.message_label(name).hide()

    def _left(self, name: str) -> None:
        self._touched.add(name)
        self.revalidate()

    def _kind_toggled(self, on: bool, kind: SubscriberKind) -> None:
        if on:
            self._kind_chosen(kind)

    def _kind_chosen(self, kind: SubscriberKind) -> None:
        self._kind = kind
        self.kind_pages.setCurrentIndex(list(KIND_BUTTONS).index(kind))
        self.revalidate()

    @property
    def kind(self) -> SubscriberKind:
        return self._kind

    def message_label(self, name: str) -> QLabel:
        return self.form.get(QLabel, f"{name}_msg")

    def field(self, name: str) -> QLineEdit:
        return self.form.get(QLineEdit, name)

    # -- validation ---------------------------------------------------------------------------
    def mapping(self) -> dict[str, Any]:
        """The ``subscriber`` object as APP.json would carry it (empty fields left out)."""
        data: dict[str, Any] = {"kind": self._kind.value}
        for name, key in FIELDS[self._kind].items():
            if key.endswith("id_type"):
                value = str(self.form.get(QComboBox, name).currentData())
            else:
                value = self.field(name).text().strip()
            if value:
                _set_path(data, key, value)
        return data

    def revalidate(self) -> None:
        data = self.mapping()
        errors = {err.field: err for err in subscriber_errors(data, path=PATH)}
        for name, key in FIELDS[self._kind].items():
            if key.endswith("id_type"):
                continue
            self._show_field_error(name, errors.get(f"{PATH}.{key}"))
        self.subscriber = parse_subscriber(data, path=PATH) if not errors else None
        self._refresh_documents()
        self.set_valid(self.subscriber is not None and self._documents_ok())

    def _show_field_error(self, name: str, error: ValidationError | None) -> None:
        label = self.message_label(name)
        text = ""
        if error is not None and (self.field(name).text() or name in self._touched):
            text = (
                self.tr("Required.")
                if isinstance(error, MissingField)
                else describe_at_field(error)
            )
        label.setText(text)
        label.setVisible(bool(text))

    # -- documents ----------------------------------------------------------------------------
    def _refresh_documents(self) -> None:
        needed = required_documents(self.subscriber) if self.subscriber is not None else ()
        self.documents_hint.setVisible(not needed)
        if needed == self._doc_key:
            return
        # Ticks are remembered across rebuilds (switching kind and back keeps them).
        self._ticked.update((r.type, r.number) for r in self._doc_rows if r.check.isChecked())
        self._ticked.difference_update(
            (r.type, r.number) for r in self._doc_rows if not r.check.isChecked()
        )
        for row in self._doc_rows:
            # Out of the layout at once: deleteLater alone leaves it on screen until idle.
            self._documents_layout.removeWidget(row.widget)
            row.widget.hide()
            row.widget.deleteLater()
        self._doc_rows = []
        layout = self._documents_layout
        for doc_type, number in needed:
            row = _DocumentRow(doc_type, number, self.documents_area)
            row.check.setChecked((doc_type, number) in self._ticked)
            row.check.toggled.connect(self.revalidate)
            if row.number_edit is not None:
                row.number_edit.textChanged.connect(self.revalidate)
            layout.addWidget(row.widget)
            self._doc_rows.append(row)
        self._doc_key = needed

    def _documents_ok(self) -> bool:
        self.documents = ()
        if self.subscriber is None:
            self._show_documents_message("")
            return False
        seen = [s for s in (row.seen() for row in self._doc_rows) if s is not None]
        try:
            documents = parse_documents(seen)
            check_documents(self.subscriber, documents)
        except ValidationError as exc:
            self._show_documents_message(describe(exc))
            return False
        self._show_documents_message("")
        self.documents = documents
        return True

    def _show_documents_message(self, text: str) -> None:
        self.documents_msg.setText(text)
        self.documents_msg.setVisible(bool(text))

    def enter(self, data: Mapping[str, Any]) -> None:
        self.revalidate()

    def apply(self) -> dict[str, Any]:
        assert self.subscriber is not None
        return {
            "subscriber": self.subscriber.to_mapping(),
            "documents": [d.to_mapping() for d in self.documents],
        }
