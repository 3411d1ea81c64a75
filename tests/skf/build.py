"""Compiles the test-only SKF library (skf_soft.c) with gcc against OpenSSL 3's libcrypto and
makes fresh SKF "USB keys" for a test. Nothing compiled here is committed or shipped."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path

SOURCE = Path(__file__).with_name("skf_soft.c")
STORE_ENV = "SKF_SOFT_STORE"
FACTORY_DEVAUTH_KEY = b"1234567812345678"


# The behaviours of some vendors' libraries the driver must cope with (see skf_soft.c).
QUIRKY = ("QUIRK_NO_RETRY_OUT", "QUIRK_INCORRECT_AT_ZERO", "QUIRK_PRVKEYDECRYPT_ONLY")


def build_library(out_dir: Path, defines: tuple[str, ...] = ()) -> Path:
    """``libskf_soft.so`` in ``out_dir``, compiled from the source in this folder."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise RuntimeError("gcc is needed to build the test SKF library (scripts/setup-env --test)")
    target = out_dir / "libskf_soft.so"
    subprocess.run(
        [
            gcc,
            "-shared",
            "-fPIC",
            "-O1",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-fvisibility=hidden",
            *(f"-D{d}" for d in defines),
            "-o",
            str(target),
            str(SOURCE),
            "-lcrypto",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return target


def insert_device(
    store: Path,
    name: str = "usbkey0",
    *,
    serial: str | None = None,
    label: str = "",
    devauth_key: bytes = FACTORY_DEVAUTH_KEY,
) -> Path:
    """A blank USB key "inserted" into the store (its directory); returns that directory."""
    folder = store / name
    folder.mkdir(parents=True)
    serial = serial or f"SKF{secrets.token_hex(6).upper()}"
    (folder / "device").write_text(
        f"label={label}\nserial={serial}\nauthkey={devauth_key.hex()}\n", encoding="ascii"
    )
    return folder


def pull_device(store: Path, name: str = "usbkey0") -> None:
    shutil.rmtree(store / name)


def store_env(store: Path) -> dict[str, str]:
    return {**os.environ, STORE_ENV: str(store)}
