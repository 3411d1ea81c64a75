"""``counter-app token ...``: find tokens, format one, change or unblock its PIN.

PINs come from COUNTER_APP_SO_PIN, COUNTER_APP_USER_PIN and COUNTER_APP_NEW_USER_PIN (or a
prompt on a terminal), never from the command line.

``--driver skf`` works on GM/T 0016 (SKF) keys through the vendor's SKF library (``--module PATH``,
else the setting ``skf_module`` or COUNTER_APP_SKF_MODULE); PKCS#11 stays the default. On an SKF
key the SO PIN is the admin PIN of the counter's application.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from counter_app.cli.context import AppContext, read_secret, record_event
from counter_app.cli.options import pass_app


def _module(app: AppContext, module: str | None) -> str:
    return module or app.config.pkcs11_module


DRIVERS = ("pkcs11", "skf")
driver_option = click.option(
    "--driver",
    type=click.Choice(DRIVERS),
    default="pkcs11",
    show_default=True,
    help="pkcs11: a PKCS#11 module; skf: a GM/T 0016 (SKF) library.",
)

F = TypeVar("F", bound=Callable[..., Any])


def which_token(func: F) -> F:
    """``--module``, ``--label`` and ``--serial``: the library and the token a command works on."""
    for name in ("--serial", "--label", "--module"):
        func = click.option(name, default=None)(func)
    return func


def _skf_module(app: AppContext, module: str | None) -> str:
    """The SKF library: --module, else COUNTER_APP_SKF_MODULE, else ``skf_module`` in config."""
    import os

    from counter_app.domain.errors import ConfigError

    chosen = (
        module or os.environ.get("COUNTER_APP_SKF_MODULE") or app.config.extra.get("skf_module")
    )
    if not chosen:
        raise ConfigError(
            detail="no SKF library: give --module PATH, COUNTER_APP_SKF_MODULE or skf_module"
        )
    return str(chosen)


@click.group("token")
def token_group() -> None:
    """The subscriber's USB token (证书介质)."""


@token_group.command("list")
@click.option(
    "--module", default=None, help="PKCS#11 module (default: configured, SoftHSM on Linux)."
)
@click.option("--json", "as_json", is_flag=True)
@driver_option
@pass_app
def token_list(app: AppContext, module: str | None, as_json: bool, driver: str) -> None:
    """Every slot holding a token, with its PIN flags."""
    from counter_app.token import list_tokens

    tokens: list[Any]
    if driver == "skf":
        from counter_app.token.skf import list_skf_tokens

        tokens = list(list_skf_tokens(_skf_module(app, module)))
    else:
        tokens = list(list_tokens(_module(app, module)))
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(t) for t in tokens], ensure_ascii=False))
        return
    for t in tokens:
        flags = [
            name
            for name in (
                "pin_count_low",
                "pin_final_try",
                "pin_locked",
                "pin_to_be_changed",
                "so_pin_to_be_changed",
            )
            if getattr(t, name)
        ]
        state = "initialised" if t.initialised else "not initialised"
        where = f"device {t.device}" if driver == "skf" else f"slot {t.slot_id}"
        click.echo(
            f"{where}\t{t.label or '-'}\t{t.manufacturer}\t{t.model}\t{t.serial}\t{state}"
            f"\t{','.join(flags) or 'pin ok'}"
        )


@token_group.command("capabilities")
@which_token
@click.option("--json", "as_json", is_flag=True)
@pass_app
def token_capabilities(
    app: AppContext, module: str | None, label: str | None, serial: str | None, as_json: bool
) -> None:
    """What the token can do: key algorithms, PIN length limits, PIN flags (no PIN needed)."""
    from counter_app.token import read_capabilities

    caps = read_capabilities(_module(app, module), label=label, serial=serial)
    data = caps.to_json()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    low, high = data["pin_length"]
    click.echo(f"{caps.label}\t{caps.model}\t{caps.serial}")
    click.echo(f"key algorithms\t{', '.join(data['key_algorithms']) or '-'}")
    click.echo(f"PIN length\t{low}-{high}")
    for flag in ("user_pin_to_be_changed", "so_pin_to_be_changed"):
        if data[flag]:
            click.echo(flag)


@token_group.command("init")
@click.option("--module", default=None)
@click.option("--label", "new_label", required=True, help="Label to give the token.")
@click.option("--token-label", default=None, help="Re-format the token with this label.")
@click.option("--token-serial", default=None, help="Re-format the token with this serial.")
@click.option("--slot", type=int, default=None, help="Format the token in this slot number.")
@click.option("--yes", is_flag=True, help="Confirm erasing a token that holds objects.")
@driver_option
@pass_app
def token_init(
    app: AppContext,
    module: str | None,
    new_label: str,
    token_label: str | None,
    token_serial: str | None,
    slot: int | None,
    yes: bool,
    driver: str,
) -> None:
    """Format a token for a new subscriber.

    SO PIN from COUNTER_APP_SO_PIN, user PIN from COUNTER_APP_USER_PIN (or prompts)."""
    from counter_app.token import check_pin_policy, init_token

    so_pin = read_secret("COUNTER_APP_SO_PIN")
    user_pin = read_secret("COUNTER_APP_USER_PIN")
    check_pin_policy(so_pin, field="so_pin")
    check_pin_policy(user_pin, field="user_pin")
    who = _acting_operator(app, "token_format")
    info: Any
    given: dict[str, Any] = {"new_label": new_label, "so_pin": so_pin, "user_pin": user_pin}
    given |= {"label": token_label, "serial": token_serial, "force": yes}
    if driver == "skf":
        from counter_app.token.skf import init_skf_token

        if slot is not None:
            raise click.UsageError("--slot is for PKCS#11; name an SKF key by --token-serial")
        info = init_skf_token(_skf_module(app, module), **given)
    else:
        info = init_token(_module(app, module), **given, slot=slot)
    _audit(app, who, "token.init", info.serial, {"label": info.label, "driver": driver})
    click.echo(f"formatted token {info.label} (serial {info.serial})")


