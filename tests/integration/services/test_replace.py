"""更新 / 变更 / 增加应用项 / 补办 / 解锁 through the real CLI on SoftHSM."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import CLIResult
from tests.integration.services.conftest import SO_PIN, USER_PIN, Counter, in_cash

REPO = Path(__file__).resolve().parents[3]
CASH_80 = ("--method", "cash", "--tendered", "80.00")


def _objects(counter: Counter, label: str = "SUB1") -> tuple[int, int]:
    objects = counter.token_objects(label)
    return objects.count("Private Key Object"), objects.count("Certificate Object")


def test_renewal_before_the_window_is_refused(counter: Counter) -> None:
    facts = counter.enrolled()
    result = counter.with_token("renew", facts["serial"], *CASH_80)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert _objects(counter) == (1, 1)


def test_renewal_makes_a_new_key_and_supersedes_the_old(short_lived: Counter) -> None:
    counter = short_lived
    old = counter.enrolled()
    result = counter.with_token("renew", old["serial"], *CASH_80)
    assert result.returncode == 0, result.stderr
    new = json.loads(result.stdout)
    assert new["serial"] != old["serial"]
    assert counter.cert(old["serial"])["reason"] == "superseded"
    assert counter.cert(new["serial"])["status"] == "active"
    assert _objects(counter) == (1, 1)
    again = counter.with_token("renew", old["serial"], *CASH_80)
    assert again.returncode == 2


def _change(counter: Counter, serial: str, changes: dict[str, object]) -> CLIResult:
    """``change SERIAL changes.json`` on SUB1, paid by card."""
    path = counter.tmp / "changes.json"
    path.write_text(json.dumps(changes))
    return counter.with_token("change", serial, str(path), "--method", "card")


def test_change_issues_a_certificate_with_the_corrected_details(counter: Counter) -> None:
    old = counter.enrolled()
    changes = {
        "subscriber": {"mobile": "13911112222", "email": "zs@example.cn"},
        "documents": [{"type": "resident_id_card", "number": "140105198506122318"}],
    }
    result = _change(counter, old["serial"], changes)
    assert result.returncode == 0, result.stderr
    new = json.loads(result.stdout)
    shown = json.loads(counter.run("application", "show", new["application_id"]).stdout)
    assert shown["subscriber"]["mobile"] == "13911112222"
    assert counter.cert(old["serial"])["status"] == "revoked"


def test_change_cannot_alter_who_the_subscriber_is(counter: Counter) -> None:
    old = counter.enrolled()
    same_id = "11010519491231002X"
    changes = {"subscriber": {"id_number": same_id, "social_insurance_number": same_id}}
    result = _change(counter, old["serial"], changes)
    assert result.returncode == 2
    assert counter.cert(old["serial"])["status"] == "active"


def test_item_not_carried_in_certificates_is_only_recorded(counter: Counter) -> None:
    old = counter.enrolled()
    result = counter.with_token("add-item", old["serial"], "si-online", *in_cash("50.00"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["new_certificate"] is False
    assert counter.cert(old["serial"])["items"] == ["si-online"]


def test_item_carried_in_certificates_issues_a_new_one(counter: Counter) -> None:
    old = counter.enrolled("unit")
    result = counter.with_token(
        "add-item", old["serial"], "medical-settlement", "--method", "transfer"
    )
    assert result.returncode == 0, result.stderr
    new = json.loads(result.stdout)
    assert counter.cert(new["serial"])["items"] == ["medical-settlement"]
    assert counter.cert(old["serial"])["status"] == "revoked"


def test_unknown_item_is_refused(counter: Counter) -> None:
    old = counter.enrolled()
    result = counter.with_token("add-item", old["serial"], "no-such-item")
    assert result.returncode == 2


def test_reissue_onto_a_new_token_revokes_the_lost_one(counter: Counter) -> None:
    old = counter.enrolled()
    counter.token("SUB2")
    result = counter.with_token("reissue", old["serial"], *in_cash("100.00"), label="SUB2")
    assert result.returncode == 0, result.stderr
    assert _objects(counter, "SUB2") == (1, 1)
    assert counter.cert(old["serial"])["status"] == "revoked"


def test_reissue_onto_the_same_token_is_refused(counter: Counter) -> None:
    old = counter.enrolled()
    result = counter.with_token("reissue", old["serial"], *in_cash("100.00"))
    assert result.returncode == 2


def _unlock(counter: Counter, identity: str) -> CLIResult:
    """Unlock SUB1 to the new PIN 864200 for the holder of ``identity``, paid in cash."""
    return counter.with_token(
        "token",
        "unlock",
        "--identity",
        identity,
        *in_cash("20.00"),
        env={"COUNTER_APP_SO_PIN": SO_PIN, "COUNTER_APP_NEW_USER_PIN": "864200"},
    )


def _login(counter: Counter, pin: str) -> subprocess.CompletedProcess[str]:
    """SUB1's objects listed after a login with ``pin``."""
    return counter.softhsm.pkcs11_tool(
        "--token-label", "SUB1", "--login", "--pin", pin, "-O", check=False
    )


def test_unlock_resets_the_pin_after_the_identity_check(counter: Counter) -> None:
    counter.enrolled()
    result = _unlock(counter, "140105198506122318")
    assert result.returncode == 0, result.stderr
    login = _login(counter, "864200")
    assert login.returncode == 0 and "Private Key Object" in login.stdout
    assert _login(counter, USER_PIN).returncode != 0


def test_unlock_with_someone_elses_identity_is_refused(counter: Counter) -> None:
    counter.enrolled()
    result = _unlock(counter, "11010519491231002X")
    assert result.returncode == 2
    assert _login(counter, USER_PIN).returncode == 0
