"""Key algorithms and times as the clerk reads them (the same words on screen and on paper)."""

from __future__ import annotations

import datetime as dt

import pytest

from counter_app.documents.layout import china_time
from counter_app.domain.display import (
    key_algorithm_title,
    ra_time_zone,
    shown_date,
    shown_time,
    zone_label,
)
from counter_app.domain.errors import ConfigError
from counter_app.domain.fees import KeyAlgorithm

MOMENT = dt.datetime(2026, 3, 1, 6, 5, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("name", "title"),
    [("ec-p256", "ECC P-256"), ("rsa-2048", "RSA 2048"), ("rsa-3072", "RSA 3072")],
)
def test_key_algorithms_have_the_clerks_names(name: str, title: str) -> None:
    assert key_algorithm_title(name) == title


def test_every_fee_table_algorithm_has_a_title() -> None:
    for algorithm in KeyAlgorithm:
        assert key_algorithm_title(algorithm.value) != algorithm.value


def test_no_algorithm_is_a_dash() -> None:
    assert key_algorithm_title(None) == "—"


def test_default_zone_is_beijing_time() -> None:
    assert ra_time_zone({}).key == "Asia/Shanghai"
    assert zone_label(ra_time_zone({}), "zh_CN") == "北京时间"
    assert zone_label(ra_time_zone({}), "en") == "Beijing time"


def test_shown_time_matches_the_printed_form() -> None:
    # The printed forms say china_time(...) + "（北京时间）"; the screen says the same.
    assert shown_time(MOMENT, ra_time_zone({}), "zh_CN") == china_time(MOMENT) + "（北京时间）"


def test_shown_time_in_english_has_the_label() -> None:
    assert shown_time(MOMENT, ra_time_zone({}), "en") == "2026-03-01 14:05:09 (Beijing time)"


def test_configured_zone_is_used() -> None:
    zone = ra_time_zone({"time_zone": "UTC"})
    assert shown_time(MOMENT, zone, "en", seconds=False) == "2026-03-01 06:05 (UTC)"
    assert shown_date(dt.datetime(2026, 3, 1, 17, tzinfo=dt.UTC), ra_time_zone({})) == "2026-03-02"


def test_unknown_zone_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        ra_time_zone({"time_zone": "Mars/Olympus"})


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        shown_time(dt.datetime(2026, 3, 1), ra_time_zone({}))
