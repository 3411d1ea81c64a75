"""Files private by default: what the counter writes is readable by its own user only.

The data dir holds subscribers' ID numbers and mobiles, operators' password hashes, encrypted CA
keys and the identifier salt. The process runs with umask 077, so whatever it creates is
private whichever code creates it; directories and the database are also made private
explicitly (a data dir may exist from before), and :func:`permission_problems` names anything
another user could read, with the command that fixes it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from counter_app.domain.errors import CounterError

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600
# Below the data dir: private directories, and private files (globs) that must stay so.
PRIVATE_DIRS = ("ca", "est")
PRIVATE_FILES = (
    "counter.db",
    "counter.db-wal",
    "counter.db-shm",
    "error.log",
    "ca/*.key.pem",
    "ca/identifier.salt",
    "est/*.key",
)


class TooOpen(CounterError):
    """A warning, not a refusal: the counter still starts, and says how to close the hole."""

    code = "too_open"
    zh = "警告：{path} 的权限为 {mode}，其他用户可以读取；修复：chmod {want} {path}"
    en = "warning: {path} has mode {mode} and other users can read it; fix: chmod {want} {path}"


def set_private_umask() -> None:
    """Everything this process creates from now on is private (no-op where there is no umask)."""
    if os.name == "posix":
        os.umask(PRIVATE_UMASK)


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it 0700 even if it existed already."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if os.name == "posix":
        path.chmod(DIR_MODE)
    return path


def make_private_file(path: Path) -> None:
    """Make an existing file 0600."""
    if os.name == "posix" and path.exists():
        path.chmod(FILE_MODE)


def _problem(path: Path, want: int) -> TooOpen | None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    if mode & 0o077 == 0:
        return None
    return TooOpen(path=str(path), mode=f"{mode:04o}", want=f"{want:o}")


def permission_problems(data_dir: Path, *, sqlite: bool = True) -> list[TooOpen]:
    """Every path under ``data_dir`` that group or others may use; empty when all is private."""
    if os.name != "posix" or not data_dir.exists():
        return []
    found = [_problem(data_dir, DIR_MODE)]
    found += [_problem(data_dir / name, DIR_MODE) for name in PRIVATE_DIRS]
    for pattern in PRIVATE_FILES:
        if pattern.startswith("counter.db") and not sqlite:
            continue
        found += [_problem(path, FILE_MODE) for path in sorted(data_dir.glob(pattern))]
    return [p for p in found if p is not None]
