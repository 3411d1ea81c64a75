"""Start-up: time from process start to the sign-in window, beside a bare PySide6 window.

Each run starts a fresh Python process and times, from just before the process is spawned
until the window has been shown and its first events (expose, paint) handled:

* ``bare``: a bare ``QApplication`` and an empty ``QWidget`` (the floor: interpreter + Qt);
* ``counter-app-gui``: the window's own entry point (config, the CJK font, translators, the
  sign-in dialog; the store opens in a worker behind the window);
* ``counter-app gui``: the CLI's verb (click and every verb's module first, then the same).

The only change to the counter's process is a ``showEvent`` wrapper on the sign-in dialog that
prints a marker and exits once the window is up (installed before ``main`` runs; the same
modules would be imported by ``gui`` anyway). Goal: counter-app within 2x the bare window.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MARKER = "WINDOW-SHOWN"

BARE = f"""
import os
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

class Window(QWidget):
    def showEvent(self, event):
        super().showEvent(event)
        QTimer.singleShot(0, lambda: (print({MARKER!r}, flush=True), os._exit(0)))

app = QApplication(["bare"])
w = Window()
w.resize(480, 280)
w.show()
app.exec()
"""

COUNTER = f"""
import os, sys
from PySide6.QtCore import QTimer
from counter_app.gui import login

_shown = login.LoginDialog.showEvent

def showEvent(self, event):
    _shown(self, event)
    QTimer.singleShot(0, lambda: (print({MARKER!r}, flush=True), os._exit(0)))

login.LoginDialog.showEvent = showEvent
if sys.argv[2] == "cli":
    from counter_app.cli import main
    sys.exit(main(["--data-dir", sys.argv[1], "gui"]))
from counter_app.gui.__main__ import main
sys.exit(main(["--data-dir", sys.argv[1]]))
"""


def time_once(code: str, *args: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == MARKER:
            elapsed = time.perf_counter() - start
            proc.wait(30)
            return elapsed
    proc.wait(30)
    raise RuntimeError(f"the window never showed (exit code {proc.returncode})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNTER_APP_")}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["QT_LOGGING_RULES"] = "qt.qpa.*=false"
    with tempfile.TemporaryDirectory(prefix="gui-start-") as root:
        data = Path(root) / "data"
        env["HOME"] = str(Path(root) / "home")
        subprocess.run(
            [str(Path(sys.executable).parent / "counter-app"), "--data-dir", str(data), "init"],
            env={**env, "COUNTER_APP_PASSWORD": "Bench-admin-pass-1"},
            check=True,
            capture_output=True,
        )
        # One unmeasured start of each fills the OS file cache (the counter's day starts warm).
        time_once(BARE, env=env)
        time_once(COUNTER, str(data), "cli", env=env)
        time_once(COUNTER, str(data), "gui", env=env)
        bare, cli, gui = [], [], []
        for _ in range(args.runs):  # interleaved, so machine load hits all alike
            bare.append(time_once(BARE, env=env))
            gui.append(time_once(COUNTER, str(data), "gui", env=env))
            cli.append(time_once(COUNTER, str(data), "cli", env=env))
    b = statistics.median(bare)
    print(f"runs: {args.runs} each, interleaved; platform {env['QT_QPA_PLATFORM']}")
    print(f"bare PySide6 window           median {b * 1000:7.0f} ms  (min {min(bare) * 1000:.0f})")
    for name, times in (("counter-app-gui (sign-in)", gui), ("counter-app gui (sign-in)", cli)):
        m = statistics.median(times)
        print(
            f"{name:29} median {m * 1000:7.0f} ms  (min {min(times) * 1000:.0f})"
            f"  = {m / b:.2f}x bare (goal: within 2x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
