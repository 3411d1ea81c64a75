"""``ca custody init|status`` and how the CLI opens a signing module under custody.

Custodians' passphrases come from the environment or a prompt, never from argv: one custodian
after another at the terminal, or ``COUNTER_APP_CUSTODIANS=alice,bob`` with
``COUNTER_APP_CUSTODIAN_PASSPHRASE_ALICE`` and ``..._BOB`` for an unattended start
(docs/operations.md; under systemd, as credentials of those names).
"""

from __future__ import annotations

import getpass
import json
import re
import sys
from pathlib import Path

import click

from counter_app.ca import CAFiles
from counter_app.cli.context import AppContext, read_secret
from counter_app.cli.options import pass_app
from counter_app.credentials import secret_value
from counter_app.domain.errors import MissingSecret
from counter_app.domain.policy import Action

CUSTODIANS_ENV = "COUNTER_APP_CUSTODIANS"
# The module passphrase rebuilt in this process, by data dir: asked of the custodians once.
_opened: dict[Path, str] = {}


def custodian_env(name: str) -> str:
    return "COUNTER_APP_CUSTODIAN_PASSPHRASE_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def _own_passphrase(name: str, *, confirm: bool = False) -> str:
    env = custodian_env(name)
    value = secret_value(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise MissingSecret(what_zh=f"保管人 {name} 的口令", what_en=f"custodian {name}'s passphrase",
                            env=env)  # fmt: skip
    first = getpass.getpass(f"保管人 {name} 的口令 / custodian {name}'s passphrase: ")
    if confirm and getpass.getpass("再次输入 / again: ") != first:
        raise MissingSecret(what_zh=f"保管人 {name} 的口令（两次输入不一致）",
                            what_en=f"custodian {name}'s passphrase (entries differ)", env=env)  # fmt: skip
    return first


def _presented(threshold: int) -> list[tuple[str, str]]:
    names = [n.strip() for n in (secret_value(CUSTODIANS_ENV) or "").split(",") if n.strip()]
    if not names and sys.stdin.isatty():
        for i in range(threshold):
            names.append(
                input(f"保管人 {i + 1}/{threshold} / custodian {i + 1} of {threshold}: ").strip()
            )
    if not names:
        raise MissingSecret(what_zh="开启签发模块的保管人", what_en="the custodians who open the signing module",
                            env=CUSTODIANS_ENV)  # fmt: skip
    return [(name, _own_passphrase(name)) for name in names]


def module_passphrase(app: AppContext) -> str:
    """What opens this data dir's CA keys: the CA passphrase, or, under custody, the secret the
    custodians' shares rebuild (their opening is audited)."""
    from counter_app.services.custody import custody_of, open_passphrase, record_opening

    files = CAFiles.in_data_dir(app.config.data_dir)
    if files.directory in _opened:
        return _opened[files.directory]
    custody = custody_of(files)
    if custody is None:
        return read_secret("COUNTER_APP_CA_PASSPHRASE")
    passphrase, names = open_passphrase(files, app.store(), _presented(custody.threshold))
    record_opening(app.store(), names, "cli")
    _opened[files.directory] = passphrase
    return passphrase


@click.group("custody")
def custody_group() -> None:
    """Custodians open the signing module (M of N); nobody else knows what opens its keys."""


@custody_group.command("init")
@click.option(
    "--custodian", "custodians", multiple=True, required=True, help="Operator name (repeat)."
)
@click.option(
    "--threshold", type=click.IntRange(1, 16), required=True, help="How many open it (M)."
)
@pass_app
def custody_init(app: AppContext, custodians: tuple[str, ...], threshold: int) -> None:
    """Split the signing module among the custodians; the CA passphrase then opens nothing.

    Authorised like a root operation (COUNTER_APP_SUPERVISOR + COUNTER_APP_REVIEWER); needs the
    CA passphrase once, and each custodian's own new passphrase
    (COUNTER_APP_CUSTODIAN_PASSPHRASE_<NAME> or a prompt)."""
    from counter_app.cli.ca import authorised_officer
    from counter_app.services.custody import init_custody

    officer = authorised_officer(app, Action.CA_ISSUE)
    files = CAFiles.in_data_dir(app.config.data_dir)
    ca_passphrase = read_secret("COUNTER_APP_CA_PASSPHRASE")
    own = {name: _own_passphrase(name, confirm=True) for name in custodians}
    custody = init_custody(files, app.store(), ca_passphrase=ca_passphrase, custodians=own,
                           threshold=threshold, operator=officer)  # fmt: skip
    click.echo(
        f"signing module under custody: {custody.threshold} of {len(custody.custodians)} "
        f"custodians ({', '.join(custody.custodians)}) open it; the CA passphrase no longer does"
    )


@custody_group.command("status")
@pass_app
def custody_status(app: AppContext) -> None:
    """Who holds shares and how many open the module (JSON)."""
    from counter_app.services.custody import custody_of

    custody = custody_of(CAFiles.in_data_dir(app.config.data_dir))
    app.checkpoint_on_close = False
    if custody is None:
        click.echo(json.dumps({"custody": False}))
        return
    click.echo(json.dumps({"custody": True, "threshold": custody.threshold,
                           "custodians": list(custody.custodians)}))  # fmt: skip


def register(ca_group: click.Group) -> None:
    ca_group.add_command(custody_group)
