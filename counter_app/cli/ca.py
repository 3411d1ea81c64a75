"""Verbs of the signing module: ``ca init|chain|status|issue|hold|release|revoke|crl`` and
``serve``.

The CA passphrase comes from COUNTER_APP_CA_PASSPHRASE or a prompt, never from argv.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from counter_app.ca import (
    BadCSR,
    CAFiles,
    CASettings,
    CertificateAuthority,
    IssueRequest,
    RevocationReason,
    SubjectInfo,
    init_hierarchy,
)
from counter_app.ca.hierarchy import issuer_roles
from counter_app.ca.profiles import issuer_paths, matching_identifiers
from counter_app.ca.root import open_root_key, recertify_issuing, root_key_path, sign_root_crl
from counter_app.ca.signing import IssuerKey
from counter_app.cli.context import AppContext, OutputNotWritable, read_secret, record_event
from counter_app.cli.options import EXISTING_FILE, issuer_option, out_option, pass_app
from counter_app.domain.errors import CounterError
from counter_app.domain.policy import Action, authorise
from counter_app.store.signing_module import open_signing_module

if TYPE_CHECKING:
    from counter_app.services.pipeline import Operators

CLI_OPERATOR = "ca-cli"


class MissingOption(CounterError):
    code = "missing_option"
    zh = "缺少选项 {option}：{what_zh}"
    en = "missing option {option}: {what_en}"


class SM2NotInHSM(CounterError):
    code = "sm2_not_in_hsm"
    zh = "SM2 的 CA 私钥不能放在 PKCS#11 密码机中（PKCS#11 没有标准的 SM2 机制）：去掉 --hsm-module，私钥将加密保存"
    en = (
        "SM2 CA keys cannot be kept in a PKCS#11 HSM (PKCS#11 has no standard SM2 mechanism): "
        "leave out --hsm-module and the keys are stored encrypted"
    )


def _reserve_output(out: Path) -> Path:
    """Prove ``out`` can be written before anything is signed, by creating its temporary twin.

    A certificate issued and then lost to an unwritable path would exist at the CA with nobody
    holding it; creating the file beside ``out`` first turns that into a refusal.
    """
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputNotWritable(
            path=str(out),
            reason_zh=f"{reason}（未签发任何证书）",
            reason_en=f"{reason} (nothing was issued)",
        ) from None
    os.close(fd)
    return tmp


ALGORITHMS = ("p256", "p384", "rsa2048", "rsa3072", "rsa4096", "sm2")


def _passphrase() -> str:
    return read_secret("COUNTER_APP_CA_PASSPHRASE")


def signed_in_officers(app: AppContext) -> Operators:
    """The supervisor (COUNTER_APP_SUPERVISOR) and, when named, the second person
    (COUNTER_APP_REVIEWER), each signed in with their password."""
    from counter_app.cli.context import read_name
    from counter_app.services import operators
    from counter_app.services.pipeline import Operators

    store = app.store()
    maker = operators.authenticate(
        store,
        read_name("COUNTER_APP_SUPERVISOR", "主管", "supervisor"),
        read_secret("COUNTER_APP_SUPERVISOR_PASSWORD"),
    )
    second = None
    if os.environ.get("COUNTER_APP_REVIEWER"):
        second = operators.authenticate(
            store, os.environ["COUNTER_APP_REVIEWER"], read_secret("COUNTER_APP_REVIEWER_PASSWORD")
        )
    return Operators(maker, second)


def authorised_officer(app: AppContext, action: Action) -> str:
    """The supervisor acting on the signing module directly, with the second person the policy
    asks for (:func:`signed_in_officers`); the audit names them both."""
    from counter_app.services.pipeline import current_actors

    auth = authorise(action, current_actors(app.store(), signed_in_officers(app)))
    return auth.maker if auth.second is None else f"{auth.maker}+{auth.second}"


def _supervisor(app: AppContext) -> str:
    """A supervisor or admin signed in (COUNTER_APP_SUPERVISOR): who answers a right-to-know
    request is named in the audit."""
    from counter_app.cli.context import read_name
    from counter_app.domain.operators import Role, require_role
    from counter_app.services import operators

    who = operators.authenticate(
        app.store(),
        read_name("COUNTER_APP_SUPERVISOR", "主管", "supervisor"),
        read_secret("COUNTER_APP_SUPERVISOR_PASSWORD"),
    )
    require_role(
        who.role,
        (Role.SUPERVISOR, Role.ADMIN),
        action_zh="核验身份证件号码",
        action_en="checking a claimed ID number",
    )
    return who.name


def open_ca(app: AppContext) -> CertificateAuthority:
    """The CA of this data dir with its keys opened (passphrase or HSM)."""
    files = CAFiles.in_data_dir(app.config.data_dir)
    settings = files.load_settings()
    hsm_keys = None
    if settings.key_storage == "hsm":
        from counter_app.cli.ca_hsm import key_loader

        hsm_keys = key_loader(files)
    from counter_app.cli.custody import module_passphrase  # custodians, when under custody

    return open_signing_module(
        app.config, app.store(), lambda: module_passphrase(app), hsm_keys=hsm_keys
    )


@click.group("ca")
def ca_group() -> None:
    """The local signing module (本地签发模块): CA keys, certificates, CRL."""


@ca_group.command("init")
@click.option("--algorithm", type=click.Choice(ALGORITHMS), default="p256", show_default=True)
@click.option("--root-name", default="CN=Counter Root CA,O=Counter RA,C=CN", show_default=True)
@click.option(
    "--issuing-name", default="CN=Counter Issuing CA,O=Counter RA,C=CN", show_default=True
)
@click.option(
    "--responder-name", default="CN=Counter OCSP Responder,O=Counter RA,C=CN", show_default=True
)
@click.option(
    "--base-url",
    default="http://127.0.0.1:8080",
    show_default=True,
    help="Where `serve` is reachable; written into AIA and CRL distribution points.",
)
@click.option("--hsm-module", default=None, help="PKCS#11 module of an HSM to keep the CA keys.")
@click.option("--hsm-label", default=None, help="Token label in that HSM.")
@click.option(
    "--offline-root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write the root key only to this directory (removable media), under "
    "COUNTER_APP_ROOT_PASSPHRASE; the issuing key stays online.",
)
@pass_app
def ca_init(
    app: AppContext,
    algorithm: str,
    root_name: str,
    issuing_name: str,
    responder_name: str,
    base_url: str,
    hsm_module: str | None,
    hsm_label: str | None,
    offline_root: Path | None,
) -> None:
    """Create the root CA, the issuing CA and the OCSP responder, then publish a first CRL.

    The CA passphrase (COUNTER_APP_CA_PASSPHRASE) needs at least 12 characters.
    """
    store = app.store()  # the data dir must be initialised first (counter-app init)
    if algorithm == "sm2" and hsm_module:
        raise SM2NotInHSM()
    files = CAFiles.in_data_dir(app.config.data_dir)
    settings = CASettings(
        root_name=root_name,
        issuing_name=issuing_name,
        responder_name=responder_name,
        algorithm=algorithm,
        key_storage="hsm" if hsm_module else "pkcs8",
        base_url=base_url,
        identifier_salt=secrets.token_bytes(16),
        hsm_module=hsm_module,
        hsm_label=hsm_label,
    )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if hsm_module:
        from counter_app.cli.ca_hsm import key_factory

        certs = init_hierarchy(
            files,
            settings,
            passphrase=None,
            key_factory=key_factory(hsm_module, hsm_label, algorithm),
            now=now,
        )
    else:
        passphrase = read_secret("COUNTER_APP_CA_PASSPHRASE", confirm=True)
        root_passphrase = None
        if offline_root is not None:
            root_passphrase = read_secret("COUNTER_APP_ROOT_PASSPHRASE", confirm=True)
        certs = init_hierarchy(
            files,
            settings,
            passphrase=passphrase,
            now=now,
            offline_root=offline_root,
            root_passphrase=root_passphrase,
        )
        if algorithm == "sm2":
            # The key management centre of dual certificates, its key under the same passphrase.
            from counter_app.kmc import KMCFiles, init_kmc

            kmc_key = init_kmc(KMCFiles.in_data_dir(app.config.data_dir), passphrase)
            record_event(
                store, CLI_OPERATOR, "kmc.init", "kmc", {"key_id": kmc_key.key_identifier().hex()}
            )
    record_event(
        store,
        CLI_OPERATOR,
        "ca.init",
        "ca",
        {role: cert.fingerprint(hashes.SHA256()).hex() for role, cert in certs.items()}
        | {
            "algorithm": algorithm,
            "key_storage": settings.key_storage,
            "root_key": "offline" if offline_root else "online",
        },
    )
    crl = open_ca(app).publish_crl(operator=CLI_OPERATOR)
    click.echo(f"CA initialised in {files.directory} ({algorithm}); CRL number {crl.number}")


@ca_group.command("chain")
@pass_app
def ca_chain(app: AppContext) -> None:
    """Print the active issuing CA and root certificates (PEM); on a counter of a shared signing
    service (ca_url), as the service sends them over EST. After a rollover, an earlier issuing
    CA is in `ca issuers` and at the URL its certificates name (/ca/issuing.cer, ...)."""
    if app.config.ca_url:
        from counter_app.cli.est import signing_client

        for cert in signing_client(app).chain():
            click.echo(cert.public_bytes(serialization.Encoding.PEM).decode(), nl=False)
        return
    files = CAFiles.in_data_dir(app.config.data_dir)
    for role in (issuer_roles(files.load_settings().active_issuer)[0], "root"):
        click.echo(
            files.load_cert(role).public_bytes(serialization.Encoding.PEM).decode(), nl=False
        )


@ca_group.command("status")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def ca_status(app: AppContext, as_json: bool) -> None:
    """Names, validity and key storage of the CA certificates; the newest CRL."""
    files = CAFiles.in_data_dir(app.config.data_dir)
    settings = files.load_settings()
    from counter_app.store.certificates import SQLCertificateRepository

    latest = SQLCertificateRepository(app.store(), settings.active_issuer).latest_crl()
    info: dict[str, object] = {
        "algorithm": settings.algorithm,
        "key_storage": settings.key_storage,
        "base_url": settings.base_url,
        "crl_number": latest.number if latest else None,
        "crl_next_update": latest.next_update.isoformat() if latest else None,
    }
    active = issuer_roles(settings.active_issuer)
    info["active_issuer"] = settings.active_issuer
    for role, file_role in zip(("root", "issuing", "ocsp"), ("root", *active), strict=True):
        cert = files.load_cert(file_role)
        info[role] = {
            "subject": cert.subject.rfc4514_string(),
            "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat(),
        }
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False))
        return
    for key, value in info.items():
        click.echo(f"{key}: {value}")


def _load_csr(path: Path) -> x509.CertificateSigningRequest:
    data = path.read_bytes()
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_csr(data)
        return x509.load_der_x509_csr(data)
    except ValueError:
        raise BadCSR(reason_zh="无法解析", reason_en="it cannot be parsed") from None


@ca_group.command("issue")
@click.option("--csr", "csr_path", type=EXISTING_FILE)
@click.option("--profile", required=True)
@click.option("--cn", required=True, help="Common name (RA-verified).")
@click.option("--org", default=None)
@click.option("--ou", default=None)
@click.option("--subject-serial", default=None, help="Subject serialNumber attribute.")
@click.option("--email", default=None)
@click.option("--id", "identifiers", multiple=True, help="GM/T 0015 identifier, OID=VALUE.")
@click.option("--application-id", default=None)
@out_option()
@pass_app
def ca_issue(
    app: AppContext,
    csr_path: Path,
    profile: str,
    cn: str,
    org: str | None,
    ou: str | None,
    subject_serial: str | None,
    email: str | None,
    identifiers: tuple[str, ...],
    application_id: str | None,
    out: Path | None,
) -> None:
    """Low-level issuance (tests, recovery); the counter's services call the CA directly."""
    if csr_path is None:
        raise MissingOption(
            option="--csr", what_zh="需要证书请求文件", what_en="the certificate request file"
        )
    officer = authorised_officer(app, Action.CA_ISSUE)
    ids = dict(item.split("=", 1) for item in identifiers if "=" in item)
    subject = SubjectInfo(
        common_name=cn,
        organization=org,
        organizational_unit=ou,
        serial_number=subject_serial,
        email=email,
        identifiers=ids,
    )
    csr = _load_csr(csr_path)
    tmp = _reserve_output(out) if out is not None else None
    try:
        issued = open_ca(app).issue(
            IssueRequest(csr, subject, profile, application_id=application_id, operator=officer)
        )
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise
    pem = issued.certificate.public_bytes(serialization.Encoding.PEM)
    if out is not None and tmp is not None:
        try:
            tmp.write_bytes(pem)
            tmp.replace(out)
        except OSError:
            # Issued but not stored where asked: the PEM must still reach the operator.
            tmp.unlink(missing_ok=True)
            sys.stdout.write(pem.decode())
            raise
    else:
        sys.stdout.write(pem.decode())
    click.echo(issued.serial_hex, err=out is None)


