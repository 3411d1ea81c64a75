"""The subscriber's screen (双屏): agreement, fee mirror and the signature pad, on real Qt."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from counter_app.domain.signature import Signature
from counter_app.gui.enroll.agreement import AgreementPage
from counter_app.gui.pages.fee import FeePage
from counter_app.gui.subscriber_screen import SignaturePad, SubscriberScreen, subscriber_screen
from counter_app.services.documents import render
from tests.gui.conftest import OPERATORS, USER_PIN
from tests.gui.drive import (
    accept_agreement,
    approve,
    click,
    fill_identity,
    pay_cash,
    run_token_step,
    type_text,
    wait_until,
    wizard,
)


def sign(pad: SignaturePad) -> None:
    """A mouse drag across the pad: a stroke of the subscriber's name."""
    QTest.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(40, 120))
    for x in range(50, 400, 25):
        QTest.mouseMove(pad, QPoint(x, 100 + (x % 50)))
    QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(400, 110))


def _screen(qtbot, context) -> SubscriberScreen:  # type: ignore[no-untyped-def]
    screen = subscriber_screen(context)
    assert screen is not None
    qtbot.addWidget(screen)
    return screen


def test_pad_turns_a_mouse_drag_into_a_png_whose_hash_is_given(qtbot, gui_app) -> None:  # type: ignore[no-untyped-def]
    screen = SubscriberScreen()
    qtbot.addWidget(screen)
    screen.show()
    with qtbot.waitSignal(screen.signature_changed) as got:
        sign(screen.pad)
    signature = got.args[0]
    assert isinstance(signature, Signature)
    png = screen.pad.png()
    assert signature.png == png
    assert signature.sha256 == hashlib.sha256(png).hexdigest()
    image = QImage.fromData(png, "PNG")
    assert not image.isNull()
    inked = [
        image.pixelColor(x, y).lightness() < 128
        for x in range(0, image.width(), 4)
        for y in range(0, image.height(), 4)
    ]
    assert any(inked)


def test_clear_empties_the_pad_and_withdraws_the_signature(qtbot, gui_app) -> None:  # type: ignore[no-untyped-def]
    screen = SubscriberScreen()
    qtbot.addWidget(screen)
    screen.show()
    sign(screen.pad)
    with qtbot.waitSignal(screen.signature_changed) as got:
        click(screen.clear_button)
    assert got.args[0] is None
    assert screen.pad.png() == b""


def test_agreement_page_sends_the_text_and_shows_the_signature(qtbot, counter_context, zh) -> None:  # type: ignore[no-untyped-def]
    view = wizard(qtbot, counter_context)
    fill_identity(view)
    page = view.page
    assert isinstance(page, AgreementPage)
    wait_until(lambda: page.agreement is not None)
    assert page.facing is None  # one monitor: opened by the clerk, never on its own
    screen = page.open_subscriber_screen()
    qtbot.addWidget(screen)
    assert page.agreement is not None
    assert screen.agreement_view.toPlainText() == page.agreement.text
    assert "尚未" in page.signed_label.text()
    sign(screen.pad)
    assert screen.signature is not None
    assert screen.signature.sha256[:16] in page.signed_label.text()
    assert page.signature_thumb.isVisible()
    accept_agreement(view)
    assert view.flow.data["agreement"]["signature"] == screen.signature.png


def test_fee_tendered_and_change_are_mirrored_as_the_clerk_types(
    qtbot, counter_context, zh
) -> None:  # type: ignore[no-untyped-def]
    screen = _screen(qtbot, counter_context)
    screen.present()
    view = wizard(qtbot, counter_context)
    fill_identity(view)
    accept_agreement(view)
    page = view.page
    assert isinstance(page, FeePage)
    assert screen.fee_value.text().startswith("¥100.00")
    assert not screen.tendered_value.isVisible()
    type_text(page.tendered_edit, "150")
    assert screen.tendered_value.text().startswith("¥150.00")
    assert screen.change_value.text().startswith("¥50.00")
    assert screen.change_value.isVisible()


def test_without_the_subscriber_screen_the_agreement_carries_no_signature(
    qtbot, counter_context, zh
) -> None:  # type: ignore[no-untyped-def]
    view = wizard(qtbot, counter_context)
    fill_identity(view)
    accept_agreement(view)
    assert "signature" not in view.flow.data["agreement"]
    assert counter_context.subscriber_screen is None


