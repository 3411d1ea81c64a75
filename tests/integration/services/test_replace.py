"""更新 / 变更 / 增加应用项 / 补办 / 解锁 through the real CLI on SoftHSM."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.services.conftest import SO_PIN, USER_PIN, Counter

REPO = Path(__file__).resolve().parents[3]
CASH_80 = ("--method", "cash", "--tendered", "80.00")


def _objects(counter: Counter, label: str = "SUB1") -> tuple[int, int]:
    objects = counter.token_objects(label)
    return objects.count("Private Key Object"), objects.count("Certificate Object")


def test_renewal_before_the_window_is_refused(counter: Counter) -> None:
    facts = counter.enrolled()
    result = counter.run(
        "renew",
        facts["serial"],
        "--module",
        counter.softhsm.module,
        "--token-label",
        "SUB1",
        *CASH_80,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert _objects(counter) == (1, 1)


def test_renewal_makes_a_new_key_and_supersedes_the_old(short_lived: Counter) -> None:
    counter = short_lived
    old = counter.enrolled()
    result = counter.run(
        "renew",
        old["serial"],
        "--module",
        counter.softhsm.module,
        "--token-label",
        "SUB1",
        *CASH_80,
    )
    assert result.returncode == 0, result.stderr
    new = json.loads(result.stdout)
    assert new["serial"] != old["serial"]
    assert json.loads(counter.run("cert", "show", old["serial"]).stdout)["reason"] == "superseded"
    assert json.loads(counter.run("cert", "show", new["serial"]).stdout)["status"] == "active"
    assert _objects(counter) == (1, 1)
    again = counter.run(
        "renew",
        old["serial"],
        "--module",
        counter.softhsm.module,
        "--token-label",
        "SUB1",
        *CASH_80,
    )
    assert again.returncode == 2


def test_change_issues_a_certificate_with_the_corrected_details(counter: Counter) -> None:
    old = counter.enrolled()
    changes = counter.tmp / "changes.json"
    changes.write_text(
        json.dumps(
            {
                "subscriber": {"mobile": "13911112222", "email": "zs@example.cn"},
                "documents": [{"type": "resident_id_card", "number": "140105198506122318"}],
            }
        )
    )
    result = counter.run(
        "change",
        old["serial"],
        str(changes),
        "--module",
        counter.softhsm.module,
        "--token-label",
        "SUB1",
        "--method",
        "card",
    )
    assert result.returncode == 0, result.stderr
    new = json.loads(result.stdout)
    shown = json.loads(counter.run("application", "show", new["application_id"]).stdout)
    assert shown["subscriber"]["mobile"] == "13911112222"
    assert json.loads(counter.run("cert", "show", old["serial"]).stdout)["status"] == "revoked"


def test_change_cannot_alter_who_the_subscriber_is(counter: Counter) -> None:
    old = counter.enrolled()
    changes = counter.tmp / "changes.json"
    changes.write_text(
        json.dumps(
            {
                "subscriber": {
                    "id_number": "11010519491231002X",
                    "social_insurance_number": "11010519491231002X",
                }
            }
        )
    )
    result = counter.run(
        "change",
        old["serial"],
        str(changes),
        "--module",
        counter.softhsm.module,
        "--token-label",
        "SUB1",
        "--method",
        "card",
    )
    assert result.returncode == 2
    assert json.loads(counter.run("cert", "show", old["serial"]).stdout)["status"] == "active"


def test_item_not_carried_in_certificates_is_only_recorded(counter: Counter) -> None:
    old = counter.enrolled()
    result = counter.run(
        "add-item",
        old["serial"],
        "si-online",
        "--module",
        counter.softhsm.module,
        "--token-label",
        "SUB1",
        "--method",
        "cash",
        "--tendered",
        "50.00",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["new_certificate"] is False
    assert json.loads(counter.run("cert", "show", old["serial"]).stdout)["items"] == ["si-online"]


def test_item_carried_in_certificates_issues_a_new_one(counter: Counter) -> None:
    old = counter.enrolled("unit")
    result = counter.run(
        "add-item",
        old["serial"],
        "medical-settlement",
        "--module",
        counter.softhsm.module,
        "--token-label",
        "SUB1",
        "--method",
        "transfer",
    )
    assert result.returncode == 0, result.stderr
    new = json.loads(result.stdout)
    assert json.loads(counter.run("cert", "show", new["serial"]).stdout)["items"] == [
        "medical-settlement"
    ]
    assert json.loads(counter.run("cert", "show", old["serial"]).stdout)["status"] == "revoked"


def test_unknown_item_is_refused(counter: Counter) -> None:
    old = counter.enrolled()
    result = counter.run(
        "add-item",
        old["serial"],
        "no-such-item",
        "--module",
        counter.softhsm.module,
        "--token-label",
        "SUB1",
    )
    assert result.returncode == 2


def test_reissue_onto_a_new_token_revokes_the_lost_one(counter: Counter) -> None:
    old = counter.enrolled()
    counter.token("SUB2")
    result = counter.run(
        "reissue",
        old["serial"],
        "--module",
        counter.softhsm.module,
        "--token-label",
        "SUB2",
        "--method",
        "cash",
        "--tendered",
        "100.00",
    )
    assert result.returncode == 0, result.stderr
    assert _objects(counter, "SUB2") == (1, 1)
    assert json.loads(counter.run("cert", "show", old["serial"]).stdout)["status"] == "revoked"


def test_reissue_onto_the_same_token_is_refused(counter: Counter) -> None:
    old = counter.enrolled()
    result = counter.run(
        "reissue",
        old["serial"],
        "--module",
        counter.softhsm.module,
        "--token-label",
        "SUB1",
        "--method",
        "cash",
        "--tendered",
        "100.00",
    )
    assert result.returncode == 2


def test_unlock_resets_the_pin_after_the_identity_check(counter: Counter) -> None:
    counter.enrolled()
    result = counter.run(
        "token",
        "unlock",
        "--module",
        counter.softhsm.module,
        "--token-label",
        "SUB1",
        "--identity",
        "140105198506122318",
        "--method",
        "cash",
        "--tendered",
        "20.00",
        env={"COUNTER_APP_SO_PIN": SO_PIN, "COUNTER_APP_NEW_USER_PIN": "864200"},
    )
    assert result.returncode == 0, result.stderr
    login = counter.softhsm.pkcs11_tool(
        "--token-label", "SUB1", "--login", "--pin", "864200", "-O", check=False
    )
    assert login.returncode == 0 and "Private Key Object" in login.stdout
    old = counter.softhsm.pkcs11_tool(
        "--token-label", "SUB1", "--login", "--pin", USER_PIN, "-O", check=False
    )
    assert old.returncode != 0


def test_unlock_with_someone_elses_identity_is_refused(counter: Counter) -> None:
    counter.enrolled()
    result = counter.run(
        "token",
        "unlock",
        "--module",
        counter.softhsm.module,
        "--token-label",
        "SUB1",
        "--identity",
        "11010519491231002X",
        "--method",
        "cash",
        "--tendered",
        "20.00",
        env={"COUNTER_APP_SO_PIN": SO_PIN, "COUNTER_APP_NEW_USER_PIN": "864200"},
    )
    assert result.returncode == 2
    login = counter.softhsm.pkcs11_tool(
        "--token-label", "SUB1", "--login", "--pin", USER_PIN, "-O", check=False
    )
    assert login.returncode == 0
