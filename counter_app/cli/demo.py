"""``counter-app demo``: prepare a demo counter on the embedded defaults and start it.

Demo operators have well-known passwords printed on screen; they are for trying the product
on a demo data dir only, never for a real counter.
"""

from __future__ import annotations

import click

from counter_app.cli.context import AppContext
from counter_app.domain.operators import Role
from counter_app.services import operators

pass_app = click.make_pass_decorator(AppContext)

DEMO_OPERATORS = (
    ("admin", Role.ADMIN, "Demo-admin1"),
    ("clerk", Role.CLERK, "Demo-clerk1"),
    ("reviewer", Role.REVIEWER, "Demo-review1"),
    ("supervisor", Role.SUPERVISOR, "Demo-super1"),
)


def prepare_demo(app: AppContext) -> list[str]:
    """Create what is missing (idempotent); return lines describing what was made."""
    made: list[str] = []
    app.config.data_dir.mkdir(parents=True, exist_ok=True)
    store = app.store(create=True)
    existing = {o.name for o in operators.list_operators(store)}
    if not existing:
        name, _role, password = DEMO_OPERATORS[0]
        operators.create_first_admin(store, name, password)
        existing.add(name)
        made.append(f"database {store.url}")
    admin = operators.authenticate(store, DEMO_OPERATORS[0][0], DEMO_OPERATORS[0][2])
    for name, role, password in DEMO_OPERATORS[1:]:
        if name not in existing:
            operators.add_operator(store, admin, name, role, password)
            made.append(f"operator {name} ({role.value})")
    return made


@click.command("demo")
@pass_app
def demo_cmd(app: AppContext) -> None:
    """Prepare the demo data dir (first run) and show how to sign in."""
    for line in prepare_demo(app):
        click.echo(f"prepared: {line}")
    click.echo(f"demo counter ready in {app.config.data_dir}")
    click.echo("sign in with (demo only):")
    for name, role, password in DEMO_OPERATORS:
        click.echo(f"  {name:<11} {password:<13} {role.zh} / {role.value}")


def register(group: click.Group) -> None:
    group.add_command(demo_cmd)
