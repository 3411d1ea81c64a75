"""Open the counter's services for one GUI session: the signing module with its keys decrypted.

The CA passphrase comes from ``COUNTER_APP_CA_PASSPHRASE`` or the masked :class:`UnlockDialog`;
it is handed to the signing module once, in a worker, and never kept: the dialog clears its
field before the worker starts and nothing here stores the string.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QPushButton, QWidget

from counter_app.config import Config
from counter_app.gui.context import GuiContext
from counter_app.gui.forms import load_form
from counter_app.gui.widgets import ERROR_STYLE, WorkerDialog
from counter_app.services.context import ServiceContext
from counter_app.services.signing import LocalSigning, local_kmc
from counter_app.store.db import Store
from counter_app.store.signing_module import open_signing_module

PASSPHRASE_ENV = "COUNTER_APP_CA_PASSPHRASE"
T = TypeVar("T")


def open_services(config: Config, store: Store, passphrase: str) -> ServiceContext:
    """Decrypt the CA keys now (slow: a KDF) so no later service call asks for the passphrase."""
    signing = LocalSigning(
        open_signing_module(config, store, lambda: passphrase), local_kmc(config.data_dir)
    )
    # The tables are read here too, in the worker, so the first wizard page never does file I/O.
    ctx = ServiceContext(config=config, store=store, signing_factory=lambda: signing)
    _ = ctx.fee_table, ctx.agreements, ctx.application_items, ctx.signing
    warm_validators()
    return ctx


# A made-up subscriber of each kind: checking them loads the validators' data (phone number
# metadata, identifier checksums, e-mail rules) here in the worker instead of on the GUI thread
# at the clerk's first keystroke.
_WARM_UP = (
    {
        "kind": "individual",
        "name": "张三",
        "id_type": "resident_id",
        "id_number": "11010519491231002X",
        "mobile": "13800138000",
        "email": "a@example.cn",
    },
    {
        "kind": "unit",
        "name": "某某公司",
        "uscc": "91110000600037341L",
        "legal_representative": "李四",
        "social_insurance_unit_number": "1",
        "agent": {"name": "王五", "id_type": "passport", "id_number": "E1", "mobile": "139"},
    },
    {"kind": "device", "name": "srv", "identifier": "x", "owner_uscc": "91110000600037341L"},
)


def warm_validators() -> None:
    from counter_app.domain.subscribers import subscriber_errors

    for sample in _WARM_UP:
        subscriber_errors(sample)


class UnlockDialog(WorkerDialog, QDialog):
    """Asks for the CA passphrase (masked) and opens the services in a worker."""

    def __init__(self, context: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.form = load_form("unlock_ca.ui", self)
        self.setWindowTitle(self.tr("counter-app: open the signing module"))
        self.passphrase_edit = self.form.get(QLineEdit, "passphrase_edit")
        self.message_label = self.form.get(QLabel, "message_label")
        self.open_button = self.form.get(QPushButton, "open_button")
        self.form.get(QPushButton, "quit_button").clicked.connect(self.reject)
        self.open_button.clicked.connect(self.submit)
        self.passphrase_edit.returnPressed.connect(self.submit)
        self.message_label.setStyleSheet(ERROR_STYLE)
        self.message_label.hide()
        self.resize(520, 220)

    def submit(self, passphrase: str | None = None) -> None:
        secret = passphrase if isinstance(passphrase, str) else self.passphrase_edit.text()
        self.passphrase_edit.clear()
        if not secret:
            self.show_message(self.tr("Enter the signing module's passphrase."))
            return
        self.open_with(open_services, secret, focus=self.passphrase_edit)

    def open_with(
        self, fn: Callable[[Config, Store, T], ServiceContext], secret: T, **how: Any
    ) -> None:
        """Open the signing module in a worker with ``fn(config, store, secret)``."""
        ctx = self._context
        self.run_call(fn, ctx.config, ctx.store, secret, on_done=self._opened, **how)

    def _opened(self, services: ServiceContext) -> None:
        self._context.services = services
        self.accept()

    def busy_widgets(self) -> Sequence[QWidget]:
        return (self.passphrase_edit, self.open_button)

    def busy_message(self) -> str | None:
        return self.tr("Opening the signing module…")


def passphrase_from_environment() -> str | None:
    return os.environ.get(PASSPHRASE_ENV) or None
