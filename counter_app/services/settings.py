"""The counter's settings an admin changes in the GUI, written back to ``config.toml``.

Only the keys below may be set here (the rest of the file, comments included, is kept as it is:
tomlkit edits the document instead of rewriting it). Each change is checked before the file is
touched, and audited with the old and new values. Secrets (SMTP password, PINs) are never
settings: they come from the environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit

from counter_app.config import Config
from counter_app.domain.display import DEFAULT_TIME_ZONE, ra_time_zone
from counter_app.domain.errors import ValidationError
from counter_app.domain.operators import Role, require_role
from counter_app.services.operators import OperatorInfo
from counter_app.store import audit
from counter_app.store.db import Store


def _text(value: str) -> str:
    text = str(value).strip()
    if any(ord(c) < 32 for c in text):
        raise ValueError("control characters")
    return text


def _minutes(value: str) -> int:
    minutes = int(str(value).strip())
    if not 0 <= minutes <= 240:
        raise ValueError("0 to 240")
    return minutes


def _port(value: str) -> int:
    port = int(str(value).strip())
    if not 1 <= port <= 65535:
        raise ValueError("1 to 65535")
    return port


def _zone(value: str) -> str:
    name = _text(value) or DEFAULT_TIME_ZONE
    ra_time_zone({"time_zone": name})
    return name


def _module(value: str) -> str:
    path = _text(value)
    if path and not Path(path).is_file():
        raise ValueError("no such file")
    return path


@dataclass(frozen=True)
class Setting:
    key: str
    check: Callable[[str], Any]
    default: object = ""


SETTINGS: tuple[Setting, ...] = (
    Setting("ra_name", _text),
    Setting("pkcs11_module", _module),
    Setting("printer", _text),
    Setting("idle_lock_minutes", _minutes, 5),
    Setting("time_zone", _zone, DEFAULT_TIME_ZONE),
    Setting("smtp_host", _text),
    Setting("smtp_port", _port, 587),
    Setting("smtp_from", _text),
)
_BY_KEY = {s.key: s for s in SETTINGS}


class BadSetting(ValidationError):
    code = "bad_setting"
    zh = "设置项 {key} 的值无效：{value}（{why}）"
    en = "setting {key} has a bad value: {value} ({why})"


def current_settings(config: Config) -> dict[str, object]:
    values = dict(config.extra)
    return {s.key: values.get(s.key, s.default) for s in SETTINGS}


def save_settings(
    config: Config, store: Store, actor: OperatorInfo, changes: Mapping[str, str]
) -> dict[str, object]:
    """Check every change, then write ``config.toml`` atomically and audit it; return the file's
    settings. Takes effect for the next session (the running one keeps its configuration)."""
    require_role(actor.role, (Role.ADMIN,), action_zh="修改设置", action_en="changing settings")
    checked: dict[str, Any] = {}
    for key, raw in changes.items():
        setting = _BY_KEY.get(key)
        if setting is None:
            raise BadSetting(key=key, value=raw, why="unknown setting")
        try:
            checked[key] = setting.check(raw)
        except ValueError as exc:
            raise BadSetting(key=key, value=raw, why=str(exc)) from None
    path = config.data_dir / "config.toml"
    document = tomlkit.parse(path.read_text("utf-8")) if path.exists() else tomlkit.document()
    before = {k: document.get(k) for k in checked}
    changed = {
        k: v for k, v in checked.items() if before[k] != v and not (v == "" and before[k] is None)
    }
    if not changed:
        return current_settings(config)
    for key, value in changed.items():
        if value == "":
            document.pop(key, None)
        else:
            document[key] = value
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(tomlkit.dumps(document), "utf-8")
    os.replace(tmp, path)
    with store.session() as session:
        audit.append(
            session,
            operator=actor.name,
            action="settings.change",
            obj=f"config:{path.name}",
            details={k: {"old": _plain(before[k]), "new": v} for k, v in changed.items()},
        )
    values = document.unwrap()
    return {s.key: values.get(s.key, s.default) for s in SETTINGS}


def _plain(value: object) -> object:
    if value is None:
        return None
    unwrap = getattr(value, "unwrap", None)
    return unwrap() if callable(unwrap) else value
