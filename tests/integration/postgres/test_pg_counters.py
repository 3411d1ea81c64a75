"""Several real enrollment processes at once against one PostgreSQL database (issue 9, item 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.integration.postgres.conftest import PgCounter
from tests.integration.services.conftest import example

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(first17: str) -> str:
    """A resident ID number with its GB 11643 check character."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def another_individual(first17: str, name: str) -> dict[str, Any]:
    data = example("individual")
    number = resident_id(first17)
    data["subscriber"].update(name=name, id_number=number, social_insurance_number=number)
    data["documents"][0]["number"] = number
    return data


def start_enrollment(
    counter: PgCounter, data: dict[str, Any], label: str, *, additional: bool = False
) -> subprocess.Popen[str]:
    path = counter.tmp / f"app-{label}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    exe = Path(sys.executable).with_name("counter-app")
    args = ["enroll", str(path), "--module", counter.softhsm.module, "--token-label", label]
    # A returning subscriber's second live certificate is approved explicitly by the reviewer.
    args += ["--additional-certificate"] * additional
    # A waiver rests on a supervisor who signs in for it.
    supervisor = counter.supervisor_env if "waiver" in data.get("payment", {}) else {}
    return subprocess.Popen(
        [str(exe), "--data-dir", str(counter.cli.data_dir), *args],
        env={**counter.cli.env, **counter.env, **supervisor},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_counters_enrolling_at_once_share_no_number_or_serial_and_keep_one_chain(
    pg_counter: PgCounter,
) -> None:
    # A returning subscriber takes a number before its first audit event, a new one after: both
    # kinds run at once, so the lock order of numbers and the audit head is exercised.
    returning = another_individual("11010119900307002", "李四")
    first = pg_counter.enrolled_with(returning, "OLD")
    applications = {
        "SUB1": example("individual"),
        "SUB2": example("unit"),
        "SUB3": example("device"),
        "SUB4": returning,
    }
    # Tokens are formatted first so that the processes overlap in their database work.
    for label in applications:
        pg_counter.token(label)
    procs = [
        start_enrollment(pg_counter, data, label, additional=label == "SUB4")
        for label, data in applications.items()
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        results.append(json.loads(out))

    for key in ("application_id", "receipt_number", "serial", "token_label"):
        values = [r[key] for r in results]
        assert len(set(values)) == len(applications), (key, values)
    assert sorted(pg_counter.db("SELECT id, status FROM applications")) == sorted(
        (r["application_id"], "done") for r in [first, *results]
    )
    assert pg_counter.db("SELECT count(*) FROM ca_certificates WHERE status='good'") == [(5,)]
    verified = pg_counter.run("audit", "verify")
    assert verified.returncode == 0, verified.stderr
    # No fork: in each chain every event's predecessor is the event before it.
    assert pg_counter.db(
        "SELECT count(*) FROM audit_events a JOIN audit_events b"
        " ON b.chain = a.chain AND b.seq = a.seq + 1 WHERE b.prev_hash <> a.hash"
    ) == [(0,)]
