"""Sign-in lockout through the real console script."""

from __future__ import annotations

import json

from tests.conftest import ADMIN_PASSWORD, CLI, add_officers

ADMIN = {"COUNTER_APP_OPERATOR": "admin", "COUNTER_APP_PASSWORD": ADMIN_PASSWORD}
CLERK = {"COUNTER_APP_OPERATOR": "clerk1", "COUNTER_APP_PASSWORD": "Clerk-pass1"}
WRONG = {"COUNTER_APP_OPERATOR": "clerk1", "COUNTER_APP_PASSWORD": "Wrong-pass1"}


def _with_clerk(cli: CLI) -> CLI:
    add_officers(cli, {"clerk1": ("clerk", "Clerk-pass1")})
    return cli


def test_fifth_wrong_password_says_the_operator_is_locked(initialised_cli: CLI) -> None:
    cli = _with_clerk(initialised_cli)
    for _ in range(4):
        assert (
            "wrong operator name or password"
            in cli("--lang", "en", "operator", "passwd", env=WRONG).stderr
        )
    fifth = cli("--lang", "en", "operator", "passwd", env=WRONG)
    assert fifth.returncode == 2
    assert fifth.stderr.count("\n") == 1
    assert "locked after 5 failed sign-ins" in fifth.stderr
    assert "counter-app operator unlock clerk1" in fifth.stderr


def test_right_password_of_a_locked_operator_gets_the_wrong_passwords_answer(
    initialised_cli: CLI,
) -> None:
    cli = _with_clerk(initialised_cli)
    for _ in range(5):
        cli("operator", "passwd", env=WRONG)
    right = cli("operator", "passwd", env={**CLERK, "COUNTER_APP_NEW_PASSWORD": "Clerk-pass2"})
    wrong = cli("operator", "passwd", env=WRONG)
    assert right.returncode == wrong.returncode == 2
    assert right.stderr == wrong.stderr


def test_admin_unlock_lets_a_locked_operator_sign_in(initialised_cli: CLI) -> None:
    cli = _with_clerk(initialised_cli)
    for _ in range(5):
        cli("operator", "passwd", env=WRONG)
    listed = json.loads(cli("operator", "list", "--json", env=ADMIN).stdout)
    assert next(o for o in listed if o["name"] == "clerk1")["locked_until"] is not None
    unlocked = cli("operator", "unlock", "clerk1", env=ADMIN)
    assert unlocked.returncode == 0, unlocked.stderr
    again = cli("operator", "passwd", env={**CLERK, "COUNTER_APP_NEW_PASSWORD": "Clerk-pass2"})
    assert again.returncode == 0, again.stderr
    events = cli("audit", "list", "--json", env=ADMIN).stdout.splitlines()
    acted = [json.loads(line)["action"] for line in events]
    assert "operator.locked" in acted and "operator.unlock" in acted


def test_sign_in_name_with_a_new_line_is_refused_in_one_line(initialised_cli: CLI) -> None:
    forged = {
        "COUNTER_APP_OPERATOR": "x\nadmin\toperator.add",
        "COUNTER_APP_PASSWORD": "Wrong-pass1",
    }
    result = initialised_cli("--lang", "en", "operator", "list", env=forged)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "control" in result.stderr
    events = initialised_cli("audit", "list", "--json", env=ADMIN).stdout
    assert "operator.login_failed" not in events
