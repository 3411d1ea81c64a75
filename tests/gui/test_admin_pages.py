"""The admin's pages: operators (add, disable, unlock, reset password) and settings."""

from __future__ import annotations

import tomllib

import pytest

from counter_app.domain.errors import PermissionDenied
from counter_app.gui.admin import OperatorsPage, SettingsPage
from counter_app.services import operators
from counter_app.services.settings import BadSetting, save_settings
from tests.gui.conftest import ROLE_PASSWORD
from tests.gui.drive import click, type_text, wait_until

PASSWORD = "Brand-New-Clerk-2026!"


def _operators(qtbot, context) -> OperatorsPage:  # type: ignore[no-untyped-def]
    page = OperatorsPage(context)
    qtbot.addWidget(page)
    page.show()
    wait_until(lambda: bool(page.operators))
    return page


def _choose(page: OperatorsPage, name: str) -> None:
    row = [o.name for o in page.operators].index(name)
    page.table.selectRow(row)


def test_operators_page_lists_the_operators(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    sign_in_as("clerk")
    page = _operators(qtbot, sign_in_as("admin"))
    names = [page.table.item(r, 0).text() for r in range(page.table.rowCount())]
    assert names == ["admin", "clerk1"]
    assert page.table.item(1, 1).text() == "Clerk"


def test_admin_adds_an_operator(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    page = _operators(qtbot, sign_in_as("admin"))
    type_text(page.name_edit, "rev9")
    page.role_combo.setCurrentIndex(page.role_combo.findData("reviewer"))
    type_text(page.password_edit, PASSWORD)
    type_text(page.repeat_edit, PASSWORD)
    click(page.add_button)
    wait_until(lambda: "rev9" in [o.name for o in page.operators])
    assert operators.authenticate(page.context.store, "rev9", PASSWORD).role.value == "reviewer"


def test_two_different_passwords_are_refused_before_any_call(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    page = _operators(qtbot, sign_in_as("admin"))
    type_text(page.name_edit, "rev9")
    type_text(page.password_edit, PASSWORD)
    type_text(page.repeat_edit, PASSWORD + "x")
    click(page.add_button)
    assert "differ" in page.message_label.text()
    assert operators.find_operator(page.context.store, "rev9") is None


def test_admin_disables_an_operator(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    sign_in_as("clerk")
    page = _operators(qtbot, sign_in_as("admin"))
    _choose(page, "clerk1")
    click(page.disable_button)
    wait_until(lambda: not page.busy and page.table.item(1, 2).text() == "disabled")
    info = operators.find_operator(page.context.store, "clerk1")
    assert info is not None and not info.active


def test_admin_unlocks_a_locked_operator(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    context = sign_in_as("clerk")
    for _ in range(5):
        with pytest.raises(Exception):
            operators.authenticate(context.store, "clerk1", "wrong-password")
    page = _operators(qtbot, sign_in_as("admin"))
    _choose(page, "clerk1")
    assert page.unlock_button.isEnabled()
    click(page.unlock_button)
    wait_until(lambda: "may sign in again" in page.message_label.text())
    assert operators.authenticate(context.store, "clerk1", ROLE_PASSWORD).name == "clerk1"


def test_admin_resets_a_password(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    sign_in_as("clerk")
    page = _operators(qtbot, sign_in_as("admin"))
    _choose(page, "clerk1")
    type_text(page.password_edit, PASSWORD)
    type_text(page.repeat_edit, PASSWORD)
    click(page.reset_button)
    wait_until(lambda: "Password of clerk1 set" in page.message_label.text())
    assert operators.authenticate(page.context.store, "clerk1", PASSWORD).name == "clerk1"


def test_a_clerk_cannot_add_an_operator_even_on_the_page(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    # The page is never shown to a clerk; if it were, the service still refuses.
    page = _operators(qtbot, sign_in_as("clerk"))
    type_text(page.name_edit, "sneaky")
    type_text(page.password_edit, PASSWORD)
    type_text(page.repeat_edit, PASSWORD)
    click(page.add_button)
    wait_until(lambda: not page.busy and page.message_label.text() != "")
    assert operators.find_operator(page.context.store, "sneaky") is None


def _settings(qtbot, context) -> SettingsPage:  # type: ignore[no-untyped-def]
    page = SettingsPage(context)
    qtbot.addWidget(page)
    page.show()
    return page


def test_settings_page_saves_to_config_toml(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    page = _settings(qtbot, sign_in_as("admin"))
    edit = page.edits["idle_lock_minutes"]
    assert edit.text() == "5"
    edit.clear()
    type_text(edit, "3")
    type_text(page.edits["ra_name"], "某某注册中心")
    click(page.save_button)
    wait_until(lambda: "saved" in page.message_label.text())
    saved = tomllib.loads((page.context.config.data_dir / "config.toml").read_text("utf-8"))
    assert saved["idle_lock_minutes"] == 3
    assert saved["ra_name"] == "某某注册中心"


def test_a_bad_setting_is_said_and_nothing_written(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    page = _settings(qtbot, sign_in_as("admin"))
    page.edits["time_zone"].setText("Mars/Olympus")
    click(page.save_button)
    wait_until(lambda: not page.busy and page.message_label.text() != "")
    assert "time_zone" in page.message_label.text()
    assert not (page.context.config.data_dir / "config.toml").exists()


def test_settings_keep_the_files_comments(sign_in_as) -> None:  # type: ignore[no-untyped-def]
    context = sign_in_as("admin")
    path = context.config.data_dir / "config.toml"
    path.write_text('# set by the installer\nlang = "zh_CN"\n', "utf-8")
    save_settings(context.config, context.store, context.operator, {"printer": "HP-1"})
    text = path.read_text("utf-8")
    assert text.startswith("# set by the installer\n")
    assert 'printer = "HP-1"' in text


def test_only_an_admin_changes_settings(sign_in_as) -> None:  # type: ignore[no-untyped-def]
    context = sign_in_as("supervisor")
    with pytest.raises(PermissionDenied):
        save_settings(context.config, context.store, context.operator, {"printer": "HP-1"})


def test_an_unknown_setting_is_refused(sign_in_as) -> None:  # type: ignore[no-untyped-def]
    context = sign_in_as("admin")
    with pytest.raises(BadSetting):
        save_settings(context.config, context.store, context.operator, {"db_url": "x"})


def test_a_settings_change_is_audited(sign_in_as) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from counter_app.store.models import AuditEvent

    context = sign_in_as("admin")
    save_settings(context.config, context.store, context.operator, {"idle_lock_minutes": "7"})
    with context.store.session() as session:
        actions = list(session.execute(select(AuditEvent.action)).scalars())
    assert "settings.change" in actions
