"""``counter-app doctor`` on a signing host (issue 21, item 1): the real CLI on a real data dir,
and :func:`run_checks` at a later ``now`` for what only time brings (expiry, a stale CRL)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from counter_app.config import load_config
from counter_app.services.doctor import Level, problems, run_checks
from tests.conftest import CLI
from tests.integration.ca.conftest import PASSPHRASE

ENV = {"COUNTER_APP_CA_PASSPHRASE": PASSPHRASE}


def _by_check(cli: CLI, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    result = cli("--lang", "en", "doctor", "--json", *args, env=env)
    checks: dict[str, list[dict[str, str]]] = {}
    for c in json.loads(result.stdout)["checks"]:
        checks.setdefault(c["check"], []).append(c)
    return result.returncode, checks


def test_doctor_on_a_healthy_signing_host_exits_0(ca_cli: CLI) -> None:
    result = ca_cli("--lang", "en", "doctor", env=ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "ok    ca_keys: issuing and responder keys open with the passphrase" in lines
    assert any(line.startswith("ok    certificates: OCSP responder valid for 36") for line in lines)
    assert PASSPHRASE not in result.stdout


def test_doctor_without_the_ca_passphrase_exits_1(ca_cli: CLI) -> None:
    code, checks = _by_check(ca_cli)
    assert code == 1
    assert checks["secrets"][0]["level"] == "error"
    assert "COUNTER_APP_CA_PASSPHRASE" in checks["secrets"][0]["message"]


def test_doctor_with_a_wrong_ca_passphrase_names_it(ca_cli: CLI) -> None:
    code, checks = _by_check(ca_cli, env={"COUNTER_APP_CA_PASSPHRASE": "wrong-Passphrase-9"})
    assert code == 1
    assert checks["ca_keys"][0]["level"] == "error"


def test_passphrase_from_systemd_credentials_directory_counts(ca_cli: CLI, tmp_path) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "COUNTER_APP_CA_PASSPHRASE").write_text(PASSPHRASE + "\n")
    code, checks = _by_check(ca_cli, env={"CREDENTIALS_DIRECTORY": str(creds)})
    assert code == 0, checks
    assert checks["ca_keys"][0]["level"] == "ok"


def test_responder_within_30_days_of_its_end_is_a_warning(ca_cli: CLI) -> None:
    config = load_config(data_dir=ca_cli.data_dir)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=350)
    found = [f for f in run_checks(config, environ=ENV, now=later) if "OCSP responder" in f.en]
    assert [f.level for f in found] == [Level.WARN]
    assert "run counter-app ca renew-responder" in found[0].en


def test_expired_responder_and_stale_crl_are_errors(ca_cli: CLI) -> None:
    config = load_config(data_dir=ca_cli.data_dir)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    errors = {f.check for f in run_checks(config, environ=ENV, now=later) if f.level is Level.ERROR}
    assert errors == {"certificates", "crl"}


def test_database_behind_the_code_is_an_error(ca_cli: CLI) -> None:
    with sqlite3.connect(ca_cli.data_dir / "counter.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0004'")
    code, checks = _by_check(ca_cli, env=ENV)
    assert code == 1
    assert checks["database"][0]["message"].startswith("schema at 0004, this counter-app expects")


def test_unloadable_pkcs11_module_is_an_error(ca_cli: CLI, tmp_path) -> None:
    bogus = tmp_path / "libnothing.so"
    bogus.write_bytes(b"not a library")
    code, checks = _by_check(ca_cli, env={**ENV, "COUNTER_APP_PKCS11_MODULE": str(bogus)})
    assert code == 1
    assert checks["pkcs11"][0]["level"] == "error"


def test_world_readable_database_is_a_warning_for_the_home_screen(ca_cli: CLI) -> None:
    (ca_cli.data_dir / "counter.db").chmod(0o644)
    config = load_config(data_dir=ca_cli.data_dir)
    shown = problems(config)
    assert any(f.check == "permissions" and "chmod 600" in f.en for f in shown)
