"""Verbs of the foundation: ``init``, ``operator ...``, ``audit ...``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from counter_app.cli.context import AppContext, read_name, read_secret
from counter_app.cli.options import EXISTING_FILE, FILE_PATH, pass_app
from counter_app.domain.operators import Role
from counter_app.filemodes import make_private_dir
from counter_app.services import operators
from counter_app.store import audit
from counter_app.store.anchor import CHECKPOINT_ACTION, adopt
from counter_app.store.models import AuditEvent


def sign_in(app: AppContext) -> operators.OperatorInfo:
    """The operator acting, from COUNTER_APP_OPERATOR / COUNTER_APP_PASSWORD (or prompts)."""
    name = read_name("COUNTER_APP_OPERATOR", "操作员名", "operator name")
    password = read_secret("COUNTER_APP_PASSWORD")
    return operators.authenticate(app.store(), name, password)


@click.command("init")
@click.option(
    "--admin", "admin_name", default="admin", show_default=True, help="Name of the first admin."
)
@pass_app
def init_cmd(app: AppContext, admin_name: str) -> None:
    """Create the data dir, the database and the first admin operator."""
    password = read_secret("COUNTER_APP_PASSWORD", confirm=True)
    from counter_app.domain.operators import check_operator_name, check_password_policy

    # Refuse bad input before anything is created on disk.
    check_operator_name(admin_name)
    check_password_policy(password)
    make_private_dir(app.config.data_dir)
    info = operators.create_first_admin(app.store(create=True), admin_name, password)
    click.echo(
        f"initialised {app.config.data_dir} ({app.store().url}); admin operator: {info.name}"
    )


@click.group("operator")
def operator_group() -> None:
    """Manage operators (clerks, reviewers, supervisors, admins)."""


@operator_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@pass_app
def operator_add(app: AppContext, name: str, role: str) -> None:
    """Add an operator; authorised by an admin. Password from COUNTER_APP_NEW_PASSWORD."""
    actor = sign_in(app)
    password = read_secret("COUNTER_APP_NEW_PASSWORD", confirm=True)
    info = operators.add_operator(app.store(), actor, name, Role(role), password)
    click.echo(f"added operator {info.name} ({info.role.value})")


@operator_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def operator_list(app: AppContext, as_json: bool) -> None:
    """List operators with role and state."""
    sign_in(app)
    rows = operators.list_operators(app.store())
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "name": r.name,
                        "role": r.role.value,
                        "active": r.active,
                        "locked_until": r.locked_until.isoformat() if r.locked_until else None,
                    }
                    for r in rows
                ],
                ensure_ascii=False,
            )
        )
        return
    for r in rows:
        state = "active" if r.active else "disabled"
        if r.locked_until is not None:
            state += f" locked until {r.locked_until:%Y-%m-%d %H:%M} UTC"
        click.echo(f"{r.name}\t{r.role.value}\t{state}")


def _admin_command(verb: str, change: str, done: str, help_text: str) -> None:
    """``operator disable`` / ``operator unlock``: the signed-in admin's ``operators.<change>``
    on NAME."""

    @operator_group.command(verb, help=help_text)
    @click.argument("name")
    @pass_app
    def command(app: AppContext, name: str) -> None:
        actor = sign_in(app)
        getattr(operators, change)(app.store(), actor, name)
        click.echo(f"{done} operator {name}")


_admin_command(
    "disable",
    "disable_operator",
    "disabled",
    "Disable an operator (admin only); the last active admin cannot be disabled.",
)
_admin_command(
    "unlock",
    "unlock_operator",
    "unlocked",
    "Lift a sign-in lock (admin only) and reset the count of failed sign-ins.",
)


@operator_group.command("passwd")
@click.argument("name", required=False)
@pass_app
def operator_passwd(app: AppContext, name: str | None) -> None:
    """Change a password (your own, or anyone's as admin). New one from COUNTER_APP_NEW_PASSWORD."""
    actor = sign_in(app)
    new_password = read_secret("COUNTER_APP_NEW_PASSWORD", confirm=True)
    operators.change_password(app.store(), actor, name or actor.name, new_password)
    click.echo(f"password changed for {name or actor.name}")


@click.group("audit")
def audit_group() -> None:
    """Inspect and verify the tamper-evident audit log."""


@audit_group.command("verify")
@click.option(
    "--witness",
    type=FILE_PATH,
    default=None,
    help="Check against this copy of the witness file (e.g. the one kept off the machine).",
)
@click.option(
    "--public-key",
    "public_keys",
    type=EXISTING_FILE,
    multiple=True,
    help="Also trust checkpoints signed by this Ed25519 public key (PEM); repeatable.",
)
@pass_app
def audit_verify(app: AppContext, witness: Path | None, public_keys: tuple[Path, ...]) -> None:
    """Check the chain, its signed checkpoints, the witness file and the rows it describes.

    Exits 1 naming the first thing wrong: an edited, inserted, deleted or reordered event, a
    truncated, rewritten or emptied chain, or a tracked row (payment, refund, certificate,
    application, operator, agreement record) changed behind the application's back.
    """
    app.checkpoint_on_close = False
    anchor = app.anchor()
    if witness is not None:
        anchor.witness_path = witness
    anchor.extra_public.extend(public_keys)
    with app.store().session() as session:
        result = audit.verify(session, anchor)
    if not result.ok:
        raise click.ClickException(result.message())
    click.echo(result.message())


@audit_group.command("checkpoint")
@pass_app
def audit_checkpoint(app: AppContext) -> None:
    """Sign every audit chain's head now, into this counter's chain and the witness file.

    The first checkpoint of a chain makes the audit key (audit-key.pem, 0600, encrypted when
    COUNTER_APP_AUDIT_PASSPHRASE is set).
    """
    entry = app.anchor().checkpoint(app.store(), force=True)
    assert entry is not None
    heads = ", ".join(
        f"{audit.chain_label(chain)} at {seq}"
        for chain, (seq, _) in sorted(entry.checkpoint.heads.items())
    )
    click.echo(
        f"checkpoint of {heads} recorded as event {entry.event} of "
        f"{audit.chain_label(entry.chain)}, key {entry.checkpoint.key}, "
        f"witness {app.anchor().witness_path}"
    )


@audit_group.command("adopt")
@pass_app
def audit_adopt(app: AppContext) -> None:
    """Record the digests of rows written before the anchor existed (admin; once, after upgrading).

    Only rows with no record at all are adopted: a row whose record differs stays reported.
    """
    actor = sign_in(app)
    if actor.role is not Role.ADMIN:
        raise click.ClickException("only an admin may adopt unrecorded rows")
    count = adopt(app.store(), actor.name)
    click.echo(f"adopted {count} rows without an audit record")


@audit_group.command("list")
@click.option("--limit", type=click.IntRange(1, 100000), default=50, show_default=True)
@click.option("--action", default=None, help="Only events of this action (e.g. operator.add).")
@click.option("--object", "obj", default=None, help="Only events about this object.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--checkpoints", is_flag=True, help="Also show the chain's signed checkpoints.")
@pass_app
def audit_list(
    app: AppContext,
    limit: int,
    action: str | None,
    obj: str | None,
    as_json: bool,
    checkpoints: bool,
) -> None:
    """Show the newest events, oldest first (checkpoints only with --checkpoints)."""
    from sqlalchemy import select

    query = select(AuditEvent).order_by(AuditEvent.time.desc(), AuditEvent.seq.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    elif not checkpoints:
        query = query.where(AuditEvent.action != CHECKPOINT_ACTION)
    if obj:
        query = query.where(AuditEvent.object == obj)
    with app.store().session() as session:
        rows = list(reversed(session.execute(query).scalars().all()))
    for e in rows:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "chain": e.chain,
                        "seq": e.seq,
                        "time": e.time.isoformat(),
                        "operator": e.operator,
                        "action": e.action,
                        "object": e.object,
                        "details": json.loads(e.details),
                        "hash": e.hash,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            click.echo(
                f"{e.seq}\t{e.time.isoformat(timespec='seconds')}\t{e.operator}\t{e.action}\t"
                f"{e.object}\t{e.details}"
            )


def register(group: click.Group) -> None:
    group.add_command(init_cmd)
    group.add_command(operator_group)
    group.add_command(audit_group)