@ca_group.command("verify-id")
@click.argument("cert_path", type=EXISTING_FILE)
@pass_app
def ca_verify_id(app: AppContext, cert_path: Path) -> None:
    """Check a claimed ID number against a certificate's hashed identifiers (exit 1: no match).

    The claimed number is read from standard input, never from the command line (it is
    personal data). Only who holds the secret salt (this data dir) can check; it is audited.
    """
    files = CAFiles.in_data_dir(app.config.data_dir)
    salt = files.load_settings().identifier_salt
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    officer = _supervisor(app)
    claimed = sys.stdin.readline().strip()
    matched = matching_identifiers(cert, claimed, salt)
    record_event(
        app.store(),
        officer,
        "ca.verify_id",
        f"certificate:{cert.serial_number:X}",
        {"matched": matched},
    )
    if not matched:
        click.echo("no match", err=True)
        raise click.exceptions.Exit(1)
    click.echo("match: " + ", ".join(matched))


def _status_command(verb: str, action: Action, done: str, help_text: str) -> None:
    """``ca hold`` / ``ca release``: the officers' one status change on SERIAL."""

    @ca_group.command(verb, help=help_text)
    @click.argument("serial")
    @pass_app
    def command(app: AppContext, serial: str) -> None:
        getattr(open_ca(app), verb)(serial, operator=authorised_officer(app, action))
        click.echo(f"{serial.upper()} {done}")


