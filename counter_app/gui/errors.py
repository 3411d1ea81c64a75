"""The GUI's one place where an error becomes words.

Pages and dialogs never format an exception themselves: they call :func:`describe`, which asks a
:class:`CounterError` for its message in the current language. Anything else is a bug: it is
logged with its traceback and the clerk sees a short, honest sentence instead of internals.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication

from counter_app.domain.errors import CounterError
from counter_app.gui import i18n

log = logging.getLogger(__name__)


class NoDisplay(CounterError):
    """Raised before Qt starts, so a headless start is one line instead of Qt's abort."""

    code = "no_display"
    zh = "没有可用的图形显示：请在桌面会话中运行，或设置 DISPLAY（例如用 xvfb-run）"
    en = "no graphical display available: run in a desktop session or set DISPLAY (e.g. xvfb-run)"


def describe(exc: BaseException, lang: str | None = None) -> str:
    """The sentence shown to the clerk for ``exc``."""
    if isinstance(exc, CounterError):
        from counter_app.services.pipeline import ServiceInterrupted

        text = exc.message(lang or i18n.current_lang())
        if isinstance(exc, ServiceInterrupted):
            # The service names the CLI's recovery verb; the clerk at the window has a menu.
            text += " " + QCoreApplication.translate(
                "errors", "In this window: menu Counter → Recover interrupted services."
            )
        return text
    log.error("unexpected error in the GUI", exc_info=exc)
    return QCoreApplication.translate(
        "errors",
        "Internal error (%1). The details were written to the log; please tell the administrator.",
    ).replace("%1", type(exc).__name__)


def describe_at_field(exc: BaseException, lang: str | None = None) -> str:
    """The sentence for a message shown beside its field: the field's path is left out.

    Domain messages end with "(subscriber.mobile)" so a CLI or API user knows where; beside
    the field itself that path is noise to a clerk.
    """
    text = describe(exc, lang)
    field = getattr(exc, "field", "")
    if field:
        for suffix in (f"（{field}）", f" ({field})", f"({field})"):
            text = text.replace(suffix, "")
    return text
