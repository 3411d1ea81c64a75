"""The README's run command prepares a demo counter that works, and is safe to run twice."""

from __future__ import annotations

import json

from tests.conftest import CLI


def test_demo_prepares_and_enrolls_headless_twice(cli: CLI) -> None:
    env = {"DISPLAY": "", "WAYLAND_DISPLAY": ""}
    first = cli("demo", "--headless", env=env)
    assert first.returncode == 0, first.stderr
    assert "prepared: signing module" in first.stdout and "DEMO-TOKEN" in first.stdout
    second = cli("demo", "--headless", env=env)
    assert second.returncode == 0, second.stderr
    assert "prepared:" not in second.stdout
    facts = json.loads(second.stdout[second.stdout.index("{") :])
    clerk = {"COUNTER_APP_OPERATOR": "clerk", "COUNTER_APP_PASSWORD": "Demo-clerk1"}
    shown = json.loads(cli("cert", "show", facts["serial"], env=clerk).stdout)
    assert shown["status"] == "active"
    assert cli("audit", "verify").returncode == 0
