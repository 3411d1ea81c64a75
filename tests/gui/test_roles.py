"""Each role's navigation shows only what the policy lets it do."""

from __future__ import annotations

import importlib.machinery
import sys
import types

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from counter_app.domain.operators import Role
from counter_app.domain.policy import POLICY, Action
from counter_app.gui import registry
from counter_app.gui.main_window import MainWindow

COUNTER_SERVICES = [spec.key for spec in registry.SERVICES if spec.key != "lookup"]


def _window(qtbot, context) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(context, watch_tokens=False)
    qtbot.addWidget(window)
    return window


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("clerk", ["home", *COUNTER_SERVICES, "lookup", "subscribers"]),
        ("reviewer", ["home", "lookup", "subscribers"]),
        ("supervisor", ["home", *COUNTER_SERVICES, "lookup", "subscribers", "desk", "signing"]),
        ("admin", ["home", "operators", "settings", "signing"]),
    ],
)
def test_navigation_per_role(qtbot, sign_in_as, en, role: str, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, sign_in_as(role))
    assert window.entry_keys == expected


def test_services_shown_are_those_the_policy_lets_the_role_make(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    for role in Role:
        shown = set(registry.entries_for(role)) & set(registry.SERVICES)
        makes = {
            s
            for s in registry.SERVICES
            if s.key != "lookup" and role in POLICY[Action(s.key)].makers
        }
        assert {s for s in shown if s.key != "lookup"} == makes


def test_a_hidden_entrys_shortcut_does_nothing(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, sign_in_as("reviewer"))
    assert window.open_service("enroll") is None
    assert window.work_area.currentWidget() is window.home


def test_admin_has_no_counter_service_shortcuts(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QKeySequence, QShortcut

    window = _window(qtbot, sign_in_as("admin"))
    keys = {s.key().toString() for s in window.findChildren(QShortcut)}
    assert QKeySequence("Ctrl+1").toString() not in keys


def test_desk_entry_waits_for_its_module(qtbot, sign_in_as, en, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(registry, "_wizards", dict(registry._wizards))
    registry._wizards.pop("desk", None)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    window = _window(qtbot, sign_in_as("supervisor"))
    row = window.entry_keys.index("desk")
    item = window.services_list.item(row)
    assert not (item.flags() & Qt.ItemFlag.ItemIsEnabled)


def test_desk_module_is_loaded_for_the_supervisor(qtbot, sign_in_as, en, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    module = types.ModuleType("counter_app.gui.desk")
    module.__spec__ = importlib.machinery.ModuleSpec("counter_app.gui.desk", None)

    def make_desk(context: object) -> QWidget:
        return QLabel("desk")

    module.make_desk = make_desk  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "counter_app.gui.desk", module)
    monkeypatch.setattr(registry, "_wizards", dict(registry._wizards))
    registry._wizards.pop("desk", None)
    window = _window(qtbot, sign_in_as("supervisor"))
    page = window.open_service("desk")
    assert isinstance(page, QLabel) and page.text() == "desk"
