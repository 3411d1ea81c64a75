"""The wizard flow without Qt: next steps, branches, data kept on Back, declared needs."""

from __future__ import annotations

import pytest

from counter_app.gui.wizard.flow import FlowError, Step, WizardFlow


def _flow() -> WizardFlow:
    return WizardFlow.of(
        [
            Step("kind", next=lambda d: "unit" if d.get("kind") == "unit" else "person"),
            Step("person", next="agreement", provides=("name",)),
            Step("unit", next="agreement", provides=("name",)),
            Step("agreement", next=None, needs=("name",)),
        ]
    )


def test_flow_starts_at_the_first_step() -> None:
    assert _flow().current.id == "kind"


def test_flow_follows_a_branch_chosen_by_the_data() -> None:
    flow = _flow()
    assert flow.advance({"kind": "unit"}).id == "unit"


def test_back_returns_to_the_previous_step_and_keeps_the_data() -> None:
    flow = _flow()
    flow.advance({"kind": "person"})
    flow.advance({"name": "张三"})
    assert flow.back().id == "person"
    assert flow.data == {"kind": "person", "name": "张三"}


def test_a_step_missing_what_it_provides_cannot_advance() -> None:
    flow = _flow()
    flow.advance({"kind": "person"})
    with pytest.raises(FlowError):
        flow.advance({})


def test_a_step_cannot_be_reached_without_the_data_it_needs() -> None:
    flow = WizardFlow.of([Step("a", next="b"), Step("b", needs=("x",))])
    with pytest.raises(FlowError):
        flow.advance({})


def test_the_last_step_is_recognised() -> None:
    flow = _flow()
    flow.advance({"kind": "person"})
    flow.advance({"name": "张三"})
    assert flow.is_last()


def test_position_counts_the_steps_on_the_current_path() -> None:
    flow = _flow()
    flow.advance({"kind": "unit"})
    assert flow.position() == (2, 3)


def test_back_from_the_first_step_is_refused() -> None:
    with pytest.raises(FlowError):
        _flow().back()


def test_an_unknown_next_step_is_refused() -> None:
    flow = WizardFlow.of([Step("a", next="nowhere")])
    with pytest.raises(FlowError):
        flow.advance({})
