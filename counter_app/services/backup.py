"""Backups of a whole installation and their restore (``counter-app backup|restore``, issue 21).

A backup directory holds three files:

- ``manifest.json``: when, which release, which database kind and schema revision, and the
  SHA-256 of each encrypted file (no secret, no personal data: it stays readable);
- ``datadir.tar.age``: the data dir's files (CA keys and certificates, the identifier salt,
  settings, config.toml, the audit key and witness, the counter-client CA, ...) but not the
  database, as a tar archive;
- ``database.sqlite.age`` (SQLite, copied through its online backup API, so a running counter
  is not stopped and the copy is consistent) or ``database.pgdump.age`` (PostgreSQL, ``pg_dump
  --format=custom`` as the configured role, read with ``pg_restore``).

Both archives are encrypted with a passphrase in the age format (pyrage; scrypt for the key,
ChaCha20-Poly1305 for the data), since they hold the keys and the subscribers' data. The data
dir is archived *before* the database: the witness file then never names a checkpoint the
restored database lacks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pyrage import passphrase as age_passphrase  # type: ignore[import-untyped]

from counter_app import __version__
from counter_app.config import Config, sqlite_url
from counter_app.domain.errors import CounterError
from counter_app.filemodes import make_private_dir

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
DATADIR = "datadir.tar.age"
SQLITE = "database.sqlite.age"
PGDUMP = "database.pgdump.age"
MIN_PASSPHRASE = 12
# Never archived: the database (it has its own file), crash logs, temporary files.
SKIPPED = ("counter.db", "counter.db-wal", "counter.db-shm", "error.log")


class BackupError(CounterError):
    code = "backup_failed"
    zh = "备份或恢复失败：{detail}"
    en = "backup or restore failed: {detail}"


class WeakBackupPassphrase(CounterError):
    code = "weak_backup_passphrase"
    zh = "备份口令至少需要 {n} 个字符"
    en = "the backup passphrase needs at least {n} characters"


class WrongBackupPassphrase(CounterError):
    code = "wrong_backup_passphrase"
    zh = "备份口令错误，或备份文件已损坏"
    en = "wrong backup passphrase, or the backup files are damaged"


@dataclass(frozen=True)
class BackupResult:
    directory: Path
    database: str  # "sqlite" or "postgresql"
    revision: str | None
    files: int


def _is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def libpq_uri(url: str) -> tuple[str, dict[str, str]]:
    """A SQLAlchemy URL as a libpq URI for pg_dump/pg_restore, and the environment it needs.

    A password in the URL (the guide keeps it in ~/.pgpass instead) goes to PGPASSWORD, never on
    the command line, where any user could read it in the process list.
    """
    parts = urlsplit(url)
    env: dict[str, str] = {}
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            user, password = userinfo.split(":", 1)
            env["PGPASSWORD"] = password
            netloc = f"{user}@{host}"
    return urlunsplit(("postgresql", netloc, parts.path, parts.query, "")), env


def _encrypt(data: bytes, secret: str) -> bytes:
    return bytes(age_passphrase.encrypt(data, secret))


def _decrypt(data: bytes, secret: str) -> bytes:
    try:
        return bytes(age_passphrase.decrypt(data, secret))
    except Exception:  # pyrage raises its own DecryptError; nothing else can happen here
        raise WrongBackupPassphrase() from None


def check_passphrase(secret: str) -> None:
    if len(secret) < MIN_PASSPHRASE:
        raise WeakBackupPassphrase(n=MIN_PASSPHRASE)


def _tar_data_dir(data_dir: Path, exclude: Path | None) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    count = 0
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(data_dir.rglob("*")):
            rel = path.relative_to(data_dir)
            if exclude is not None and (path == exclude or exclude in path.parents):
                continue
            if rel.as_posix() in SKIPPED or path.suffix == ".tmp" or not path.is_file():
                continue
            tar.add(path, arcname=rel.as_posix(), recursive=False)
            count += 1
    return buffer.getvalue(), count


def _sqlite_copy(db_path: Path) -> bytes:
    """A consistent copy of a live SQLite database (its online backup API)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "copy.db"
        source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            dest = sqlite3.connect(target)
            with dest:
                source.backup(dest)
            dest.close()
        finally:
            source.close()
        return target.read_bytes()


