"""Start the GUI: display check, QApplication, fonts, translator, login, main window."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QApplication

from counter_app.config import Config, resource_path
from counter_app.gui import i18n
from counter_app.gui.errors import NoDisplay

if TYPE_CHECKING:
    from counter_app.gui.context import GuiContext
    from counter_app.store.anchor import PeriodicCheckpointer
    from counter_app.store.db import Store

log = logging.getLogger(__name__)

# CJK families by preference. WenQuanYi Micro Hei is what our Linux counters install (the
# fonts-wqy-microhei package); the rest cover Windows, macOS and other Linux builds, so the
# choice never depends on whatever a machine's default happens to be.
CJK_FAMILIES = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "Microsoft YaHei UI",
    "PingFang SC",
    "SimHei",
    "Droid Sans Fallback",
)
# Counter screens are read at arm's length, often by two people: larger than desktop default.
BASE_POINT_SIZE = 12


def check_display(environ: os._Environ[str] | dict[str, str] | None = None) -> None:
    """Raise :class:`NoDisplay` if Qt would abort for want of a display (Linux/BSD only)."""
    env = os.environ if environ is None else environ
    if sys.platform in ("win32", "darwin"):
        return
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return  # offscreen, vnc, eglfs...: no X server needed
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return
    raise NoDisplay()


def create_application(argv: Sequence[str] = ()) -> QApplication:
    """The QApplication (or the existing one), with high-DPI policy, name and counter font."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        # Fractional scale factors (125 %, 150 %) as the OS says, not rounded to blurry integers.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication(list(argv) or [sys.argv[0] if sys.argv else "counter-app"])
    QCoreApplication.setApplicationName("counter-app")
    QCoreApplication.setOrganizationName("counter-app")
    apply_counter_font(app)
    # Cyclic garbage holding Qt objects must be freed on this thread, never on a worker.
    from counter_app.gui import collector

    collector.install(app)
    return app


def _load_bundled_fonts() -> None:
    """Fonts shipped in ``resources/fonts`` (a packaged build may add one) are registered first."""
    folder = resource_path("fonts")
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in (".ttf", ".ttc", ".otf"):
            QFontDatabase.addApplicationFont(str(path))


def pick_cjk_family() -> str | None:
    _load_bundled_fonts()
    available = set(QFontDatabase.families())
    for family in CJK_FAMILIES:
        if family in available:
            return family
    return None


def apply_counter_font(app: QApplication) -> QFont:
    font = QFont(app.font())
    family = pick_cjk_family()
    if family is None:
        log.warning("no CJK font found among %s; Chinese text may show as boxes", CJK_FAMILIES)
    else:
        # The CJK family first, then the platform's sans for anything it lacks.
        font.setFamilies([family, "sans-serif"])
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    return font


def open_counter(context: GuiContext) -> bool:
    """Open the signing module: under custody, by the custodians (issue 15 item 7); else the
    passphrase from the environment, or the masked dialog."""
    from counter_app.ca import CAFiles
    from counter_app.gui.session import UnlockDialog, passphrase_from_environment
    from counter_app.services.custody import custody_of

    custody = custody_of(CAFiles.in_data_dir(context.config.data_dir))  # a small file
    if custody is not None:
        from counter_app.gui.custody import CustodianDialog

        custodians = CustodianDialog(context, custody.threshold)
        accepted = custodians.exec() == CustodianDialog.DialogCode.Accepted
        return accepted and context.services is not None

    dialog = UnlockDialog(context)
    secret = passphrase_from_environment()
    if secret is not None:
        dialog.submit(secret)
        del secret
    return dialog.exec() == UnlockDialog.DialogCode.Accepted and context.services is not None


def open_store_for_gui(config: Config) -> tuple[Store, PeriodicCheckpointer]:
    """Worker side: the store (SQLAlchemy's import included) and the session's checkpointer."""
    from counter_app.domain.daybook import configured_counter
    from counter_app.store.anchor import Anchor, PeriodicCheckpointer
    from counter_app.store.db import open_store

    store = open_store(config.db_url)
    store.use_chain(configured_counter(config.extra))
    import counter_app.token.thread  # noqa: F401  (warm: the window's token lane needs it next)

    # A day's session is long: its events are signed every minute, and once more at close.
    return store, PeriodicCheckpointer(Anchor.for_config(config.data_dir, config.extra), store)


def run(config: Config, lang: str | None = None, argv: Sequence[str] = ()) -> int:
    """Show the login, then the main window; return the event loop's exit code.

    The sign-in window shows first; the store opens in a worker meanwhile (its imports are most
    of the start-up time) and the sign-in button waits for it.
    """
    check_display()
    from counter_app.gui.context import GuiContext
    from counter_app.gui.login import LoginDialog

    app = create_application(argv)
    i18n.install(lang or config.lang)
    # The store is set by the worker below before anyone can sign in (the button waits).
    context = GuiContext(config=config, store=cast("Store", None))
    checkpointers: list[PeriodicCheckpointer] = []
    login: LoginDialog | None = LoginDialog(context)
    assert login is not None
    login.wait_for_store()

    def opened(result: object) -> None:
        store, checkpointer = cast("tuple[Store, PeriodicCheckpointer]", result)
        context.store = store
        checkpointer.start()
        checkpointers.append(checkpointer)
        if login is not None:
            login.store_ready()

    context.runner.run(
        open_store_for_gui,
        config,
        on_done=opened,
        on_error=lambda exc: login.store_failed(exc) if login is not None else None,
    )
    try:
        # One pass per operator: signing out closes the window and brings the sign-in back; the
        # signing module stays open for the counter's session (it was opened once, by passphrase).
        while True:
            login = login or LoginDialog(context)
            if login.exec() != LoginDialog.DialogCode.Accepted or login.operator is None:
                return 1
            context.operator = login.operator
            login = None
            if context.services is None and not open_counter(context):
                return 1
            from counter_app.gui.main_window import MainWindow

            window = MainWindow(context)
            signed_out: list[bool] = []
            window.signed_out.connect(lambda out=signed_out: out.append(True))
            window.show()
            window.check_recovery()
            code = app.exec()
            window.deleteLater()
            if not signed_out:
                return code
    finally:
        for checkpointer in checkpointers:
            checkpointer.stop()
        if checkpointers:
            context.close()
        else:
            context.runner.shutdown()
