"""Finding the CJK font: an explicit path, fontconfig, known paths, or a clear refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from counter_app.documents import CJKFontMissing, FontUnusable, fonts


def test_the_debian_font_is_found() -> None:
    assert fonts.find_cjk_font().name == "wqy-microhei.ttc"


def test_an_explicit_font_path_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fonts.FONT_ENV, fonts.KNOWN_PATHS[0])
    assert fonts.find_cjk_font() == Path(fonts.KNOWN_PATHS[0])


def test_a_missing_explicit_font_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(fonts.FONT_ENV, str(tmp_path / "none.ttf"))
    with pytest.raises(FontUnusable):
        fonts.find_cjk_font()


def test_no_font_anywhere_names_the_debian_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(fonts.FONT_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no fc-match
    monkeypatch.setattr(fonts, "KNOWN_PATHS", (str(tmp_path / "missing.ttc"),))
    with pytest.raises(CJKFontMissing) as caught:
        fonts.find_cjk_font()
    assert "fonts-wqy-microhei" in caught.value.message("zh")
    assert "fonts-wqy-microhei" in caught.value.message("en")
