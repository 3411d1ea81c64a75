"""The real console script in a subprocess: init, operators, audit, refusals."""

from __future__ import annotations

import json
import sqlite3

from tests.conftest import ADMIN_PASSWORD, CLI

ADMIN = {"COUNTER_APP_OPERATOR": "admin", "COUNTER_APP_PASSWORD": ADMIN_PASSWORD}


def add(cli: CLI, name: str, role: str, password: str = "Operator-1"):
    return cli(
        "operator", "add", name, "--role", role, env={**ADMIN, "COUNTER_APP_NEW_PASSWORD": password}
    )


def test_init_creates_data_dir_database_and_admin(cli: CLI) -> None:
    result = cli("init", env={"COUNTER_APP_PASSWORD": ADMIN_PASSWORD})
    assert result.returncode == 0, result.stderr
    assert (cli.data_dir / "counter.db").exists()
    listed = cli("operator", "list", env=ADMIN)
    assert listed.stdout.split() == ["admin", "admin", "active"]


def test_init_twice_is_refused_and_keeps_the_first_admin(initialised_cli: CLI) -> None:
    again = initialised_cli("init", env={"COUNTER_APP_PASSWORD": "Other-pass1"})
    assert again.returncode != 0
    assert again.stderr.count("\n") == 1 and "Traceback" not in again.stderr
    assert initialised_cli("operator", "list", env=ADMIN).returncode == 0


def test_init_without_password_and_without_terminal_says_which_variable(cli: CLI) -> None:
    result = cli("--lang", "en", "init")
    assert result.returncode == 2
    assert "COUNTER_APP_PASSWORD" in result.stderr
    assert not (cli.data_dir / "counter.db").exists()


def test_init_with_weak_password_writes_nothing(cli: CLI) -> None:
    result = cli("init", env={"COUNTER_APP_PASSWORD": "abcdefgh"})
    assert result.returncode == 2
    assert "密码太弱" in result.stderr
    assert not (cli.data_dir / "counter.db").exists()


def test_admin_adds_operators_of_each_role(initialised_cli: CLI) -> None:
    for name, role in [
        ("clerk1", "clerk"),
        ("rev1", "reviewer"),
        ("sup1", "supervisor"),
        ("张三", "admin"),
    ]:
        assert add(initialised_cli, name, role).returncode == 0
    listed = initialised_cli("operator", "list", "--json", env=ADMIN).stdout
    assert '"name": "张三", "role": "admin"' in listed
    assert '"name": "rev1", "role": "reviewer"' in listed


def test_weak_new_password_is_refused_with_one_line(initialised_cli: CLI) -> None:
    result = add(initialised_cli, "clerk1", "clerk", password="1234567")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.stderr


def test_clerk_cannot_add_operators(initialised_cli: CLI) -> None:
    add(initialised_cli, "clerk1", "clerk")
    result = initialised_cli(
        "--lang",
        "en",
        "operator",
        "add",
        "x2",
        "--role",
        "admin",
        env={
            "COUNTER_APP_OPERATOR": "clerk1",
            "COUNTER_APP_PASSWORD": "Operator-1",
            "COUNTER_APP_NEW_PASSWORD": "Operator-2",
        },
    )
    assert result.returncode == 2
    assert "permission denied" in result.stderr


def test_wrong_admin_password_is_refused(initialised_cli: CLI) -> None:
    result = initialised_cli(
        "operator", "list", env={**ADMIN, "COUNTER_APP_PASSWORD": "Wrong-pass1"}
    )
    assert result.returncode == 2
    assert "操作员名或密码错误" in result.stderr


def test_disabled_operator_cannot_sign_in(initialised_cli: CLI) -> None:
    add(initialised_cli, "clerk1", "clerk")
    assert initialised_cli("operator", "disable", "clerk1", env=ADMIN).returncode == 0
    result = initialised_cli(
        "operator",
        "list",
        env={"COUNTER_APP_OPERATOR": "clerk1", "COUNTER_APP_PASSWORD": "Operator-1"},
    )
    assert result.returncode == 2 and "停用" in result.stderr


def test_last_admin_cannot_be_disabled(initialised_cli: CLI) -> None:
    result = initialised_cli("operator", "disable", "admin", env=ADMIN)
    assert result.returncode == 2


def test_operator_changes_own_password(initialised_cli: CLI) -> None:
    add(initialised_cli, "clerk1", "clerk")
    me = {"COUNTER_APP_OPERATOR": "clerk1", "COUNTER_APP_PASSWORD": "Operator-1"}
    assert (
        initialised_cli(
            "operator", "passwd", env={**me, "COUNTER_APP_NEW_PASSWORD": "Newpass-22"}
        ).returncode
        == 0
    )
    assert initialised_cli("operator", "list", env=me).returncode == 2
    assert (
        initialised_cli(
            "operator", "list", env={**me, "COUNTER_APP_PASSWORD": "Newpass-22"}
        ).returncode
        == 0
    )


