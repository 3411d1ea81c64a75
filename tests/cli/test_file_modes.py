"""Files private by default: modes after ``init``, the start-up warning, the crash log."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from counter_app.cli import write_bug_report
from tests.conftest import ADMIN_PASSWORD, CLI

ADMIN = {"COUNTER_APP_OPERATOR": "admin", "COUNTER_APP_PASSWORD": ADMIN_PASSWORD}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_makes_the_data_dir_0700_and_the_database_0600(initialised_cli: CLI) -> None:
    assert mode(initialised_cli.data_dir) == 0o700
    assert mode(initialised_cli.data_dir / "counter.db") == 0o600


def test_every_file_init_leaves_is_private(initialised_cli: CLI) -> None:
    initialised_cli("operator", "list", env=ADMIN)
    for path in initialised_cli.data_dir.rglob("*"):
        assert mode(path) & 0o077 == 0, (path, oct(mode(path)))


def test_init_closes_an_existing_open_data_dir(cli: CLI) -> None:
    cli.data_dir.mkdir(mode=0o755)
    os.chmod(cli.data_dir, 0o755)
    assert cli("init", env={"COUNTER_APP_PASSWORD": ADMIN_PASSWORD}).returncode == 0
    assert mode(cli.data_dir) == 0o700


def test_an_open_data_dir_is_warned_about_with_the_fix(initialised_cli: CLI) -> None:
    os.chmod(initialised_cli.data_dir, 0o755)
    result = initialised_cli("--lang", "en", "operator", "list", env=ADMIN)
    assert result.returncode == 0
    assert f"fix: chmod 700 {initialised_cli.data_dir}" in result.stderr


def test_an_open_database_is_warned_about_with_the_fix(initialised_cli: CLI) -> None:
    db = initialised_cli.data_dir / "counter.db"
    os.chmod(db, 0o644)
    result = initialised_cli("--lang", "en", "operator", "list", env=ADMIN)
    assert f"fix: chmod 600 {db}" in result.stderr


def test_private_files_give_no_warning(initialised_cli: CLI) -> None:
    result = initialised_cli("operator", "list", env=ADMIN)
    assert result.stderr == ""


def test_crash_log_is_private_in_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    where = write_bug_report(RuntimeError("boom"), data)
    assert where == data / "error.log"
    assert mode(where) == 0o600
    assert "RuntimeError: boom" in where.read_text()


def test_crash_log_without_a_data_dir_is_not_a_shared_tmp_name(tmp_path: Path) -> None:
    first = write_bug_report(RuntimeError("one"), tmp_path / "missing")
    second = write_bug_report(RuntimeError("two"), tmp_path / "missing")
    assert first is not None and second is not None and first != second
    assert first.name != "counter-app-error.log"
    assert mode(first) == 0o600
    first.unlink()
    second.unlink()
