"""Verbs of the shared signing service: ``est init|counter-cert|server-cert|revoke-counter|serve``.

``est serve`` runs EST (RFC 7030) and ``/ra/status`` on TLS that requires a client certificate
from the counter-client CA, with the plain signing-module routes (CRL, OCSP, chain) beside them.
Passphrases come from the environment or a prompt, never from argv:
COUNTER_APP_CA_PASSPHRASE (the CA keys and the counter-client CA key),
COUNTER_APP_CLIENT_KEY_PASSPHRASE (a counter's key), COUNTER_APP_TLS_KEY_PASSPHRASE (the
service's TLS key).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from counter_app.cli.context import AppContext, read_secret, record_event
from counter_app.cli.options import EXISTING_FILE, pass_app
from counter_app.server.counter_ca import CounterCA
from counter_app.services.signing import SigningClient
from counter_app.store.anchor import PeriodicCheckpointer

if TYPE_CHECKING:
    from counter_app.ca import CAFiles, CertificateAuthority

CLI_OPERATOR = "est-cli"
CLIENT_KEY_ENV = "COUNTER_APP_CLIENT_KEY_PASSPHRASE"
TLS_KEY_ENV = "COUNTER_APP_TLS_KEY_PASSPHRASE"


@click.group("est")
def est_group() -> None:
    """The shared signing service over EST (共享签发服务): counter certificates and serving."""


@est_group.command("init")
@click.option("--name", default="CN=Counter Client CA,O=Counter RA,C=CN", show_default=True)
@pass_app
def est_init(app: AppContext, name: str) -> None:
    """Create the counter-client CA that vouches for counters (key under the CA passphrase)."""
    store = app.store()
    ca = CounterCA.in_data_dir(app.config.data_dir)
    ca.init(read_secret("COUNTER_APP_CA_PASSPHRASE"), name)
    record_event(store, CLI_OPERATOR, "est.init", "est", {})
    click.echo(str(ca.cert_path))


def _issue(app: AppContext, name: str, out: Path, hosts: tuple[str, ...], key_env: str) -> None:
    ca = CounterCA.in_data_dir(app.config.data_dir)
    ca_passphrase = read_secret("COUNTER_APP_CA_PASSPHRASE")
    key_passphrase = read_secret(key_env, confirm=True)
    store = app.store()
    pair = ca.issue(
        name, out, ca_passphrase=ca_passphrase, key_passphrase=key_passphrase, server_hosts=hosts
    )
    record_event(
        store,
        CLI_OPERATOR,
        "est.server_cert" if hosts else "est.counter_cert",
        f"counter:{name}",
        {"hosts": list(hosts)},
    )
    click.echo(json.dumps({"cert": str(pair.cert), "key": str(pair.key), "trust": str(pair.trust)}))


@est_group.command("counter-cert")
@click.argument("name")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@pass_app
def est_counter_cert(app: AppContext, name: str, out: Path) -> None:
    """Issue a client-auth certificate for counter NAME into OUT (NAME.crt, NAME.key, ca.pem).

    The key is encrypted with COUNTER_APP_CLIENT_KEY_PASSPHRASE (or a prompt).
    """
    _issue(app, name, out, (), CLIENT_KEY_ENV)


@est_group.command("server-cert")
@click.argument("name")
@click.option("--host", "hosts", multiple=True, required=True, help="DNS name or IP (repeat).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@pass_app
def est_server_cert(app: AppContext, name: str, hosts: tuple[str, ...], out: Path) -> None:
    """Issue the signing service's TLS certificate (key under COUNTER_APP_TLS_KEY_PASSPHRASE)."""
    _issue(app, name, out, hosts, TLS_KEY_ENV)


@est_group.command("revoke-counter")
@click.argument("name")
@pass_app
def est_revoke_counter(app: AppContext, name: str) -> None:
    """Revoke every client certificate of counter NAME; a running `est serve` refuses it at once.

    Signs a new counter-client CRL with the counter-client CA key (COUNTER_APP_CA_PASSPHRASE).
    """
    ca = CounterCA.in_data_dir(app.config.data_dir)
    store = app.store()
    serials = ca.revoke(name, ca_passphrase=read_secret("COUNTER_APP_CA_PASSPHRASE"))
    record_event(
        store,
        CLI_OPERATOR,
        "est.revoke_counter",
        f"counter:{name}",
        {"serials": [f"{s:X}" for s in serials]},
    )
    click.echo(f"revoked {len(serials)} certificate(s) of counter {name}")


