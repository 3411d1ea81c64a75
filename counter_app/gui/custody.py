"""Custodians open the signing module for the day (issue 15, item 7): the GUI's side.

When ``ca custody init`` has put the module under custody, the counter's start asks not for a
CA passphrase but for ``threshold`` custodians, one after another, each with their name and
their own passphrase; the clerk who signed in sees neither. The shares are combined and the keys
opened in a worker (``services/custody.py`` decides who counts); the opening is audited.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from counter_app.ca import CAFiles
from counter_app.config import Config
from counter_app.gui.context import GuiContext
from counter_app.gui.session import UnlockDialog, open_services
from counter_app.services.context import ServiceContext
from counter_app.services.custody import open_passphrase, record_opening
from counter_app.store.db import Store


def open_under_custody(
    config: Config, store: Store, presented: list[tuple[str, str]]
) -> ServiceContext:
    """In a worker: rebuild the module secret from the shares, open the keys, audit who did."""
    files = CAFiles.in_data_dir(config.data_dir)
    passphrase, names = open_passphrase(files, store, presented)
    services = open_services(config, store, passphrase)
    record_opening(store, names, "gui")
    return services


class CustodianDialog(UnlockDialog):
    """The unlock form, asking each custodian in turn for their name and own passphrase."""

    def __init__(self, context: GuiContext, threshold: int, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self._threshold = threshold
        self._presented: list[tuple[str, str]] = []
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("custodian_name_edit")
        fields = self.form.layout(QFormLayout, "fields")
        fields.insertRow(0, self.tr("&Custodian:"), self.name_edit)
        self.form.get(QLabel, "explain_label").setText(
            self.tr(
                "The signing module is under custody: {0} custodians open it for the day, each "
                "with their own passphrase. Nobody else needs or sees what opens its keys."
            ).format(threshold)
        )
        self._prompt()
        self.name_edit.setFocus()
        self.resize(560, 280)  # the explanation takes three lines in English

    def _prompt(self) -> None:
        self.form.get(QLabel, "title_label").setText(
            self.tr("Custodian {0} of {1}").format(len(self._presented) + 1, self._threshold)
        )

    def submit(self, passphrase: str | None = None) -> None:
        name = self.name_edit.text().strip()
        secret = self.passphrase_edit.text()
        self.passphrase_edit.clear()
        if not name or not secret:
            self.show_message(self.tr("Enter the custodian's name and own passphrase."))
            return
        self._presented.append((name, secret))
        del secret
        self.name_edit.clear()
        if len(self._presented) < self._threshold:
            self.show_message("")
            self._prompt()
            self.name_edit.setFocus()
            return
        presented, self._presented = self._presented, []
        self.open_with(
            open_under_custody,
            presented,
            focus=self.name_edit,
            on_refused=lambda _text: self._prompt(),  # start again from the first custodian
        )

    def busy_widgets(self) -> Sequence[QWidget]:
        return (*super().busy_widgets(), self.name_edit)