_status_command(
    "hold",
    Action.CA_HOLD,
    "on hold",
    "Suspend (挂起) a certificate: certificateHold on the CRL and in OCSP.",
)
_status_command("release", Action.CA_RELEASE, "released", "Resume (解挂) a certificate on hold.")


@ca_group.command("revoke")
@click.argument("serial")
@click.option(
    "--reason",
    type=click.Choice(
        [r.value for r in RevocationReason if r is not RevocationReason.CERTIFICATE_HOLD]
    ),
    default="unspecified",
    show_default=True,
)
@pass_app
def ca_revoke(app: AppContext, serial: str, reason: str) -> None:
    """Revoke (吊销) a certificate for good."""
    officer = authorised_officer(app, Action.CA_REVOKE)
    open_ca(app).revoke(serial, RevocationReason(reason), operator=officer)
    click.echo(f"{serial.upper()} revoked ({reason})")


_OFFLINE_ROOT = click.option(
    "--offline-root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory of the removable media holding the root key (ca init --offline-root).",
)


def _root_key(app: AppContext, offline_root: Path | None) -> IssuerKey:
    """The root key: from the media given back, else ca/ (its own passphrase when offline),
    or on the HSM with the other CA keys."""
    files = CAFiles.in_data_dir(app.config.data_dir)
    settings = files.load_settings()
    if settings.key_storage == "hsm":
        from counter_app.cli.ca_hsm import hsm_keys

        return hsm_keys(files, settings, ("root",))[0]
    root_key_path(files, offline_root)  # says "give --offline-root" before asking a passphrase
    offline = settings.root_key == "offline"
    secret = read_secret("COUNTER_APP_ROOT_PASSPHRASE" if offline else "COUNTER_APP_CA_PASSPHRASE")
    return open_root_key(files, offline_root, secret)