# The two ways to a new user PIN: the PIN that proves it (its keyword and variable), the policy
# action it needs (None: any operator), and the PKCS#11 and SKF verbs that set it.
_NEW_USER_PIN = {
    "change_pin": ("old_pin", "COUNTER_APP_USER_PIN", None, "change_pin", "change_skf_pin"),
    "unblock": ("so_pin", "COUNTER_APP_SO_PIN", "token_unblock", "unblock_pin", "unblock_skf_pin"),
}


def _new_user_pin(
    app: AppContext,
    verb: str,
    module: str | None,
    label: str | None,
    serial: str | None,
    driver: str,
) -> None:
    """Set the new user PIN (COUNTER_APP_NEW_USER_PIN) the ``verb`` way; audited as
    ``token.<verb>``."""
    from counter_app import token

    proof, proof_env, action, pkcs11_verb, skf_verb = _NEW_USER_PIN[verb]
    secret = read_secret(proof_env)
    new = read_secret("COUNTER_APP_NEW_USER_PIN")
    token.check_pin_policy(new, field="new_pin")
    who = _acting_operator(app, action)
    if driver == "skf":
        from counter_app.token import skf

        set_pin, where = getattr(skf, skf_verb), _skf_module(app, module)
    else:
        set_pin, where = getattr(token, pkcs11_verb), _module(app, module)
    info = set_pin(where, **{proof: secret}, new_pin=new, label=label, serial=serial)
    _audit(app, who, f"token.{verb}", info.serial, {"label": info.label, "driver": driver})


def _new_user_pin_command(name: str, verb: str, done: str, help_text: str) -> None:
    @token_group.command(name, help=help_text)
    @which_token
    @driver_option
    @pass_app
    def command(
        app: AppContext, module: str | None, label: str | None, serial: str | None, driver: str
    ) -> None:
        _new_user_pin(app, verb, module, label, serial, driver)
        click.echo(done)


_new_user_pin_command(
    "change-pin",
    "change_pin",
    "PIN changed",
    "Change the user PIN (old: COUNTER_APP_USER_PIN, new: COUNTER_APP_NEW_USER_PIN).",
)
_new_user_pin_command(
    "unblock",
    "unblock",
    "user PIN reset",
    "Set a new user PIN with the SO PIN (COUNTER_APP_SO_PIN, COUNTER_APP_NEW_USER_PIN).",
)


@token_group.command("objects")
@which_token
@click.option("--json", "as_json", is_flag=True)
@driver_option
@pass_app
def token_objects(
    app: AppContext,
    module: str | None,
    label: str | None,
    serial: str | None,
    as_json: bool,
    driver: str,
) -> None:
    """Key pairs and certificates on the token (user PIN: COUNTER_APP_USER_PIN)."""
    from counter_app.token import describe_objects, open_token

    pin = read_secret("COUNTER_APP_USER_PIN")
    if driver == "skf":
        from counter_app.token.skf import describe_skf_objects, skf_login

        with skf_login(_skf_module(app, module), pin, label=label, serial=serial) as skf_ts:
            objects = describe_skf_objects(skf_ts)
    else:
        with open_token(_module(app, module), label=label, serial=serial).login(pin) as ts:
            objects = describe_objects(ts)
    if as_json:
        click.echo(json.dumps(objects, ensure_ascii=False))
        return
    for key in objects["keys"]:
        click.echo(f"key\t{key['id']}\t{key['label']}\t{key['algorithm']}\t{key['protection']}")
    for cert in objects["certificates"]:
        usage = f"\t{cert['usage']}" if "usage" in cert else ""
        click.echo(
            f"certificate\t{cert['id']}\t{cert['label']}{usage}\t{cert['subject']}"
            f"\tserial {cert['serial']}\tuntil {cert['not_after']}"
        )


def _acting_operator(app: AppContext, action: str | None = None) -> str | None:
    """Who is acting, asked before the token is touched: None without a store (a bare token
    tool, nothing to audit), the signed-in operator when COUNTER_APP_OPERATOR names one, else
    the anonymous "token-cli" (the token itself still demands its PIN or SO PIN)."""
    import os

    from counter_app.cli.admin import sign_in
    from counter_app.domain.errors import StoreNotInitialised

    try:
        app.store()
    except StoreNotInitialised:
        return None
    if os.environ.get("COUNTER_APP_OPERATOR"):
        operator = sign_in(app)
        if action is not None:
            # The counter's own token work follows the policy like every service.
            from counter_app.domain.policy import Action, authorise
            from counter_app.services.pipeline import Operators, current_actors

            authorise(Action(action), current_actors(app.store(), Operators(operator)))
        return operator.name
    return "token-cli"


def _audit(
    app: AppContext, who: str | None, action: str, serial: str, details: dict[str, str]
) -> None:
    """Token changes are audited when the data dir has a store (never with a PIN in them)."""

    if who is None:
        return
    record_event(app.store(), who, action, f"token:{serial}", details)


def register(group: click.Group) -> None:
    group.add_command(token_group)
