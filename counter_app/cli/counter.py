"""The counter's services as headless verbs: enroll, renew, change, add-item, reissue,
cert suspend|resume|revoke|show|list, application show, recover, token unlock.

Success prints one JSON object on stdout (the facts a script or the clerk needs); refusals
print one line on stderr (see ``counter_app.cli.main``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from counter_app.cli.admin import sign_in
from counter_app.cli.context import AppContext, read_secret
from counter_app.cli.options import FILE_PATH, identity_option, out_option, pass_app
from counter_app.domain.errors import ValidationError
from counter_app.domain.fees import SettlementForm
from counter_app.domain.lifecycle import CLERK_REASONS, CertificateStatus, RevocationReason
from counter_app.domain.subscribers import parse_documents
from counter_app.services import operators
from counter_app.services.context import ServiceContext
from counter_app.services.pipeline import Operators
from counter_app.services.tokens import TokenChoice, TokenNotChosen


class BadInputFile(ValidationError):
    code = "bad_input_file"
    zh = "无法读取输入文件 {path}：{detail}"
    en = "cannot read input file {path}: {detail}"


def service_context(app: AppContext, module: str | None = None) -> ServiceContext:
    from counter_app.cli.est import signing_client  # in-process, or EST when ca_url is set

    config = app.config.with_(pkcs11_module=module) if module else app.config
    tokens = None
    if module:
        from counter_app.token.skf import SKFTokens, configured_application, configured_driver

        if configured_driver(app.config.extra)[0] == "skf":
            # With token_driver = "skf", --module names the SKF library (docs/skf.md).
            tokens = SKFTokens(module, configured_application(app.config.extra))
    return ServiceContext(
        config=config,
        store=app.store(),
        signing_factory=lambda: signing_client(app),
        token_access=tokens,
    )


def reading_context(app: AppContext) -> ServiceContext:
    """A context that reads the signing module's records but never its keys (no passphrase):
    look-ups and printing, as they always were."""
    from counter_app.services.signing import ReadOnlySigning
    from counter_app.store.certificates import SQLCertificateRepository

    store = app.store()
    records = ReadOnlySigning(SQLCertificateRepository(store))
    return ServiceContext(config=app.config, store=store, signing_factory=lambda: records)


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def _show_recorded(
    app: AppContext,
    context: Callable[[AppContext], ServiceContext],
    kind: str,
    show: Callable[[ServiceContext], tuple[str, dict[str, Any]]],
) -> None:
    """A look-up the audit records: the operator signs in, ``show`` finds the object (its audit
    name and its JSON), who read it is recorded, then the JSON is printed."""
    from counter_app.services.certificates import record_read

    reader = sign_in(app)
    ctx = context(app)
    obj, shown = show(ctx)
    record_read(ctx, reader.name, kind, obj)
    _emit(shown)


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInputFile("file", path=str(path), detail=str(exc).splitlines()[0]) from None


def token_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--token-serial", default=None, help="Token serial number.")(func)
    func = click.option("--token-label", default=None, help="Token label.")(func)
    return click.option("--module", default=None, help="PKCS#11 module (default: configured).")(
        func
    )


def payment_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--waiver-approver", default=None, help="Supervisor who approved the waiver."
    )(func)
    func = click.option(
        "--waiver", "waiver_reference", default=None, help="Written waiver notice reference."
    )(func)
    func = click.option("--tendered", default=None, help="Amount tendered in yuan, e.g. 100.00.")(
        func
    )
    return click.option(
        "--method",
        type=click.Choice(["cash", "card", "transfer"]),
        default=None,
        help="Payment method.",
    )(func)


def _settlement(
    method: str | None, tendered: str | None, waiver: str | None, approver: str | None
) -> SettlementForm:
    if waiver or approver:
        return SettlementForm(waiver_reference=waiver or "", waiver_approved_by=approver)
    return SettlementForm(method=method, tendered=tendered)


def _signed_in_if_named(
    app: AppContext, name_env: str, password_env: str
) -> operators.OperatorInfo | None:
    """A second operator who signs in for this service, when the environment names one."""
    name = os.environ.get(name_env)
    if not name:
        return None
    return operators.authenticate(app.store(), name, read_secret(password_env))


def acting(app: AppContext) -> Operators:
    """The maker (COUNTER_APP_OPERATOR), and the reviewer (COUNTER_APP_REVIEWER) and
    supervisor (COUNTER_APP_SUPERVISOR) when named; the pipeline's policy says who is needed."""
    maker = sign_in(app)
    return Operators(
        maker=maker,
        second=_signed_in_if_named(app, "COUNTER_APP_REVIEWER", "COUNTER_APP_REVIEWER_PASSWORD"),
        supervisor=_signed_in_if_named(
            app, "COUNTER_APP_SUPERVISOR", "COUNTER_APP_SUPERVISOR_PASSWORD"
        ),
    )