def test_audit_verify_passes_on_an_intact_log(initialised_cli: CLI) -> None:
    add(initialised_cli, "clerk1", "clerk")
    result = initialised_cli("audit", "verify")
    assert result.returncode == 0
    # init and operator add, each followed by the signed checkpoint its command ends with
    assert result.stdout.strip().count("\n") == 0 and "4 events" in result.stdout


def test_a_writing_command_ends_with_a_signed_checkpoint(initialised_cli: CLI) -> None:
    add(initialised_cli, "clerk1", "clerk")
    listed = initialised_cli("audit", "list", "--checkpoints").stdout.splitlines()
    assert [line.split("\t")[3] for line in listed][-2:] == ["operator.add", "audit.checkpoint"]
    witness = (initialised_cli.data_dir / "audit-witness.log").read_text().splitlines()
    assert json.loads(witness[-1])["event"] == int(listed[-1].split("\t")[0])


def test_a_reading_command_adds_no_checkpoint(initialised_cli: CLI) -> None:
    witness = initialised_cli.data_dir / "audit-witness.log"
    before = witness.read_text()
    assert initialised_cli("operator", "list", env=ADMIN).returncode == 0
    assert initialised_cli("audit", "verify").returncode == 0
    assert witness.read_text() == before


def test_audit_list_shows_every_change(initialised_cli: CLI) -> None:
    add(initialised_cli, "clerk1", "clerk")
    initialised_cli("operator", "disable", "clerk1", env=ADMIN)
    actions = [line.split("\t")[3] for line in initialised_cli("audit", "list").stdout.splitlines()]
    assert actions == ["store.init", "operator.add", "operator.disable"]


def _tampered(cli: CLI, *statements: str) -> str:
    add(cli, "clerk1", "clerk")
    add(cli, "clerk2", "clerk")
    add(cli, "clerk3", "clerk")
    with sqlite3.connect(cli.data_dir / "counter.db") as conn:
        for sql in statements:
            conn.execute(sql)
    result = cli("audit", "verify")
    assert result.returncode != 0
    return result.stderr


def test_audit_verify_names_an_edited_event(initialised_cli: CLI) -> None:
    err = _tampered(
        initialised_cli, 'UPDATE audit_events SET details=\'{"role":"admin"}\' WHERE seq=3'
    )
    assert "event 3" in err and "changed" in err


def test_audit_verify_names_a_deleted_event(initialised_cli: CLI) -> None:
    err = _tampered(initialised_cli, "DELETE FROM audit_events WHERE seq=2")
    assert "event 2 is missing" in err


def test_audit_verify_notices_the_newest_event_deleted(initialised_cli: CLI) -> None:
    err = _tampered(initialised_cli, "DELETE FROM audit_events WHERE seq=8")
    assert "event 8" in err


def test_audit_verify_names_reordered_events(initialised_cli: CLI) -> None:
    err = _tampered(
        initialised_cli,
        "UPDATE audit_events SET seq=-2 WHERE seq=2",
        "UPDATE audit_events SET seq=2 WHERE seq=3",
        "UPDATE audit_events SET seq=3 WHERE seq=-2",
    )
    assert "event 2" in err


def test_audit_verify_names_an_inserted_event(initialised_cli: CLI) -> None:
    with sqlite3.connect(initialised_cli.data_dir / "counter.db") as conn:
        row = conn.execute("SELECT time, prev_hash, hash FROM audit_events WHERE seq=1").fetchone()
    err = _tampered(
        initialised_cli,
        "UPDATE audit_events SET seq=-seq WHERE seq>=2",
        "UPDATE audit_events SET seq=1-seq WHERE seq<0",
        "INSERT INTO audit_events (chain, seq, time, operator, action, object, details, prev_hash,"
        f" hash) VALUES ('main', 2, '{row[0]}', 'admin', 'operator.add', 'operator:evil', "
        f"'{{}}', '{row[2]}', '{'f' * 64}')",
    )
    assert "event 2" in err


def test_commands_on_an_uninitialised_data_dir_are_refused(cli: CLI) -> None:
    result = cli("audit", "verify")
    assert result.returncode == 2 and "counter-app init" in result.stderr
    assert not cli.data_dir.exists()


def test_bad_database_url_is_one_line(cli: CLI) -> None:
    result = cli("--db-url", "nonsense", "audit", "verify")
    assert result.returncode == 2 and "Traceback" not in result.stderr
