"""The token thread: every token verb runs on one thread of the process, whoever calls it."""

from __future__ import annotations

import inspect
import threading

import pytest

from counter_app.token import admin, capabilities, session, signer
from counter_app.token.thread import (
    on_token_thread,
    run_in_token_thread,
    runs_in_token_thread,
    token_io,
)


def test_a_verb_called_elsewhere_runs_on_the_token_thread() -> None:
    @runs_in_token_thread
    def verb() -> str:
        return threading.current_thread().name

    assert not on_token_thread()
    assert verb().startswith("counter-token")


def test_every_call_runs_on_the_same_thread() -> None:
    names = {run_in_token_thread(lambda: threading.current_thread().ident) for _ in range(5)}
    assert len(names) == 1


def test_a_verb_calling_a_verb_runs_at_once_without_deadlock() -> None:
    @runs_in_token_thread
    def inner() -> int:
        return 2

    @runs_in_token_thread
    def outer() -> int:
        return inner() + 1

    assert outer() == 3


def test_the_verbs_error_reaches_the_caller() -> None:
    @runs_in_token_thread
    def verb() -> None:
        raise KeyError("k")

    with pytest.raises(KeyError):
        verb()


def test_token_io_asserts_the_thread() -> None:
    @token_io
    def body() -> None:
        return None

    with pytest.raises(AssertionError):
        body()
    run_in_token_thread(body)


@pytest.mark.parametrize(
    "verb",
    [
        session.TokenSession.generate_key_pair,
        session.TokenSession.list_keys,
        session.TokenSession.find_key,
        session.TokenSession.check_key_protected,
        session.TokenSession.write_certificate,
        session.TokenSession.read_certificates,
        session.TokenSession.check_certificate_matches,
        session.TokenSession.delete_key_pair,
        session.TokenSession._read_capabilities,
        session.Token.present,
        session.Token.capabilities,
        session.Token._open,
        session._close,
        session.list_tokens,
        session.find_token,
        session.open_token,
        signer._sign,
        admin.init_token,
        admin.change_pin,
        admin.unblock_pin,
        capabilities.read_capabilities,
    ],
)
def test_the_token_layers_verbs_are_decorated(verb: object) -> None:
    # functools.wraps leaves the undecorated function behind the wrapper.
    assert inspect.unwrap(verb) is not verb  # type: ignore[arg-type]