def _token_choice(label: str | None, serial: str | None) -> TokenChoice | None:
    return TokenChoice(label, serial) if (label or serial) else None


@click.command("enroll")
@click.argument("app_json", type=FILE_PATH)
@token_options
@click.option(
    "--replace", is_flag=True, help="Replace this subscriber's live key already on the token."
)
@click.option(
    "--additional-certificate",
    is_flag=True,
    help="The reviewer approves a second live certificate of this type for the subscriber.",
)
@click.option(
    "--own-token",
    is_flag=True,
    help="The subscriber's own token, not one from the RA's stock (no media fee).",
)
@pass_app
def enroll_cmd(
    app: AppContext,
    app_json: Path,
    module: str | None,
    token_label: str | None,
    token_serial: str | None,
    replace: bool,
    additional_certificate: bool,
    own_token: bool,
) -> None:
    """证书申请: enroll from APP.json onto the subscriber's token."""
    from counter_app.services.enroll import EnrollRequest, enroll

    data = _load_json(app_json)
    choice = TokenChoice(token_label, token_serial)
    ctx = service_context(app, module)
    request = EnrollRequest.parse(
        ctx,
        data,
        token=choice,
        pin=read_secret("COUNTER_APP_USER_PIN"),
        replace=replace,
        additional_certificate=additional_certificate,
        own_token=own_token,
    )
    _emit(enroll(ctx, request, acting(app)).to_json())


def _replacing(name: str, help_text: str) -> Callable[..., Any]:
    def run(
        app: AppContext,
        serial: str,
        module: str | None,
        token_label: str | None,
        token_serial: str | None,
        method: str | None,
        tendered: str | None,
        waiver_reference: str | None,
        waiver_approver: str | None,
        key_algorithm: str | None,
        **extra: Any,
    ) -> None:
        from counter_app.services import replace

        if extra.get("batch") is not None:
            _renew_batch(
                app,
                extra["batch"],
                (method, tendered, waiver_reference, waiver_approver),
                key_algorithm,
                module,
            )
            return
        if serial is None:
            raise click.UsageError("give a SERIAL, or --batch BATCH.json")
        choice = _token_choice(token_label, token_serial)
        settlement = _settlement(method, tendered, waiver_reference, waiver_approver)
        ctx = service_context(app, module)
        operators_ = acting(app)
        pin = read_secret("COUNTER_APP_USER_PIN") if choice is not None else None
        result: Any
        if name == "change":
            changes = _load_json(extra["changes"])
            if not isinstance(changes, dict):
                raise BadInputFile("changes", path=str(extra["changes"]), detail="not an object")
            documents = parse_documents(changes.get("documents", []))
            result = replace.change(
                ctx,
                replace.ChangeRequest(
                    serial,
                    {k: v for k, v in changes.items() if k != "documents"},
                    documents,
                    choice,
                    pin,
                    settlement,
                    key_algorithm,
                ),
                operators_,
            )
        elif name == "add-item":
            result = replace.add_item(
                ctx,
                replace.AddItemRequest(
                    serial, extra["item"], choice, pin, settlement, key_algorithm
                ),
                operators_,
            )
        else:
            if choice is None or pin is None:
                raise TokenNotChosen("token")
            request = replace.ReplaceRequest(
                serial, choice, pin, settlement, key_algorithm, bool(extra.get("own_token"))
            )
            result = getattr(replace, name)(ctx, request, operators_)
        _emit(result.to_json())

    run.__doc__ = help_text
    return run


