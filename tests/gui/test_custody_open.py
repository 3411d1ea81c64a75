"""Custodians open the signing module at the counter's start (issue 15, item 7): the dialog asks
each custodian in turn, opens the keys in a worker, and the clerk never types a passphrase."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from counter_app.ca import CAFiles, CASettings, init_hierarchy
from counter_app.domain.operators import Role
from counter_app.services import operators
from counter_app.services.context import ServiceContext
from counter_app.services.custody import init_custody
from tests.conftest import ADMIN_PASSWORD

CA_PASSPHRASE = "ca-Passphrase-1"
OWN = {"admin": "admin-Custody-1", "sup1": "sup1-Custody-1"}


@pytest.fixture
def custody_context(context, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COUNTER_APP_TEST_KDF_ITERATIONS", "2000")
    files = CAFiles.in_data_dir(context.config.data_dir)
    settings = CASettings.software(
        "Test", base_url="http://127.0.0.1:9", identifier_salt=os.urandom(16), organization="Test"
    )
    init_hierarchy(files, settings, passphrase=CA_PASSPHRASE, now=dt.datetime.now(dt.UTC))
    admin = operators.authenticate(context.store, "admin", ADMIN_PASSWORD)
    operators.add_operator(context.store, admin, "sup1", Role.SUPERVISOR, "Super-pass1")
    operators.add_operator(context.store, admin, "clerk1", Role.CLERK, "Clerk-pass1")
    init_custody(files, context.store, ca_passphrase=CA_PASSPHRASE, custodians=OWN,
                 threshold=2, operator="admin")  # fmt: skip
    return context


def _enter(qtbot, dialog, name: str, secret: str) -> None:  # type: ignore[no-untyped-def]
    dialog.name_edit.setText(name)
    dialog.passphrase_edit.setText(secret)
    dialog.open_button.click()


def _after_the_first_custodian(qtbot, context):  # type: ignore[no-untyped-def]
    from counter_app.gui.custody import CustodianDialog

    dialog = CustodianDialog(context, 2)
    qtbot.addWidget(dialog)
    _enter(qtbot, dialog, "admin", OWN["admin"])
    return dialog


def test_two_custodians_open_the_module_and_the_passphrase_field_is_cleared(
    qtbot, custody_context, en
) -> None:  # type: ignore[no-untyped-def]
    dialog = _after_the_first_custodian(qtbot, custody_context)
    assert dialog.passphrase_edit.text() == ""
    assert context_title(dialog) == "Custodian 2 of 2"
    _enter(qtbot, dialog, "sup1", OWN["sup1"])
    qtbot.waitUntil(lambda: custody_context.services is not None, timeout=30_000)
    assert isinstance(custody_context.services, ServiceContext)
    rows = (
        custody_context.store.engine.connect()
        .exec_driver_sql("SELECT operator, action FROM audit_events WHERE action = 'ca.open'")
        .fetchall()
    )
    assert rows == [("admin+sup1", "ca.open")]


def test_a_clerk_is_not_a_custodian_and_is_told_so_next_to_the_field(
    qtbot, custody_context, en
) -> None:  # type: ignore[no-untyped-def]
    dialog = _after_the_first_custodian(qtbot, custody_context)
    _enter(qtbot, dialog, "clerk1", "whatever-Passphrase")
    qtbot.waitUntil(lambda: "is not a custodian" in dialog.message_label.text(), timeout=30_000)
    assert custody_context.services is None
    assert context_title(dialog) == "Custodian 1 of 2"  # starts again


def context_title(dialog) -> str:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLabel

    return str(dialog.form.get(QLabel, "title_label").text())


def test_screenshots_in_both_languages(qtbot, custody_context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from counter_app.gui import i18n
    from counter_app.gui.custody import CustodianDialog

    for lang in ("zh_CN", "en"):
        i18n.install(lang)
        dialog = CustodianDialog(custody_context, 2)
        qtbot.addWidget(dialog)
        dialog.show()
        out = Path(os.environ.get("COUNTER_APP_SHOTS", tmp_path)) / f"custody-{lang}.png"
        assert dialog.grab().save(str(out))
    i18n.install("zh_CN")
