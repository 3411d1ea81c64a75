"""``counter-app token list|init|change-pin|unblock --driver skf --module PATH`` through the real
console script, on the test SKF library (tests/skf). PINs travel in environment variables."""

from __future__ import annotations

import contextlib
import json

import pytest

from counter_app.token.errors import PinLocked, WrongPin
from counter_app.token.skf import find_skf_token, skf_login
from tests.conftest import CLI, CLIResult, SKFStore, token_cli

SO, PIN = "admin-8642", "user-1357"


@pytest.fixture
def skf_cli(cli: CLI, skf: SKFStore) -> CLI:
    cli.env["SKF_SOFT_STORE"] = str(skf.store)
    skf.insert(serial="SKF-C1")
    return cli


def _sub1(cli: CLI, skf: SKFStore, verb: str, **pins: str) -> CLIResult:
    """``token VERB --driver skf … --label SUB1`` in English, with PINs named by their variable's
    tail (user_pin="…" is COUNTER_APP_USER_PIN)."""
    env = {f"COUNTER_APP_{name.upper()}": pin for name, pin in pins.items()}
    return token_cli(cli, verb, skf.module, "--label", "SUB1", env=env, lang="en", driver="skf")


def _init(cli: CLI, skf: SKFStore) -> None:
    done = _sub1(cli, skf, "init", so_pin=SO, user_pin=PIN)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "formatted token SUB1 (serial SKF-C1)"


def test_token_list_shows_the_skf_key_before_and_after_init(skf_cli: CLI, skf: SKFStore) -> None:
    listed = skf_cli("token", "list", "--driver", "skf", "--module", skf.module, "--json")
    assert listed.returncode == 0, listed.stderr
    [blank] = json.loads(listed.stdout)
    assert (blank["serial"], blank["initialised"]) == ("SKF-C1", False)
    _init(skf_cli, skf)
    text = skf_cli("token", "list", "--driver", "skf", "--module", skf.module)
    assert text.stdout.startswith("device usbkey0\tSUB1\t")
    assert "\tSKF-C1\tinitialised\tpin ok" in text.stdout


def test_token_change_pin_on_an_skf_key(skf_cli: CLI, skf: SKFStore) -> None:
    _init(skf_cli, skf)
    changed = _sub1(skf_cli, skf, "change-pin", user_pin=PIN, new_user_pin="newer-9753")
    assert changed.returncode == 0, changed.stderr
    with skf_login(skf.module, "newer-9753", label="SUB1"):
        pass


def test_a_wrong_pin_on_the_cli_says_the_tries_left_in_one_line(
    skf_cli: CLI, skf: SKFStore
) -> None:
    _init(skf_cli, skf)
    refused = _sub1(skf_cli, skf, "change-pin", user_pin="wrong-000", new_user_pin="newer-9753")
    assert refused.returncode == 2
    assert refused.stderr == "error: wrong PIN, 5 tries left\n"


def test_token_unblock_on_an_skf_key_after_the_pin_locked(skf_cli: CLI, skf: SKFStore) -> None:
    _init(skf_cli, skf)
    for _ in range(6):  # locked through the library directly: six CLI runs add nothing
        with contextlib.suppress(WrongPin, PinLocked), skf_login(skf.module, "wrong-000"):
            pass
    assert find_skf_token(skf.module, label="SUB1").pin_locked
    unblocked = _sub1(skf_cli, skf, "unblock", so_pin=SO, new_user_pin="fresh-2468")
    assert unblocked.returncode == 0, unblocked.stderr
    with skf_login(skf.module, "fresh-2468", label="SUB1"):
        pass


def test_the_skf_driver_without_a_library_says_how_to_name_one(skf_cli: CLI) -> None:
    refused = skf_cli("--lang", "en", "token", "list", "--driver", "skf")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert "--module PATH" in refused.stderr


def test_token_objects_lists_the_containers_keys(skf_cli: CLI, skf: SKFStore) -> None:
    from counter_app.token.skf import SM2_SPEC

    _init(skf_cli, skf)
    with skf_login(skf.module, PIN, label="SUB1") as ts:
        ts.generate_key_pair(SM2_SPEC, "APP-1")
    listed = skf_cli(
        "token", "objects", "--driver", "skf", "--module", skf.module, "--label", "SUB1", "--json",
        env={"COUNTER_APP_USER_PIN": PIN},
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    [key] = json.loads(listed.stdout)["keys"]
    assert (key["container"], key["algorithm"], key["encryption_key"]) == ("APP-1", "sm2", "no")
