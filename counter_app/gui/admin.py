"""The admin's pages: operators, settings; and the signing module's status (admin, supervisor).

Every change goes through a service that checks the role itself (``services/operators.py``,
``services/settings.py``), so a page shown to the wrong role still could not do anything; the
navigation shows these pages only to the roles :mod:`counter_app.gui.registry` names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
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
from counter_app.gui.widgets import (
    ERROR_STYLE,
    NOTE_STYLE,
    TITLE_STYLE,
    WorkerPage,
    column,
    data_table,
    fill_table,
    push_button,
    text_label,
)
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


class AdminPage(WorkerPage, QWidget):
    """Shared plumbing: a title, a message line, calls in workers, retranslation."""

    def __init__(self, context: GuiContext, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.key = key
        self.setObjectName(f"{key}_page")
        self.title_label = QLabel(registry.service(key).title(), self)
        self.title_label.setStyleSheet(TITLE_STYLE)
        self.message_label = text_label(self, f"{key}_message", wrap=True)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(self.title_label)

    def retranslate(self) -> None:
        self.title_label.setText(registry.service(self.key).title())
        self.retranslate_page()

    def retranslate_page(self) -> None:
        """Set the page's own strings in the current language (subclasses)."""


# ---------------------------------------------------------------------------------------------
# Operators


class OperatorsPage(AdminPage):
    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(context, "operators", parent)
        self.operators: list[OperatorInfo] = []
        self.table = data_table(self, "operators_table", 4)
        self.table.currentCellChanged.connect(lambda *_: self.update_buttons())
        row_buttons = QHBoxLayout()
        self.disable_button, self.unlock_button, self.reset_button = (
            push_button(self, name, slot, row_buttons)
            for name, slot in (
                ("disable_button", self.disable),
                ("unlock_operator_button", self.unlock),
                ("reset_password_button", self.reset_password),
            )
        )
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
        self.add_button = push_button(self.add_box, "add_operator_button", self.add)
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
        self.note_label = text_label(self.add_box, wrap=True, style=NOTE_STYLE)
        self.form.addRow(self.note_label)
        self.layout_.addWidget(self.table, 1)
        self.layout_.addLayout(row_buttons)
        self.layout_.addWidget(self.add_box)
        self.layout_.addWidget(self.message_label)
        self.retranslate()
        self.reload()

    def retranslate_page(self) -> None:
        self.table.setHorizontalHeaderLabels(
            [column("name"), self.tr("Role"), self.tr("Account"), self.tr("Locked until")]
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
        fill_table(
            self.table,
            [
                (
                    info.name,
                    role_title(info.role.value),
                    self.tr("active") if info.active else self.tr("disabled"),
                    self.context.shown_time(info.locked_until) if info.locked_until else "",
                )
                for info in self.operators
            ],
        )

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

    def _on_chosen(self, fn: Callable[..., Any], said: str, *args: Any) -> None:
        """``fn(store, admin, chosen operator's name, *args)``; ``said`` names them as %1."""
        chosen = self.chosen
        if chosen is not None:
            self.call(
                fn,
                self.context.store,
                self.context.clerk(),
                chosen.name,
                *args,
                on_done=self._done(said.replace("%1", chosen.name)),
            )

    def disable(self) -> None:
        self._on_chosen(operators.disable_operator, self.tr("Operator %1 disabled."))

    def unlock(self) -> None:
        self._on_chosen(operators.unlock_operator, self.tr("%1 may sign in again."))

    def reset_password(self) -> None:
        password = self._passwords() if self.chosen is not None else None
        if password is not None:
            self._on_chosen(operators.change_password, self.tr("Password of %1 set."), password)


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
        self.save_button = push_button(self, "save_settings_button", self.save)
        self.note_label = text_label(self, wrap=True, style=NOTE_STYLE)
        self.layout_.addLayout(form)
        self.layout_.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.layout_.addWidget(self.note_label)
        self.layout_.addWidget(self.message_label)
        self.layout_.addStretch(1)
        self.retranslate()

    def retranslate_page(self) -> None:
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
        self.summary_label = text_label(self, "signing_summary", wrap=True)
        self.table = data_table(self, "chain_table", 4)
        header = self.table.horizontalHeader()
        for col in (0, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.crl_label = text_label(self, "crl_label", wrap=True)
        self.refresh_button = push_button(self, "", self.reload)
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

    def retranslate_page(self) -> None:
        self.table.setHorizontalHeaderLabels(
            [self.tr("Certificate"), column("subject"), column("valid_until"), self.tr("Days left")]
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
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if col == 3 and days < WARN_DAYS:
                    item.setForeground(Qt.GlobalColor.red)
                self.table.setItem(row, col, item)
        if s.crl_number is None:
            self.crl_label.setText(self.tr("No CRL has been published yet."))
            self.crl_label.setStyleSheet(ERROR_STYLE)
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
        self.crl_label.setStyleSheet(ERROR_STYLE if s.crl_overdue else "")


registry.register_wizard("operators", OperatorsPage)
registry.register_wizard("settings", SettingsPage)
registry.register_wizard("signing", SigningPage)
