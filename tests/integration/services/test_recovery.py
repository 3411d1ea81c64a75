"""A real enrollment process killed at each step boundary, then `counter-app recover`."""

from __future__ import annotations

import json

import pytest

from tests.integration.services.conftest import Counter, example

EXPECTED = {
    # step after whose commit the process dies: (outcome, key left on the token, application status)
    "recorded": ("rolled_back", False, "rolled_back"),
    "key_generated": ("rolled_back", False, "rolled_back"),
    "issued": ("finished", True, "done"),
    "written": ("finished", True, "done"),
}


@pytest.mark.parametrize("step", list(EXPECTED))
def test_killed_enrollment_is_recovered(counter: Counter, step: str) -> None:
    counter.token("SUB1")
    killed = counter.enroll(
        example("individual"), "SUB1", env={"COUNTER_APP_TEST_CRASH_AFTER": step}
    )
    assert killed.returncode == 86, killed.stderr
    listed = json.loads(counter.run("recover", "--list").stdout)["interrupted"]
    assert [(i["service"], i["step"]) for i in listed] == [("enroll", step)]

    recovered = counter.run("recover", "--module", counter.softhsm.module)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    outcome, key_left, status = EXPECTED[step]
    assert [o["result"] for o in json.loads(recovered.stdout)["outcomes"]] == [outcome]

    objects = counter.token_objects("SUB1")
    assert ("Private Key Object" in objects) is key_left
    assert ("Certificate Object" in objects) is key_left
    (app_status,) = counter.db("SELECT status FROM applications")[0]
    assert app_status == status
    certs = counter.db("SELECT status FROM ca_certificates")
    assert certs == ([("good",)] if key_left else [(s,) for (s,) in certs if s != "good"])
    assert json.loads(counter.run("recover", "--list").stdout)["interrupted"] == []
    assert counter.run("audit", "verify").returncode == 0


def test_recovery_waits_for_the_token_and_touches_nothing(counter: Counter) -> None:
    counter.token("SUB1")
    counter.enroll(example("individual"), "SUB1", env={"COUNTER_APP_TEST_CRASH_AFTER": "issued"})
    import shutil

    shutil.rmtree(counter.softhsm.tokendir)
    counter.softhsm.tokendir.mkdir()
    result = counter.run("recover", "--module", counter.softhsm.module)
    assert result.returncode == 3
    assert json.loads(result.stdout)["outcomes"][0]["result"] == "waiting_for_token"
    assert counter.db("SELECT status FROM ca_certificates") == [("good",)]


def test_lost_token_recovery_revokes_the_certificate(counter: Counter) -> None:
    counter.token("SUB1")
    counter.enroll(example("individual"), "SUB1", env={"COUNTER_APP_TEST_CRASH_AFTER": "issued"})
    import shutil

    shutil.rmtree(counter.softhsm.tokendir)
    counter.softhsm.tokendir.mkdir()
    result = counter.run("recover", "--module", counter.softhsm.module, "--force-without-token")
    assert result.returncode == 0, result.stdout + result.stderr
    assert counter.db("SELECT status FROM ca_certificates") == [("revoked",)]
    assert counter.db("SELECT status FROM applications") == [("rolled_back",)]
