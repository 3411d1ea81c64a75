# ruff: noqa: B023  (each lambda is waited on within its own iteration: late binding is harmless)
"""Screenshots of every screen in zh_CN and en (offscreen), for people to look at.

QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.gui.shoot_screens OUT_DIR
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

from bench.gui_responsiveness import (
    ADMIN,
    CA_PASSPHRASE,
    CLERK,
    REVIEWER,
    USER_PIN,
    new_token,
    prepare,
)


def main(out: Path) -> int:
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget

    from counter_app.config import load_config
    from counter_app.gui import i18n
    from counter_app.gui.app import apply_counter_font
    from counter_app.gui.context import GuiContext
    from counter_app.gui.login import LoginDialog
    from counter_app.gui.main_window import MainWindow
    from counter_app.gui.recovery import RecoveryDialog
    from counter_app.gui.session import UnlockDialog, open_services
    from counter_app.services import operators
    from counter_app.services.recovery import Interrupted
    from counter_app.store.db import open_store
    from tests.gui import drive

    out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="shots-"))
    data, _ = prepare(root)
    app = QApplication([sys.argv[0]])
    apply_counter_font(app)
    config = load_config(data_dir=data, environ={})
    store = open_store(config.db_url)

    def shot(widget: QWidget, name: str, lang: str) -> None:
        QTest.qWait(150)
        widget.grab().save(str(out / f"{lang}-{name}.png"))

    for lang in ("zh_CN", "en"):
        new_token(f"SUB-{lang}")
        i18n.install(lang)
        ctx = GuiContext(config=config, store=store)
        login = LoginDialog(ctx)
        login.show()
        shot(login, "01-login", lang)
        login.close()
        unlock = UnlockDialog(ctx)
        unlock.show()
        shot(unlock, "02-unlock-ca", lang)
        unlock.close()
        ctx.operator = operators.authenticate(store, *CLERK)
        ctx.services = open_services(config, store, CA_PASSPHRASE)
        window = MainWindow(ctx)
        window.show()
        drive.wait_until(lambda: "…" not in window.token_label.text(), 10000)
        shot(window, "03-main", lang)
        view = window.open_service("enroll")
        page = view.page  # type: ignore[union-attr]
        drive.type_text(page.field("ind_name"), "张三")
        # One subscriber per language: a second live certificate for one person is refused.
        person = drive.VALID_ID if lang == "zh_CN" else "140105198506122318"
        drive.type_text(page.field("ind_id_number"), person)
        drive.type_text(page.field("ind_mobile"), "1380013800")
        shot(window, "04-enroll-identity-error", lang)
        drive.type_text(page.field("ind_mobile"), "0")
        for row in page._doc_rows:
            drive.click(row.check)
        shot(window, "05-enroll-identity", lang)
        drive.click(view.next_button)  # type: ignore[union-attr]
        agreement = view.page  # type: ignore[union-attr]
        drive.wait_until(lambda: agreement.agreement is not None)
        shot(window, "06-enroll-agreement", lang)
        drive.accept_agreement(view)  # type: ignore[arg-type]
        fee = view.page  # type: ignore[union-attr]
        drive.type_text(fee.tendered_edit, "150")
        shot(window, "07-enroll-fee", lang)
        drive.click(fee.method_buttons["waiver"])
        drive.type_text(fee.reference_edit, "JM-01")
        drive.type_text(fee.approver_edit, "clerk1")
        fee.revalidate()
        shot(window, "08-enroll-fee-waiver-needs-supervisor", lang)
        fee.ask_supervisor()
        shot(fee.dialog, "08b-supervisor-dialog-self", lang)
        fee.dialog.reject()
        drive.click(fee.method_buttons["cash"])
        drive.click(view.next_button)  # type: ignore[union-attr]
        review = view.page  # type: ignore[union-attr]
        shot(window, "09-enroll-review", lang)
        review.ask()
        dialog = review.dialog
        drive.type_text(dialog.name_edit, "clerk1")
        shot(dialog, "10-reviewer-dialog-self", lang)
        dialog.name_edit.clear()
        drive.type_text(dialog.name_edit, REVIEWER[0])
        drive.type_text(dialog.password_edit, REVIEWER[1])
        drive.click(dialog.approve_button)
        drive.wait_until(lambda: review.reviewer is not None)
        drive.click(view.next_button)  # type: ignore[union-attr]
        token = view.page  # type: ignore[union-attr]
        drive.wait_until(lambda: drive._choose(token, f"SUB-{lang}"))
        shot(window, "11-enroll-token", lang)
        drive.type_text(token.pin_edit, USER_PIN)
        drive.click(token.start_button)
        QTest.qWait(30)
        shot(window, "12-enroll-token-working", lang)
        drive.wait_until(lambda: token.result is not None or bool(token.error))
        shot(window, "13-enroll-result", lang)
        serial = token.result.serial if token.result is not None else ""
        lookup = window.open_service("lookup")
        drive.type_text(lookup.search_edit, "张三")  # type: ignore[union-attr]
        drive.click(lookup.search_button)  # type: ignore[union-attr]
        drive.wait_until(lambda: lookup.current is not None)  # type: ignore[union-attr]
        shot(window, "14-lookup", lang)
        for key, name in (
            ("renew", "15-renew"),
            ("change", "16-change"),
            ("add_item", "17-add-item"),
            ("reissue", "18-reissue"),
        ):
            wizard = window.open_service(key)
            cert_page = wizard.page  # type: ignore[union-attr]
            cert_page.serial_edit.setText(serial)
            cert_page.look_up()
            drive.wait_until(lambda: cert_page.valid or bool(cert_page.error))
            shot(window, f"{name}-certificate", lang)
            if key in ("change", "add_item"):
                drive.click(wizard.next_button)  # type: ignore[union-attr]
                shot(window, f"{name}-details", lang)
            if key == "change":  # a new mobile: the ID card proves it, the records change
                details = wizard.page  # type: ignore[union-attr]
                details.edits["mobile"].clear()
                drive.type_text(details.edits["mobile"], "13911112222")
                shot(window, f"{name}-documents", lang)
                for box in details.document_checks.values():
                    drive.tick(box)
            if key in ("change", "add_item"):  # not carried by the certificate: no token
                drive.click(wizard.next_button)  # type: ignore[union-attr]
                drive.type_text(wizard.page.tendered_edit, "50")  # type: ignore[union-attr]
                drive.click(wizard.next_button)  # type: ignore[union-attr]
                drive.approve(wizard, *REVIEWER)  # type: ignore[arg-type]
                shot(window, f"{name}-record", lang)
        unlock_view = window.open_service("unlock")
        shot(window, "19-unlock-fee", lang)
        unlock_view.page.tendered_edit.setText("20")  # type: ignore[union-attr]
        drive.click(unlock_view.next_button)  # type: ignore[union-attr]
        drive.approve(unlock_view, *REVIEWER)  # type: ignore[arg-type]
        shot(window, "20-unlock-token", lang)
        import datetime as dt

        fake = Interrupted(
            "A2026112400007",
            "enroll",
            "issued",
            "5293daa1",
            "SUB9",
            "ab",
            "CD",
            dt.datetime.now(dt.UTC),
        )
        recovery = RecoveryDialog(ctx, [fake])
        recovery.show()
        shot(recovery, "21-recovery", lang)
        recovery.close()
        # -- issue 17: home, subscriber view, session dialogs, every role's window ----------
        refreshed: list[bool] = []
        window.home.refreshed.connect(lambda: refreshed.append(True))
        window.open_service("home")
        drive.wait_until(lambda: bool(refreshed), 10000)
        QTest.qWait(500)
        shot(window, "22-home", lang)
        subscribers = window.open_service("subscribers")
        drive.type_text(subscribers.search_edit, "张三")  # type: ignore[union-attr]
        drive.click(subscribers.search_button)  # type: ignore[union-attr]
        drive.wait_until(lambda: subscribers.page is not None)  # type: ignore[union-attr]
        subscribers.certificates_table.selectRow(0)  # type: ignore[union-attr]
        shot(window, "23-subscriber-certificates", lang)
        for index, name in (
            (1, "24-subscriber-applications"),
            (2, "25-subscriber-money"),
            (3, "26-subscriber-documents"),
        ):
            subscribers.tabs.setCurrentIndex(index)  # type: ignore[union-attr]
            if index == 1:
                subscribers.applications_table.selectRow(0)  # type: ignore[union-attr]
            shot(window, name, lang)
        window.session_menu.popup(window.mapToGlobal(window.menuBar().geometry().bottomLeft()))
        shot(window.session_menu, "27-session-menu", lang)
        window.session_menu.hide()
        password = window.change_password()
        shot(password, "28-change-password", lang)
        password.reject()
        about = window.about()
        drive.wait_until(lambda: about.facts is not None)
        shot(about, "29-about", lang)
        about.accept()
        lock = window.lock()
        drive.type_text(lock.password_edit, "wrong")  # type: ignore[union-attr]
        drive.click(lock.unlock_button)  # type: ignore[union-attr]
        drive.wait_until(lambda: lock.message_label.isVisible())  # type: ignore[union-attr]
        shot(window, "30-locked-window", lang)
        shot(lock, "31-lock-dialog", lang)  # type: ignore[arg-type]
        drive.type_text(lock.password_edit, CLERK[1])  # type: ignore[union-attr]
        drive.click(lock.unlock_button)  # type: ignore[union-attr]
        drive.wait_until(lambda: not window.locked)
        window.close()
        window.token_monitor and window.token_monitor.stop()
        from counter_app.domain.operators import Role

        admin = operators.authenticate(store, *ADMIN)
        if operators.find_operator(store, "super1") is None:
            operators.add_operator(store, admin, "super1", Role.SUPERVISOR, "Super-pass-2026!")
        for who, password_ in (
            (ADMIN[0], ADMIN[1]),
            (REVIEWER[0], REVIEWER[1]),
            ("super1", "Super-pass-2026!"),
        ):
            ctx.operator = operators.authenticate(store, who, password_)
            role_window = MainWindow(ctx, watch_tokens=False)
            role_window.show()
            drive.wait_until(lambda: role_window.home.figures is not None, 10000)
            shot(role_window, f"32-home-{ctx.operator.role.value}", lang)
            for key in ("operators", "settings", "signing"):
                if key in role_window.entry_keys:
                    page_ = role_window.open_service(key)
                    QTest.qWait(300)
                    drive.wait_until(lambda: not getattr(page_, "busy", False), 10000)
                    shot(role_window, f"33-{key}-{ctx.operator.role.value}", lang)
            role_window.close()
        ctx.operator = operators.authenticate(store, *CLERK)
        window.close()
        window.token_monitor and window.token_monitor.stop()
        ctx.runner.wait_idle()
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "screens")))
