"""解锁 — PIN unlock at the counter: the subscriber proves who they are, the SO PIN resets the
user PIN to one the subscriber chose, and the service is charged (or waived) and audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from counter_app.domain.errors import CounterError
from counter_app.domain.fees import Payment
from counter_app.services.certificates import check_identity
from counter_app.services.context import ServiceContext
from counter_app.services.operators import OperatorInfo
from counter_app.services.records import NewApplication, create_application, record_payment
from counter_app.services.replace import Settlement
from counter_app.services.tokens import TokenChoice
from counter_app.store import audit
from counter_app.store.counter import ApplicationRow, SubscriberRow
from counter_app.token import check_pin_policy, find_token, unblock_pin


class TokenNotIssuedHere(CounterError):
    code = "token_not_issued_here"
    zh = "该介质（序列号 {serial}）没有在本注册中心办理过证书，无法核对身份"
    en = "no certificate was issued here onto this token (serial {serial}): identity cannot be checked"


def unlock(
    ctx: ServiceContext,
    token: TokenChoice,
    *,
    identity: str,
    so_pin: str,
    new_pin: str,
    operator: OperatorInfo,
    settlement: Settlement,
) -> dict[str, Any]:
    check_pin_policy(new_pin)
    info = find_token(ctx.pkcs11_module, label=token.label, serial=token.serial)
    with ctx.store.session() as session:
        origin = (
            session.execute(
                select(ApplicationRow)
                .where(ApplicationRow.token_serial == info.serial)
                .order_by(ApplicationRow.created_at.desc())
            )
            .scalars()
            .first()
        )
        if origin is None:
            raise TokenNotIssuedHere(serial=info.serial)
        checked = check_identity(session, origin, identity)
        cert_type, sub_id = origin.certificate_type, checked.id
    fee = ctx.fee_table.fee_for("unlock", cert_type)
    paid = settlement.resolve(ctx, fee, operator.name)
    now = ctx.clock()
    # Recorded first, so a PIN reset never happens without its record and receipt.
    with ctx.store.session() as session:
        sub = session.get(SubscriberRow, sub_id)
        assert sub is not None
        app = create_application(
            session,
            NewApplication(
                service="unlock",
                certificate_type=cert_type,
                clerk=operator.name,
                reviewer=None,
                token_serial=info.serial,
                token_label=info.label,
                data={"identity_checked": True},
            ),
            sub,
            now,
        )
        payment = record_payment(
            session,
            application=app,
            payer=sub.name,
            fee=fee,
            settlement=paid,
            clerk=operator.name,
            now=now,
        )
        app_id, receipt = app.id, payment.receipt_number
    try:
        unblock_pin(ctx.pkcs11_module, serial=info.serial, so_pin=so_pin, new_pin=new_pin)
    except CounterError as exc:
        _close(
            ctx,
            app_id,
            operator.name,
            "rolled_back",
            {"cause": exc.message("en"), "refund_due": True},
        )
        raise
    _close(ctx, app_id, operator.name, "done", {"token_serial": info.serial})
    return {
        "application_id": app_id,
        "token_serial": info.serial,
        "receipt_number": receipt,
        "fee_fen": fee,
        "change_fen": paid.change_due if isinstance(paid, Payment) else 0,
    }


def _close(
    ctx: ServiceContext, app_id: str, operator: str, status: str, details: dict[str, Any]
) -> None:
    with ctx.store.session() as session:
        app = session.get(ApplicationRow, app_id)
        assert app is not None
        app.status, app.closed_at = status, ctx.clock()
        action = "unlock.done" if status == "done" else "unlock.rollback"
        audit.append(
            session, operator=operator, action=action, obj=f"application:{app_id}", details=details
        )
