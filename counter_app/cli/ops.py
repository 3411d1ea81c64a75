"""Verbs for running an installation for years: ``doctor``, ``backup``, ``restore``,
``upgrade`` and ``downgrade`` (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click
from cryptography import x509

from counter_app.cli.context import AppContext, read_secret, record_event
from counter_app.cli.options import issuer_option, pass_app
from counter_app.credentials import secret_value
from counter_app.store import audit

if TYPE_CHECKING:
    from counter_app.ca import CertificateAuthority
    from counter_app.ca.rollover import RenewedResponder
    from counter_app.server.counter_ca import CounterCA
    from counter_app.server.est import CounterRenewal

log = logging.getLogger(__name__)
CLI_OPERATOR = "ca-cli"
RENEW_CHECK_INTERVAL_S = 24 * 3600

LEVEL_WORDS = {"ok": ("正常", "ok"), "warn": ("警告", "WARN"), "error": ("错误", "ERROR")}


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of lines.")
@pass_app
def doctor_cmd(app: AppContext, as_json: bool) -> None:
    """Check the installation as configured: one line per check, exit 1 on any error."""
    from counter_app.services.doctor import has_errors, run_checks

    app.checkpoint_on_close = False  # a check signs nothing
    findings = run_checks(app.config)
    failed = has_errors(findings)
    if as_json:
        click.echo(
            json.dumps(
                {"ok": not failed, "checks": [f.to_json(app.lang) for f in findings]},
                ensure_ascii=False,
            )
        )
    else:
        zh = app.lang.lower().startswith("zh")
        for f in findings:
            word = LEVEL_WORDS[f.level.value][0 if zh else 1]
            click.echo(f"{word:<5} {f.check}: {f.message(app.lang)}")
    if failed:
        raise click.exceptions.Exit(1)


def enable_access_log() -> None:
    """One line per request on stdout (``serve``/``est serve --access-log``; the journal)."""
    import sys

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    for name in ("counter_app.access", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False


# Responder rollover ----------------------------------------------------------------------------


def renew_responder_now(
    app: AppContext,
    ca: CertificateAuthority | None = None,
    *,
    only_if_due: bool = False,
    passphrase: str | None = None,
    issuer: int | None = None,
) -> RenewedResponder | None:
    """A new responder key and certificate (``ca/rollover.py``) for issuing CA ``issuer``
    (None: the active one), audited; a running ``ca`` answers with it at once. With
    ``only_if_due`` nothing happens before half its life."""
    from counter_app.ca import CAFiles
    from counter_app.ca.hierarchy import issuer_roles
    from counter_app.ca.keys import generate_key
    from counter_app.ca.rollover import renew_responder, responder_due

    files = CAFiles.in_data_dir(app.config.data_dir)
    settings = files.load_settings()
    number = settings.active_issuer if issuer is None else issuer
    if number not in files.issuers():
        from counter_app.ca.errors import CAError

        raise CAError(detail=f"there is no issuing CA {number} (see counter-app ca issuers)")
    issuing_role, role = issuer_roles(number)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if only_if_due and not responder_due(files.load_cert(role), now):
        return None
    running = ca.issuer_ca(number) if ca else None
    if settings.key_storage == "hsm":
        from counter_app.cli.ca_hsm import key_factory, key_loader

        issuing_key = (
            running.keys.issuing_key if running else key_loader(files)(settings, number)[0]
        )
        make = key_factory(settings.hsm_module or "", settings.hsm_label, settings.algorithm)
        new_key, secret = make(role), None
    else:
        from counter_app.cli.custody import module_passphrase

        secret = passphrase or module_passphrase(app)
        issuing_key = running.keys.issuing_key if running else files.load_key(issuing_role, secret)
        new_key = generate_key(settings.algorithm)
    renewed = renew_responder(files, issuing_key, new_key, now, passphrase=secret, issuer=number)
    with app.store().session() as session:
        audit.append(
            session,
            operator=CLI_OPERATOR,
            action="ca.renew_responder",
            obj=f"ca:{role}",
            details={
                "serial": f"{renewed.certificate.serial_number:X}",
                "previous": f"{renewed.previous.serial_number:X}",
                "not_after": renewed.certificate.not_valid_after_utc.isoformat(),
            },
        )
    if running is not None:
        running.replace_responder(renewed.certificate, new_key)
    return renewed


def keep_responder_fresh(app: AppContext, ca: CertificateAuthority) -> None:
    """For ``serve``/``est serve``: renew now if due, then check daily in this process.

    Forked OCSP workers keep the responder they were forked with until the service restarts
    (the systemd units restart it weekly, packaging/systemd/); a daily check in the parent covers
    the single-process case (keys in an HSM, ``--workers 1``).
    """
    for running in ca.issuers:  # each issuing CA still answering has its own responder
        renewed = renew_responder_now(app, ca, only_if_due=True, issuer=running.issuer)
        if renewed is not None:
            click.echo(
                f"OCSP responder renewed until {renewed.certificate.not_valid_after_utc:%Y-%m-%d}",
                err=True,
            )
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(RENEW_CHECK_INTERVAL_S):
            for running in ca.issuers:
                try:
                    # Unattended: the passphrase the module was opened with (never a prompt).
                    renew_responder_now(app, ca, only_if_due=True, passphrase=_unattended(app),
                                        issuer=running.issuer)  # fmt: skip
                except Exception:  # the service keeps answering with the current responder
                    log.exception("daily OCSP responder renewal failed")

    threading.Thread(target=loop, name="responder-renewal", daemon=True).start()


def _unattended(app: AppContext) -> str | None:
    from counter_app.ca import CAFiles
    from counter_app.cli.custody import _opened

    files = CAFiles.in_data_dir(app.config.data_dir)
    return _opened.get(files.directory) or secret_value("COUNTER_APP_CA_PASSPHRASE")


@click.command("renew-responder")
@click.option(
    "--if-due", is_flag=True, help="Only once half the current certificate's life is over."
)
@issuer_option("responder to renew")
@pass_app
def ca_renew_responder(app: AppContext, if_due: bool, issuer: int | None) -> None:
    """Make a new OCSP responder key and certificate (the old ones are kept, renamed).

    Restart a running `serve`/`est serve` with several workers so they answer with it."""
    renewed = renew_responder_now(app, only_if_due=if_due, issuer=issuer)
    if renewed is None:
        click.echo("the OCSP responder certificate is not yet half way through its life")
        return
    click.echo(
        f"OCSP responder renewed: serial {renewed.certificate.serial_number:X}, valid until "
        f"{renewed.certificate.not_valid_after_utc:%Y-%m-%d} (previous kept as "
        f"{renewed.kept_as.name})"
    )


# Counter-client certificates -------------------------------------------------------------------


def counter_renewal(app: AppContext, counters: CounterCA) -> CounterRenewal | None:
    """For ``est serve``: renew counters' client certificates with the counter-client CA key,
    when the CA passphrase is given unattended (environment or credential); else refused."""
    secret = secret_value("COUNTER_APP_CA_PASSPHRASE")
    if not secret or not counters.cert_path.exists():
        return None
    signer = counters.load_signer(secret)
    store = app.store()

    def renew(name: str, csr: x509.CertificateSigningRequest) -> x509.Certificate:
        cert = signer.renew_client(name, csr)
        record_event(
            store,
            f"{name}/est",
            "est.renew_counter_cert",
            f"counter:{name}",
            {
                "serial": f"{cert.serial_number:X}",
                "not_after": cert.not_valid_after_utc.isoformat(),
            },
        )
        return cert

    return renew


@click.command("renew-counter-cert")
@click.option(
    "--if-due", is_flag=True, help="Only once half the current certificate's life is over."
)
@pass_app
def est_renew_counter_cert(app: AppContext, if_due: bool) -> None:
    """On a counter: re-enroll this counter's own client certificate over EST (new key, same
    name, same passphrase COUNTER_APP_CLIENT_KEY_PASSPHRASE); the old files are kept aside."""
    from cryptography import x509 as _x509

    from counter_app.services.counter_cert import counter_cert_due, renew_counter_certificate
    from counter_app.services.est_client import ESTSettings

    if not app.config.ca_url:
        raise click.UsageError("this data dir names no signing service (ca_url / --ca-url)")
    settings = ESTSettings.from_config(app.config)
    current = _x509.load_pem_x509_certificate(settings.client_cert.read_bytes())
    if if_due and not counter_cert_due(current, dt.datetime.now(dt.UTC)):
        click.echo(f"{settings.client_cert} is not yet half way through its life")
        return
    renewed = renew_counter_certificate(settings, read_secret("COUNTER_APP_CLIENT_KEY_PASSPHRASE"))
    record_event(
        app.store(),
        f"{renewed.name}/cli",
        "est.counter_cert_renewed",
        f"counter:{renewed.name}",
        {
            "serial": f"{renewed.certificate.serial_number:X}",
            "previous": f"{renewed.previous.serial_number:X}",
        },
    )
    click.echo(
        f"client certificate of {renewed.name} renewed until "
        f"{renewed.certificate.not_valid_after_utc:%Y-%m-%d}"
    )


@click.command("renew-server-cert")
@click.argument("name")
@click.option("--host", "hosts", multiple=True, help="DNS name or IP (default: the current ones).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@pass_app
def est_renew_server_cert(app: AppContext, name: str, hosts: tuple[str, ...], out: Path) -> None:
    """On the signing host: a new TLS certificate and key for the EST service NAME into OUT
    (host names kept unless --host is given); restart `est serve` to use it."""
    from counter_app.cli.est import TLS_KEY_ENV, _issue
    from counter_app.server.counter_ca import CounterCA

    counters = CounterCA.in_data_dir(app.config.data_dir)
    if not hosts:
        previous = counters.latest_server_certificate(name)
        if previous is None:
            raise click.UsageError(
                f"no server certificate named {name} was issued here: give --host"
            )
        sans = previous.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        hosts = tuple([str(n.value) for n in sans if isinstance(n, (x509.DNSName, x509.IPAddress))])
    _issue(app, name, out, hosts, TLS_KEY_ENV)


# Backup and restore ----------------------------------------------------------------------------

BACKUP_ENV = "COUNTER_APP_BACKUP_PASSPHRASE"


@click.command("backup")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@pass_app
def backup_cmd(app: AppContext, out: Path) -> None:
    """Back up the database and the data dir (keys, salts, settings, witness), encrypted with
    COUNTER_APP_BACKUP_PASSPHRASE (or a prompt), into the new directory OUT."""
    from counter_app.services.backup import check_passphrase, create_backup

    secret = read_secret(BACKUP_ENV, confirm=True)
    check_passphrase(secret)
    store = app.store()
    result = create_backup(app.config, out, secret, store.current_revision())
    record_event(
        store,
        "ops-cli",
        "backup.create",
        f"backup:{out.name}",
        {"database": result.database, "files": result.files},
    )
    click.echo(f"backed up {result.database} database and {result.files} data dir files into {out}")


@click.command("restore")
@click.argument("backup", type=click.Path(exists=True, file_okay=False, path_type=Path))
@pass_app
def restore_cmd(app: AppContext, backup: Path) -> None:
    """Restore BACKUP into the (new or empty) --data-dir; a PostgreSQL backup into the empty
    database of --db-url. Then run `counter-app audit verify` and `counter-app doctor`."""
    from counter_app.services.backup import restore_backup

    app.checkpoint_on_close = False  # the restored chain is verified, not extended, here
    result = restore_backup(app.config, backup, read_secret(BACKUP_ENV))
    click.echo(f"restored {result.database} backup into {app.config.data_dir}")


# Schema migrations -----------------------------------------------------------------------------


@click.command("upgrade")
@pass_app
def upgrade_cmd(app: AppContext) -> None:
    """Migrate the database schema to this release's newest revision (any command does it too)."""
    app.checkpoint_on_close = False
    store = app.store()  # opening migrates forward, under the migration lock
    click.echo(f"schema at {store.current_revision()}")


@click.command("downgrade")
@pass_app
def downgrade_cmd(app: AppContext) -> None:
    """Undo the newest migration, one step, before going back to the previous release.

    Run it with the release that made the migration (it holds the downgrade), then install the
    older release; any command of this release migrates forward again. Back up first.
    """
    from alembic import command

    from counter_app.store.db import _alembic_config

    app.checkpoint_on_close = False  # the previous release's schema may not take a checkpoint
    store = app.store()
    before = store.current_revision()
    with store._migration_lock():
        command.downgrade(_alembic_config(store.engine), "-1")
    click.echo(f"schema downgraded from {before} to {store.current_revision()}")


def register(group: click.Group) -> None:
    from counter_app.cli.ca import ca_group
    from counter_app.cli.est import est_group

    group.add_command(doctor_cmd)
    group.add_command(backup_cmd)
    group.add_command(restore_cmd)
    group.add_command(upgrade_cmd)
    group.add_command(downgrade_cmd)
    ca_group.add_command(ca_renew_responder)
    from counter_app.cli import custody

    custody.register(ca_group)
    est_group.add_command(est_renew_counter_cert)
    est_group.add_command(est_renew_server_cert)
