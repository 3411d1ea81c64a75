"""Real enrollments with the CA files in the data dir and the database on PostgreSQL."""

from __future__ import annotations

import json

from tests.integration.postgres.conftest import PgCounter
from tests.integration.services.conftest import example


def test_enrollment_records_everything_on_the_server(pg_counter: PgCounter) -> None:
    done = pg_counter.enrolled("individual", "SUB1")
    assert pg_counter.db("SELECT status FROM applications") == [("done",)]
    assert pg_counter.db("SELECT receipt_number FROM payments") == [(done["receipt_number"],)]
    assert pg_counter.db("SELECT serial_hex, status FROM ca_certificates") == [
        (done["serial"], "good")
    ]
    assert not (pg_counter.cli.data_dir / "counter.db").exists()
    verified = pg_counter.run("audit", "verify")
    assert verified.returncode == 0, verified.stderr


def test_enrolled_certificate_is_looked_up_from_the_server(pg_counter: PgCounter) -> None:
    done = pg_counter.enrolled("unit", "SUB1")
    shown = pg_counter.run("cert", "show", done["serial"])
    assert shown.returncode == 0, shown.stderr
    assert done["serial"].lower() in shown.stdout.lower()


def test_killed_enrollment_is_recovered_from_the_server(pg_counter: PgCounter) -> None:
    pg_counter.token("SUB1")
    killed = pg_counter.enroll(
        example("individual"), "SUB1", env={"COUNTER_APP_TEST_CRASH_AFTER": "issued"}
    )
    assert killed.returncode == 86, killed.stderr
    recovered = pg_counter.run("recover", "--module", pg_counter.softhsm.module)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert [o["result"] for o in json.loads(recovered.stdout)["outcomes"]] == ["finished"]
    assert pg_counter.db("SELECT status FROM applications") == [("done",)]
