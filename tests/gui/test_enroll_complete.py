"""A whole enrollment through the real widgets onto a real SoftHSM token, judged by pkcs11-tool."""

from __future__ import annotations

import re

from counter_app.gui.pages.result import ResultPage
from tests.gui.conftest import OPERATORS, USER_PIN
from tests.gui.drive import enroll_through_widgets, wizard


def test_enrollment_through_the_wizard_puts_key_and_certificate_on_the_token(
    qtbot, counter_context, counter, zh
) -> None:  # type: ignore[no-untyped-def]
    counter.token("SUB1")
    view = wizard(qtbot, counter_context)
    token_page = enroll_through_widgets(view, "rev1", OPERATORS["rev1"][1], USER_PIN)
    assert token_page.error == ""
    result = view.page
    assert isinstance(result, ResultPage)
    serial = result.values["serial"].text()
    assert re.fullmatch(r"[0-9A-F]+", serial)
    assert result.values["change"].text().startswith("¥50.00")
    assert result.values["receipt_number"].text().startswith("R")
    assert not view.back_button.isEnabled()
    objects = counter.token_objects("SUB1")
    ids = {
        kind: set(re.findall(r"ID:\s+([0-9a-f]+)", block))
        for kind, block in (
            ("private", "\n".join(b for b in objects.split("\n\n") if "Private Key" in b)),
            ("certificate", "\n".join(b for b in objects.split("\n\n") if "Certificate" in b)),
        )
    }
    assert ids["private"] and ids["private"] == ids["certificate"]


def test_pin_field_is_empty_after_the_token_step(qtbot, counter_context, counter, zh) -> None:  # type: ignore[no-untyped-def]
    counter.token("SUB1")
    view = wizard(qtbot, counter_context)
    token_page = enroll_through_widgets(view, "rev1", OPERATORS["rev1"][1], USER_PIN)
    assert token_page.pin_edit.text() == ""


def test_wrong_pin_is_said_on_the_token_page_and_nothing_is_recorded(
    qtbot, counter_context, counter, zh
) -> None:  # type: ignore[no-untyped-def]
    counter.token("SUB1")
    view = wizard(qtbot, counter_context)
    token_page = enroll_through_widgets(view, "rev1", OPERATORS["rev1"][1], "999999")
    assert token_page.result is None
    assert view.error_label.text().startswith("PIN码错误")
    assert counter.db("select count(*) from applications") == [(0,)]