def _run(args: list[str], env: dict[str, str], what: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            args, input=stdin, capture_output=True, env={**os.environ, **env}, timeout=3600
        )
    except FileNotFoundError:
        raise BackupError(
            detail=f"{args[0]} is not installed (Debian: postgresql-client)"
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BackupError(detail=f"{what}: {message[-1] if message else done.returncode}")
    return done.stdout


def _pg_dump(url: str) -> bytes:
    uri, env = libpq_uri(url)
    return _run(["pg_dump", "--format=custom", "--no-owner", "--dbname", uri], env, "pg_dump")


def _pg_restore(url: str, dump: bytes) -> None:
    uri, env = libpq_uri(url)
    _run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", "--dbname", uri],
        env,
        "pg_restore",
        stdin=dump,
    )


def _write_private(path: Path, data: bytes) -> str:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return hashlib.sha256(data).hexdigest()


def create_backup(config: Config, out: Path, secret: str, revision: str | None) -> BackupResult:
    """Write the encrypted backup of this installation into ``out`` (new or empty)."""
    check_passphrase(secret)
    if out.exists() and any(out.iterdir()):
        raise BackupError(detail=f"{out} is not empty: give a new directory")
    make_private_dir(out)
    tar, count = _tar_data_dir(config.data_dir, out.resolve())
    digests = {DATADIR: _write_private(out / DATADIR, _encrypt(tar, secret))}
    if _is_postgres(config.db_url):
        kind, name, data = "postgresql", PGDUMP, _pg_dump(config.db_url)
    elif config.db_url.startswith("sqlite:///"):
        kind, name = "sqlite", SQLITE
        data = _sqlite_copy(Path(config.db_url.removeprefix("sqlite:///")))
    else:
        raise BackupError(detail=f"cannot back up a database at {config.db_url.split(':')[0]}")
    digests[name] = _write_private(out / name, _encrypt(data, secret))
    manifest = {
        "format": 1,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "counter_app": __version__,
        "database": kind,
        "revision": revision,
        "files": digests,
    }
    _write_private(out / MANIFEST, json.dumps(manifest, indent=2).encode() + b"\n")
    return BackupResult(out, kind, revision, count)


def _read_manifest(backup: Path) -> dict[str, object]:
    try:
        manifest = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(detail=f"{backup / MANIFEST}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != 1:
        raise BackupError(detail=f"{backup} is not a counter-app backup (format 1)")
    return manifest


def _read_checked(backup: Path, name: str, manifest: dict[str, object]) -> bytes:
    data = (backup / name).read_bytes()
    digests = manifest.get("files")
    if not isinstance(digests, dict) or digests.get(name) != hashlib.sha256(data).hexdigest():
        raise BackupError(detail=f"{backup / name} does not match the manifest (damaged?)")
    return data


def restore_backup(config: Config, backup: Path, secret: str) -> BackupResult:
    """Restore ``backup`` into the (new or empty) data dir of ``config``; a PostgreSQL backup
    goes into the configured database, which must be empty."""
    manifest = _read_manifest(backup)
    target = config.data_dir
    if target.exists() and any(target.iterdir()):
        raise BackupError(detail=f"{target} is not empty: restore into a new data dir")
    tar = _decrypt(_read_checked(backup, DATADIR, manifest), secret)
    kind = manifest.get("database")
    database = _decrypt(_read_checked(backup, SQLITE if kind == "sqlite" else PGDUMP, manifest),
                        secret)  # fmt: skip
    make_private_dir(target)
    try:
        with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
            # The "data" filter refuses absolute paths, .. and links out of the target.
            archive.extractall(target, filter="data")
        if kind == "sqlite":
            _restore_sqlite(config, database)
        elif _is_postgres(config.db_url):
            _pg_restore(config.db_url, database)
        else:
            raise BackupError(
                detail="a PostgreSQL backup is restored into an empty PostgreSQL database: "
                "give its URL with --db-url or COUNTER_APP_DB_URL"
            )
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # nothing half-restored is left to be used
        raise
    revision = manifest.get("revision")
    return BackupResult(backup, str(kind), revision if isinstance(revision, str) else None, 0)


def _restore_sqlite(config: Config, data: bytes) -> None:
    if _is_postgres(config.db_url):
        raise BackupError(detail="a SQLite backup cannot be restored into PostgreSQL")
    path = Path(sqlite_url(config.data_dir).removeprefix("sqlite:///"))
    _write_private(path, data)
