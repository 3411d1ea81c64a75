"""The counter's services as the main window lists them, and where each one's wizard comes from.

A service module plugs its wizard in with :func:`register_wizard`; until it does, the window
shows the service disabled with a tooltip saying it is not available yet (never a fake page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

from counter_app.gui.context import GuiContext
from counter_app.gui.i18n import QT_TRANSLATE_NOOP

# Builds the work-area widget of one service for one session (usually a WizardView).
PageFactory = Callable[[GuiContext], QWidget]


@dataclass(frozen=True)
class ServiceSpec:
    """One counter service: its key, its English label (translated in context ``services``)."""

    key: str
    label: str
    shortcut: str

    def title(self) -> str:
        return QCoreApplication.translate("services", self.label)


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("enroll", QT_TRANSLATE_NOOP("services", "Enroll"), "Ctrl+1"),
    ServiceSpec("renew", QT_TRANSLATE_NOOP("services", "Renew"), "Ctrl+2"),
    ServiceSpec("change", QT_TRANSLATE_NOOP("services", "Change"), "Ctrl+3"),
    ServiceSpec("add_item", QT_TRANSLATE_NOOP("services", "Add item"), "Ctrl+4"),
    ServiceSpec("suspend", QT_TRANSLATE_NOOP("services", "Suspend"), "Ctrl+5"),
    ServiceSpec("resume", QT_TRANSLATE_NOOP("services", "Resume"), "Ctrl+6"),
    ServiceSpec("revoke", QT_TRANSLATE_NOOP("services", "Revoke"), "Ctrl+7"),
    ServiceSpec("reissue", QT_TRANSLATE_NOOP("services", "Reissue"), "Ctrl+8"),
    ServiceSpec("unlock", QT_TRANSLATE_NOOP("services", "Unlock PIN"), "Ctrl+9"),
    ServiceSpec("lookup", QT_TRANSLATE_NOOP("services", "Look up"), "Ctrl+0"),
)

_wizards: dict[str, PageFactory] = {}


def service(key: str) -> ServiceSpec:
    for spec in SERVICES:
        if spec.key == key:
            return spec
    raise KeyError(key)


def register_wizard(key: str, factory: PageFactory) -> None:
    """Make service ``key`` available: ``factory(context)`` builds its work-area widget."""
    service(key)  # an unknown key is a programming error, raised at import time
    _wizards[key] = factory


def wizard_factory(key: str) -> PageFactory | None:
    return _wizards.get(key)


def load_builtin_wizards() -> None:
    """Import the GUI modules that register wizards (kept here so the window imports one name)."""
    from counter_app.gui import lookup as _lookup  # noqa: F401
    from counter_app.gui import replace as _replace  # noqa: F401
    from counter_app.gui import unlock as _unlock  # noqa: F401
    from counter_app.gui.enroll import wizard as _enroll  # noqa: F401
