"""The reviewer rule and the fee page's messages, as the clerk types (real widgets, real store)."""

from __future__ import annotations

from counter_app.gui.pages.fee import FeePage
from counter_app.gui.pages.reviewer import ReviewerPage
from tests.gui.conftest import OPERATORS
from tests.gui.drive import (
    accept_agreement,
    ask_waiver,
    click,
    fill_identity,
    review_dialog,
    sign_dialog,
    tick,
    type_text,
    wait_until,
    wizard,
)


def _to_fee(qtbot, context) -> tuple:  # type: ignore[no-untyped-def]
    view = wizard(qtbot, context)
    fill_identity(view)
    accept_agreement(view)
    page = view.page
    assert isinstance(page, FeePage)
    return view, page


def _to_review(qtbot, context):  # type: ignore[no-untyped-def]
    view, fee = _to_fee(qtbot, context)
    type_text(fee.tendered_edit, "100")
    click(view.next_button)
    page = view.page
    assert isinstance(page, ReviewerPage)
    return view, page


def _refused_beside_the_name(dialog, start: str) -> None:  # type: ignore[no-untyped-def]
    wait_until(lambda: dialog.name_msg.text() != "")
    assert dialog.name_msg.text().startswith(start)


def _approved_by_rev1(page: ReviewerPage) -> None:
    sign_dialog(review_dialog(page), "rev1", OPERATORS["rev1"][1])
    wait_until(lambda: page.reviewer is not None)


def test_fee_comes_from_the_fee_table_for_the_certificate_type(qtbot, counter_context, zh) -> None:  # type: ignore[no-untyped-def]
    _, page = _to_fee(qtbot, counter_context)
    assert page.type_combo.currentText() == "个人数字证书"
    assert page.fee_value.text() == "¥100.00"


def test_change_is_shown_as_the_clerk_types(qtbot, counter_context, zh) -> None:  # type: ignore[no-untyped-def]
    view, page = _to_fee(qtbot, counter_context)
    type_text(page.tendered_edit, "150")
    assert page.change_value.text().startswith("¥50.00")
    assert view.next_button.isEnabled()


def test_too_little_cash_is_said_next_to_the_field_and_blocks_next(
    qtbot, counter_context, en
) -> None:  # type: ignore[no-untyped-def]
    view, page = _to_fee(qtbot, counter_context)
    type_text(page.tendered_edit, "99.99")
    assert page.tendered_msg.isVisible()
    assert "99.99" in page.tendered_msg.text()
    assert not view.next_button.isEnabled()


def test_waiver_approved_by_the_clerk_is_refused_next_to_the_approver(
    qtbot, counter_context, en
) -> None:  # type: ignore[no-untyped-def]
    view, page = _to_fee(qtbot, counter_context)
    dialog = ask_waiver(page, "clerk1")
    # The clerk's own name is refused beside the field before any password is sent.
    assert dialog.name_msg.isVisible() and not dialog.approve_button.isEnabled()
    assert page.supervisor is None
    assert not view.next_button.isEnabled()


def test_waiver_approved_by_a_supervisor_allows_next(qtbot, counter_context, en) -> None:  # type: ignore[no-untyped-def]
    view, page = _to_fee(qtbot, counter_context)
    dialog = ask_waiver(page, "supervisor")
    assert not view.next_button.isEnabled()  # a typed name alone waives nothing
    sign_dialog(dialog, None, OPERATORS["supervisor"][1])
    wait_until(lambda: view.next_button.isEnabled(), 10000)
    assert page.approver_msg.text() == ""
    assert page.supervisor is not None and page.supervisor.name == "supervisor"


def test_waiver_signed_in_by_a_reviewer_is_refused(qtbot, counter_context, en) -> None:  # type: ignore[no-untyped-def]
    view, page = _to_fee(qtbot, counter_context)
    dialog = ask_waiver(page, "rev1")
    sign_dialog(dialog, None, OPERATORS["rev1"][1])
    _refused_beside_the_name(dialog, "rev1 is not a supervisor")
    assert page.supervisor is None and not view.next_button.isEnabled()


def test_clerk_cannot_approve_their_own_application(qtbot, counter_context, zh) -> None:  # type: ignore[no-untyped-def]
    view, page = _to_review(qtbot, counter_context)
    dialog = review_dialog(page)
    type_text(dialog.name_edit, "clerk1")
    assert dialog.name_msg.isVisible()
    assert dialog.name_msg.text().startswith("受理员不能审核自己受理的申请")
    assert not dialog.approve_button.isEnabled()
    assert not view.next_button.isEnabled()


def test_another_clerk_is_not_a_reviewer(qtbot, counter_context, en) -> None:  # type: ignore[no-untyped-def]
    view, page = _to_review(qtbot, counter_context)
    dialog = review_dialog(page)
    sign_dialog(dialog, "clerk2", OPERATORS["clerk2"][1])
    _refused_beside_the_name(dialog, "the approver must be a reviewer or a supervisor")
    assert page.reviewer is None and not view.next_button.isEnabled()