def _replacing_command(name: str, help_text: str, *extra_args: click.Argument) -> click.Command:
    func: Callable[..., Any] = _replacing(name, help_text)
    func = click.option("--key-algorithm", default=None, help="ec-p256 | rsa-2048 | rsa-3072")(func)
    func = payment_options(func)
    func = token_options(func)
    func = pass_app(func)
    command = click.command(name, help=help_text)(func)
    command.params[0:0] = [click.Argument(["serial"]), *extra_args]
    return command


renew_cmd = _replacing_command(
    "renew",
    "证书密钥更新: new key on the same token, new one-year certificate. With --batch "
    'BATCH.json ([{"serial": ..., "token_label": ...}, ...]) a unit renews several '
    "certificates in one sitting: one review, one payment of the total, one receipt.",
)
renew_cmd.params[0] = click.Argument(["serial"], required=False)
renew_cmd.params.append(
    click.Option(
        ["--batch"],
        type=FILE_PATH,
        default=None,
        help="批量更新: the certificates and their tokens, as JSON.",
    )
)


def _renew_batch(
    app: AppContext,
    path: Path,
    payment: tuple[str | None, str | None, str | None, str | None],
    key_algorithm: str | None,
    module: str | None,
) -> None:
    from counter_app.services.batch import BatchRequest, renew_batch

    ctx = service_context(app, module)
    request = BatchRequest.parse(
        _load_json(path), read_secret("COUNTER_APP_USER_PIN"), _settlement(*payment), key_algorithm
    )
    result = renew_batch(ctx, request, acting(app))
    _emit(result.to_json())
    if not result.complete:
        # Some certificates failed (their shares refunded) or wait for recovery.
        raise click.exceptions.Exit(3)


change_cmd = _replacing_command(
    "change",
    '变更: corrected details from CHANGES.json ({"subscriber": {...}, "documents": [...]}); '
    "a new certificate, with the old end of term, only when it carries a changed field.",
    click.Argument(["changes"], type=FILE_PATH),
)
add_item_cmd = _replacing_command(
    "add-item", "增加应用项: register an application item.", click.Argument(["item"])
)
reissue_cmd = _replacing_command("reissue", "补办: lost or broken token; new key on a new token.")
reissue_cmd.params.append(
    click.Option(
        ["--own-token"],
        is_flag=True,
        help="The subscriber's own token, not one from the RA's stock (no media fee).",
    )
)


@click.group("cert")
def cert_group() -> None:
    """Certificates: suspend (挂起), resume (解挂), revoke (吊销), show, list."""


def _status_verb(name: str, doc: str) -> click.Command:
    @identity_option
    @click.argument("serial")
    @pass_app
    def run(app: AppContext, serial: str, identity: str | None, **extra: Any) -> None:
        from counter_app.services import certificates

        request = certificates.StatusRequest(
            serial, identity=identity, emergency_reason=extra.get("emergency_reason")
        )
        ctx = service_context(app)
        _emit(getattr(certificates, name)(ctx, request, acting(app)).to_json())

    run.__doc__ = doc
    return cert_group.command(name)(run)


_suspend = _status_verb(
    "suspend",
    "挂起: put a certificate on hold (certificateHold). Without --identity, a supervisor "
    "signs in (COUNTER_APP_SUPERVISOR) for an emergency hold and gives --emergency-reason.",
)
_suspend.params.append(
    click.Option(["--emergency-reason"], default=None, help="Why the hold cannot wait.")
)
_status_verb("resume", "解挂: release a certificate from hold (identity and a reviewer).")


