"""订户 — find a subscriber by anything the counter knows them by, and see their page.

The page lists the subscriber's certificates (status, expiry), applications, payments and
refunds, documents and agents over time; it reprints any document of an application and starts
a service on a chosen certificate with the serial filled in (the main window opens that
service's screen). Every read runs in a worker and is audited by the service.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from counter_app.domain.display import key_algorithm_title
from counter_app.domain.fees import format_yuan
from counter_app.domain.lifecycle import (
    STATUS_CHANGES,
    CertificateStatus,
    Transition,
    allowed_transitions,
)
from counter_app.gui import i18n, registry
from counter_app.gui.admin import role_title
from counter_app.gui.context import GuiContext
from counter_app.gui.home import method_title
from counter_app.gui.lookup import status_text
from counter_app.gui.print_preview import Printable, prepare, preview_dialog, written_to
from counter_app.gui.registry import service_title
from counter_app.gui.widgets import (
    TITLE_STYLE,
    WorkerPage,
    column,
    data_table,
    fill_table,
    text_label,
)
from counter_app.services.documents import APPLICATION_FORM_SERVICES, CHANGE_FORM_SERVICES
from counter_app.services.subscriber_view import (
    SubscriberHit,
    SubscriberPage,
    search_subscribers,
    subscriber_page,
)

# The services a subscriber page starts on a certificate, in the order of the services list.
ACTIONS = ("renew", "change", "add_item", "suspend", "resume", "revoke", "reissue", "unlock")
PRINTS = ("receipt", "application", "agreement", "change-form")


def action_allowed(key: str, status: str) -> bool:
    """Whether the service ``key`` may start on a certificate in ``status``: the domain's
    lifecycle says (the service checks again); unlocking a token's PIN wants a live certificate."""
    if key == "unlock":
        return status == CertificateStatus.ACTIVE
    return (STATUS_CHANGES.get(key) or Transition(key)) in allowed_transitions(status)