def test_wrong_reviewer_password_is_said_next_to_the_password(qtbot, counter_context, en) -> None:  # type: ignore[no-untyped-def]
    _view, page = _to_review(qtbot, counter_context)
    dialog = review_dialog(page)
    sign_dialog(dialog, "rev1", "not-the-password")
    wait_until(lambda: dialog.password_msg.text() != "")
    assert dialog.password_edit.text() == ""
    assert page.reviewer is None


def test_reviewer_approval_enables_next(qtbot, counter_context, zh) -> None:  # type: ignore[no-untyped-def]
    view, page = _to_review(qtbot, counter_context)
    _approved_by_rev1(page)
    assert page.status_label.text() == "已由 rev1 审核。"
    assert view.next_button.isEnabled()


def test_changing_the_fee_after_approval_asks_for_approval_again(
    qtbot, counter_context, zh
) -> None:  # type: ignore[no-untyped-def]
    view, page = _to_review(qtbot, counter_context)
    _approved_by_rev1(page)
    click(view.back_button)
    fee = view.page
    assert isinstance(fee, FeePage)
    sign_dialog(ask_waiver(fee, "supervisor", "JM-2026-02"), None, OPERATORS["supervisor"][1])
    wait_until(lambda: view.next_button.isEnabled(), 10000)
    click(view.next_button)
    assert view.page is page
    assert page.reviewer is None and not view.next_button.isEnabled()


def test_reviewer_approves_an_additional_certificate_explicitly(qtbot, counter_context, en) -> None:  # type: ignore[no-untyped-def]
    view, page = _to_review(qtbot, counter_context)
    assert page.additional_check.isVisible() and not page.additional_check.isChecked()
    tick(page.additional_check)
    _approved_by_rev1(page)
    assert page.apply()["additional_certificate"] is True
    # Changing what was approved asks for the approval again.
    tick(page.additional_check)
    assert page.reviewer is None and not view.next_button.isEnabled()


def test_fee_page_offers_only_what_the_inserted_token_can_make(qtbot, counter_context, en) -> None:  # type: ignore[no-untyped-def]
    from pkcs11 import Mechanism, MechanismFlag

    from counter_app.token.capabilities import TokenCapabilities
    from counter_app.token.mechanisms import MechanismLimits

    _view, page = _to_fee(qtbot, counter_context)
    rsa_only = TokenCapabilities(
        serial="1",
        label="RSA-ONLY",
        model="m",
        mechanisms={
            int(Mechanism.RSA_PKCS_KEY_PAIR_GEN): MechanismLimits(
                1024, 2048, int(MechanismFlag.GENERATE_KEY_PAIR)
            ),
            int(Mechanism.RSA_PKCS): MechanismLimits(1024, 2048, int(MechanismFlag.SIGN)),
        },
        min_pin=4,
        max_pin=8,
    )
    page._token_read([rsa_only])
    model = page.algorithm_combo.model()
    enabled = {
        page.algorithm_combo.itemData(i): model.item(i).isEnabled()
        for i in range(page.algorithm_combo.count())
    }
    assert enabled == {"ec-p256": False, "rsa-2048": True, "rsa-3072": False, "sm2": False}
    assert page.algorithm_combo.currentData() == "rsa-2048"
    assert (
        page.algorithm_note.text()
        == "The token in the reader (RSA-ONLY) cannot make: ECC P-256, RSA 3072, SM2."
    )


def _summary(qtbot, context) -> str:  # type: ignore[no-untyped-def]
    """What the reviewer reads before signing in."""
    _, page = _to_review(qtbot, context)
    return str(page.summary_label.text())


def test_reviewer_sees_the_whole_application_before_signing_in(qtbot, counter_context, en) -> None:  # type: ignore[no-untyped-def]
    text = _summary(qtbot, counter_context)
    assert "Subscriber: 张三 (11010519491231002X)" in text
    assert "Contact: 13800138000" in text
    assert "Documents seen: Resident id card 11010519491231002X" in text
    assert "Certificate type: Individual certificate" in text
    assert "Key algorithm: ECC P-256" in text
    assert "Agreement accepted: version 1" in text
    assert "Fee: ¥100.00" in text
    assert "Cash received: ¥100" in text


def test_reviewer_summary_is_in_chinese(qtbot, counter_context, zh) -> None:  # type: ignore[no-untyped-def]
    text = _summary(qtbot, counter_context)
    for fragment in (
        "订户：张三（11010519491231002X）",
        "已查验证件和材料：居民身份证 11010519491231002X",
        "证书种类：个人数字证书",
        "密钥算法：ECC P-256",
        "应收费用：¥100.00",
    ):
        assert fragment in text
