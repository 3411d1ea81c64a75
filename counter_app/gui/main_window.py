"""The counter's main window: navigation on the left, the work area on the right, a status bar.

The window only routes: each entry's work-area widget comes from the registry
(:mod:`counter_app.gui.registry`), which also says which entries the signed-in operator's role
sees (the pipeline's policy decides for the counter services). The Session menu signs out,
locks (Ctrl+L, and after ``idle_lock_minutes`` without input), changes the operator's own
password, switches the language at run time, and shows About.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from counter_app.gui import i18n, registry
from counter_app.gui.account import AboutDialog, ChangePasswordDialog, app_title
from counter_app.gui.context import GuiContext
from counter_app.gui.errors import describe
from counter_app.gui.forms import load_form
from counter_app.gui.home import HomePage
from counter_app.gui.i18n import QT_TRANSLATE_NOOP
from counter_app.gui.lock import IdleWatcher, LockDialog, idle_minutes
from counter_app.gui.recovery import RecoveryDialog, offer_recovery, recover_text
from counter_app.gui.token_status import TokenMonitor, describe_token, token_watcher
from counter_app.gui.widgets import text_label
from counter_app.token.session import TokenInfo

KEY_ROLE = Qt.ItemDataRole.UserRole
ROLE_LABELS = {
    "clerk": QT_TRANSLATE_NOOP("roles", "Clerk"),
    "reviewer": QT_TRANSLATE_NOOP("roles", "Reviewer"),
    "supervisor": QT_TRANSLATE_NOOP("roles", "Supervisor"),
    "admin": QT_TRANSLATE_NOOP("roles", "Administrator"),
}
LANGUAGES = (("zh_CN", "中文"), ("en", "English"))
# Services started from a certificate (the subscriber page): the serial is filled in for them.
CERTIFICATE_SERVICES = (
    "renew",
    "change",
    "add_item",
    "suspend",
    "resume",
    "revoke",
    "reissue",
    "unlock",
)


class MainWindow(QMainWindow):
    """``signed_out`` is emitted when the operator signs out (the app shows the sign-in again)."""

    signed_out = Signal()

    def __init__(self, context: GuiContext, *, watch_tokens: bool = True) -> None:
        super().__init__()
        self._context = context
        host = QWidget(self)
        self.form = load_form("main_window.ui", host)
        # The work and, while locked, a cover saying so (the work is not drawn at all then).
        self.central = QStackedWidget(self)
        self.central.addWidget(host)
        self.lock_cover = text_label(self, "lock_cover")
        self.lock_cover.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.lock_cover.setStyleSheet("font-size: 18pt; color: #555;")
        self.central.addWidget(self.lock_cover)
        self.work = host
        self.setCentralWidget(self.central)
        self.services_list = self.form.get(QListWidget, "services_list")
        self.work_area = self.form.get(QStackedWidget, "work_area")
        self._pages: dict[str, QWidget] = {}
        registry.load_builtin_wizards()
        self.home = HomePage(context, self)
        self.home.recover_requested.connect(lambda: self.check_recovery(always=True))
        self._pages["home"] = self.home
        self.work_area.addWidget(self.home)
        self._shortcuts: list[QShortcut] = []
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
        self.recovery_dialog: RecoveryDialog | None = None
        self.recovery_checked = False
        self.lock_dialog: LockDialog | None = None
        self.dialog: QDialog | None = None
        self._make_menus()
        minutes = idle_minutes(context.config.extra)
        self.idle = IdleWatcher(minutes * 60_000, self)
        self.idle.idle.connect(self.lock)
        if watch_tokens:
            self._watch_tokens()
        self.retranslate()
        self.open_service("home")
        self.resize(1180, 760)

    # -- menus --------------------------------------------------------------------------------
    def _action(
        self, name: str, slot: Callable[[], object], shortcut: str | None = None
    ) -> QAction:
        action = QAction(self)
        action.setObjectName(name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _make_menus(self) -> None:
        bar = self.menuBar()
        self.session_menu = QMenu(self)
        self.session_menu.setObjectName("session_menu")
        self.home_action = self._action("home_action", lambda: self.open_service("home"))
        self.lock_action = self._action("lock_action", self.lock, "Ctrl+L")
        self.sign_out_action = self._action("sign_out_action", self.sign_out, "Ctrl+Shift+Q")
        self.password_action = self._action("password_action", self.change_password)
        self.about_action = self._action("about_action", self.about)
        self.language_menu = QMenu(self)
        self.language_menu.setObjectName("language_menu")
        group = QActionGroup(self)
        self.language_actions: dict[str, QAction] = {}
        for code, name in LANGUAGES:
            action = QAction(name, self)
            action.setObjectName(f"language_{code}")
            action.setCheckable(True)
            action.setChecked(i18n.current_lang() == code)
            action.triggered.connect(lambda _c=False, code=code: self.set_language(code))
            group.addAction(action)
            self.language_menu.addAction(action)
            self.language_actions[code] = action
        for action in (self.home_action, self.lock_action, self.password_action):
            self.session_menu.addAction(action)
        self.session_menu.addMenu(self.language_menu)
        self.session_menu.addSeparator()
        self.session_menu.addAction(self.about_action)
        self.session_menu.addSeparator()
        self.session_menu.addAction(self.sign_out_action)
        self.counter_menu = QMenu(self)
        self.recover_action = QAction(self)
        self.recover_action.setObjectName("recover_action")
        self.recover_action.triggered.connect(lambda: self.check_recovery(always=True))
        self.counter_menu.addAction(self.recover_action)
        bar.addMenu(self.session_menu)
        bar.addMenu(self.counter_menu)

    def retranslate(self) -> None:
        """Every string this window set in code, in the current language."""
        self.setWindowTitle(app_title())
        self.session_menu.setTitle(self.tr("&Session"))
        self.counter_menu.setTitle(self.tr("&Counter"))
        self.language_menu.setTitle(self.tr("&Language"))
        self.home_action.setText(self.tr("&Home"))
        self.lock_action.setText(self.tr("&Lock the counter"))
        self.sign_out_action.setText(LockDialog.sign_out_text())
        self.password_action.setText(self.tr("&Change my password…"))
        self.about_action.setText(self.tr("&About counter-app"))
        self.recover_action.setText(recover_text())
        self.lock_cover.setText(LockDialog.locked_text())
        for row in range(self.services_list.count()):
            item = self.services_list.item(row)
            spec = registry.service(str(item.data(KEY_ROLE)))
            self._label_item(item, spec)
        for key, page in self._pages.items():
            title = getattr(page, "title_label", None)
            if isinstance(title, QLabel) and key != "home":
                title.setText(registry.service(key).title())
        self._show_operator()
        self.token_label.setText(self._token_text)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def set_language(self, lang: str) -> None:
        """Switch the language now: every open screen gets Qt's LanguageChange and retranslates."""
        chosen = i18n.install(lang)
        self.language_actions[chosen].setChecked(True)

    # -- session --------------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self.lock_dialog is not None

    def lock(self) -> LockDialog | None:
        """Hide the work (subscriber data stays off screen) until the operator's password."""
        if self.lock_dialog is not None or self._context.operator is None:
            return self.lock_dialog
        self.idle.pause()
        self.central.setCurrentWidget(self.lock_cover)
        self.menuBar().setEnabled(False)
        dialog = LockDialog(self._context, self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.finished.connect(self._lock_ended)
        self.lock_dialog = dialog
        dialog.open()
        return dialog

    def _lock_ended(self, result: int) -> None:
        dialog, self.lock_dialog = self.lock_dialog, None
        if dialog is not None:
            dialog.deleteLater()
        if result == LockDialog.SIGN_OUT:
            self.sign_out()
            return
        self.central.setCurrentWidget(self.work)
        self.menuBar().setEnabled(True)
        self.idle.resume()

    def sign_out(self) -> None:
        """End this operator's session: the window closes and the sign-in comes back."""
        busy = [key for key, page in self._pages.items() if getattr(page, "busy", False)]
        if busy and not self.locked:
            QMessageBox.information(
                self,
                self.tr("counter-app"),
                self.tr("A service is still working; sign out when it has finished."),
            )
            return
        self.idle.stop()
        self._context.operator = None
        self.signed_out.emit()
        self.close()

    def change_password(self) -> ChangePasswordDialog:
        dialog = ChangePasswordDialog(self._context, self)
        dialog.accepted.connect(
            lambda: self.statusBar().showMessage(self.tr("Your password was changed."), 8000)
        )
        self.dialog = dialog
        dialog.open()
        return dialog

    def about(self) -> AboutDialog:
        dialog = AboutDialog(self._context, self)
        self.dialog = dialog
        dialog.open()
        return dialog

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
            if dialog is not None:
                dialog.finished.connect(lambda *_: self.home.refresh())

        offer_recovery(self._context, self, opened)

    # -- services -----------------------------------------------------------------------------
    def _entries(self) -> list[registry.ServiceSpec]:
        operator = self._context.operator
        if operator is None:
            return list(registry.SERVICES)
        return registry.entries_for(operator.role)

    def _label_item(self, item: QListWidgetItem, spec: registry.ServiceSpec) -> None:
        shortcut_text = QKeySequence(spec.shortcut).toString(QKeySequence.SequenceFormat.NativeText)
        item.setText(f"{spec.title()}    ({shortcut_text})")
        if registry.wizard_factory(spec.key) is None and spec.key != "home":
            item.setToolTip(self.tr("Not available yet in this version of counter-app."))
        else:
            item.setToolTip(spec.title())

    def _fill_services(self) -> None:
        for spec in self._entries():
            item = QListWidgetItem()
            item.setData(KEY_ROLE, spec.key)
            self._label_item(item, spec)
            if registry.wizard_factory(spec.key) is None and spec.key != "home":
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.services_list.addItem(item)
            shortcut = QShortcut(QKeySequence(spec.shortcut), self)
            shortcut.activated.connect(lambda key=spec.key: self.open_service(key))
            self._shortcuts.append(shortcut)
        self.services_list.itemActivated.connect(self._item_chosen)
        self.services_list.itemClicked.connect(self._item_chosen)

    @property
    def entry_keys(self) -> list[str]:
        return [
            str(self.services_list.item(i).data(KEY_ROLE))
            for i in range(self.services_list.count())
        ]

    def _item_chosen(self, item: QListWidgetItem) -> None:
        self.open_service(str(item.data(KEY_ROLE)))

    def open_service(self, key: str) -> QWidget | None:
        """Show entry ``key`` in the work area (built on first use); None if unavailable."""
        if key not in self.entry_keys:
            return None  # not this role's: the shortcut does nothing, as the list shows
        page = self._pages.get(key)
        if page is None:
            factory = registry.wizard_factory(key)
            if factory is None:
                self.statusBar().showMessage(
                    self.tr("%1 is not available yet in this version.").replace(
                        "%1", registry.service(key).title()
                    ),
                    5000,
                )
                return None
            page = factory(self._context)
            self._pages[key] = page
            self.work_area.addWidget(page)
            start = getattr(page, "start_service", None)
            if start is not None and hasattr(start, "connect"):
                start.connect(self.start_service)
        self.work_area.setCurrentWidget(page)
        for row in range(self.services_list.count()):
            item = self.services_list.item(row)
            if item.data(KEY_ROLE) == key:
                self.services_list.setCurrentItem(item)
        return page

    def start_service(self, key: str, serial: str) -> QWidget | None:
        """Open service ``key`` for certificate ``serial`` (from the subscriber page), prefilled."""
        page = self.open_service(key)
        if page is None:
            return None
        prefill = getattr(page, "prefill", None)
        if callable(prefill) and prefill(serial):
            return page
        wizard_page = getattr(page, "page", None)
        edit = getattr(wizard_page, "serial_edit", None)
        look_up = getattr(wizard_page, "look_up", None)
        if edit is not None and callable(look_up):
            edit.setText(serial)
            look_up()
        else:
            self.statusBar().showMessage(
                self.tr("Finish or cancel the open %1 first.").replace(
                    "%1", registry.service(key).title()
                ),
                8000,
            )
        return page

    # -- status bar ---------------------------------------------------------------------------
    def _make_status_bar(self) -> None:
        bar = self.statusBar()
        self.operator_label = text_label(self, "operator_label")
        self.token_label = text_label(self, "token_label")
        self.busy_label = text_label(self, "busy_label")
        for widget in (self.busy_label, self.token_label, self.operator_label):
            widget.setContentsMargins(8, 0, 8, 0)
            bar.addPermanentWidget(widget)
        self._tokens: list[TokenInfo] | None = None
        self._token_error = ""

    def _show_operator(self) -> None:
        operator = self._context.operator
        if operator is not None:
            role = QCoreApplication.translate("roles", ROLE_LABELS[operator.role.value])
            self.operator_label.setText(
                self.tr("Operator: %1 (%2)").replace("%1", operator.name).replace("%2", role)
            )

    @property
    def _token_text(self) -> str:
        if self._token_error == "missing":
            return self.tr("Token: support not installed")
        if self._token_error:
            return self.tr("Token: cannot read (%1)").replace("%1", self._token_error)
        if self._tokens is None:
            return self.tr("Token: checking…")
        if not self._tokens:
            return self.tr("Token: none inserted")
        names = ", ".join(describe_token(t) for t in self._tokens)
        return self.tr("Token: %1").replace("%1", names)

    def _watch_tokens(self) -> None:
        watcher = token_watcher(self._context.config)
        self.token_monitor = TokenMonitor(self._context.runner, watcher, self)
        self.token_monitor.changed.connect(self.show_tokens)
        self.token_monitor.failed.connect(self._token_failed)
        self.token_monitor.start()

    def _token_failed(self, exc: BaseException) -> None:
        self._token_error = describe(exc)
        self.token_label.setText(self._token_text)

    def show_tokens(self, tokens: list[TokenInfo]) -> None:
        # Only initialised tokens (the watcher leaves out free slots).
        self._tokens = list(tokens)
        self._token_error = ""
        self.token_label.setText(self._token_text)
        self.home.show_tokens(self._tokens)

    def _busy_changed(self, busy: bool) -> None:
        self.busy_label.setText(self.tr("Working…") if busy else "")

    def show_error(self, exc: BaseException) -> None:
        """The window's error slot: every error no page handled ends here, in words."""
        QMessageBox.warning(self, self.tr("counter-app"), describe(exc))

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.token_monitor is not None:
            self.token_monitor.stop()
        self.idle.stop()
        self.home.timer.stop()
        super().closeEvent(event)
