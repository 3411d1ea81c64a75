"""Each role's navigation shows only what the policy lets it do."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

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
        ("clerk", ["home", *COUNTER_SERVICES, "lookup", "subscribers", "batch_renew"]),
        ("reviewer", ["home", "lookup", "subscribers"]),
        (
            "supervisor",
            ["home", *COUNTER_SERVICES, "lookup", "subscribers", "batch_renew", "desk", "signing"],
        ),
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


def test_the_supervisors_desk_entry_is_the_desk_page(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    from counter_app.gui.desk import make_desk

    window = _window(qtbot, sign_in_as("supervisor"))
    item = window.services_list.item(window.entry_keys.index("desk"))
    assert item.flags() & Qt.ItemFlag.ItemIsEnabled
    assert registry.wizard_factory("desk") is make_desk


def test_a_clerk_has_no_desk(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, sign_in_as("clerk"))
    assert window.open_service("desk") is None


def test_a_clerk_opens_batch_renewal(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    from counter_app.gui.batch_renew import BatchRenewPage

    window = _window(qtbot, sign_in_as("clerk"))
    assert isinstance(window.open_service("batch_renew"), BatchRenewPage)
