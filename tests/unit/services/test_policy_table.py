"""``counter-app policy`` prints every action the policy decides on."""

from __future__ import annotations

from collections import Counter as Tally

from counter_app.domain.policy import POLICY, Action, policy_table


def test_policy_table_lists_every_action_once() -> None:
    rows = policy_table()
    tally = Tally(row["action"] for row in rows)
    for action in Action:
        assert tally[action.value] == 1, action
    assert set(POLICY) == set(Action)


def test_policy_table_lists_the_waiver_as_a_supervisors_sign_in() -> None:
    [waiver] = [row for row in policy_table() if row["action"] == "waiver"]
    assert waiver["supervisor_sign_in"] is True