@cert_group.command("revoke")
@click.argument("serial")
@click.option("--reason", required=True, type=click.Choice([r.value for r in CLERK_REASONS]))
@identity_option
@pass_app
def cert_revoke(app: AppContext, serial: str, reason: str, identity: str | None) -> None:
    """吊销: revoke with an RFC 5280 reason (final); identity and a reviewer."""
    from counter_app.services import certificates

    request = certificates.StatusRequest(serial, identity=identity, reason=RevocationReason(reason))
    ctx = service_context(app)
    _emit(certificates.revoke(ctx, request, acting(app)).to_json())


@cert_group.command("show")
@click.argument("serial")
@pass_app
def cert_show(app: AppContext, serial: str) -> None:
    """What a clerk needs to answer a subscriber about one certificate."""
    from counter_app.services import certificates

    def show(ctx: ServiceContext) -> tuple[str, dict[str, Any]]:
        view = certificates.show_certificate(ctx, serial)
        return f"certificate:{view.serial}", view.to_json()

    _show_recorded(app, reading_context, "certificate", show)


@cert_group.command("list")
@click.option("--subscriber", default=None, help="Name (part of) or ID number / USCC.")
@click.option("--status", type=click.Choice([s.value for s in CertificateStatus]), default=None)
@click.option(
    "--expiring",
    "expiring",
    type=click.IntRange(0, 3660),
    default=None,
    help="Only certificates expiring within N days.",
)
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    default=None,
    help="With --expiring: the list with contacts for an SMS campaign.",
)
@out_option("File to write.")
@pass_app
def cert_list(
    app: AppContext,
    subscriber: str | None,
    status: str | None,
    expiring: int | None,
    as_json: bool,
    fmt: str | None,
    out: Path | None,
) -> None:
    """List certificates with filters."""
    from counter_app.services import certificates

    if fmt is not None:
        _export_expiring(app, expiring, fmt, out)
        return
    reader = sign_in(app)
    ctx = reading_context(app)
    views = certificates.list_certificates(
        ctx, subscriber=subscriber, status=status, expiring_within_days=expiring
    )
    certificates.record_read(
        ctx,
        reader.name,
        "certificate_list",
        "certificates",
        subscriber=subscriber,
        status=status,
        expiring=expiring,
        serials=[v.serial for v in views],
    )
    if as_json:
        _emit([v.to_json() for v in views])
        return
    for v in views:
        click.echo(
            f"{v.serial}\t{v.status}\t{v.not_after.date()}\t{v.subscriber_name or ''}\t{v.subject}"
        )


def _export_expiring(app: AppContext, days: int | None, fmt: str, out: Path | None) -> None:
    from counter_app.cli.options import check_export_out, deliver
    from counter_app.services import certificates, reminders

    if days is None:
        raise click.UsageError("--format needs --expiring DAYS")
    check_export_out(fmt, out, "xlsx")
    reader = sign_in(app)
    ctx = service_context(app)
    items = reminders.expiring(ctx, days)
    data = (reminders.export_csv if fmt == "csv" else reminders.export_xlsx)(ctx, items)
    # The export holds contacts (mobile, e-mail): who took it is recorded like any read.
    certificates.record_read(
        ctx,
        reader.name,
        "certificate_export",
        "certificates",
        expiring=days,
        format=fmt,
        serials=[i.certificate.serial for i in items],
    )
    deliver(out, data)


@click.group("application")
def application_group() -> None:
    """Applications (each counter service is one)."""


@application_group.command("show")
@click.argument("application_id")
@pass_app
def application_show(app: AppContext, application_id: str) -> None:
    """Everything recorded about one application."""
    from counter_app.services.certificates import show_application

    def show(ctx: ServiceContext) -> tuple[str, dict[str, Any]]:
        shown = show_application(ctx, application_id)
        return f"application:{shown['application_id']}", shown

    _show_recorded(app, service_context, "application", show)


