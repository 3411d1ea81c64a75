"""The task runner: results and errors come back on the GUI thread; token work on one thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QCoreApplication, QThread

from counter_app.domain.errors import NotFound
from counter_app.gui.tasks import TaskRunner
from counter_app.token.thread import on_token_thread, token_io


@pytest.fixture
def runner(gui_app):  # type: ignore[no-untyped-def]
    r = TaskRunner()
    yield r
    r.shutdown()


def _on_gui_thread() -> bool:
    app = QCoreApplication.instance()
    assert app is not None
    return QThread.currentThread() is app.thread()


def test_result_is_delivered_on_the_gui_thread(runner, qtbot) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[str, bool]] = []
    worker_thread: list[str] = []

    def work() -> str:
        worker_thread.append(threading.current_thread().name)
        return "done"

    runner.run(work, on_done=lambda r: seen.append((r, _on_gui_thread())))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [("done", True)]
    assert worker_thread[0] != threading.main_thread().name


def test_error_is_delivered_on_the_gui_thread(runner, qtbot) -> None:  # type: ignore[no-untyped-def]
    errors: list[tuple[BaseException, bool]] = []

    def work() -> None:
        raise NotFound(what_zh="证书", what_en="certificate", key="01")

    runner.run(work, on_error=lambda e: errors.append((e, _on_gui_thread())))
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0][0], NotFound) and errors[0][1]


def test_unhandled_error_reaches_the_runners_failed_signal(runner, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.run(lambda: 1 / 0)
    assert isinstance(blocker.args[0], ZeroDivisionError)


def test_token_calls_run_one_after_another_on_one_thread(runner, qtbot) -> None:  # type: ignore[no-untyped-def]
    threads: list[str] = []
    done: list[int] = []

    @token_io
    def touch_token(i: int) -> int:
        threads.append(threading.current_thread().name)
        return i

    for i in range(5):
        runner.run_token(touch_token, i, on_done=done.append)
    qtbot.waitUntil(lambda: len(done) == 5, timeout=5000)
    assert done == [0, 1, 2, 3, 4]
    assert len(set(threads)) == 1


def test_token_io_refuses_to_run_off_the_token_thread(runner, qtbot) -> None:  # type: ignore[no-untyped-def]
    @token_io
    def touch_token() -> None:
        return None

    errors: list[BaseException] = []
    runner.run(touch_token, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], AssertionError)
    assert not on_token_thread()


def test_discarded_task_does_not_call_back(runner, qtbot) -> None:  # type: ignore[no-untyped-def]
    seen: list[object] = []
    handle = runner.run(lambda: "late", on_done=seen.append)
    handle.discard()
    with qtbot.waitSignal(runner.busy_changed, timeout=5000):
        pass
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    assert seen == []
