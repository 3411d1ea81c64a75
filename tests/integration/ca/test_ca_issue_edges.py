"""``ca issue`` refusals the fuzzing found: a missing CSR, an output that cannot be written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import CLI
from tests.integration.ca.conftest import CA_ENV, make_csr


def _issued_count(cli: CLI) -> int:
    with sqlite3.connect(cli.data_dir / "counter.db") as conn:
        return int(conn.execute("SELECT count(*) FROM ca_certificates").fetchone()[0])


def test_issue_without_csr_is_one_line_exit_2(ca_cli: CLI) -> None:
    result = ca_cli(
        "--lang", "en", "ca", "issue", "--profile", "individual", "--cn", "张三", env=CA_ENV
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--csr" in result.stderr
    assert "Traceback" not in result.stderr and "AttributeError" not in result.stderr


def test_issue_to_an_unwritable_output_issues_nothing(ca_cli: CLI, tmp_path: Path) -> None:
    _, csr = make_csr()
    csr_path = tmp_path / "req.csr"
    csr_path.write_bytes(csr)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    before = _issued_count(ca_cli)
    result = ca_cli(
        "--lang", "en", "ca", "issue", "--csr", str(csr_path), "--profile", "individual",
        "--cn", "张三", "--out", str(blocker / "cert.pem"), env=CA_ENV,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "nothing was issued" in result.stderr
    assert _issued_count(ca_cli) == before


def _csr_and_out_dir(tmp_path: Path) -> tuple[Path, Path]:
    _, csr = make_csr()
    csr_path = tmp_path / "req.csr"
    csr_path.write_bytes(csr)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    return csr_path, out_dir


def test_issue_to_a_writable_output_leaves_no_temporary_file(ca_cli: CLI, tmp_path: Path) -> None:
    csr_path, out_dir = _csr_and_out_dir(tmp_path)
    result = ca_cli(
        "ca", "issue", "--csr", str(csr_path), "--profile", "individual", "--cn", "张三",
        "--out", str(out_dir / "cert.pem"), env=CA_ENV,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [p.name for p in out_dir.iterdir()] == ["cert.pem"]
    assert (out_dir / "cert.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_issue_with_a_bad_subject_leaves_no_temporary_file(ca_cli: CLI, tmp_path: Path) -> None:
    csr_path, out_dir = _csr_and_out_dir(tmp_path)
    result = ca_cli(
        "--lang", "en", "ca", "issue", "--csr", str(csr_path), "--profile", "individual",
        "--cn", "a" * 65, "--out", str(out_dir / "cert.pem"), env=CA_ENV,
    )  # fmt: skip
    assert result.returncode == 2
    assert "CN must have at most 64 characters" in result.stderr
    assert list(out_dir.iterdir()) == []
