"""Words and times as a clerk reads them, the same on screen and on paper.

* key algorithms: ``ec-p256`` is an internal name; the clerk, the subscriber and the printed
  application form say "ECC P-256", "RSA 2048", "RSA 3072";
* times: every time is shown in the RA's zone (``time_zone`` in ``config.toml``, default
  ``Asia/Shanghai``) with the zone's label, "2026-03-01 14:05:09（北京时间）" in Chinese and
  "2026-03-01 14:05:09 (Beijing time)" in English.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from counter_app.domain.errors import ConfigError

DEFAULT_TIME_ZONE = "Asia/Shanghai"


class ChineseNamed(StrEnum):
    """A string enum whose members carry their Chinese name: ``ENROLL = "enroll", "证书申请"``
    makes a member whose value is ``"enroll"`` and whose ``zh`` is "证书申请"."""

    _value_: str
    zh: str

    def __new__(cls, value: str, zh: str = "") -> Self:
        # Called with (value, name) as the class is made. A lookup, ``Role("clerk")``, never
        # reaches it, but type checkers read this signature for that call too.
        member = str.__new__(cls, value)
        member._value_ = value
        member.zh = zh
        return member


_KEY_ALGORITHM_TITLES = {
    "ec-p256": "ECC P-256",
    "ec-p384": "ECC P-384",
    "rsa-2048": "RSA 2048",
    "rsa-3072": "RSA 3072",
    "sm2": "SM2",
    # The signing module's own key names (``counter-app ca init --algorithm``).
    "p256": "ECC P-256",
    "p384": "ECC P-384",
    "rsa2048": "RSA 2048",
    "rsa3072": "RSA 3072",
    "rsa4096": "RSA 4096",
}

# Zones an RA in mainland China, Hong Kong or Macao runs in, by the name people say.
_ZONE_LABELS = {
    "Asia/Shanghai": ("北京时间", "Beijing time"),
    "Asia/Chongqing": ("北京时间", "Beijing time"),
    "Asia/Harbin": ("北京时间", "Beijing time"),
    "PRC": ("北京时间", "Beijing time"),
    "Asia/Hong_Kong": ("香港时间", "Hong Kong time"),
    "Asia/Macau": ("澳门时间", "Macao time"),
    "UTC": ("协调世界时", "UTC"),
}


def key_algorithm_title(name: str | None) -> str:
    """ "ECC P-256" for ``ec-p256``; an unknown name is shown as given, none as "—"."""
    if not name:
        return "—"
    return _KEY_ALGORITHM_TITLES.get(str(name), str(name))


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(detail=f"time_zone: unknown time zone {name!r}") from None


def ra_time_zone(settings: Mapping[str, object] | None = None) -> ZoneInfo:
    """The RA's zone from the settings (``time_zone`` of ``config.toml``), else Asia/Shanghai."""
    name = (settings or {}).get("time_zone") or DEFAULT_TIME_ZONE
    return _zone(str(name))


def zone_label(zone: ZoneInfo, lang: str = "zh_CN") -> str:
    """The zone as people say it ("北京时间" / "Beijing time"), else its UTC offset and name."""
    zh = not lang.lower().startswith("en")
    known = _ZONE_LABELS.get(zone.key)
    if known is not None:
        return known[0] if zh else known[1]
    offset = dt.datetime.now(zone).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]} {zone.key}"


def shown_time(
    moment: dt.datetime | None,
    zone: ZoneInfo | None = None,
    lang: str = "zh_CN",
    *,
    seconds: bool = True,
    label: bool = True,
) -> str:
    """``2026-03-01 14:05:09（北京时间）``: the moment in the RA's zone with the zone's label.

    A naive datetime is refused: the store keeps every time timezone-aware.
    """
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        raise ValueError("a shown time must be timezone-aware")
    zone = zone or ra_time_zone()
    text = moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    if not label:
        return text
    name = zone_label(zone, lang)
    return f"{text}（{name}）" if not lang.lower().startswith("en") else f"{text} ({name})"


def shown_date(moment: dt.datetime | None, zone: ZoneInfo | None = None) -> str:
    """The calendar day of ``moment`` in the RA's zone (``2026-03-01``)."""
    if moment is None:
        return "—"
    return moment.astimezone(zone or ra_time_zone()).strftime("%Y-%m-%d")
