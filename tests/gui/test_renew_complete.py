"""A whole renewal (更新) from the main window through the real widgets onto a SoftHSM token.

The first certificate is enrolled through the CLI; the renewal is then driven like a clerk
would: the service chosen in the main window's list, the serial typed, cash tendered, the
reviewer signed in, the PIN typed. pkcs11-tool and openssl judge the token afterwards, the
certificates service the old certificate's status.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from counter_app.gui.main_window import MainWindow
from counter_app.gui.pages.result import ResultPage
from counter_app.gui.replace import CertificatePage
from counter_app.gui.wizard.view import WizardView
from counter_app.services import certificates
from tests.gui.conftest import OPERATORS, USER_PIN, Counter
from tests.gui.drive import approve, click, pay_cash, run_token_step, type_text, wait_until

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def renewal_context(short_lived: Counter, counter_context):  # type: ignore[no-untyped-def]
    """The GUI session opened after the short-lived profiles are configured (it reads them)."""
    return counter_context


def _key_ids(objects: str, kind: str) -> set[str]:
    """IDs of the token's objects of one kind, from ``pkcs11-tool -O``'s blocks."""
    blocks = re.split(r"\n(?=\S)", objects)
    return {
        match
        for block in blocks
        if block.startswith(kind)
        for match in re.findall(r"ID:\s+([0-9a-f]+)", block)
    }


def _certificate_serial_on_token(counter: Counter, key_id: str, out: Path) -> str:
    counter.softhsm.pkcs11_tool(
        "--token-label", "SUB1", "--read-object", "--type", "cert", "--id", key_id, "-o", str(out)
    )
    shown = subprocess.run(
        ["openssl", "x509", "-inform", "DER", "-in", str(out), "-noout", "-serial"],
        capture_output=True,
        text=True,
        check=True,
    )
    return shown.stdout.strip().removeprefix("serial=").upper()


def _open_from_services_list(window: MainWindow, title: str) -> WizardView:
    services = window.services_list
    (item,) = [
        services.item(row)
        for row in range(services.count())
        if services.item(row).text().startswith(title)
    ]
    QTest.mouseClick(
        services.viewport(), Qt.MouseButton.LeftButton, pos=services.visualItemRect(item).center()
    )
    view = window.work_area.currentWidget()
    assert isinstance(view, WizardView)
    return view


def test_renewal_from_the_main_window_replaces_key_and_certificate_on_the_token(
    qtbot, short_lived, renewal_context, zh, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    counter = short_lived
    old = counter.enrolled(label="SUB1")
    old_keys = _key_ids(counter.token_objects("SUB1"), "Private Key Object")
    assert len(old_keys) == 1

    window = MainWindow(renewal_context)
    qtbot.addWidget(window)
    window.show()
    view = _open_from_services_list(window, "更新")
    page = view.page
    assert isinstance(page, CertificatePage)
    type_text(page.serial_edit, old["serial"])
    click(page.find_button)
    wait_until(lambda: page.valid or bool(page.error))
    assert page.error == ""
    click(view.next_button)
    fee = pay_cash(view, "100")
    assert fee.change_value.text().startswith("¥20.00")
    approve(view, "rev1", OPERATORS["rev1"][1])
    token_page = run_token_step(view, USER_PIN, label="SUB1")
    assert token_page.error == ""
    result = view.page
    assert isinstance(result, ResultPage), view.error_label.text()
    new_serial = result.values["serial"].text()
    assert re.fullmatch(r"[0-9A-F]+", new_serial) and new_serial != old["serial"]

    objects = counter.token_objects("SUB1")
    private, certs = _key_ids(objects, "Private Key Object"), _key_ids(objects, "Certificate")
    assert len(private) == 1 and private == certs
    assert private.isdisjoint(old_keys)
    (key_id,) = private
    assert _certificate_serial_on_token(counter, key_id, tmp_path / "new.der") == new_serial

    ctx = renewal_context.service_context()
    superseded = certificates.show_certificate(ctx, old["serial"])
    assert (superseded.status, superseded.reason) == ("revoked", "superseded")
    assert certificates.show_certificate(ctx, new_serial).status == "active"
    window.close()