class SubscribersScreen(WorkerPage, QWidget):
    start_service = Signal(str, str)

    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("subscribers_screen")
        self.context = context
        self.hits: list[SubscriberHit] = []
        self.page: SubscriberPage | None = None
        self.preview: Any = None
        self._loading: int | None = None

        self.title_label = text_label(self, style=TITLE_STYLE)
        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("subscriber_search_edit")
        self.search_edit.setClearButtonEnabled(True)
        self.search_button = QPushButton(self)
        self.search_button.setObjectName("subscriber_search_button")
        self.hits_table = data_table(self, "subscriber_hits_table", 3, fit=True)
        self.message_label = text_label(self, "subscribers_message", wrap=True)

        self.name_label = text_label(
            self, "subscriber_name_label", wrap=True, style="font-size: 13pt; font-weight: bold;"
        )
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("subscriber_tabs")
        self.certificates_table, self.applications_table, self.money_table = (
            data_table(self, f"subscriber_{name}", columns, fit=True)
            for name, columns in (("certificates", 5), ("applications", 7), ("money", 6))
        )
        self.documents_table, self.agents_table = (
            data_table(self, f"subscriber_{name}", 4, fit=True) for name in ("documents", "agents")
        )

        cert_tab = QWidget(self)
        cert_layout = QVBoxLayout(cert_tab)
        cert_layout.addWidget(self.certificates_table, 1)
        grid = QGridLayout()
        self.action_buttons: dict[str, QPushButton] = {}
        for index, key in enumerate(ACTIONS):
            button = QPushButton(cert_tab)
            button.setObjectName(f"start_{key}")
            button.clicked.connect(lambda _=False, k=key: self._start(k))
            self.action_buttons[key] = button
            grid.addWidget(button, index // 4, index % 4)
        cert_layout.addLayout(grid)
        app_tab = QWidget(self)
        app_layout = QVBoxLayout(app_tab)
        app_layout.addWidget(self.applications_table, 1)
        prints = QHBoxLayout()
        self.print_buttons: dict[str, QPushButton] = {}
        for kind in PRINTS:
            button = QPushButton(app_tab)
            button.setObjectName(f"reprint_{kind.replace('-', '_')}")
            button.clicked.connect(lambda _=False, k=kind: self.reprint(k))
            self.print_buttons[kind] = button
            prints.addWidget(button)
        prints.addStretch(1)
        app_layout.addLayout(prints)
        people_tab = QWidget(self)
        people_layout = QVBoxLayout(people_tab)
        self.documents_caption = QLabel(people_tab)
        self.agents_caption = QLabel(people_tab)
        for widget in (
            self.documents_caption,
            self.documents_table,
            self.agents_caption,
            self.agents_table,
        ):
            people_layout.addWidget(widget)
        self.tabs.addTab(cert_tab, "")
        self.tabs.addTab(app_tab, "")
        self.tabs.addTab(self.money_table, "")
        self.tabs.addTab(people_tab, "")

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        search_row = QHBoxLayout()
        search_row.addWidget(self.search_edit, 1)
        search_row.addWidget(self.search_button)
        left_layout.addLayout(search_row)
        left_layout.addWidget(self.hits_table, 1)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.name_label)
        right_layout.addWidget(self.tabs, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        # The subscriber's tables need the width (a serial is 32 digits); the hits list less.
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([300, 780])
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message_label)

        self.search_edit.returnPressed.connect(self.search)
        self.search_button.clicked.connect(self.search)
        self.hits_table.currentCellChanged.connect(lambda row, *_: self._hit_chosen(row))
        self.hits_table.cellActivated.connect(lambda row, *_: self._hit_chosen(row))
        self.certificates_table.currentCellChanged.connect(lambda *_: self.update_buttons())
        self.applications_table.currentCellChanged.connect(lambda *_: self.update_buttons())
        self.retranslate()
        self.update_buttons()

    # -- language --------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.title_label.setText(registry.service("subscribers").title())
        self.search_edit.setPlaceholderText(
            self.tr("Name, ID number, USCC, agent's ID, token serial, receipt or application no.")
        )
        self.search_button.setText(self.tr("&Search"))
        self.hits_table.setHorizontalHeaderLabels(
            [column("name"), column("identity"), self.tr("Found by")]
        )
        self.certificates_table.setHorizontalHeaderLabels(
            [
                column("serial"),
                column("status"),
                column("expires"),
                self.tr("Type"),
                column("token"),
            ]
        )
        self.applications_table.setHorizontalHeaderLabels(
            [
                column("application"),
                column("service"),
                column("status"),
                self.tr("Accepted"),
                self.tr("Key algorithm"),
                role_title("clerk"),
                role_title("reviewer"),
            ]
        )
        self.money_table.setHorizontalHeaderLabels(
            [
                self.tr("Number"),
                self.tr("Kind"),
                self.tr("Amount"),
                column("method"),
                self.tr("Time"),
                column("application"),
            ]
        )
        self.documents_table.setHorizontalHeaderLabels(
            [self.tr("Document"), self.tr("Number"), self.tr("Seen"), column("application")]
        )
        self.agents_table.setHorizontalHeaderLabels(
            [self.tr("Agent"), self.tr("ID number"), self.tr("Mobile"), self.tr("Since")]
        )
        self.documents_caption.setText(self.tr("Documents seen"))
        self.agents_caption.setText(self.tr("Agents over time"))
        for index, text in enumerate(
            (
                self.tr("Certificates"),
                self.tr("Applications"),
                self.tr("Payments and refunds"),
                self.tr("Documents and agents"),
            )
        ):
            self.tabs.setTabText(index, text)
        for key, button in self.action_buttons.items():
            button.setText(service_title(key) + "…")
        print_titles = {
            "receipt": self.tr("Reprint receipt"),
            "application": self.tr("Reprint application form"),
            "agreement": self.tr("Reprint agreement record"),
            "change-form": self.tr("Reprint change form"),
        }
        for kind, button in self.print_buttons.items():
            button.setText(print_titles[kind])
        self._fill_hits()
        self._fill_page()

    # -- search ----------------------------------------------------------------------------------
    def prefill(self, text: str) -> bool:
        self.search_edit.setText(text)
        self.search()
        return True

    def search(self) -> None:
        self.say("")
        self.call(
            search_subscribers,
            self.context.service_context(),
            self.context.clerk().name,
            self.search_edit.text(),
            on_done=self._found,
        )

    def _found(self, hits: object) -> None:
        assert isinstance(hits, list)
        self.hits = hits
        self._fill_hits()
        if not hits:
            self.say(self.tr("No subscriber found."))
            self.show_page(None)
        else:
            self.hits_table.selectRow(0)
            self._hit_chosen(0)

    def _fill_hits(self) -> None:
        found_by = {
            "name": self.tr("name"),
            "identity": self.tr("ID number / USCC"),
            "agent": self.tr("agent's ID"),
            "token": self.tr("token serial"),
            "receipt": self.tr("receipt"),
            "application": self.tr("application"),
        }
        kinds = {
            "individual": self.tr("Individual"),
            "unit": self.tr("Unit"),
            "device": self.tr("Device"),
        }
        fill_table(
            self.hits_table,
            [
                (
                    self._with_kind(h.name, kinds.get(h.kind, h.kind)),
                    h.identity,
                    found_by[h.matched],
                )
                for h in self.hits
            ],
        )

    @staticmethod
    def _with_kind(name: str, kind: str) -> str:
        return f"{name} ({kind})" if i18n.current_lang() == "en" else f"{name}（{kind}）"

    def _hit_chosen(self, row: int) -> None:
        if not (0 <= row < len(self.hits)):
            return
        hit = self.hits[row]
        if self._loading == hit.id or (self.page is not None and self.page.id == hit.id):
            return  # already shown, or on its way (selecting a row also reports it)
        self._loading = hit.id
        self.call(
            subscriber_page,
            self.context.service_context(),
            self.context.clerk().name,
            hit.id,
            on_done=self.show_page,
            on_failure=self._forget_loading,
        )

    def _forget_loading(self) -> None:
        self._loading = None

    # -- the page --------------------------------------------------------------------------------
    def show_page(self, page: object) -> None:
        assert page is None or isinstance(page, SubscriberPage)
        self._loading = None
        self.page = page
        self._fill_page()

    def _fill_page(self) -> None:
        p = self.page
        if p is None:
            self.name_label.setText(self.tr("Search, then choose a subscriber."))
            for table in (
                self.certificates_table,
                self.applications_table,
                self.money_table,
                self.documents_table,
                self.agents_table,
            ):
                table.setRowCount(0)
            self.update_buttons()
            return
        self.name_label.setText(f"{p.name}　{p.identity}")
        fill_table(
            self.certificates_table,
            [
                (
                    v.serial,
                    status_text(v.status),
                    self.context.shown_date(v.not_after),
                    self._type_title(v.certificate_type),
                    v.token_serial or "",
                )
                for v in p.certificates
            ],
        )
        statuses = {
            "in_progress": self.tr("in progress"),
            "done": self.tr("done"),
            "rolled_back": self.tr("rolled back"),
        }
        fill_table(
            self.applications_table,
            [
                (
                    a.id,
                    service_title(a.service),
                    statuses.get(a.status, a.status),
                    self.context.shown_time(a.created_at),
                    key_algorithm_title(a.key_algorithm),
                    a.clerk,
                    a.reviewer or "",
                )
                for a in p.applications
            ],
        )
        kinds = {"payment": self.tr("payment"), "refund": self.tr("refund")}
        fill_table(
            self.money_table,
            [
                (
                    m.number,
                    kinds[m.kind],
                    ("-" if m.kind == "refund" else "") + f"¥{format_yuan(m.amount_fen)}",
                    method_title(m.method),
                    self.context.shown_time(m.time),
                    m.application_id,
                )
                for m in p.money
            ],
        )
        from counter_app.domain.subscribers import DocumentType

        def document_title(value: str) -> str:
            if i18n.current_lang() == "en":  # the domain names documents in Chinese only
                return value.replace("_", " ").capitalize()
            try:
                return DocumentType(value).zh
            except ValueError:
                return value

        fill_table(
            self.documents_table,
            [
                (
                    document_title(d.type),
                    d.number,
                    self.context.shown_date(d.time),
                    d.application_id,
                )
                for d in p.documents
            ],
        )
        fill_table(
            self.agents_table,
            [(a.name, a.id_number, a.mobile, self.context.shown_date(a.time)) for a in p.agents],
        )
        self.update_buttons()

    def _type_title(self, code: str | None) -> str:
        services = self.context.services
        if not code or services is None:
            return code or ""
        kind = services.fee_table.types.get(code)
        if kind is None:
            return code
        return kind.name_en if i18n.current_lang() == "en" else kind.name_zh

    def _chosen(self, table: QTableWidget, rows: str) -> Any:
        row = table.currentRow()
        shown = getattr(self.page, rows) if self.page is not None else []
        return shown[row] if 0 <= row < len(shown) else None

    @property
    def chosen_certificate(self) -> Any:
        return self._chosen(self.certificates_table, "certificates")

    @property
    def chosen_application(self) -> Any:
        return self._chosen(self.applications_table, "applications")

    def update_buttons(self) -> None:
        idle = not self.busy
        self.search_button.setEnabled(idle)
        cert = self.chosen_certificate
        operator = self.context.operator
        for key, button in self.action_buttons.items():
            allowed = operator is not None and registry.may_see(key, operator.role)
            button.setVisible(allowed)
            button.setEnabled(idle and cert is not None and action_allowed(key, cert.status))
        app = self.chosen_application
        service = app.service if app is not None else None
        has_receipt = (
            self.page is not None
            and app is not None
            and any(m.kind == "payment" and m.application_id == app.id for m in self.page.money)
        )
        self.print_buttons["receipt"].setEnabled(idle and has_receipt)
        self.print_buttons["application"].setEnabled(idle and service in APPLICATION_FORM_SERVICES)
        self.print_buttons["agreement"].setEnabled(idle and service in APPLICATION_FORM_SERVICES)
        self.print_buttons["change-form"].setEnabled(idle and service in CHANGE_FORM_SERVICES)

    def _start(self, key: str) -> None:
        cert = self.chosen_certificate
        if cert is not None:
            self.start_service.emit(key, cert.serial)

    def reprint(self, kind: str) -> None:
        app = self.chosen_application
        if app is None or self.page is None:
            return
        key = app.id
        if kind == "receipt":
            receipts = [
                m.number
                for m in self.page.money
                if m.kind == "payment" and m.application_id == app.id
            ]
            if not receipts:
                return
            key = receipts[0]
        self.call(
            prepare,
            self.context.service_context(),
            kind,
            key,
            self.context.clerk().name,
            on_done=self._prepared,
        )

    def _prepared(self, printable: object) -> None:
        assert isinstance(printable, Printable)
        self.say(written_to(printable))
        self.preview = preview_dialog(printable, self)
        self.preview.open()


registry.register_wizard("subscribers", SubscribersScreen)