def _enroll_signed(qtbot, context, counter) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A whole enrollment with the subscriber signing on the pad: (application id, its hash)."""
    counter.token("SUB1")
    view = wizard(qtbot, context)
    fill_identity(view)
    page = view.page
    assert isinstance(page, AgreementPage)
    wait_until(lambda: page.agreement is not None)
    screen = page.open_subscriber_screen()
    qtbot.addWidget(screen)
    sign(screen.pad)
    assert screen.signature is not None
    digest = screen.signature.sha256
    accept_agreement(view)
    pay_cash(view)
    approve(view, "rev1", OPERATORS["rev1"][1])
    token_page = run_token_step(view, USER_PIN)
    assert token_page.error == ""
    return view.page.values["application_id"].text(), digest


def test_an_enrollment_signed_on_the_pad_keeps_image_and_hash_on_the_record_pdf(
    qtbot, counter_context, counter, zh, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    app_id, digest = _enroll_signed(qtbot, counter_context, counter)
    rows = counter.db(
        "select signature, signature_sha256, length(signature_png) from agreement_records"
    )
    assert rows[0][0] == "pad" and rows[0][1] == digest and rows[0][2] > 100
    pdf = tmp_path / "agreement.pdf"
    pdf.write_bytes(render(counter_context.service_context(), "agreement", app_id))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert digest in re.sub(r"\s+", "", text)
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    assert len(images.stdout.strip().splitlines()) > 2  # two header lines, then the images


def test_a_replaced_signature_image_is_found_by_audit_verify(
    qtbot, counter_context, counter, zh
) -> None:  # type: ignore[no-untyped-def]
    _enroll_signed(qtbot, counter_context, counter)
    assert counter.run("audit", "verify").returncode == 0
    import sqlite3

    with sqlite3.connect(counter.cli.data_dir / "counter.db") as conn:
        conn.execute("update agreement_records set signature_png = x'89504e470d0a1a0a00'")
    assert counter.run("audit", "verify").returncode != 0


def test_pad_takes_a_finger_on_a_touch_screen(qtbot, gui_app) -> None:  # type: ignore[no-untyped-def]
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.show()
    device = QTest.createTouchDevice()
    QTest.touchEvent(pad, device).press(0, QPoint(30, 100))
    for x in range(40, 300, 20):
        QTest.touchEvent(pad, device).move(0, QPoint(x, 90 + x % 30))
    with qtbot.waitSignal(pad.changed):
        QTest.touchEvent(pad, device).release(0, QPoint(300, 100))
    assert not pad.is_empty()
    assert pad.png().startswith(b"\x89PNG")


def test_pad_takes_a_pen_on_a_tablet(qtbot, gui_app) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QPointingDevice, QTabletEvent
    from PySide6.QtWidgets import QApplication

    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.show()
    pen = QPointingDevice.primaryPointingDevice()

    def send(kind: QEvent.Type, x: float, buttons: Qt.MouseButton) -> None:
        at = QPointF(x, 100.0)
        event = QTabletEvent(
            kind, pen, at, pad.mapToGlobal(at), 0.5, 0.0, 0.0, 0.0, 0.0, 0.0,
            Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton, buttons,
        )  # fmt: skip
        QApplication.sendEvent(pad, event)

    send(QEvent.Type.TabletPress, 20, Qt.MouseButton.LeftButton)
    for x in range(30, 300, 30):
        send(QEvent.Type.TabletMove, x, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(pad.changed):
        send(QEvent.Type.TabletRelease, 300, Qt.MouseButton.NoButton)
    assert pad.path.length() > 250


def test_subscriber_screen_follows_a_language_switch(qtbot, gui_app, zh) -> None:  # type: ignore[no-untyped-def]
    from counter_app.gui import i18n

    screen = SubscriberScreen()
    qtbot.addWidget(screen)
    assert screen.clear_button.text() == "清除(&C)"
    i18n.install("en")
    try:
        qtbot.waitUntil(lambda: screen.clear_button.text() == "&Clear")
    finally:
        i18n.install("zh_CN")
