"""The home page, the subscriber view and the signing module page on a real counter."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from counter_app.gui.admin import SigningPage
from counter_app.gui.home import HomePage
from counter_app.gui.main_window import MainWindow
from counter_app.gui.subscribers import SubscribersScreen
from counter_app.gui.wizard.view import WizardView
from counter_app.store.models import AuditEvent
from tests.gui.drive import click, on_screen, type_text, wait_until


def _home(qtbot, context) -> HomePage:  # type: ignore[no-untyped-def]
    page = HomePage(context)
    qtbot.addWidget(page)
    page.show()
    wait_until(lambda: page.figures is not None or page.error)
    return page


def _cells(table) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [
        [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def test_home_counts_todays_services_and_money(qtbot, counter_context, counter, en) -> None:  # type: ignore[no-untyped-def]
    counter.enrolled()  # by the CLI's clerk (clerk1), cash ¥100
    page = _home(qtbot, counter_context)
    services = _cells(page.services_table)
    assert ["Enroll", "1", "1"] in services
    money = _cells(page.money_table)
    assert ["Cash", "¥100.00", "¥0.00", "¥100.00"] in money


def test_home_says_nothing_is_interrupted(qtbot, counter_context, en) -> None:  # type: ignore[no-untyped-def]
    page = _home(qtbot, counter_context)
    assert page.interrupted_label.text() == "None: every service was finished."
    assert not page.recover_button.isEnabled()


def test_home_names_whose_token_is_in_the_reader(qtbot, counter_context, counter, en) -> None:  # type: ignore[no-untyped-def]
    enrolled = counter.enrolled()
    page = _home(qtbot, counter_context)
    token = SimpleNamespace(label="SUB1", serial=enrolled["token_serial"], initialised=True)
    page.show_tokens([token])
    wait_until(lambda: "张三" in page.token_label.text())
    assert enrolled["application_id"] in page.token_label.text()


def test_home_says_a_blank_token_is_nobodys(qtbot, counter_context, en) -> None:  # type: ignore[no-untyped-def]
    page = _home(qtbot, counter_context)
    page.show_tokens([SimpleNamespace(label="NEW", serial="0000FFFF", initialised=True)])
    wait_until(lambda: "not issued at this counter" in page.token_label.text())


def _subscribers(qtbot, context) -> SubscribersScreen:  # type: ignore[no-untyped-def]
    return on_screen(qtbot, SubscribersScreen(context), 1100)


def _search(screen: SubscribersScreen, text: str) -> None:
    screen.search_edit.clear()
    type_text(screen.search_edit, text)
    click(screen.search_button)
    wait_until(lambda: screen.page is not None or screen.message_label.text() != "")


def test_subscriber_page_by_name(qtbot, counter_context, counter, en) -> None:  # type: ignore[no-untyped-def]
    enrolled = counter.enrolled()
    screen = _subscribers(qtbot, counter_context)
    _search(screen, "张三")
    assert screen.page is not None and screen.page.name == "张三"
    assert screen.certificates_table.item(0, 0).text() == enrolled["serial"]
    assert screen.certificates_table.item(0, 1).text() == "Active"
    assert screen.applications_table.item(0, 0).text() == enrolled["application_id"]
    assert screen.applications_table.item(0, 4).text() == "ECC P-256"
    assert screen.money_table.item(0, 0).text() == enrolled["receipt_number"]
    assert screen.documents_table.rowCount() == 1


def test_subscriber_found_by_receipt_token_and_application(
    qtbot, counter_context, counter, en
) -> None:  # type: ignore[no-untyped-def]
    enrolled = counter.enrolled()
    screen = _subscribers(qtbot, counter_context)
    for key, found_by in (
        (enrolled["receipt_number"], "receipt"),
        (enrolled["token_serial"], "token serial"),
        (enrolled["application_id"], "application"),
        ("140105198506122318", "ID number / USCC"),
    ):
        screen.page = None
        _search(screen, key)
        assert screen.hits_table.item(0, 0).text() == "张三 (Individual)", key
        assert screen.hits_table.item(0, 2).text() == found_by


def test_reading_a_subscriber_is_audited(qtbot, counter_context, counter, en) -> None:  # type: ignore[no-untyped-def]
    counter.enrolled()
    screen = _subscribers(qtbot, counter_context)
    _search(screen, "张三")
    with counter_context.store.session() as session:
        rows = session.execute(
            select(AuditEvent.operator, AuditEvent.action).where(
                AuditEvent.action.in_(("read.subscriber", "read.subscriber_search"))
            )
        ).all()
    assert ("clerk1", "read.subscriber") in rows
    assert ("clerk1", "read.subscriber_search") in rows


def test_a_one_letter_search_is_refused_beside_the_field(qtbot, counter_context, en) -> None:  # type: ignore[no-untyped-def]
    screen = _subscribers(qtbot, counter_context)
    _search(screen, "张")
    assert "at least 2 characters" in screen.message_label.text()


def test_renew_started_from_the_subscriber_page_is_prefilled(
    qtbot, counter_context, counter, en
) -> None:  # type: ignore[no-untyped-def]
    enrolled = counter.enrolled()
    window = MainWindow(counter_context, watch_tokens=False)
    qtbot.addWidget(window)
    window.show()
    screen = window.open_service("subscribers")
    assert isinstance(screen, SubscribersScreen)
    _search(screen, "张三")
    screen.certificates_table.selectRow(0)
    click(screen.action_buttons["renew"])
    wizard = window.work_area.currentWidget()
    assert isinstance(wizard, WizardView)
    page = wizard.page
    assert page.serial_edit.text() == enrolled["serial"]  # type: ignore[attr-defined]
    wait_until(lambda: page.view is not None)  # type: ignore[attr-defined]


def test_reprint_receipt_writes_the_pdf(qtbot, counter_context, counter, en) -> None:  # type: ignore[no-untyped-def]
    enrolled = counter.enrolled()
    screen = _subscribers(qtbot, counter_context)
    _search(screen, "张三")
    screen.applications_table.selectRow(0)
    assert screen.print_buttons["receipt"].isEnabled()
    assert not screen.print_buttons["change-form"].isEnabled()
    click(screen.print_buttons["receipt"])
    wait_until(lambda: "Written to" in screen.message_label.text())
    path = (
        counter_context.config.data_dir / "printouts" / f"receipt-{enrolled['receipt_number']}.pdf"
    )
    assert path.read_bytes().startswith(b"%PDF")
    if screen.preview is not None:
        screen.preview.close()


def test_a_reviewer_sees_no_service_buttons(qtbot, counter_context, counter, en) -> None:  # type: ignore[no-untyped-def]
    from counter_app.services import operators
    from tests.integration.services.conftest import OPERATORS

    counter_context.operator = operators.authenticate(
        counter_context.store, "rev1", OPERATORS["rev1"][1]
    )
    screen = _subscribers(qtbot, counter_context)
    assert not any(b.isVisible() for b in screen.action_buttons.values())


def test_signing_page_shows_chain_and_crl(qtbot, counter_context, en) -> None:  # type: ignore[no-untyped-def]
    page = SigningPage(counter_context)
    qtbot.addWidget(page)
    page.show()
    wait_until(lambda: page.status is not None)
    roles = [page.table.item(r, 0).text() for r in range(page.table.rowCount())]
    assert roles == ["Root CA", "Issuing CA", "OCSP responder"]
    assert page.crl_label.text().startswith("CRL number")
    assert "(Beijing time)" in page.crl_label.text()


def test_unit_found_by_its_agents_id_and_agent_listed(qtbot, counter_context, counter, en) -> None:  # type: ignore[no-untyped-def]
    counter.enrolled("unit", label="UNIT1")
    screen = _subscribers(qtbot, counter_context)
    _search(screen, "140102199003071526")  # the agent's resident ID, not the unit's USCC
    assert screen.hits_table.item(0, 0).text() == "太原市某某科技有限公司 (Unit)"
    assert screen.hits_table.item(0, 2).text() == "agent's ID"
    assert screen.agents_table.item(0, 0).text() == "李四"
    assert screen.agents_table.item(0, 1).text() == "140102199003071526"


def test_home_shows_what_the_doctor_finds(qtbot, counter_context, en) -> None:  # type: ignore[no-untyped-def]
    data_dir = counter_context.config.data_dir
    data_dir.chmod(0o755)  # readable by every user of the PC: the doctor's permission check
    page = _home(qtbot, counter_context)
    wait_until(lambda: page.findings is not None)
    assert page.problems_label.isVisibleTo(page)
    assert str(data_dir) in page.problems_label.text()


def test_home_does_not_ask_for_the_ca_passphrase_the_session_opened_with(  # type: ignore[no-untyped-def]
    qtbot, counter_context, en, monkeypatch
) -> None:
    monkeypatch.delenv("COUNTER_APP_CA_PASSPHRASE", raising=False)
    counter_context.config.data_dir.chmod(0o700)
    page = _home(qtbot, counter_context)
    wait_until(lambda: page.findings is not None)
    assert [f.check for f in page.findings if f.check in ("secrets", "ca_keys")] == []