@ca_group.command("issue-ca")
@_OFFLINE_ROOT
@pass_app
def ca_issue_ca(app: AppContext, offline_root: Path | None) -> None:
    """Re-certify the issuing CA's key with the root key (a root operation)."""
    files = CAFiles.in_data_dir(app.config.data_dir)
    root_key_path(files, offline_root)  # no media: say so before any sign-in
    officer = authorised_officer(app, Action.CA_ISSUE)
    root_key = _root_key(app, offline_root)
    cert = recertify_issuing(files, root_key, dt.datetime.now(dt.UTC).replace(microsecond=0))
    record_event(
        app.store(),
        officer,
        "ca.issue_ca",
        "ca:issuing",
        {"fingerprint": cert.fingerprint(hashes.SHA256()).hex()},
    )
    click.echo(f"issuing CA re-certified until {cert.not_valid_after_utc:%Y-%m-%d}")


@ca_group.command("rollover")
@_OFFLINE_ROOT
@click.option(
    "--issuing-name",
    default=None,
    help="Name of the new issuing CA (default: the first one's, its CN numbered: '... 2').",
)
@pass_app
def ca_rollover(app: AppContext, offline_root: Path | None, issuing_name: str | None) -> None:
    """Make a new issuing CA under the root (a root operation): it signs every new certificate
    from now on, while the previous one keeps answering OCSP and CRLs for its own certificates
    until they expire. Restart `serve`/`est serve` afterwards (docs/operations.md)."""
    from counter_app.ca.rollover import new_issuer

    files = CAFiles.in_data_dir(app.config.data_dir)
    root_key_path(files, offline_root)  # no media: say so before any sign-in
    officer = authorised_officer(app, Action.CA_ISSUE)
    root_key = _root_key(app, offline_root)
    issuing_key, responder_key, secret = _next_issuer_keys(app, files)
    made = new_issuer(
        files,
        root_key,
        issuing_key,
        responder_key,
        dt.datetime.now(dt.UTC).replace(microsecond=0),
        passphrase=secret,
        name=issuing_name,
    )
    made_facts = {
        "previous": made.previous,
        "subject": made.certificate.subject.rfc4514_string(),
        "fingerprint": made.certificate.fingerprint(hashes.SHA256()).hex(),
        "responder": made.responder.fingerprint(hashes.SHA256()).hex(),
        "not_after": made.certificate.not_valid_after_utc.isoformat(),
    }
    record_event(app.store(), officer, "ca.rollover", f"ca:issuer:{made.number}", made_facts)
    crl = open_ca(app).issuer_ca(made.number).publish_crl(operator=officer)
    click.echo(
        f"issuing CA {made.number} ({made.certificate.subject.rfc4514_string()}) signs new "
        f"certificates until {made.certificate.not_valid_after_utc:%Y-%m-%d}; issuing CA "
        f"{made.previous} keeps answering for its own; CRL number {crl.number}"
    )


