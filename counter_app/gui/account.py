"""The operator's own account and the application: change password, About.

Changing one's password asks for the current one first (checked by ``authenticate``, with its
lock-out), then the new one twice; both calls run in a worker and the fields are cleared before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import make_url

from counter_app import __version__
from counter_app.config import Config
from counter_app.domain.errors import CounterError
from counter_app.gui.context import GuiContext
from counter_app.gui.errors import describe
from counter_app.gui.widgets import ERROR_STYLE, Retranslating, WorkerDialog, text_label
from counter_app.services import operators
from counter_app.services.context import ServiceContext
from counter_app.store.db import Store


class PasswordsDiffer(CounterError):
    code = "passwords_differ"
    zh = "两次输入的新密码不一致"
    en = "the two new passwords differ"


def change_own_password(store: Store, name: str, current: str, new: str) -> None:
    """Check the current password (lock-out included), then set the new one (policy checked)."""
    actor = operators.authenticate(store, name, current)
    operators.change_password(store, actor, name, new)


class ChangePasswordDialog(WorkerDialog, QDialog):
    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("change_password_dialog")
        self._context = context
        self.current_edit = QLineEdit(self)
        self.new_edit = QLineEdit(self)
        self.repeat_edit = QLineEdit(self)
        for name, edit in (
            ("current_password_edit", self.current_edit),
            ("new_password_edit", self.new_edit),
            ("repeat_password_edit", self.repeat_edit),
        ):
            edit.setObjectName(name)
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.message_label = text_label(
            self, "password_message_label", wrap=True, style=ERROR_STYLE
        )
        self.message_label.hide()
        self.rows = QFormLayout()
        self.current_caption = QLabel(self)
        self.new_caption = QLabel(self)
        self.repeat_caption = QLabel(self)
        self.rows.addRow(self.current_caption, self.current_edit)
        self.rows.addRow(self.new_caption, self.new_edit)
        self.rows.addRow(self.repeat_caption, self.repeat_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.rows)
        layout.addWidget(self.message_label)
        layout.addWidget(self.buttons)
        self.retranslate()
        self.resize(480, 220)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Change my password"))
        self.current_caption.setText(self.tr("&Current password:"))
        self.new_caption.setText(self.tr("&New password:"))
        self.repeat_caption.setText(self.tr("&Repeat the new password:"))
        self.current_caption.setBuddy(self.current_edit)
        self.new_caption.setBuddy(self.new_edit)
        self.repeat_caption.setBuddy(self.repeat_edit)

    def submit(self) -> None:
        current, new, repeat = (
            e.text() for e in (self.current_edit, self.new_edit, self.repeat_edit)
        )
        for edit in (self.current_edit, self.new_edit, self.repeat_edit):
            edit.clear()
        if not current or not new:
            self.show_message(self.tr("Enter your current password and the new one."))
            return
        if new != repeat:
            self.show_message(describe(PasswordsDiffer()))
            self.new_edit.setFocus()
            return
        self.run_call(
            change_own_password,
            self._context.store,
            self._context.clerk().name,
            current,
            new,
            on_done=lambda _r: self.accept(),
            focus=self.current_edit,
        )

    def busy_widgets(self) -> Sequence[QWidget]:
        return (self.current_edit, self.new_edit, self.repeat_edit, self.ok_button)

    def busy_message(self) -> str | None:
        return None  # what was said before the change stays until its answer


@dataclass(frozen=True)
class AboutFacts:
    version: str
    data_dir: str
    database: str
    signing_module: str
    token_module: str


def about_facts(config: Config, services: ServiceContext | None) -> AboutFacts:
    """What About shows (read in a worker: the signing module's chain comes from files)."""
    url = make_url(config.db_url)
    database = url.render_as_string(hide_password=True)
    signing = "—"
    if services is not None:
        chain = services.signing.chain()
        if chain:
            cert = chain[0]
            signing = (
                f"{cert.subject.rfc4514_string()} "
                f"({cert.not_valid_before_utc:%Y-%m-%d} — {cert.not_valid_after_utc:%Y-%m-%d})"
            )
    return AboutFacts(__version__, str(config.data_dir), database, signing, config.pkcs11_module)


def app_title() -> str:
    """The application's name at the counter: the main window's title, the About heading."""
    return QCoreApplication.translate("AboutDialog", "counter-app: RA front counter")


class AboutDialog(Retranslating, QDialog):
    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("about_dialog")
        self._context = context
        self.facts: AboutFacts | None = None
        self.rows = QFormLayout()
        self.captions = {k: QLabel(self) for k in AboutFacts.__dataclass_fields__}
        self.values = {k: QLabel("…", self) for k in AboutFacts.__dataclass_fields__}
        for key, caption in self.captions.items():
            self.values[key].setObjectName(f"about_{key}")
            self.values[key].setWordWrap(True)
            self.rows.addRow(caption, self.values[key])
        self.close_button = QPushButton(self)
        self.close_button.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        self.heading = text_label(self, style="font-size: 15pt; font-weight: bold;")
        layout.addWidget(self.heading)
        layout.addLayout(self.rows)
        layout.addWidget(self.close_button)
        self.retranslate()
        self.resize(640, 300)
        context.runner.run(about_facts, context.config, context.services, on_done=self._show_facts)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("About counter-app"))
        self.heading.setText(app_title())
        titles = {
            "version": self.tr("Version:"),
            "data_dir": self.tr("Data directory:"),
            "database": self.tr("Database:"),
            "signing_module": self.tr("Signing module:"),
            "token_module": self.tr("Token module (PKCS#11):"),
        }
        for key, text in titles.items():
            self.captions[key].setText(text)
        self.close_button.setText(self.tr("&Close"))

    def _show_facts(self, facts: object) -> None:
        assert isinstance(facts, AboutFacts)
        self.facts = facts
        for key in AboutFacts.__dataclass_fields__:
            self.values[key].setText(str(getattr(facts, key)))
