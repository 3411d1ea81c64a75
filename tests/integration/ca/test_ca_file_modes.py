"""The signing module's files are private after ``ca init``."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.conftest import CLI


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ca_init_makes_the_ca_dir_0700(ca_cli: CLI) -> None:
    assert mode(ca_cli.data_dir / "ca") == 0o700


def test_ca_keys_are_0600(ca_cli: CLI) -> None:
    keys = sorted((ca_cli.data_dir / "ca").glob("*.key.pem"))
    assert keys
    assert {mode(k) for k in keys} == {0o600}


def test_nothing_under_the_data_dir_is_open_after_ca_init(ca_cli: CLI) -> None:
    open_ = [p for p in ca_cli.data_dir.rglob("*") if mode(p) & 0o077]
    assert open_ == []
