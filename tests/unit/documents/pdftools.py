"""External judges of a PDF: poppler-utils (pdftotext, pdffonts, pdfinfo, pdftoppm) and zbarimg."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path


def _run(*args: str) -> str:
    out = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def text(pdf: Path) -> str:
    return _run("pdftotext", "-layout", str(pdf), "-")


def flat_text(pdf: Path) -> str:
    """The text with all whitespace removed: clauses wrap at different places than the source."""
    return re.sub(r"\s+", "", _run("pdftotext", str(pdf), "-"))


def assert_shows(text: str, *facts: str) -> None:
    """Each of ``facts`` stands in a document's ``text`` (the first missing one is named)."""
    for fact in facts:
        assert fact in text, fact


def pages(pdf: Path) -> int:
    match = re.search(r"^Pages:\s+(\d+)$", _run("pdfinfo", str(pdf)), re.M)
    assert match
    return int(match[1])


def page_text(pdf: Path, number: int) -> str:
    return _run("pdftotext", "-f", str(number), "-l", str(number), "-layout", str(pdf), "-")


@dataclass(frozen=True)
class Font:
    name: str
    embedded: bool
    subset: bool


def fonts(pdf: Path) -> list[Font]:
    lines = _run("pdffonts", str(pdf)).splitlines()[2:]
    found = []
    for line in lines:
        # name type encoding emb sub uni object ID: the flags sit before the object number.
        parts = line.split()
        emb, sub = parts[-5], parts[-4]
        found.append(Font(parts[0], emb == "yes", sub == "yes"))
    return found


def qr_codes(pdf: Path, tmp: Path, dpi: int = 150) -> list[str]:
    """The QR code read off each page by zbarimg (one entry per page)."""
    prefix = tmp / pdf.stem
    _run("pdftoppm", "-png", "-r", str(dpi), str(pdf), str(prefix))
    found = []
    for png in sorted(tmp.glob(f"{pdf.stem}-*.png")):
        out = subprocess.run(
            ["zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(png)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        found.append(out.stdout.strip())
    return found
