"""The counter's main window: services on the left, the work area on the right, a status bar.

The window only routes: each service's work-area widget comes from the registry
(:mod:`counter_app.gui.registry`); the operator and the token state are shown in the status bar.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from counter_app.gui import registry
from counter_app.gui.context import GuiContext
from counter_app.gui.errors import describe
from counter_app.gui.forms import load_form
from counter_app.gui.i18n import QT_TRANSLATE_NOOP
from counter_app.gui.recovery import RecoveryDialog, offer_recovery
from counter_app.gui.token_status import TokenMonitor, describe_token, token_watcher
from counter_app.token.session import TokenInfo

KEY_ROLE = Qt.ItemDataRole.UserRole
ROLE_LABELS = {
    "clerk": QT_TRANSLATE_NOOP("roles", "Clerk"),
    "reviewer": QT_TRANSLATE_NOOP("roles", "Reviewer"),
    "supervisor": QT_TRANSLATE_NOOP("roles", "Supervisor"),
    "admin": QT_TRANSLATE_NOOP("roles", "Administrator"),
}


class MainWindow(QMainWindow):
    def __init__(self, context: GuiContext, *, watch_tokens: bool = True) -> None:
        super().__init__()
        self._context = context
        host = QWidget(self)
        self.form = load_form("main_window.ui", host)
        self.setCentralWidget(host)
        self.setWindowTitle(self.tr("counter-app: RA front counter"))
        self.services_list = self.form.get(QListWidget, "services_list")
        self.work_area = self.form.get(QStackedWidget, "work_area")
        self._pages: dict[str, QWidget] = {}
        self._welcome = self._make_welcome()
        self.work_area.addWidget(self._welcome)
        registry.load_builtin_wizards()
        self._fill_services()
        self._make_status_bar()
        splitter = self.form.get(QSplitter, "splitter")
        # The work area takes the extra width; the services list keeps what its labels need.
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 900])
        context.runner.failed.connect(self.show_error)
        context.runner.busy_changed.connect(self._busy_changed)
        self.token_monitor: TokenMonitor | None = None
        if watch_tokens:
            self._watch_tokens()
        self.recovery_dialog: RecoveryDialog | None = None
        self.recovery_checked = False
        recover_action = QAction(self.tr("&Recover interrupted services…"), self)
        recover_action.setObjectName("recover_action")
        recover_action.triggered.connect(lambda: self.check_recovery(always=True))
        self.menuBar().addMenu(self.tr("&Counter")).addAction(recover_action)
        self.resize(1180, 760)

    # -- recovery -----------------------------------------------------------------------------
    def check_recovery(self, *, always: bool = False) -> None:
        """After sign-in: offer to finish or roll back what the journal says was interrupted."""
        if self._context.services is None:
            return

        def opened(dialog: RecoveryDialog | None) -> None:
            self.recovery_dialog = dialog
            self.recovery_checked = True
            if dialog is None and always:
                self.statusBar().showMessage(self.tr("No interrupted services."), 5000)

        offer_recovery(self._context, self, opened)

    # -- services -----------------------------------------------------------------------------
    def _fill_services(self) -> None:
        for spec in registry.SERVICES:
            item = QListWidgetItem(f"{spec.title()}\t{spec.shortcut}")
            item.setData(KEY_ROLE, spec.key)
            shortcut_text = QKeySequence(spec.shortcut).toString(
                QKeySequence.SequenceFormat.NativeText
            )
            item.setText(f"{spec.title()}    ({shortcut_text})")
            if registry.wizard_factory(spec.key) is None:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip(self.tr("Not available yet in this version of counter-app."))
            else:
                item.setToolTip(spec.title())
            self.services_list.addItem(item)
            shortcut = QShortcut(QKeySequence(spec.shortcut), self)
            shortcut.activated.connect(lambda key=spec.key: self.open_service(key))
        self.services_list.itemActivated.connect(self._item_chosen)
        self.services_list.itemClicked.connect(self._item_chosen)

    def _item_chosen(self, item: QListWidgetItem) -> None:
        self.open_service(str(item.data(KEY_ROLE)))

    def open_service(self, key: str) -> QWidget | None:
        """Show service ``key`` in the work area (built on first use); None if unavailable."""
        factory = registry.wizard_factory(key)
        if factory is None:
            self.statusBar().showMessage(
                self.tr("%1 is not available yet in this version.").replace(
                    "%1", registry.service(key).title()
                ),
                5000,
            )
            return None
        page = self._pages.get(key)
        if page is None:
            page = factory(self._context)
            self._pages[key] = page
            self.work_area.addWidget(page)
        self.work_area.setCurrentWidget(page)
        for row in range(self.services_list.count()):
            item = self.services_list.item(row)
            if item.data(KEY_ROLE) == key:
                self.services_list.setCurrentItem(item)
        return page

    def _make_welcome(self) -> QWidget:
        label = QLabel(self)
        label.setObjectName("welcome_label")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        label.setText(
            self.tr("Choose a service on the left, or press its shortcut (Ctrl+1 … Ctrl+0).")
        )
        return label

    # -- status bar ---------------------------------------------------------------------------
    def _make_status_bar(self) -> None:
        bar = self.statusBar()
        self.operator_label = QLabel(self)
        self.operator_label.setObjectName("operator_label")
        self.token_label = QLabel(self)
        self.token_label.setObjectName("token_label")
        self.busy_label = QLabel(self)
        self.busy_label.setObjectName("busy_label")
        for widget in (self.busy_label, self.token_label, self.operator_label):
            widget.setContentsMargins(8, 0, 8, 0)
            bar.addPermanentWidget(widget)
        operator = self._context.operator
        if operator is not None:
            role = QCoreApplication.translate("roles", ROLE_LABELS[operator.role.value])
            self.operator_label.setText(
                self.tr("Operator: %1 (%2)").replace("%1", operator.name).replace("%2", role)
            )
        self.token_label.setText(self.tr("Token: checking…"))

    def _watch_tokens(self) -> None:
        watcher = token_watcher(self._context.config)
        self.token_monitor = TokenMonitor(self._context.runner, watcher, self)
        self.token_monitor.changed.connect(self.show_tokens)
        self.token_monitor.failed.connect(
            lambda exc: self.token_label.setText(
                self.tr("Token: cannot read (%1)").replace("%1", describe(exc))
            )
        )
        self.token_monitor.start()

    def show_tokens(self, tokens: list[TokenInfo]) -> None:
        # Only initialised tokens (the watcher leaves out free slots).
        if not tokens:
            self.token_label.setText(self.tr("Token: none inserted"))
        else:
            names = ", ".join(describe_token(t) for t in tokens)
            self.token_label.setText(self.tr("Token: %1").replace("%1", names))

    def _busy_changed(self, busy: bool) -> None:
        self.busy_label.setText(self.tr("Working…") if busy else "")

    def show_error(self, exc: BaseException) -> None:
        """The window's error slot: every error no page handled ends here, in words."""
        QMessageBox.warning(self, self.tr("counter-app"), describe(exc))

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.token_monitor is not None:
            self.token_monitor.stop()
        super().closeEvent(event)
