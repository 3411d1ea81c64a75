"""The CJK font every document is set in, found once per process and embedded as a subset.

Qt and reportlab alike draw nothing for a glyph the font lacks, so the font is looked up
explicitly and its absence is an error, never a blank where the subscriber's name should be.
Order: ``COUNTER_APP_CJK_FONT`` (a .ttf/.ttc path), fontconfig's answer for WenQuanYi Micro
Hei (Debian ``fonts-wqy-microhei``), then the package's known paths.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from counter_app.documents.errors import CJKFontMissing, FontUnusable

FONT_NAME = "CounterCJK"
FONT_ENV = "COUNTER_APP_CJK_FONT"
DEBIAN_PACKAGE = "fonts-wqy-microhei"
FAMILY = "WenQuanYi Micro Hei"
KNOWN_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",  # Fedora / Arch layout
    "C:/Windows/Fonts/msyh.ttc",
)
# Glyphs every document needs; a font without them is refused before anything is drawn.
PROBE = "收费凭证证书申请变更挂起解挂吊销壹贰叁元整第页共"


def _fontconfig_match() -> Path | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        out = subprocess.run(
            [fc_match, "-f", "%{file}", FAMILY], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(out.stdout.strip())
    # fc-match always answers something: only take it when it is the family asked for.
    if out.returncode == 0 and path.is_file() and "wqy" in path.name.lower():
        return path
    return None


def find_cjk_font() -> Path:
    """The font file to use; :class:`CJKFontMissing` naming the Debian package if none."""
    configured = os.environ.get(FONT_ENV)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontUnusable(path=str(path), detail="not a file")
        return path
    found = _fontconfig_match()
    if found is not None:
        return found
    for known in KNOWN_PATHS:
        if Path(known).is_file():
            return Path(known)
    raise CJKFontMissing(package=DEBIAN_PACKAGE, env=FONT_ENV)


@cache
def register_cjk_font() -> str:
    """Register the CJK font with reportlab (once) and return its name for styles."""
    path = find_cjk_font()
    try:
        # subfontIndex 0 of wqy-microhei.ttc is "WenQuanYi Micro Hei" (1 is the Mono face).
        font = TTFont(FONT_NAME, str(path), subfontIndex=0)
    except (TTFError, OSError) as exc:
        raise FontUnusable(path=str(path), detail=str(exc)) from None
    missing = [ch for ch in PROBE if ord(ch) not in font.face.charToGlyph]
    if missing:
        raise FontUnusable(path=str(path), detail="lacks Chinese glyphs " + "".join(missing))
    pdfmetrics.registerFont(font)
    return FONT_NAME
