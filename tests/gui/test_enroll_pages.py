"""The enrollment wizard's identity and agreement pages, through the real widgets."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QRadioButton

from counter_app.gui.enroll.agreement import AgreementPage
from counter_app.gui.enroll.identity import IdentityPage
from counter_app.gui.wizard.view import WizardView
from tests.gui.drive import wizard

VALID_ID = "11010519491231002X"


def _type(qtbot, edit, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type like a clerk: ASCII by key clicks, Chinese as an input method's committed text."""
    if text.isascii():
        qtbot.keyClicks(edit, text)
        return
    edit.setFocus()
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(edit, event)


def _wizard(qtbot, context) -> WizardView:  # type: ignore[no-untyped-def]
    return wizard(qtbot, context, 700)


def _fill_individual(qtbot, page: IdentityPage, mobile: str = "13800138000") -> None:  # type: ignore[no-untyped-def]
    _type(qtbot, page.field("ind_name"), "张三")
    qtbot.keyClicks(page.field("ind_id_number"), VALID_ID)
    qtbot.keyClicks(page.field("ind_mobile"), mobile)


def _tick_documents(qtbot, page: IdentityPage) -> None:  # type: ignore[no-untyped-def]
    for row in page._doc_rows:
        qtbot.mouseClick(row.check, Qt.MouseButton.LeftButton)


def test_wrong_id_number_shows_the_chinese_message_next_to_the_field(qtbot, signed_in, zh) -> None:  # type: ignore[no-untyped-def]
    view = _wizard(qtbot, signed_in)
    page = view.page
    assert isinstance(page, IdentityPage)
    qtbot.keyClicks(page.field("ind_id_number"), "110105194912310021")
    label = page.message_label("ind_id_number")
    assert label.isVisible()
    assert label.text() == "居民身份证号码无效：校验位不正确"


def test_wrong_mobile_shows_the_english_message_next_to_the_field(qtbot, signed_in, en) -> None:  # type: ignore[no-untyped-def]
    view = _wizard(qtbot, signed_in)
    page = view.page
    assert isinstance(page, IdentityPage)
    qtbot.keyClicks(page.field("ind_mobile"), "1380013800")
    assert page.message_label("ind_mobile").text().startswith("invalid mobile number")


def test_untouched_empty_field_shows_no_message(qtbot, signed_in, zh) -> None:  # type: ignore[no-untyped-def]
    view = _wizard(qtbot, signed_in)
    page = view.page
    assert isinstance(page, IdentityPage)
    assert not page.message_label("ind_name").isVisible()


def test_next_is_disabled_until_the_identity_page_is_valid(qtbot, signed_in, zh) -> None:  # type: ignore[no-untyped-def]
    view = _wizard(qtbot, signed_in)
    page = view.page
    assert isinstance(page, IdentityPage)
    assert not view.next_button.isEnabled()
    _fill_individual(qtbot, page)
    assert not view.next_button.isEnabled()  # documents not yet ticked
    _tick_documents(qtbot, page)
    assert view.next_button.isEnabled()


def test_unit_needs_licence_letter_and_agent_id(qtbot, signed_in, zh) -> None:  # type: ignore[no-untyped-def]
    view = _wizard(qtbot, signed_in)
    page = view.page
    assert isinstance(page, IdentityPage)
    qtbot.mouseClick(page.form.get(QRadioButton, "kind_unit"), Qt.MouseButton.LeftButton)
    for name, text in (
        ("unit_name", "山西某某科技有限公司"),
        ("unit_uscc", "91110000600037341L"),
        ("unit_legal_representative", "李四"),
        ("unit_social_insurance_unit_number", "14010012345"),
        ("agent_name", "王五"),
        ("agent_id_number", VALID_ID),
        ("agent_mobile", "13900139000"),
    ):
        _type(qtbot, page.field(name), text)
    kinds = [row.type.value for row in page._doc_rows]
    assert kinds == ["business_licence", "authorisation_letter", "resident_id_card"]


def test_back_keeps_what_was_typed(qtbot, signed_in, zh) -> None:  # type: ignore[no-untyped-def]
    view = _wizard(qtbot, signed_in)
    page = view.page
    assert isinstance(page, IdentityPage)
    _to_agreement(qtbot, view)
    qtbot.mouseClick(view.back_button, Qt.MouseButton.LeftButton)
    assert view.page is page
    assert page.field("ind_name").text() == "张三"
    assert page.field("ind_id_number").text() == VALID_ID
    assert all(row.check.isChecked() for row in page._doc_rows)
    assert view.next_button.isEnabled()


def _to_agreement(qtbot, view: WizardView) -> AgreementPage:  # type: ignore[no-untyped-def]
    page = view.page
    assert isinstance(page, IdentityPage)
    _fill_individual(qtbot, page)
    _tick_documents(qtbot, page)
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    agreement = view.page
    assert isinstance(agreement, AgreementPage)
    qtbot.waitUntil(lambda: agreement.agreement is not None, timeout=5000)
    return agreement


def test_accepted_box_stays_disabled_before_the_end_is_reached(qtbot, signed_in, zh) -> None:  # type: ignore[no-untyped-def]
    view = _wizard(qtbot, signed_in)
    page = _to_agreement(qtbot, view)
    qtbot.wait(50)
    assert not page.accepted_check.isEnabled()
    assert not view.next_button.isEnabled()


def test_accepting_is_possible_after_scrolling_to_the_end(qtbot, signed_in, zh) -> None:  # type: ignore[no-untyped-def]
    view = _wizard(qtbot, signed_in)
    page = _to_agreement(qtbot, view)
    page.text_view.setFocus()
    qtbot.keyClick(page.text_view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(page.accepted_check.isEnabled, timeout=5000)
    qtbot.keyClick(page.accepted_check, Qt.Key.Key_Space)
    assert page.accepted_check.isChecked()
    assert view.next_button.isEnabled()


def test_agreement_shows_version_and_sha256_of_the_text(qtbot, signed_in, zh) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    from counter_app.config import resource_path

    view = _wizard(qtbot, signed_in)
    page = _to_agreement(qtbot, view)
    expected = hashlib.sha256(resource_path("agreements", "v1.zh.txt").read_bytes()).hexdigest()
    assert page.version_value.text() == "v1"
    assert page.hash_value.text() == expected


def test_a_scroll_check_queued_as_the_page_is_deleted_is_dropped(qtbot, signed_in, zh) -> None:  # type: ignore[no-untyped-def]
    import shiboken6

    view = _wizard(qtbot, signed_in)
    page = _to_agreement(qtbot, view)
    # Deleting the page deletes its text view, whose scroll bar changes on the way out and
    # queues a check of whether the text's end shows: it must die with the page.
    shiboken6.delete(page)
    qtbot.wait(50)  # pytest-qt fails the test on any exception raised in the event loop
    assert not shiboken6.isValid(page)
