"""A new SQLite database is private whatever the caller's umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from counter_app.store.db import open_store


def test_new_database_and_its_wal_are_0600_under_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        store = open_store(f"sqlite:///{tmp_path / 'data' / 'counter.db'}", create=True)
        store.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    for path in (tmp_path / "data").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
