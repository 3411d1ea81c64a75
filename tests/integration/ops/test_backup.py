"""Backup and restore (issue 21, item 3): a backup restored into a fresh data dir is the same RA:
its audit verifies, it holds the same certificates, and its ``serve`` answers OCSP for them
(judged by ``openssl ocsp``). The backup files show nothing in clear."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from counter_app.ca import CAFiles
from tests.conftest import CLI, serving
from tests.integration.ca.conftest import CA_ENV, issue_via_cli
from tests.integration.ops.test_rollover import _ocsp_verify

SECRET = {"COUNTER_APP_BACKUP_PASSPHRASE": "backup-Passphrase-1"}


def _certificates(data_dir: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(data_dir / "counter.db") as conn:
        rows = conn.execute("SELECT serial_hex, status FROM ca_certificates ORDER BY 1").fetchall()
    return [(str(a), str(b)) for a, b in rows]


def _backed_up(ca_cli: CLI, tmp_path: Path) -> tuple[Path, Path]:
    leaf = issue_via_cli(ca_cli, tmp_path)
    backup = tmp_path / "backup"
    result = ca_cli("--lang", "en", "backup", "--out", str(backup), env=SECRET)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("backed up sqlite database and ")
    return leaf, backup


def test_restored_ra_verifies_its_audit_and_answers_ocsp_for_its_certificates(
    ca_cli: CLI, tmp_path: Path
) -> None:
    leaf, backup = _backed_up(ca_cli, tmp_path)
    restored = CLI(tmp_path / "restored", ca_cli.env)
    result = restored("--lang", "en", "restore", str(backup), env=SECRET)
    assert result.returncode == 0, result.stderr
    assert restored("audit", "verify").returncode == 0
    assert _certificates(restored.data_dir) == _certificates(ca_cli.data_dir) != []
    assert (restored.data_dir / "ca" / "identifier.salt").read_bytes() == (
        ca_cli.data_dir / "ca" / "identifier.salt"
    ).read_bytes()
    assert (restored.data_dir / "counter.db").stat().st_mode & 0o777 == 0o600
    with serving(restored.data_dir, {**ca_cli.env, **CA_ENV}) as served:
        text = _ocsp_verify(CAFiles.in_data_dir(restored.data_dir), leaf, served.url, tmp_path)
    assert "Cert Status: good" in text


def test_backup_files_hold_nothing_in_clear(ca_cli: CLI, tmp_path: Path) -> None:
    _, backup = _backed_up(ca_cli, tmp_path)
    for path in backup.iterdir():
        data = path.read_bytes()
        assert b"PRIVATE KEY" not in data and b"SQLite format" not in data
        assert "张三".encode() not in data
        assert path.stat().st_mode & 0o777 == 0o600
    encrypted = [p for p in backup.iterdir() if p.suffix == ".age"]
    assert len(encrypted) == 2
    assert all(p.read_bytes().startswith(b"age-encryption.org/v1\n") for p in encrypted)


def test_restore_with_the_wrong_passphrase_is_one_line_and_leaves_no_data_dir(
    ca_cli: CLI, tmp_path: Path
) -> None:
    _, backup = _backed_up(ca_cli, tmp_path)
    restored = CLI(tmp_path / "restored", ca_cli.env)
    result = restored(
        "--lang", "en", "restore", str(backup),
        env={"COUNTER_APP_BACKUP_PASSPHRASE": "not-the-Passphrase"},
    )  # fmt: skip
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "error: wrong backup passphrase, or the backup files are damaged"
    )
    assert not (restored.data_dir / "ca").exists()


def test_restore_into_a_data_dir_in_use_is_refused(ca_cli: CLI, tmp_path: Path) -> None:
    _, backup = _backed_up(ca_cli, tmp_path)
    result = ca_cli("--lang", "en", "restore", str(backup), env=SECRET)
    assert result.returncode == 2
    assert "is not empty: restore into a new data dir" in result.stderr
