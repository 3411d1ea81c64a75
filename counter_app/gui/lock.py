"""Lock the counter (Ctrl+L, or after N idle minutes) until the operator's password is given.

The password is checked by :func:`counter_app.services.operators.authenticate`, in a worker, so
the lock-out after five failures and the audit of each failure are the same as at sign-in. From
the lock screen the operator may also sign out (another operator then signs in).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from counter_app.gui.context import GuiContext
from counter_app.gui.widgets import ERROR_STYLE, WorkerDialog, hbox, push_button, text_label
from counter_app.services.operators import OperatorInfo

DEFAULT_IDLE_MINUTES = 5
# What counts as the operator being at the counter: any key, click, wheel or touch.
_ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)


def idle_minutes(settings: dict[str, object]) -> int:
    """``idle_lock_minutes`` of ``config.toml`` (default 5); 0 turns the idle lock off."""
    value = settings.get("idle_lock_minutes", DEFAULT_IDLE_MINUTES)
    try:
        minutes = int(str(value))
    except ValueError:
        return DEFAULT_IDLE_MINUTES
    return max(0, minutes)


class IdleWatcher(QObject):
    """Emits ``idle`` once the application has had no input for ``msecs``."""

    idle = Signal()

    def __init__(self, msecs: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(msecs)
        self.timer.timeout.connect(self.idle)
        app = QApplication.instance()
        if app is not None and msecs > 0:
            app.installEventFilter(self)
            self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY and self.timer.interval() > 0:
            self.timer.start()
        return False

    def pause(self) -> None:
        self.timer.stop()

    def resume(self) -> None:
        if self.timer.interval() > 0:
            self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class LockDialog(WorkerDialog, QDialog):
    """The locked counter: the signed-in operator's name, a password field, unlock or sign out.

    ``result()`` is ``Accepted`` once the password was right, ``SIGN_OUT`` if the operator chose
    to sign out. Escape does nothing: the lock is left only by one of the two buttons.
    """

    SIGN_OUT = 2
    unlocked = Signal()
    sign_out_requested = Signal()

    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lock_dialog")
        self._context = context
        self.operator: OperatorInfo = context.clerk()
        self.title_label = text_label(self, style="font-size: 16pt; font-weight: bold;")
        self.who_label = QLabel(self)
        self.password_edit = QLineEdit(self)
        self.password_edit.setObjectName("lock_password_edit")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.message_label = text_label(self, "lock_message_label", wrap=True, style=ERROR_STYLE)
        self.message_label.hide()
        self.unlock_button = push_button(self, "unlock_button", self.submit)
        self.unlock_button.setDefault(True)
        self.sign_out_button = push_button(self, "sign_out_button", self._sign_out)
        buttons = hbox(right=[self.sign_out_button, self.unlock_button])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        for widget in (self.title_label, self.who_label, self.password_edit, self.message_label):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.password_edit.returnPressed.connect(self.submit)
        self.retranslate()
        self.resize(460, 220)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("counter-app: locked"))
        self.title_label.setText(self.locked_text())
        self.who_label.setText(
            self.tr("Operator %1: enter your password to go on.").replace("%1", self.operator.name)
        )
        self.unlock_button.setText(self.tr("&Unlock"))
        self.sign_out_button.setText(self.sign_out_text())

    @staticmethod
    def locked_text() -> str:
        return QCoreApplication.translate("LockDialog", "The counter is locked")

    @staticmethod
    def sign_out_text() -> str:
        """The lock's way out, also the main window's Session menu entry."""
        return QCoreApplication.translate("LockDialog", "Sign &out")

    def reject(self) -> None:
        """Escape or the window's close button leave the counter locked."""

    def submit(self) -> None:
        password = self.password_edit.text()
        self.password_edit.clear()
        if not password:
            self.show_message(self.tr("Enter your password."))
            return
        self.check_password(
            self.operator.name,
            password,
            on_done=self._checked,
            focus=self.password_edit,
        )

    def busy_widgets(self) -> Sequence[QWidget]:
        return (self.password_edit, self.unlock_button, self.sign_out_button)

    def _checked(self, _info: OperatorInfo) -> None:
        self.unlocked.emit()
        self.done(QDialog.DialogCode.Accepted)

    def _sign_out(self) -> None:
        self.sign_out_requested.emit()
        self.done(self.SIGN_OUT)