def _next_issuer_keys(app: AppContext, files: CAFiles) -> tuple[IssuerKey, IssuerKey, str | None]:
    """Keys for the next issuing CA and its responder: made on the HSM (no passphrase), or
    in memory with the passphrase the current keys open with (checked on them first)."""
    settings = files.load_settings()
    issuing_role, responder_role = issuer_roles(files.issuers()[-1] + 1)
    if settings.key_storage == "hsm":
        from counter_app.cli.ca_hsm import key_factory

        make = key_factory(settings.hsm_module or "", settings.hsm_label, settings.algorithm)
        return make(issuing_role), make(responder_role), None
    from counter_app.ca.keys import generate_key
    from counter_app.cli.custody import module_passphrase

    secret = module_passphrase(app)
    files.load_key(issuer_roles(settings.active_issuer)[0], secret)  # a wrong one stops here
    return generate_key(settings.algorithm), generate_key(settings.algorithm), secret


@ca_group.command("issuers")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def ca_issuers(app: AppContext, as_json: bool) -> None:
    """The issuing CAs: the active one signs new certificates; a retiring one still answers
    for its unexpired certificates; a retired one has none left."""
    from counter_app.ca.rollover import issuer_states
    from counter_app.store.certificates import SQLCertificateRepository

    files = CAFiles.in_data_dir(app.config.data_dir)
    base = files.load_settings().base_url.rstrip("/")
    outstanding = SQLCertificateRepository(app.store()).outstanding(dt.datetime.now(dt.UTC))
    states = issuer_states(files, outstanding)
    rows = [
        {
            "issuer": issuer.number,
            "state": issuer.state,
            "subject": issuer.certificate.subject.rfc4514_string(),
            "not_after": issuer.certificate.not_valid_after_utc.isoformat(),
            "outstanding": issuer.outstanding,
            "certificate_url": base + issuer_paths(issuer.number)[0],
            "crl_url": base + issuer_paths(issuer.number)[1],
        }
        for issuer in states
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for issuer, row in zip(states, rows, strict=True):
        click.echo(
            f"{issuer.number} {issuer.state:<8} until "
            f"{issuer.certificate.not_valid_after_utc:%Y-%m-%d}  {issuer.outstanding} "
            f"certificates outstanding  {row['subject']}  {row['crl_url']}"
        )


@ca_group.command("crl")
@out_option(required=True)
@click.option("--new", "fresh", is_flag=True, help="Sign a new CRL first.")
@click.option("--root", "root", is_flag=True, help="Sign the root's CRL (a root operation).")
@issuer_option("CRL")
@_OFFLINE_ROOT
@pass_app
def ca_crl(
    app: AppContext,
    out: Path,
    fresh: bool,
    root: bool,
    issuer: int | None,
    offline_root: Path | None,
) -> None:
    """Write the current CRL (DER) of the active issuing CA, or of --issuer N; with --root,
    sign and write the root's CRL."""
    if root:
        files = CAFiles.in_data_dir(app.config.data_dir)
        root_key_path(files, offline_root)  # no media: say so before any sign-in
        officer = authorised_officer(app, Action.CA_ISSUE)
        root_crl = sign_root_crl(
            files, _root_key(app, offline_root), dt.datetime.now(dt.UTC).replace(microsecond=0)
        )
        record_event(app.store(), officer, "ca.root_crl", "ca:root")
        out.write_bytes(root_crl.public_bytes(serialization.Encoding.DER))
        return
    ca = open_ca(app)
    ca = ca if issuer is None else ca.issuer_ca(issuer)
    der = ca.publish_crl(operator=CLI_OPERATOR).der if fresh else ca.current_crl()
    out.write_bytes(der)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--access-log", is_flag=True, help="One line per request on stdout.")
@pass_app
def serve_cmd(app: AppContext, host: str, port: int, workers: int, access_log: bool) -> None:
    """Serve /ca/chain.pem, /crl, /ocsp and /healthz over HTTP."""
    from counter_app.server import create_app, serve

    if access_log:
        from counter_app.cli.ops import enable_access_log

        enable_access_log()

    files = CAFiles.in_data_dir(app.config.data_dir)
    in_hsm = files.load_settings().key_storage == "hsm"
    if workers > 1 and in_hsm:
        # A PKCS#11 session does not survive fork(): with the keys in an HSM one process
        # serves (pre-signed OCSP answers keep that cheap).
        click.echo("CA keys are in an HSM: serving with one worker process", err=True)
        workers = 1
    ca = open_ca(app)
    from counter_app.cli.ops import keep_responder_fresh

    keep_responder_fresh(app, ca)  # before the fork: the workers answer with the renewed one
    ca.current_crl()
    store = app.store()
    # In the parent only (fork() keeps one thread): issuance and CRLs get checkpoints meanwhile.
    from counter_app.store.anchor import PeriodicCheckpointer

    PeriodicCheckpointer(app.anchor(), store).start()

    def after_fork() -> None:
        # SQLAlchemy's advice for forked workers: new connections, leave the parent's alone.
        store.engine.dispose(close=False)

    serve(
        lambda: create_app(ca, files.crl),
        host,
        port,
        workers=workers,
        after_fork=after_fork,
        on_ready=lambda url: click.echo(f"serving on {url}", err=True),
        fork=not in_hsm,
    )


def register(group: click.Group) -> None:
    group.add_command(ca_group)
    group.add_command(serve_cmd)
