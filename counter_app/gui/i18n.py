"""Translations: Qt Linguist ``.ts`` sources in ``resources/i18n``, ``.qm`` built by lrelease.

The install step runs ``python -m counter_app.gui.i18n build`` (it calls ``pyside6-lrelease``,
shipped with PySide6). The built ``.qm`` files are not committed. A start without them still
works: :func:`qm_file` compiles the missing file into a per-user cache first, so a counter never
shows English by accident because an install step was skipped.

Source strings in the code and the forms are English; Chinese is the default language.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import platformdirs
from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from counter_app.config import APP_NAME, resource_path

log = logging.getLogger(__name__)

DEFAULT_LANG = "zh_CN"
# Language code -> .ts base name; English is the source language and needs no catalogue.
CATALOGUES = {"zh_CN": "counter_app_zh_CN"}

_current_lang = DEFAULT_LANG
_installed: list[QTranslator] = []


def normalise_lang(lang: str | None) -> str:
    """``zh``, ``zh_CN``, ``zh-cn`` -> ``zh_CN``; ``en``, ``en_US`` -> ``en``."""
    if not lang:
        return DEFAULT_LANG
    value = lang.replace("-", "_").strip()
    if value.lower().startswith("zh"):
        return "zh_CN"
    if value.lower().startswith("en"):
        return "en"
    return DEFAULT_LANG


def current_lang() -> str:
    """The language the GUI speaks now (``zh_CN`` or ``en``), for ``CounterError.message``."""
    return _current_lang


def i18n_dir() -> Path:
    return resource_path("i18n")


def _lrelease() -> str:
    found = shutil.which("pyside6-lrelease") or shutil.which(
        "pyside6-lrelease", path=str(Path(sys.executable).parent)
    )
    if found is None:
        raise FileNotFoundError("pyside6-lrelease not found next to the Python interpreter")
    return found


def compile_ts(ts: Path, qm: Path) -> Path:
    """Run lrelease on one catalogue; raise if it fails (an unreadable .ts is a build error)."""
    qm.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [_lrelease(), "-silent", str(ts), "-qm", str(qm)], check=True, capture_output=True
    )
    return qm


def build(out_dir: Path | None = None) -> list[Path]:
    """Build every ``.qm`` next to its ``.ts`` (or into ``out_dir``): the install step."""
    built = []
    for ts in sorted(i18n_dir().glob("*.ts")):
        built.append(compile_ts(ts, (out_dir or ts.parent) / (ts.stem + ".qm")))
    return built


def qm_file(lang: str) -> Path | None:
    """The compiled catalogue for ``lang``, built into the user cache if the install skipped it."""
    base = CATALOGUES.get(normalise_lang(lang))
    if base is None:
        return None
    ts = i18n_dir() / f"{base}.ts"
    built = i18n_dir() / f"{base}.qm"
    frozen = hasattr(sys, "_MEIPASS")  # a packaged build ships the .qm; copying reset its mtime
    if built.exists() and (
        frozen or not ts.exists() or built.stat().st_mtime >= ts.stat().st_mtime
    ):
        return built
    if not ts.exists():
        log.warning("no translation %s in %s; showing source strings", base, i18n_dir())
        return None
    cached = Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "i18n" / f"{base}.qm"
    if cached.exists() and cached.stat().st_mtime >= ts.stat().st_mtime:
        return cached
    log.warning("translation %s not built by the install step; building it into %s", base, cached)
    return compile_ts(ts, cached)


def install(lang: str | None) -> str:
    """Replace the application's translators by those for ``lang``; return the language used.

    Widgets made afterwards speak the new language (forms are translated when loaded).
    """
    global _current_lang
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("install translators after creating the QApplication")
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    chosen = normalise_lang(lang)
    path = qm_file(chosen)
    if path is not None:
        translator = QTranslator(app)
        if not translator.load(str(path)):
            raise RuntimeError(f"cannot load translation {path}")
        app.installTranslator(translator)
        _installed.append(translator)
        # Qt's own dialogs (QMessageBox buttons, QLineEdit context menu) from the Qt catalogue.
        qt_tr = QTranslator(app)
        if qt_tr.load(f"qtbase_{chosen}", _qt_translations_dir()):
            app.installTranslator(qt_tr)
            _installed.append(qt_tr)
    QLocale.setDefault(QLocale("zh_CN" if chosen == "zh_CN" else "en_US"))
    _current_lang = chosen
    return chosen


def _qt_translations_dir() -> str:
    from PySide6.QtCore import QLibraryInfo

    return QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["build"]:
        print("usage: python -m counter_app.gui.i18n build [OUT_DIR]", file=sys.stderr)
        return 2
    for path in build(Path(args[1]) if len(args) > 1 else None):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Mark ``text`` for translation in ``context`` without translating it now (typed as str)."""
    return text
