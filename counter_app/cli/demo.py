"""``counter-app demo``: a demo counter on the embedded defaults, prepared on first run.

It makes, once: the database with demo operators, the signing module (CA keys encrypted with a
demo passphrase), and a SoftHSM2 token store inside the data dir with a formatted demo token.
Then it opens the GUI, or, without a display, runs one headless enrollment onto the demo token
so the whole chain is seen working. The demo secrets are well known and printed: they protect
nothing but the demo data dir, and are never used for a real counter.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil

import click

from counter_app.cli.context import AppContext
from counter_app.cli.options import pass_app
from counter_app.config import resource_path
from counter_app.domain.operators import Role
from counter_app.filemodes import make_private_dir
from counter_app.services import operators

DEMO_OPERATORS = (
    ("admin", Role.ADMIN, "Demo-admin1"),
    ("clerk", Role.CLERK, "Demo-clerk1"),
    ("reviewer", Role.REVIEWER, "Demo-review1"),
    ("supervisor", Role.SUPERVISOR, "Demo-super1"),
)
DEMO_CA_PASSPHRASE = "Demo-ca-pass1"
DEMO_SO_PIN, DEMO_USER_PIN = "87654321", "123456"
DEMO_TOKEN = "DEMO-TOKEN"


def _operators(app: AppContext) -> list[str]:
    made: list[str] = []
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


def _signing_module(app: AppContext) -> list[str]:
    import datetime as dt

    from counter_app.ca import CAFiles, CASettings, init_hierarchy
    from counter_app.store.signing_module import open_signing_module

    files = CAFiles.in_data_dir(app.config.data_dir)
    if files.settings.exists():
        return []
    settings = CASettings(
        root_name="CN=Demo Root CA,O=Demo RA,C=CN",
        issuing_name="CN=Demo Issuing CA,O=Demo RA,C=CN",
        responder_name="CN=Demo OCSP Responder,O=Demo RA,C=CN",
        algorithm="p256",
        key_storage="pkcs8",
        base_url="http://127.0.0.1:8080",
        identifier_salt=secrets.token_bytes(16),
    )
    init_hierarchy(files, settings, passphrase=DEMO_CA_PASSPHRASE, now=dt.datetime.now(dt.UTC))
    open_signing_module(app.config, app.store(), lambda: DEMO_CA_PASSPHRASE).publish_crl(
        operator="demo"
    )
    return ["signing module (P-256 root, issuing CA, OCSP responder)"]


def _token_store(app: AppContext) -> list[str]:
    """A SoftHSM2 token store of the demo's own, with one formatted demo token."""
    directory = app.config.data_dir / "softhsm"
    conf = app.config.data_dir / "softhsm2.conf"
    os.environ["SOFTHSM2_CONF"] = str(conf)
    if conf.exists():
        return []
    (directory / "tokens").mkdir(parents=True, exist_ok=True)
    conf.write_text(
        f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    from counter_app.token import init_token

    init_token(
        app.config.pkcs11_module, new_label=DEMO_TOKEN, so_pin=DEMO_SO_PIN, user_pin=DEMO_USER_PIN
    )
    return [f"SoftHSM demo token {DEMO_TOKEN} in {directory}"]


def prepare_demo(app: AppContext) -> list[str]:
    """Create what is missing (idempotent); return lines describing what was made."""
    make_private_dir(app.config.data_dir)
    return _operators(app) + _signing_module(app) + _token_store(app)


def _headless_enrollment(app: AppContext) -> None:
    from counter_app.cli.counter import service_context
    from counter_app.services.enroll import EnrollRequest, enroll
    from counter_app.services.pipeline import Operators
    from counter_app.services.tokens import TokenChoice

    os.environ.setdefault("COUNTER_APP_CA_PASSPHRASE", DEMO_CA_PASSPHRASE)
    store = app.store()
    clerk = operators.authenticate(store, "clerk", "Demo-clerk1")
    reviewer = operators.authenticate(store, "reviewer", "Demo-review1")
    data = json.loads(resource_path("examples", "enroll-individual.json").read_text("utf-8"))
    ctx = service_context(app)
    request = EnrollRequest.parse(
        ctx, data, token=TokenChoice(DEMO_TOKEN), pin=DEMO_USER_PIN, replace=True
    )
    result = enroll(ctx, request, Operators(maker=clerk, second=reviewer))
    click.echo("no display: enrolled the example individual onto the demo token instead:")
    click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))


@click.command("demo")
@click.option("--headless", is_flag=True, help="Do not open the GUI; run one enrollment instead.")
@pass_app
def demo_cmd(app: AppContext, headless: bool) -> None:
    """Prepare the demo data dir (first run), show how to sign in, open the counter."""
    for line in prepare_demo(app):
        click.echo(f"prepared: {line}")
    click.echo(f"demo counter ready in {app.config.data_dir}")
    click.echo("sign in with (demo only):")
    for name, role, password in DEMO_OPERATORS:
        click.echo(f"  {name:<11} {password:<13} {role.zh} / {role.value}")
    click.echo(
        f"demo token {DEMO_TOKEN}: user PIN {DEMO_USER_PIN}, SO PIN {DEMO_SO_PIN}; "
        f"CA passphrase {DEMO_CA_PASSPHRASE}"
    )
    os.environ.setdefault("COUNTER_APP_CA_PASSPHRASE", DEMO_CA_PASSPHRASE)
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless or not has_display or shutil.which("softhsm2-util") is None:
        _headless_enrollment(app)
        return
    from counter_app.gui.app import run

    code = run(app.config, lang=app.config.lang)
    if code:
        raise click.exceptions.Exit(code)


def register(group: click.Group) -> None:
    group.add_command(demo_cmd)
