"""The admin's pages: operators, settings; and the signing module's status (admin, supervisor).

Every change goes through a service that checks the role itself (``services/operators.py``,
``services/settings.py``), so a page shown to the wrong role still could not do anything; the
navigation shows these pages only to the roles :mod:`counter_app.gui.registry` names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from counter_app.domain.display import key_algorithm_title, shown_time, zone_label
from counter_app.domain.operators import Role
from counter_app.gui import registry
from counter_app.gui.account import PasswordsDiffer
from counter_app.gui.context import GuiContext
from counter_app.gui.errors import describe
from counter_app.gui.i18n import QT_TRANSLATE_NOOP, current_lang
from counter_app.gui.signing_status import SigningStatus, signing_status
from counter_app.gui.tasks import TaskHandle
from counter_app.services import operators
from counter_app.services.operators import OperatorInfo
from counter_app.services.settings import SETTINGS, current_settings, save_settings

ROLE_LABELS = {
    "clerk": QT_TRANSLATE_NOOP("roles", "Clerk"),
    "reviewer": QT_TRANSLATE_NOOP("roles", "Reviewer"),
    "supervisor": QT_TRANSLATE_NOOP("roles", "Supervisor"),
    "admin": QT_TRANSLATE_NOOP("roles", "Administrator"),
}


def role_title(role: str) -> str:
    return QCoreApplication.translate("roles", ROLE_LABELS.get(role, role))


class AdminPage(QWidget):
    """Shared plumbing: a title, a message line, calls in workers, retranslation."""

    def __init__(self, context: GuiContext, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.key = key
        self.setObjectName(f"{key}_page")
        self._tasks: list[TaskHandle] = []
        self.busy = False
        self.title_label = QLabel(registry.service(key).title(), self)
        self.title_label.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.message_label = QLabel(self)
        self.message_label.setObjectName(f"{key}_message")
        self.message_label.setWordWrap(True)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(self.title_label)

    def call(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None]) -> None:
        self.busy = True
        self.update_buttons()

        def done(result: Any) -> None:
            self.busy = False
            on_done(result)
            self.update_buttons()

        def failed(exc: BaseException) -> None:
            self.busy = False
            self.say(describe(exc), error=True)
            self.update_buttons()

        self._tasks.append(self.context.runner.run(fn, *args, on_done=done, on_error=failed))

    def say(self, text: str, *, error: bool = False) -> None:
        self.message_label.setStyleSheet("color: #b00020;" if error else "color: #1b5e20;")
        self.message_label.setText(text)

    def update_buttons(self) -> None:
        """Enable what may be pressed now (subclasses)."""

    def retranslate(self) -> None:
        """Set every string in the current language (subclasses)."""

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.title_label.setText(registry.service(self.key).title())
            self.retranslate()
        super().changeEvent(event)


def _table(parent: QWidget, name: str, columns: int) -> QTableWidget:
    table = QTableWidget(0, columns, parent)
    table.setObjectName(name)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


# ---------------------------------------------------------------------------------------------
# Operators


class OperatorsPage(AdminPage):
    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(context, "operators", parent)
        self.operators: list[OperatorInfo] = []
        self.table = _table(self, "operators_table", 4)
        self.table.currentCellChanged.connect(lambda *_: self.update_buttons())
        self.disable_button = QPushButton(self)
        self.disable_button.setObjectName("disable_button")
        self.unlock_button = QPushButton(self)
        self.unlock_button.setObjectName("unlock_operator_button")
        self.reset_button = QPushButton(self)
        self.reset_button.setObjectName("reset_password_button")
        self.disable_button.clicked.connect(self.disable)
        self.unlock_button.clicked.connect(self.unlock)
        self.reset_button.clicked.connect(self.reset_password)
        row_buttons = QHBoxLayout()
        for button in (self.disable_button, self.unlock_button, self.reset_button):
            row_buttons.addWidget(button)
        row_buttons.addStretch(1)

        self.add_box = QGroupBox(self)
        self.name_edit = QLineEdit(self.add_box)
        self.name_edit.setObjectName("new_operator_name")
        self.role_combo = QComboBox(self.add_box)
        self.role_combo.setObjectName("new_operator_role")
        self.password_edit = QLineEdit(self.add_box)
        self.password_edit.setObjectName("operator_password")
        self.repeat_edit = QLineEdit(self.add_box)
        self.repeat_edit.setObjectName("operator_password_repeat")
        for edit in (self.password_edit, self.repeat_edit):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.add_button = QPushButton(self.add_box)
        self.add_button.setObjectName("add_operator_button")
        self.add_button.clicked.connect(self.add)
        self.form = QFormLayout(self.add_box)
        self.captions = [QLabel(self.add_box) for _ in range(4)]
        for caption, field in zip(
            self.captions,
            (self.name_edit, self.role_combo, self.password_edit, self.repeat_edit),
            strict=True,
        ):
            caption.setBuddy(field)
            self.form.addRow(caption, field)
        self.form.addRow(self.add_button)
        self.note_label = QLabel(self.add_box)
        self.note_label.setWordWrap(True)
        self.note_label.setStyleSheet("color: #555;")
        self.form.addRow(self.note_label)
        self.layout_.addWidget(self.table, 1)
        self.layout_.addLayout(row_buttons)
        self.layout_.addWidget(self.add_box)
        self.layout_.addWidget(self.message_label)
        self.retranslate()
        self.reload()

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels(
            [self.tr("Name"), self.tr("Role"), self.tr("Account"), self.tr("Locked until")]
        )
        self.disable_button.setText(self.tr("&Disable"))
        self.unlock_button.setText(self.tr("&Unlock sign-in"))
        self.reset_button.setText(self.tr("&Reset password"))
        self.add_box.setTitle(self.tr("Add an operator, or set the chosen one's password"))
        for caption, text in zip(
            self.captions,
            (self.tr("&Name:"), self.tr("R&ole:"), self.tr("&Password:"), self.tr("Re&peat:")),
            strict=True,
        ):
            caption.setText(text)
        current = self.role_combo.currentData()
        self.role_combo.clear()
        for role in (Role.CLERK, Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN):
            self.role_combo.addItem(role_title(role.value), role.value)
        if current is not None:
            self.role_combo.setCurrentIndex(max(0, self.role_combo.findData(current)))
        self.add_button.setText(self.tr("&Add operator"))
        self.note_label.setText(
            self.tr(
                "Reset password sets the password typed above for the operator chosen in the "
                "list; tell them to change it at their first sign-in."
            )
        )
        self._fill()

    def reload(self) -> None:
        self.call(operators.list_operators, self.context.store, on_done=self._listed)

    def _listed(self, found: object) -> None:
        assert isinstance(found, list)
        chosen = self.chosen
        self.operators = found
        self._fill()
        if chosen is not None:
            for row, info in enumerate(found):
                if info.name == chosen.name:
                    self.table.selectRow(row)

    def _fill(self) -> None:
        self.table.setRowCount(len(self.operators))
        for row, info in enumerate(self.operators):
            cells = (
                info.name,
                role_title(info.role.value),
                self.tr("active") if info.active else self.tr("disabled"),
                self.context.shown_time(info.locked_until) if info.locked_until else "",
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))

    @property
    def chosen(self) -> OperatorInfo | None:
        row = self.table.currentRow()
        return self.operators[row] if 0 <= row < len(self.operators) else None

    def update_buttons(self) -> None:
        chosen = self.chosen
        idle = not self.busy
        self.disable_button.setEnabled(idle and chosen is not None and chosen.active)
        self.unlock_button.setEnabled(
            idle and chosen is not None and chosen.locked_until is not None
        )
        self.reset_button.setEnabled(idle and chosen is not None)
        self.add_button.setEnabled(idle)

    def _passwords(self) -> str | None:
        password, repeat = self.password_edit.text(), self.repeat_edit.text()
        self.password_edit.clear()
        self.repeat_edit.clear()
        if not password:
            self.say(self.tr("Type the password twice."), error=True)
            return None
        if password != repeat:
            self.say(describe(PasswordsDiffer()), error=True)
            return None
        return password

    def _done(self, said: str) -> Callable[[Any], None]:
        def done(_result: Any) -> None:
            self.say(said)
            self.reload()

        return done

    def add(self) -> None:
        name = self.name_edit.text().strip()
        password = self._passwords()
        if password is None:
            return
        role = Role(str(self.role_combo.currentData()))
        self.call(
            operators.add_operator,
            self.context.store,
            self.context.clerk(),
            name,
            role,
            password,
            on_done=self._done(self.tr("Operator %1 added.").replace("%1", name)),
        )
        self.name_edit.clear()

    def disable(self) -> None:
        chosen = self.chosen
        if chosen is not None:
            self.call(
                operators.disable_operator,
                self.context.store,
                self.context.clerk(),
                chosen.name,
                on_done=self._done(self.tr("Operator %1 disabled.").replace("%1", chosen.name)),
            )

    def unlock(self) -> None:
        chosen = self.chosen
        if chosen is not None:
            self.call(
                operators.unlock_operator,
                self.context.store,
                self.context.clerk(),
                chosen.name,
                on_done=self._done(self.tr("%1 may sign in again.").replace("%1", chosen.name)),
            )

    def reset_password(self) -> None:
        chosen = self.chosen
        password = self._passwords() if chosen is not None else None
        if chosen is None or password is None:
            return
        self.call(
            operators.change_password,
            self.context.store,
            self.context.clerk(),
            chosen.name,
            password,
            on_done=self._done(self.tr("Password of %1 set.").replace("%1", chosen.name)),
        )


# ---------------------------------------------------------------------------------------------
# Settings

SETTING_LABELS = {
    "ra_name": QT_TRANSLATE_NOOP("SettingsPage", "RA name (printed on forms)"),
    "pkcs11_module": QT_TRANSLATE_NOOP("SettingsPage", "Token module (PKCS#11 / SKF)"),
    "printer": QT_TRANSLATE_NOOP("SettingsPage", "Printer"),
    "idle_lock_minutes": QT_TRANSLATE_NOOP("SettingsPage", "Idle lock after (minutes, 0 = off)"),
    "time_zone": QT_TRANSLATE_NOOP("SettingsPage", "Time zone"),
    "smtp_host": QT_TRANSLATE_NOOP("SettingsPage", "SMTP server"),
    "smtp_port": QT_TRANSLATE_NOOP("SettingsPage", "SMTP port"),
    "smtp_from": QT_TRANSLATE_NOOP("SettingsPage", "SMTP sender address"),
}


class SettingsPage(AdminPage):
    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(context, "settings", parent)
        self.edits: dict[str, QLineEdit] = {}
        self.captions: dict[str, QLabel] = {}
        form = QFormLayout()
        values = current_settings(context.config)
        for setting in SETTINGS:
            edit = QLineEdit(str(values.get(setting.key, "") or ""), self)
            edit.setObjectName(f"setting_{setting.key}")
            caption = QLabel(self)
            caption.setBuddy(edit)
            self.edits[setting.key] = edit
            self.captions[setting.key] = caption
            form.addRow(caption, edit)
        self.saved = dict(values)
        self.save_button = QPushButton(self)
        self.save_button.setObjectName("save_settings_button")
        self.save_button.clicked.connect(self.save)
        self.note_label = QLabel(self)
        self.note_label.setWordWrap(True)
        self.note_label.setStyleSheet("color: #555;")
        self.layout_.addLayout(form)
        self.layout_.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.layout_.addWidget(self.note_label)
        self.layout_.addWidget(self.message_label)
        self.layout_.addStretch(1)
        self.retranslate()

    def retranslate(self) -> None:
        for key, caption in self.captions.items():
            caption.setText(QCoreApplication.translate("SettingsPage", SETTING_LABELS[key]) + ":")
        self.save_button.setText(self.tr("&Save settings"))
        self.note_label.setText(
            self.tr(
                "Saved to config.toml in the data directory; the counter uses them from the next "
                "sign-in. Passwords (SMTP, PINs) are never settings: they come from the environment."
            )
        )

    def update_buttons(self) -> None:
        self.save_button.setEnabled(not self.busy)

    def save(self) -> None:
        changes = {
            key: edit.text()
            for key, edit in self.edits.items()
            if edit.text() != str(self.saved.get(key, "") or "")
        }
        if not changes:
            self.say(self.tr("Nothing changed."))
            return

        def done(values: object) -> None:
            assert isinstance(values, dict)
            self.saved = values
            self.say(self.tr("Settings saved; they apply from the next sign-in."))

        self.call(
            save_settings,
            self.context.config,
            self.context.store,
            self.context.clerk(),
            changes,
            on_done=done,
        )


# ---------------------------------------------------------------------------------------------
# Signing module

CHAIN_LABELS = {
    "root": QT_TRANSLATE_NOOP("SigningPage", "Root CA"),
    "issuing": QT_TRANSLATE_NOOP("SigningPage", "Issuing CA"),
    "ocsp": QT_TRANSLATE_NOOP("SigningPage", "OCSP responder"),
}
WARN_DAYS = 30


class SigningPage(AdminPage):
    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(context, "signing", parent)
        self.status: SigningStatus | None = None
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("signing_summary")
        self.summary_label.setWordWrap(True)
        self.table = _table(self, "chain_table", 4)
        header = self.table.horizontalHeader()
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.crl_label = QLabel(self)
        self.crl_label.setObjectName("crl_label")
        self.crl_label.setWordWrap(True)
        self.refresh_button = QPushButton(self)
        self.refresh_button.clicked.connect(self.reload)
        self.layout_.addWidget(self.summary_label)
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(self.crl_label)
        self.layout_.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.layout_.addWidget(self.message_label)
        self.retranslate()
        self.reload()

    def reload(self) -> None:
        self.call(signing_status, self.context.config, self.context.store, on_done=self._read)

    def _read(self, status: object) -> None:
        assert isinstance(status, SigningStatus)
        self.status = status
        self.say("")
        self._fill()

    def update_buttons(self) -> None:
        self.refresh_button.setEnabled(not self.busy)

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Certificate"),
                self.tr("Subject"),
                self.tr("Valid until"),
                self.tr("Days left"),
            ]
        )
        self.refresh_button.setText(self.tr("&Check again"))
        self._fill()

    def _fill(self) -> None:
        s = self.status
        if s is None:
            self.summary_label.setText(self.tr("Reading the signing module…"))
            self.crl_label.setText("")
            return
        storage = {
            "pkcs8": self.tr("passphrase-encrypted files (PKCS#8)"),
            "hsm": self.tr("a hardware security module"),
            "pkcs11": self.tr("a hardware security module"),
        }.get(s.key_storage, s.key_storage)
        self.summary_label.setText(
            self.tr("Key algorithm %1, keys kept in %2; times are %3.")
            .replace("%1", key_algorithm_title(s.algorithm))
            .replace("%2", storage)
            .replace("%3", zone_label(self.context.time_zone, current_lang()))
        )
        self.table.setRowCount(len(s.chain))
        for row, entry in enumerate(s.chain):
            days = entry.days_left(s.checked_at)
            cells = (
                QCoreApplication.translate("SigningPage", CHAIN_LABELS.get(entry.role, entry.role)),
                entry.subject,
                shown_time(entry.not_after, self.context.time_zone, seconds=False, label=False),
                str(days),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if column == 3 and days < WARN_DAYS:
                    item.setForeground(Qt.GlobalColor.red)
                self.table.setItem(row, column, item)
        if s.crl_number is None:
            self.crl_label.setText(self.tr("No CRL has been published yet."))
            self.crl_label.setStyleSheet("color: #b00020;")
            return
        text = (
            self.tr("CRL number %1, published %2, next update %3.")
            .replace("%1", str(s.crl_number))
            .replace("%2", self.context.shown_time(s.crl_this_update))
            .replace("%3", self.context.shown_time(s.crl_next_update))
        )
        if s.crl_overdue:
            text += " " + self.tr("Overdue: publish a new CRL now (counter-app ca crl).")
        self.crl_label.setText(text)
        self.crl_label.setStyleSheet("color: #b00020;" if s.crl_overdue else "")


registry.register_wizard("operators", OperatorsPage)
registry.register_wizard("settings", SettingsPage)
registry.register_wizard("signing", SigningPage)
