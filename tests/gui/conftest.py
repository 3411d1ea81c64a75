"""GUI tests: real widgets offscreen, a real SQLite store, translations built by the install step."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_app.config import load_config
from counter_app.services import operators
from counter_app.services.operators import OperatorInfo
from counter_app.store.db import open_store
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture(scope="session")
def qapp_cls():  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    return QApplication


@pytest.fixture(scope="session", autouse=True)
def built_translations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the install step's translation build, as a fresh install would."""
    from counter_app.gui import i18n

    built = i18n.build()
    assert built, "no .ts catalogue found"
    return built[0]


@pytest.fixture
def gui_app(qapp):  # type: ignore[no-untyped-def]
    from counter_app.gui.app import apply_counter_font

    apply_counter_font(qapp)
    return qapp


@pytest.fixture(autouse=True)
def collect_on_the_gui_thread(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """As in the app (gui/collector.py): cyclic garbage holding Qt objects is collected on the
    GUI thread only. Autouse, so it is set up first and torn down last: after qtbot has closed
    the test's widgets, one collection here frees them, and Python's own collector (back for
    the tests that follow in this process) finds no Qt object left to free on another thread."""
    from counter_app.gui import collector

    collector.install(qapp)
    yield
    collector.uninstall()


@pytest.fixture
def zh(gui_app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from counter_app.gui import i18n

    yield i18n.install("zh_CN")
    i18n.install("zh_CN")


@pytest.fixture
def en(gui_app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from counter_app.gui import i18n

    yield i18n.install("en")
    i18n.install("zh_CN")


@pytest.fixture
def context(tmp_path: Path, gui_app):  # type: ignore[no-untyped-def]
    """A GUI session on a real SQLite store with the first admin created."""
    from counter_app.gui.context import GuiContext

    data = tmp_path / "data"
    data.mkdir()
    config = load_config(data_dir=data, environ={})
    store = open_store(config.db_url, create=True)
    operators.create_first_admin(store, "admin", ADMIN_PASSWORD)
    ctx = GuiContext(config=config, store=store)
    yield ctx
    ctx.close()


@pytest.fixture
def signed_in(context):  # type: ignore[no-untyped-def]
    info = operators.authenticate(context.store, "admin", ADMIN_PASSWORD)
    assert isinstance(info, OperatorInfo)
    context.operator = info
    return context


# -- a whole counter (operators, CA, SoftHSM token) for the service screens -----------------------
from tests.integration.services.conftest import (  # noqa: E402
    CA_PASSPHRASE,
    OPERATORS,
    USER_PIN,
    Counter,
    counter,
    short_lived,
    template_data_dir,
)

__all__ = [
    "CA_PASSPHRASE",
    "OPERATORS",
    "USER_PIN",
    "Counter",
    "counter",
    "short_lived",
    "template_data_dir",
]


def counter_session(counter: Counter, name: str):  # type: ignore[no-untyped-def]
    """A GUI session on a copied counter: ``name`` signed in, the signing module open."""
    from counter_app.gui.context import GuiContext
    from counter_app.gui.session import open_services

    config = load_config(
        data_dir=counter.cli.data_dir, pkcs11_module=counter.softhsm.module, environ={}
    )
    store = open_store(config.db_url)
    ctx = GuiContext(config=config, store=store)
    ctx.operator = operators.authenticate(store, name, OPERATORS[name][1])
    ctx.services = open_services(config, store, CA_PASSPHRASE)
    return ctx


@pytest.fixture
def counter_context(counter: Counter, gui_app):  # type: ignore[no-untyped-def]
    """A GUI session on a copied counter: clerk1 signed in, the signing module open."""
    ctx = counter_session(counter, "clerk1")
    yield ctx
    ctx.close()


ROLE_PASSWORD = "Counter-Role-Pass-2026!"


@pytest.fixture
def sign_in_as(context):  # type: ignore[no-untyped-def]
    """``sign_in_as(role)``: an operator of that role added by the admin and signed in."""
    from counter_app.domain.operators import Role

    admin = operators.authenticate(context.store, "admin", ADMIN_PASSWORD)

    def sign_in(role: str) -> object:
        name = f"{role}1"
        if role == "admin":
            context.operator = admin
            return context
        if operators.find_operator(context.store, name) is None:
            operators.add_operator(context.store, admin, name, Role(role), ROLE_PASSWORD)
        context.operator = operators.authenticate(context.store, name, ROLE_PASSWORD)
        return context

    return sign_in
