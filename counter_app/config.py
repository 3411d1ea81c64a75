"""Where the counter keeps its data and which devices and services it uses.

Order of precedence: command-line option, then environment variable, then ``config.toml`` in the
data directory, then the embedded default. Secrets never live here: they come from the
environment or a prompt at the moment they are needed.
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from counter_app.domain.errors import ConfigError

APP_NAME = "counter-app"
RESOURCES_DIR = Path(__file__).resolve().parent.parent / "resources"
SOFTHSM_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_pkcs11_module() -> str:
    for candidate in SOFTHSM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    if sys.platform == "win32":
        return r"C:\SoftHSM2\lib\softhsm2-x64.dll"
    return SOFTHSM_CANDIDATES[0]


def resource_path(*parts: str) -> Path:
    """A file shipped in ``resources/`` (agreements, fee table, profiles, translations)."""
    base = (
        Path(getattr(sys, "_MEIPASS", "")) / "resources"
        if hasattr(sys, "_MEIPASS")
        else RESOURCES_DIR
    )
    return base.joinpath(*parts)


@dataclass(frozen=True)
class Config:
    data_dir: Path
    db_url: str
    pkcs11_module: str
    lang: str = "zh_CN"
    ca_url: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def db_is_default_sqlite(self) -> bool:
        return self.db_url == sqlite_url(self.data_dir)

    def with_(self, **changes: object) -> Config:
        return replace(self, **changes)  # type: ignore[arg-type]


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'counter.db').as_posix()}"


def _read_file(data_dir: Path) -> dict[str, object]:
    path = data_dir / "config.toml"
    if not path.exists():
        return {}
    return read_toml(path)


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file of settings; ConfigError naming the file when it cannot be read or parsed."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(detail=f"{path}: {exc}") from None


def load_config(
    data_dir: str | Path | None = None,
    db_url: str | None = None,
    pkcs11_module: str | None = None,
    lang: str | None = None,
    ca_url: str | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    env = os.environ if environ is None else environ
    directory = Path(data_dir or env.get("COUNTER_APP_DATA_DIR") or default_data_dir()).expanduser()
    file_values = _read_file(directory)

    def pick(option: str | None, env_name: str, key: str, default: str | None) -> str | None:
        value = option or env.get(env_name) or file_values.get(key) or default
        return None if value is None else str(value)

    return Config(
        data_dir=directory,
        db_url=pick(db_url, "COUNTER_APP_DB_URL", "db_url", sqlite_url(directory)) or "",
        pkcs11_module=pick(pkcs11_module, "COUNTER_APP_PKCS11_MODULE", "pkcs11_module", None)
        or default_pkcs11_module(),
        lang=pick(lang, "COUNTER_APP_LANG", "lang", "zh_CN") or "zh_CN",
        ca_url=pick(ca_url, "COUNTER_APP_CA_URL", "ca_url", None),
        extra=file_values,
    )
