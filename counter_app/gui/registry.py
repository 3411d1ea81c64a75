"""The counter's services as the main window lists them, and where each one's wizard comes from.

A service module plugs its wizard in with :func:`register_wizard`; until it does, the window
shows the service disabled with a tooltip saying it is not available yet (never a fake page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

from counter_app.domain.operators import Role
from counter_app.domain.policy import POLICY, Action
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

# The pages beside the counter services, and who sees them. Counter services are shown to the
# roles the policy lets make them (:data:`counter_app.domain.policy.POLICY`); these pages follow
# the same split: reading subscribers is for whoever serves or checks them, operators and
# settings are the admin's (the operators service refuses anyone else), the signing module's
# status is for those who answer for it, the desk is the supervisor's.
_READERS = frozenset({Role.CLERK, Role.REVIEWER, Role.SUPERVISOR})
PAGES: tuple[tuple[ServiceSpec, frozenset[Role]], ...] = (
    (ServiceSpec("home", QT_TRANSLATE_NOOP("services", "Home"), "Alt+Home"), frozenset(Role)),
    (ServiceSpec("subscribers", QT_TRANSLATE_NOOP("services", "Subscribers"), "Ctrl+F"), _READERS),
    (
        ServiceSpec("batch_renew", QT_TRANSLATE_NOOP("services", "Batch renewal"), "Ctrl+B"),
        POLICY[Action.RENEW].makers,
    ),
    (
        ServiceSpec("desk", QT_TRANSLATE_NOOP("services", "Supervisor's desk"), "Ctrl+D"),
        frozenset({Role.SUPERVISOR}),
    ),
    (
        ServiceSpec("operators", QT_TRANSLATE_NOOP("services", "Operators"), "Ctrl+Shift+O"),
        frozenset({Role.ADMIN}),
    ),
    (
        ServiceSpec("settings", QT_TRANSLATE_NOOP("services", "Settings"), "Ctrl+Shift+S"),
        frozenset({Role.ADMIN}),
    ),
    (
        ServiceSpec("signing", QT_TRANSLATE_NOOP("services", "Signing module"), "Ctrl+Shift+K"),
        frozenset({Role.ADMIN, Role.SUPERVISOR}),
    ),
)

_wizards: dict[str, PageFactory] = {}


def service(key: str) -> ServiceSpec:
    for spec in SERVICES + tuple(p for p, _ in PAGES):
        if spec.key == key:
            return spec
    raise KeyError(key)


def register_wizard(key: str, factory: PageFactory) -> None:
    """Make service ``key`` available: ``factory(context)`` builds its work-area widget."""
    service(key)  # an unknown key is a programming error, raised at import time
    _wizards[key] = factory


def service_title(key: str) -> str:
    """A service's title in the current language (the key itself for one not listed)."""
    try:
        return service(key).title()
    except KeyError:
        return key


def wizard_factory(key: str) -> PageFactory | None:
    return _wizards.get(key)


def may_see(key: str, role: Role) -> bool:
    """Whether ``role`` sees entry ``key``: a service if the policy lets it make it."""
    for spec, roles in PAGES:
        if spec.key == key:
            return role in roles
    if key == "lookup":
        return role in _READERS
    return role in POLICY[Action(key)].makers


def entries_for(role: Role) -> list[ServiceSpec]:
    """The navigation of one role, in order: home, the services it makes, then its pages."""
    pages = [spec for spec, roles in PAGES if role in roles]
    services = [spec for spec in SERVICES if may_see(spec.key, role)]
    return pages[:1] + services + pages[1:]


def load_builtin_wizards() -> None:
    """Import the GUI modules that register wizards (kept here so the window imports one name)."""
    from counter_app.gui import admin as _admin  # noqa: F401
    from counter_app.gui import lookup as _lookup  # noqa: F401
    from counter_app.gui import replace as _replace  # noqa: F401
    from counter_app.gui import subscribers as _subscribers  # noqa: F401
    from counter_app.gui import unlock as _unlock  # noqa: F401
    from counter_app.gui.batch_renew import make_batch_page
    from counter_app.gui.desk import make_desk
    from counter_app.gui.enroll import wizard as _enroll  # noqa: F401

    register_wizard("desk", make_desk)
    register_wizard("batch_renew", make_batch_page)
