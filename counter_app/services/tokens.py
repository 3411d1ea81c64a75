"""The subscriber's token as the services see it: chosen by label or serial, opened with a PIN."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select

from counter_app.ca.ocsp import serial_hex
from counter_app.domain.errors import CounterError, ValidationError
from counter_app.domain.subscribers import Subscriber
from counter_app.services.context import ServiceContext
from counter_app.store.certificates import Certificate
from counter_app.store.counter import ApplicationRow, SubscriberRow
from counter_app.token import TokenSession, open_token


class TokenNotChosen(ValidationError):
    code = "token_not_chosen"
    zh = "请指定证书介质（标签或序列号）"
    en = "name the token by label or serial"


@dataclass(frozen=True)
class TokenChoice:
    """Which token: by label, by serial, or both (both must match)."""

    label: str | None = None
    serial: str | None = None

    def __post_init__(self) -> None:
        if not self.label and not self.serial:
            raise ValidationError(
                "token", zh="请指定证书介质", en="name the token by label or serial"
            )


class TokenHoldsLiveKey(CounterError):
    code = "token_holds_live_key"
    zh = "该介质已存有此订户另一张有效证书（序列号 {serial}）的密钥；如需替换请明确选择替换"
    en = (
        "this token already holds the subscriber's key for another live certificate "
        "(serial {serial}); ask to replace it explicitly"
    )


@contextmanager
def open_session(ctx: ServiceContext, choice: TokenChoice, pin: str) -> Iterator[TokenSession]:
    token = open_token(ctx.pkcs11_module, label=choice.label, serial=choice.serial)
    with token.login(pin) as session:
        yield session


def live_certificates_on_token(
    ctx: ServiceContext, ts: TokenSession, subscriber: Subscriber
) -> list[str]:
    """Serials of this subscriber's live (good or on hold, unexpired) certificates on the token."""
    serials = []
    for held in ts.read_certificates():
        serials.append(serial_hex(held.certificate.serial_number))
    if not serials:
        return []
    now = dt.datetime.now(dt.UTC)
    with ctx.store.session() as session:
        rows = session.execute(
            select(Certificate.serial_hex)
            .join(ApplicationRow, ApplicationRow.id == Certificate.application_id)
            .join(SubscriberRow, SubscriberRow.id == ApplicationRow.subscriber_id)
            .where(
                Certificate.serial_hex.in_(serials),
                Certificate.status.in_(("good", "hold")),
                Certificate.not_after > now,
                SubscriberRow.kind == subscriber.kind.value,
                SubscriberRow.identity == subscriber.identity_key,
            )
        ).scalars()
        return list(rows)


def check_no_live_key(
    ctx: ServiceContext, ts: TokenSession, subscriber: Subscriber, *, replace: bool
) -> list[str]:
    live = live_certificates_on_token(ctx, ts, subscriber)
    if live and not replace:
        raise TokenHoldsLiveKey(serial=live[0])
    return live
