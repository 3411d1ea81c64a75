"""Every service wizard's flow, without Qt: which page follows which and what each needs."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from counter_app.gui.wizard.flow import FlowError, WizardFlow
from counter_app.gui.wizard.flows import FLOWS, enrollment_flow, replacement_flow, unlock_flow


def _walk(flow: WizardFlow, extra: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """Go forward to the end, each page producing what it declares (plus ``extra`` by step)."""
    path = [flow.current.id]
    while not flow.is_last():
        step = flow.current
        produced = {key: f"<{key}>" for key in step.provides} | dict((extra or {}).get(step.id, {}))
        path.append(flow.advance(produced).id)
    return path


def test_every_service_wizard_has_a_flow() -> None:
    assert set(FLOWS) == {"enroll", "unlock", "renew", "reissue", "change", "add_item"}
    for make in FLOWS.values():
        assert make() is not make()  # a fresh flow per wizard shown


def test_enrollment_goes_through_agreement_fee_review_and_token() -> None:
    assert _walk(enrollment_flow()) == [
        "identity",
        "agreement",
        "fee",
        "review",
        "token",
        "result",
    ]


def test_unlock_takes_the_fee_first() -> None:
    assert _walk(unlock_flow()) == ["fee", "review", "token", "result"]


@pytest.mark.parametrize("service", ["renew", "reissue"])
def test_renew_and_reissue_always_make_a_new_certificate(service: str) -> None:
    assert _walk(replacement_flow(service)) == [
        "certificate",
        "fee",
        "review",
        "token",
        "result",
    ]


@pytest.mark.parametrize(("service", "middle"), [("change", "changes"), ("add_item", "item")])
def test_change_and_add_item_are_recorded_without_a_new_certificate(
    service: str, middle: str
) -> None:
    assert _walk(replacement_flow(service)) == [
        "certificate",
        middle,
        "fee",
        "review",
        "record",
        "result",
    ]


@pytest.mark.parametrize(("service", "middle"), [("change", "changes"), ("add_item", "item")])
def test_change_and_add_item_go_to_the_token_for_a_new_certificate(
    service: str, middle: str
) -> None:
    path = _walk(replacement_flow(service), {middle: {"new_certificate": True}})
    assert path == ["certificate", middle, "fee", "review", "token", "result"]


def test_back_keeps_what_was_typed() -> None:
    flow = replacement_flow("change")
    flow.advance({"certificate": "c", "serial": "01"})
    flow.back()
    assert flow.current.id == "certificate"
    assert flow.data["serial"] == "01"


def test_a_page_that_does_not_provide_its_data_stops_the_flow() -> None:
    flow = enrollment_flow()
    with pytest.raises(FlowError):
        flow.advance({"subscriber": "s"})  # no documents


def test_a_step_needs_its_data_first() -> None:
    # The fee page prices the subscriber's certificate: it cannot come before the identity.
    with pytest.raises(FlowError):
        WizardFlow.of(enrollment_flow().steps.values(), start="fee")


def test_the_flows_import_no_qt() -> None:
    package = Path(__file__).resolve().parents[3] / "counter_app" / "gui" / "wizard"
    for name in ("flow.py", "flows.py"):
        tree = ast.parse((package / name).read_text(encoding="utf-8"))
        imported = {
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        } | {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
        assert not {m for m in imported if m.startswith(("PySide6", "shiboken6"))}, name
