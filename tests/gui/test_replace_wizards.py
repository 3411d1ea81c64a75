"""Reissue, change and unlock through their wizards on real enrollments and SoftHSM tokens."""

from __future__ import annotations

from counter_app.gui import registry
from counter_app.gui.pages.result import ResultPage
from counter_app.gui.replace import CertificatePage, ChangePage
from tests.gui.conftest import OPERATORS, USER_PIN
from tests.gui.drive import approve, click, run_token_step, tick, type_text, wait_until


def _wizard(qtbot, context, key: str):  # type: ignore[no-untyped-def]
    registry.load_builtin_wizards()
    factory = registry.wizard_factory(key)
    assert factory is not None
    view = factory(context)
    qtbot.addWidget(view)
    view.resize(1000, 720)
    view.show()
    return view


def _certificate(view, serial: str) -> None:  # type: ignore[no-untyped-def]
    page = view.page
    assert isinstance(page, CertificatePage)
    type_text(page.serial_edit, serial)
    click(page.find_button)
    wait_until(lambda: page.valid or bool(page.error))
    click(view.next_button)


def test_reissue_through_the_wizard_puts_a_new_certificate_on_the_new_token(
    qtbot, counter_context, counter, zh
) -> None:  # type: ignore[no-untyped-def]
    old = counter.enrolled(label="SUB1")
    counter.token("SUB2")
    view = _wizard(qtbot, counter_context, "reissue")
    _certificate(view, old["serial"])
    type_text(view.page.tendered_edit, "100")
    click(view.next_button)
    approve(view, "rev1", OPERATORS["rev1"][1])
    run_token_step(view, USER_PIN, label="SUB2")
    result = view.page
    assert isinstance(result, ResultPage), view.error_label.text()
    assert result.values["serial"].text() not in ("", old["serial"])
    assert "Certificate Object" in counter.token_objects("SUB2")


def test_change_page_keeps_next_disabled_until_something_changed(
    qtbot, counter_context, counter, en
) -> None:  # type: ignore[no-untyped-def]
    old = counter.enrolled(label="SUB1")
    view = _wizard(qtbot, counter_context, "change")
    _certificate(view, old["serial"])
    page = view.page
    assert isinstance(page, ChangePage)
    assert not view.next_button.isEnabled()
    page.edits["mobile"].clear()
    type_text(page.edits["mobile"], "1390013900")
    assert page.messages["mobile"].text().startswith("invalid mobile number")
    type_text(page.edits["mobile"], "0")
    # The change is proved by the subscriber's ID card, ticked as seen.
    assert not view.next_button.isEnabled()
    tick(page.document_checks["resident_id_card:140105198506122318"])
    assert view.next_button.isEnabled()


def test_unlock_through_the_wizard_sets_the_new_pin(qtbot, counter_context, counter, zh) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.services.conftest import SO_PIN

    counter.enrolled(label="SUB1")
    view = _wizard(qtbot, counter_context, "unlock")
    type_text(view.page.tendered_edit, "20")
    click(view.next_button)
    approve(view, "rev1", OPERATORS["rev1"][1])
    page = view.page
    type_text(page.identity_edit, "140105198506122318")
    type_text(page.new_pin_edit, "135790")
    type_text(page.repeat_pin_edit, "135790")
    run_token_step(view, SO_PIN, label="SUB1")
    assert isinstance(view.page, ResultPage), view.error_label.text()
    login = counter.softhsm.pkcs11_tool("--token-label", "SUB1", "--login", "--pin", "135790", "-O")
    assert login.returncode == 0
