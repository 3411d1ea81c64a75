"""The database going away in the middle of an enrollment, and coming back (issue 9, item 4)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import wait_for_pause
from tests.integration.postgres.conftest import PgCounter
from tests.integration.services.conftest import example

EXPECTED = {
    # step after which the server goes away: (recovery outcome, key left on the token, status)
    "recorded": ("rolled_back", False, "rolled_back"),
    "key_generated": ("rolled_back", False, "rolled_back"),
    "issued": ("finished", True, "done"),
}


@pytest.mark.parametrize("step", list(EXPECTED))
def test_database_stopped_mid_enrollment_gives_one_line_and_recovery_completes(
    pg_counter: PgCounter, step: str
) -> None:
    pg_counter.token("SUB1")
    marker = pg_counter.tmp / "paused"
    app = pg_counter.tmp / "app.json"
    app.write_text(json.dumps(example("individual"), ensure_ascii=False), encoding="utf-8")
    exe = Path(sys.executable).with_name("counter-app")
    proc = subprocess.Popen(
        [
            str(exe),
            "--lang",
            "en",
            "--data-dir",
            str(pg_counter.cli.data_dir),
            "enroll",
            str(app),
            "--module",
            pg_counter.softhsm.module,
            "--token-label",
            "SUB1",
        ],
        env={
            **pg_counter.cli.env,
            **pg_counter.env,
            "COUNTER_APP_TEST_PAUSE_AFTER": step,
            "COUNTER_APP_TEST_PAUSE_FILE": str(marker),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_pause(marker, proc)
    pg_counter.postgres.stop()
    marker.unlink()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    *logged, message = err.splitlines()
    # The clerk's message is one line; above it at most the log's warnings (-v shows more).
    assert all(" WARNING " in line for line in logged), logged
    assert "database unavailable" in message and "counter-app recover" in message

    pg_counter.postgres.start()
    listed = json.loads(pg_counter.run("recover", "--list").stdout)["interrupted"]
    assert [i["step"] for i in listed] == [step]
    recovered = pg_counter.run("recover", "--module", pg_counter.softhsm.module)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    outcome, key_left, status = EXPECTED[step]
    assert [o["result"] for o in json.loads(recovered.stdout)["outcomes"]] == [outcome]
    assert ("Private Key Object" in pg_counter.token_objects("SUB1")) is key_left
    assert pg_counter.db("SELECT status FROM applications") == [(status,)]
    assert pg_counter.run("audit", "verify").returncode == 0
