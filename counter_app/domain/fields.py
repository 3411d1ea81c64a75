"""Reading JSON-shaped input field by field, with a path for every error.

The counter's forms arrive as JSON (APP.json, CHANGES.json) or as the GUI's dictionaries. Each
reader here takes a mapping and a dotted path such as ``subscriber.agent.id_number`` and either
returns a value of the right Python type or raises a :class:`ValidationError` whose ``field`` is
that path, so the GUI can put the message beside the field and the CLI can name it.

:class:`Collector` lets one parse gather every error of a form (for the GUI) while the same code,
asked for the first error only, raises it (for the CLI and the services).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from counter_app.domain.errors import ValidationError

T = TypeVar("T")


class MissingField(ValidationError):
    code = "missing_field"
    zh = "缺少必填项：{field}"
    en = "required field is missing: {field}"


class WrongType(ValidationError):
    code = "wrong_type"
    zh = "{field}的类型不正确：应为{expected_zh}"
    en = "{field} has the wrong type: expected {expected_en}"


class UnknownChoice(ValidationError):
    code = "unknown_choice"
    zh = "{field}的取值无效：{value}（可选：{allowed}）"
    en = "{field} has an invalid value: {value} (allowed: {allowed})"


class UnexpectedField(ValidationError):
    code = "unexpected_field"
    zh = "不认识的字段：{field}"
    en = "unknown field: {field}"


class InvalidText(ValidationError):
    code = "invalid_text"
    zh = "{field}不合规：{reason_zh}"
    en = "{field} is not acceptable: {reason_en}"


def join(path: str, key: str | int) -> str:
    """``join("documents", 0) == "documents[0]"``; ``join("subscriber", "name") == "subscriber.name"``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def shown(value: object, limit: int = 40) -> str:
    """A short, printable rendering of a refused value for an error message."""
    text = repr(value) if not isinstance(value, str) else value
    text = "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def require_mapping(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise WrongType(path, expected_zh="对象", expected_en="an object")
    return value


def require_list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise WrongType(path, expected_zh="列表", expected_en="a list")
    return list(value)


def refuse_unknown_keys(data: Mapping[str, Any], allowed: Iterable[str], path: str) -> None:
    """A misspelt key (``"mobil"``) must not silently drop the value the clerk typed."""
    known = set(allowed)
    for key in data:
        if key not in known:
            raise UnexpectedField(join(path, shown(key)))


def get_str(data: Mapping[str, Any], key: str, path: str, *, optional: bool = False) -> str | None:
    """The string at ``data[key]``; missing, null and empty count as absent."""
    where = join(path, key)
    value = data.get(key)
    if value is None or value == "":
        if optional:
            return None
        raise MissingField(where)
    if not isinstance(value, str):
        raise WrongType(where, expected_zh="文本", expected_en="a string")
    return value


def get_required_str(data: Mapping[str, Any], key: str, path: str) -> str:
    value = get_str(data, key, path)
    assert value is not None  # get_str raises for an absent required value
    return value


def get_bool(data: Mapping[str, Any], key: str, path: str) -> bool:
    where = join(path, key)
    if key not in data or data[key] is None:
        raise MissingField(where)
    value = data[key]
    if not isinstance(value, bool):
        raise WrongType(where, expected_zh="true 或 false", expected_en="true or false")
    return value


def choice(value: str, allowed: Iterable[str], path: str) -> str:
    options = tuple(allowed)
    if value not in options:
        raise UnknownChoice(path, value=shown(value), allowed=", ".join(options))
    return value


def check_plain_text(value: str, path: str, *, max_length: int, ascii_only: bool = False) -> str:
    """Refuse control characters, surrounding spaces and over-long text in a reference field."""
    if value != value.strip():
        raise InvalidText(
            path, reason_zh="首尾不能有空格", reason_en="must not start or end with a space"
        )
    if len(value) > max_length:
        raise InvalidText(
            path,
            reason_zh=f"不能超过{max_length}个字符",
            reason_en=f"must be at most {max_length} characters",
        )
    if not value.isprintable():
        raise InvalidText(
            path,
            reason_zh="含有控制字符或不可见字符",
            reason_en="contains a control or invisible character",
        )
    if ascii_only and not value.isascii():
        raise InvalidText(
            path, reason_zh="只能使用半角字符", reason_en="must use ASCII characters only"
        )
    return value


class Collector:
    """Gathers :class:`ValidationError` s so one pass over a form reports every bad field.

    ``take`` runs a reader and returns its value, or ``None`` after recording the error; callers
    skip the checks that depend on a value that could not be read.
    """

    def __init__(self) -> None:
        self.errors: list[ValidationError] = []

    def take(self, reader: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return reader(*args, **kwargs)
        except ValidationError as exc:
            self.errors.append(exc)
            return None

    def mark(self) -> int:
        return len(self.errors)

    def clean_since(self, mark: int) -> bool:
        return len(self.errors) == mark

    def raise_first(self) -> None:
        if self.errors:
            raise self.errors[0]
