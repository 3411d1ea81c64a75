"""Service units (issue 21, item 4): the shipped systemd units pass ``systemd-analyze verify``
with no complaint, name their secrets as credentials, and ``serve --access-log`` writes one
line per request."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import CLI, REPO, start_serve
from tests.integration.ca.conftest import CA_ENV

UNITS = REPO / "packaging" / "systemd"
INSTALLED_EXE = "/opt/counter-app/venv/bin/counter-app"


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is missing: install the Debian package systemd")
    units = sorted(UNITS.glob("counter-app-*"))
    assert {u.name for u in units} >= {
        "counter-app-serve.service", "counter-app-est.service",
        "counter-app-check.service", "counter-app-check.timer",
    }  # fmt: skip
    for unit in units:
        # The one change: the installed path of the program is this test's virtual environment.
        text = unit.read_text().replace(
            INSTALLED_EXE, str(Path(sys.executable).parent / "counter-app")
        )
        (tmp_path / unit.name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", *[str(tmp_path / u.name) for u in units]],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # unknown keys and bad values are only warned


def test_units_take_secrets_as_credentials_and_restart_on_failure() -> None:
    for name in ("counter-app-serve.service", "counter-app-est.service"):
        text = (UNITS / name).read_text()
        assert "LoadCredential=COUNTER_APP_CA_PASSPHRASE:" in text
        assert "Restart=on-failure" in text and "--access-log" in text
        assert not re.search(r"^Environment=.*(PASSPHRASE|PIN|PASSWORD)", text, re.M)


def test_serve_access_log_is_one_line_per_request(ca_cli: CLI) -> None:
    served = start_serve(
        ca_cli.data_dir, {**ca_cli.env, **CA_ENV}, "--access-log", stdout=subprocess.PIPE
    )
    assert served.proc.stdout is not None
    try:
        with urllib.request.urlopen(served.url + "/healthz", timeout=10) as answer:
            assert answer.status == 200
        line = served.proc.stdout.readline()
    finally:
        served.stop()
    assert re.search(r' 127\.0\.0\.1 "GET /healthz" 200 3$', line.rstrip()), line