@click.command("recover")
@click.option("--list", "only_list", is_flag=True, help="Only list interrupted work.")
@click.option("--rollback", is_flag=True, help="Roll back instead of finishing.")
@click.option("--force-without-token", is_flag=True, help="The token is lost: revoke and close.")
@click.option("--module", default=None)
@pass_app
def recover_cmd(
    app: AppContext, only_list: bool, rollback: bool, force_without_token: bool, module: str | None
) -> None:
    """Finish or roll back interrupted services (the journal)."""
    from counter_app.services import recovery

    ctx = service_context(app, module)
    pending = recovery.list_interrupted(ctx)
    if only_list or not pending:
        _emit(
            {
                "interrupted": [
                    {
                        "application_id": p.application_id,
                        "service": p.service,
                        "step": p.step,
                        "token_serial": p.token_serial,
                        "token_label": p.token_label,
                        "busy": p.busy,
                    }
                    for p in pending
                ]
            }
        )
        return
    operator = sign_in(app)
    pin = os.environ.get("COUNTER_APP_USER_PIN") or None
    outcomes = recovery.recover(
        ctx, pin, rollback=rollback, force_without_token=force_without_token, operator=operator.name
    )
    _emit({"outcomes": [o.__dict__ for o in outcomes]})
    if any(o.result in ("failed", "waiting_for_token") for o in outcomes):
        raise click.exceptions.Exit(3)


@click.command("unlock")
@token_options
@click.option("--identity", required=True, help="ID number or USCC shown by the subscriber.")
@payment_options
@pass_app
def unlock_cmd(
    app: AppContext,
    module: str | None,
    token_label: str | None,
    token_serial: str | None,
    identity: str,
    method: str | None,
    tendered: str | None,
    waiver_reference: str | None,
    waiver_approver: str | None,
) -> None:
    """解锁: identity checked, a reviewer approves, the SO PIN resets the user PIN
    (COUNTER_APP_NEW_USER_PIN)."""
    from counter_app.services.unlock import UnlockRequest, unlock

    choice = TokenChoice(token_label, token_serial)
    request = UnlockRequest(
        choice,
        identity,
        so_pin=read_secret("COUNTER_APP_SO_PIN"),
        new_pin=read_secret("COUNTER_APP_NEW_USER_PIN"),
        settlement=_settlement(method, tendered, waiver_reference, waiver_approver),
    )
    ctx = service_context(app, module)
    _emit(unlock(ctx, request, acting(app)).to_json())


@click.command("policy")
@click.option("--json", "as_json", is_flag=True, help="The table as JSON.")
@pass_app
def policy_cmd(app: AppContext, as_json: bool) -> None:
    """Who may do what: each service's makers, second person, identity and supervisor."""
    from counter_app.domain.policy import policy_table

    rows = policy_table()
    if as_json:
        _emit(rows)
        return
    zh = app.lang.lower().startswith("zh")
    header = (
        ("业务", "经办角色", "第二人", "身份核验", "主管登录")
        if zh
        else ("service", "makers", "second person", "identity", "supervisor sign-in")
    )
    lines = [header]
    for row in rows:
        lines.append(
            (
                f"{row['action']} {row['action_zh']}" if zh else row["action"],
                ",".join(row["makers"]) or "-",
                ",".join(row["second_person"]) or "-",
                row["identity"],
                ("是" if zh else "yes") if row["supervisor_sign_in"] else "-",
            )
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    for line in lines:
        click.echo(
            "  ".join(
                str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)
            ).rstrip()
        )


def register(group: click.Group) -> None:
    for command in (
        enroll_cmd,
        renew_cmd,
        change_cmd,
        add_item_cmd,
        reissue_cmd,
        cert_group,
        application_group,
        recover_cmd,
        policy_cmd,
    ):
        group.add_command(command)
    from counter_app.cli.token import token_group

    token_group.add_command(unlock_cmd)
