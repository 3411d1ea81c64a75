"""Python's cyclic garbage collector, run only on the GUI thread.

Python runs its collector in whichever thread happens to allocate when a generation's count
passes its threshold. In the GUI that is often a worker (a database read in the pool, a token
call on the token thread). If the garbage it finds holds a Qt object (a closed page, a
dialog, a lambda connected to a signal), its wrapper is deleted on that worker, and Qt widgets
may only be touched on the GUI thread: the process dies with a segmentation fault somewhere
unrelated, in whatever Python code the worker was running. The desk's tests showed this as a
crashed test worker inside a SQLAlchemy query.

So while the GUI runs, automatic collection is off and a timer on the GUI thread collects each
generation when its count passes the same thresholds Python would have used (the pattern
calibre uses for the same crash). No library does this for PySide; it is a dozen lines.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Owns collection while installed; :meth:`uninstall` hands it back to Python."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.was_enabled = gc.isenabled()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        """Collect, on this (the GUI) thread, the generations Python would have collected."""
        counts = gc.get_count()
        if counts[0] <= self.threshold[0]:
            return
        generation = 0
        if counts[1] > self.threshold[1]:
            generation = 2 if counts[2] > self.threshold[2] else 1
        gc.collect(generation)

    def uninstall(self) -> None:
        self.timer.stop()
        gc.collect()
        if self.was_enabled:
            gc.enable()


_installed: GuiThreadCollector | None = None


def install(app: QObject) -> GuiThreadCollector:
    """Run collection on ``app``'s thread from now on (once per process; later calls return it)."""
    global _installed
    if _installed is None:
        _installed = GuiThreadCollector(app)
    return _installed


def uninstall() -> None:
    """Collect once more on this thread and give collection back to Python (tests, shutdown)."""
    global _installed
    if _installed is not None:
        _installed.uninstall()
        _installed.deleteLater()
        _installed = None
