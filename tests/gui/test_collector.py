"""Cyclic garbage is freed on the GUI thread, never on the worker that happened to allocate."""

from __future__ import annotations

import gc
import threading
from typing import ClassVar

from counter_app.gui import collector
from tests.gui.drive import wait_until


class _Cycle:
    freed_on: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        _Cycle.freed_on.append(threading.current_thread().name)


def test_garbage_left_by_a_worker_is_collected_on_the_gui_thread(qapp) -> None:  # type: ignore[no-untyped-def]
    collector.install(qapp)
    gc.collect()
    _Cycle.freed_on.clear()

    def work() -> None:
        _Cycle()  # unreachable at once, but only a collection frees a cycle
        # Allocate well past every generation's threshold, as a long database read would.
        for _ in range(50):
            junk = [[] for _ in range(gc.get_threshold()[0] * 4)]
            for item in junk:
                item.append(junk)
            del junk

    worker = threading.Thread(target=work, name="pool-worker")
    worker.start()
    worker.join()
    wait_until(lambda: _Cycle.freed_on != [], timeout_ms=10000)
    assert _Cycle.freed_on == [threading.current_thread().name]