@est_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8443, show_default=True)
@click.option("--tls-cert", type=EXISTING_FILE)
@click.option("--tls-key", type=EXISTING_FILE)
@click.option(
    "--client-ca",
    type=EXISTING_FILE,
    default=None,
    help="CA of the counters' client certificates (default: this data dir's counter-client CA).",
)
@click.option(
    "--ocsp-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Also serve OCSP, CRL and chain over plain HTTP on this port, from worker processes "
    "of their own (issuance cannot starve them); 0 picks a free port.",
)
@click.option("--ocsp-workers", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--access-log", is_flag=True, help="One line per request on stdout.")
@pass_app
def est_serve(
    app: AppContext,
    host: str,
    port: int,
    tls_cert: Path | None,
    tls_key: Path | None,
    client_ca: Path | None,
    ocsp_port: int | None,
    ocsp_workers: int,
    access_log: bool,
) -> None:
    """Serve EST and /ra/status to counters over mutual TLS (plus CRL, OCSP, chain).

    --tls-cert/--tls-key default to est_tls_cert/est_tls_key of config.toml (as doctor reads)."""
    tls_cert = tls_cert or _configured(app, "est_tls_cert")
    tls_key = tls_key or _configured(app, "est_tls_key")
    if tls_cert is None or tls_key is None:
        raise click.UsageError("--tls-cert and --tls-key are required")
    if access_log:
        from counter_app.cli.ops import enable_access_log

        enable_access_log()
    from counter_app.ca import CAFiles
    from counter_app.cli.ca import open_ca
    from counter_app.server import create_app
    from counter_app.server.counter_ca import RevokedCounters
    from counter_app.server.est import create_est_app
    from counter_app.server.tls import TLSSettings, serve_est

    ca = open_ca(app)
    from counter_app.cli.ops import keep_responder_fresh

    keep_responder_fresh(app, ca)
    ca.current_crl()
    PeriodicCheckpointer(app.anchor(), app.store()).start()
    files = CAFiles.in_data_dir(app.config.data_dir)
    counters = CounterCA.in_data_dir(app.config.data_dir)
    tls = TLSSettings(
        cert=tls_cert,
        key=tls_key,
        client_ca=client_ca or counters.cert_path,
        key_passphrase=read_secret(TLS_KEY_ENV),
    )
    revoked = RevokedCounters(counters.crl_path, tls.client_ca)
    from counter_app.cli.ops import counter_renewal

    renew_counter = counter_renewal(app, counters)
    workers: list[int] = []
    if ocsp_port is not None:
        workers = _start_ocsp_workers(app, ca, files, host, ocsp_port, ocsp_workers)
    try:
        serve_est(
            create_est_app(
                ca,
                create_app(ca, files.crl),
                revoked=revoked.is_revoked,
                renew_counter=renew_counter,
            ),
            host,
            port,
            tls,
            on_ready=lambda url: click.echo(f"serving EST on {url}", err=True),
            access_log=access_log,
        )
    finally:
        from counter_app.server.run import stop_workers

        stop_workers(workers)


def _configured(app: AppContext, key: str) -> Path | None:
    value = app.config.extra.get(key)
    return Path(str(value)).expanduser() if value else None


def _start_ocsp_workers(
    app: AppContext,
    ca: CertificateAuthority,
    files: CAFiles,
    host: str,
    port: int,
    workers: int,
) -> list[int]:
    """Fork the plain-HTTP OCSP workers before the EST service starts any thread."""
    from counter_app.server import create_app
    from counter_app.server.run import bind, start_workers

    if files.load_settings().key_storage == "hsm":
        # A PKCS#11 session does not survive fork(): OCSP stays in the EST process.
        raise click.UsageError("--ocsp-port needs CA keys at rest (PKCS#8), not in an HSM")
    sock = bind(host, port)
    store = app.store()
    children = start_workers(
        lambda: create_app(ca, files.crl),
        sock,
        workers,
        lambda: store.engine.dispose(close=False),
    )
    bound = sock.getsockname()[1]
    sock.close()  # the workers hold it
    click.echo(f"serving OCSP on http://{host}:{bound}", err=True)
    return children


def register(group: click.Group) -> None:
    group.add_command(est_group)


class _SharedRepository:
    """The signing module's records in the shared database, opened when first read."""

    def __init__(self, app: AppContext) -> None:
        self._app = app
        self._repo: Any = None

    def _open(self) -> Any:
        if self._repo is None:
            from counter_app.store.certificates import SQLCertificateRepository

            self._repo = SQLCertificateRepository(self._app.store())
        return self._repo

    def get(self, serial_hex: str) -> Any:
        return self._open().get(serial_hex)

    def serial_for_application(self, application_id: str) -> str | None:
        return self._open().serial_for_application(application_id)  # type: ignore[no-any-return]

    def records(self, application_ids: Any = None) -> Any:
        return self._open().records(application_ids)


def signing_client(app: AppContext) -> SigningClient:
    """The signing module a counter uses: the shared service when ``ca_url`` is configured,
    else the in-process one of this data dir."""
    from counter_app.services.signing import LocalSigning, local_kmc

    if app.config.ca_url:
        from counter_app.services.est_client import ESTSettings, ESTSigning

        settings = ESTSettings.from_config(app.config)
        from counter_app.services.signing import SharedRecords

        # Look-ups the EST protocol does not carry are read in the database shared with the
        # service (the documented deployment), opened on first use: `ca chain` needs none.
        shared = SharedRecords(_SharedRepository(app))
        return ESTSigning(settings, lambda: read_secret(CLIENT_KEY_ENV), shared)
    from counter_app.cli.ca import open_ca

    return LocalSigning(open_ca(app), local_kmc(app.config.data_dir))
