"""The main window: services, shortcuts, status bar, token insert/remove notices."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut

from counter_app.gui import registry
from counter_app.gui.main_window import MainWindow
from counter_app.gui.tasks import TaskRunner
from counter_app.gui.token_status import TokenMonitor
from counter_app.gui.wizard.view import WizardView
from counter_app.token.session import TokenInfo
from counter_app.token.watcher import TokenWatcher


def test_every_counter_service_is_enabled_in_a_clerks_list(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(sign_in_as("clerk"), watch_tokens=False)
    qtbot.addWidget(window)
    items = [window.services_list.item(i) for i in range(window.services_list.count())]
    assert [str(item.data(Qt.ItemDataRole.UserRole)) for item in items] == [
        "home",
        *(spec.key for spec in registry.SERVICES),
        "subscribers",
        "batch_renew",
    ]
    assert all(item.flags() & Qt.ItemFlag.ItemIsEnabled for item in items)


def test_ctrl_1_shortcut_opens_the_enrollment_wizard(qtbot, sign_in_as, zh) -> None:  # type: ignore[no-untyped-def]
    # The offscreen platform never makes a window active, so a key press cannot reach the
    # shortcut map; the test finds the shortcut bound to Ctrl+1 and activates it as Qt would.
    window = MainWindow(sign_in_as("clerk"), watch_tokens=False)
    qtbot.addWidget(window)
    (shortcut,) = [s for s in window.findChildren(QShortcut) if s.key() == QKeySequence("Ctrl+1")]
    shortcut.activated.emit()
    assert isinstance(window.work_area.currentWidget(), WizardView)


def test_status_bar_shows_the_operator_and_role(qtbot, signed_in, zh) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(signed_in, watch_tokens=False)
    qtbot.addWidget(window)
    assert window.operator_label.text() == "操作员：admin（管理员）"


def test_token_monitor_reports_insertion_and_removal(qtbot, gui_app) -> None:  # type: ignore[no-untyped-def]
    present: list[TokenInfo] = []
    token_a = TokenInfo(0, "token-A", "m", "model", "A1", True, True, False, False, False, False)
    runner = TaskRunner()
    watcher = TokenWatcher("unused", source=lambda: tuple(present))
    monitor = TokenMonitor(runner, watcher, interval_ms=20)
    try:
        monitor.start()
        with qtbot.waitSignal(monitor.inserted, timeout=3000) as inserted:
            present.append(token_a)
        assert inserted.args == [token_a]
        with qtbot.waitSignal(monitor.removed, timeout=3000) as removed:
            present.clear()
        assert removed.args == [token_a]
    finally:
        monitor.stop()
        runner.shutdown()
