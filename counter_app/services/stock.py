"""介质库存 — the blank tokens the RA keeps: received in batches by a supervisor, taken from stock
by an enrollment or a reissue (and charged the media fee, 介质费, as a line of its own on the
receipt), marked faulty, lost or returned.

The RA keeps stock once any token was received. From then on, an enroll or a reissue must use a
token whose serial is in stock (it becomes ``issued``, linked to the application, in the same
transaction as the payment) or, with ``--own-token``, the subscriber's own token (recorded on the
application, no media fee). A service rolled back puts its token back in stock. Every change is
an audit event, and the rows are tracked by the chain (``token_stock``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from counter_app.config import read_toml
from counter_app.domain.errors import ConfigError, CounterError, ValidationError
from counter_app.domain.fees import Payment
from counter_app.domain.policy import Action
from counter_app.services.context import ServiceContext
from counter_app.services.daybook import acting_person
from counter_app.services.operators import OperatorInfo
from counter_app.store import audit
from counter_app.store.backoffice import StockTokenRow
from counter_app.store.backoffice_repo import BackOfficeRows

STATUSES = ("in-stock", "issued", "returned", "faulty", "lost")
MARKS = ("faulty", "lost", "returned")
# What a mark may follow: a lost token is gone for good.
_MARKABLE_FROM = {
    "faulty": ("in-stock", "issued", "returned"),
    "lost": ("in-stock", "issued", "returned", "faulty"),
    "returned": ("in-stock", "issued", "faulty"),
}
STOCK_ACTIONS = frozenset({Action.ENROLL, Action.REISSUE})
MAX_SERIAL = 64
MAX_BATCH_SIZE = 10_000
# The desk warns below this many tokens in stock (``stock_low_threshold`` in config.toml).
DEFAULT_LOW_THRESHOLD = 20


class InvalidTokenSerial(ValidationError):
    code = "invalid_token_serial"
    zh = "介质序列号无效（第 {line} 行）：{value}"
    en = "invalid token serial (line {line}): {value}"


class NoSerials(ValidationError):
    code = "no_serials"
    zh = "序列号文件中没有序列号"
    en = "the serials file holds no serial"


class DuplicateSerials(ValidationError):
    code = "duplicate_serials"
    zh = "以下介质已在库存记录中或在文件中重复，未入库任何介质：{serials}"
    en = "these tokens are already on record or repeated in the file; nothing was received: {serials}"


class TokenNotInStock(CounterError):
    code = "token_not_in_stock"
    zh = (
        "介质 {serial} 不在库存中（{status_zh}）：请从库存中取一枚介质"
        "（counter-app stock list --status in-stock），或订户自带介质时使用 --own-token"
    )
    en = (
        "token {serial} is not in stock ({status}): take a token from stock (counter-app stock "
        "list --status in-stock), or use --own-token for the subscriber's own token"
    )


class StockTokenUnknown(CounterError):
    code = "stock_token_unknown"
    zh = "库存中没有介质 {serial}"
    en = "no token {serial} in the stock records"


class StockMarkRefused(CounterError):
    code = "stock_mark_refused"
    zh = "介质 {serial} 当前状态为 {status}，不能登记为 {mark}"
    en = "token {serial} is {status} and cannot be marked {mark}"


_STATUS_ZH = {
    "in-stock": "在库",
    "issued": "已发放",
    "returned": "已退回",
    "faulty": "故障",
    "lost": "遗失",
    "unknown": "未入库",
}


# ---------------------------------------------------------------------------------------------
# Settings


def media_fee(ctx: ServiceContext) -> int:
    """介质费 in fen: ``[media] token_fen`` of the fee table."""
    path = ctx.fees_path
    data = read_toml(path)
    value = data.get("media", {}).get("token_fen", 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(detail=f"{path}: media.token_fen must be a whole number of fen >= 0")
    return value


def low_threshold(ctx: ServiceContext) -> int:
    value = ctx.config.extra.get("stock_low_threshold", DEFAULT_LOW_THRESHOLD)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# ---------------------------------------------------------------------------------------------
# Receive, list, mark


def parse_serials(text: str) -> list[str]:
    """Serials one a line; blank lines and ``#`` comments are skipped."""
    serials = []
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        if len(value) > MAX_SERIAL or not value.isprintable() or " " in value:
            raise InvalidTokenSerial("serials", line=number, value=value[:80])
        serials.append(value)
    if not serials:
        raise NoSerials("serials")
    if len(serials) > MAX_BATCH_SIZE:
        raise InvalidTokenSerial("serials", line=MAX_BATCH_SIZE + 1, value="too many serials")
    return serials


def _batch(value: str) -> str:
    from counter_app.domain.fields import check_plain_text

    return check_plain_text(value.strip(), "batch", max_length=64)


@dataclass(frozen=True)
class StockToken:
    serial: str
    batch: str
    status: str
    application_id: str | None
    received_by: str
    received_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, row: StockTokenRow) -> StockToken:
        return cls(
            row.serial,
            row.batch,
            row.status,
            row.application_id,
            row.received_by,
            row.received_at,
            row.updated_at,
        )

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["received_at"] = self.received_at.isoformat()
        out["updated_at"] = self.updated_at.isoformat()
        return out


def receive(
    ctx: ServiceContext, supervisor: OperatorInfo, serials: list[str], batch: str
) -> list[StockToken]:
    """入库: the supervisor takes a batch of blank tokens into stock (all or none)."""
    reference = _batch(batch)
    now = ctx.clock()
    repeated = sorted(s for s, n in Counter(serials).items() if n > 1)
    with ctx.store.session() as session:
        audit.lock_shared(session)
        person = acting_person(session, supervisor, Action.STOCK_RECEIVE)
        known = BackOfficeRows(session).known_stock(serials)
        clash = sorted(set(known) | set(repeated))
        if clash:
            raise DuplicateSerials("serials", serials=", ".join(clash[:10]))
        rows = [
            StockTokenRow(
                serial=s,
                batch=reference,
                status="in-stock",
                received_by=person.name,
                received_at=now,
                updated_at=now,
            )
            for s in serials
        ]
        BackOfficeRows(session).add(*rows)
        audit.append(
            session,
            operator=person.name,
            action="stock.receive",
            obj=f"stock-batch:{reference}",
            details={"count": len(serials), "serials": serials},
            time=now,
        )
        return [StockToken.of(r) for r in rows]


def list_stock(ctx: ServiceContext, status: str | None = None) -> list[StockToken]:
    with ctx.store.session() as session:
        return [StockToken.of(r) for r in BackOfficeRows(session).stock(status)]


def levels(ctx: ServiceContext) -> dict[str, int]:
    """Tokens per status (every status listed, zero included)."""
    with ctx.store.session() as session:
        counts = BackOfficeRows(session).stock_counts()
    return {s: int(counts.get(s, 0)) for s in STATUSES}


def mark(ctx: ServiceContext, operator: OperatorInfo, serial: str, status: str) -> StockToken:
    """登记: a token found faulty, lost, or returned (to the supplier, or by a subscriber)."""
    if status not in MARKS:
        raise ValidationError("status")
    now = ctx.clock()
    with ctx.store.session() as session:
        audit.lock_shared(session)
        person = acting_person(session, operator, Action.STOCK_MARK)
        row = BackOfficeRows(session).stock_token(serial.strip())
        if row is None:
            raise StockTokenUnknown(serial=serial)
        if row.status not in _MARKABLE_FROM[status]:
            raise StockMarkRefused(serial=row.serial, status=row.status, mark=status)
        details = {"from": row.status, "to": status, "application": row.application_id}
        _move(session, row, "stock.mark", status, row.application_id, person.name, now, details)
        return StockToken.of(row)


# ---------------------------------------------------------------------------------------------
# The pipeline's part


def keeps_stock(session: Session) -> bool:
    return BackOfficeRows(session).keeps_stock()


def _refuse(serial: str, row: StockTokenRow | None) -> TokenNotInStock:
    status = row.status if row is not None else "unknown"
    return TokenNotInStock(serial=serial, status=status, status_zh=_STATUS_ZH[status])


def plan_token_source(
    ctx: ServiceContext, action: Action, plan: Any, token_serial: str, own_token: bool
) -> Any:
    """The plan with the token's source: from stock (in stock, the media fee added to the fee
    and the settlement re-checked against the new total) or the subscriber's own. Raises before
    any side effect when the RA keeps stock and the token is not in it."""
    if action not in STOCK_ACTIONS:
        return plan
    with ctx.store.session() as session:
        if not keeps_stock(session):
            return plan
        if own_token:
            return dataclasses.replace(plan, details={**plan.details, "token_source": "own"})
        row = BackOfficeRows(session).stock_token(token_serial)
        if row is None or row.status != "in-stock":
            raise _refuse(token_serial, row)
    media = media_fee(ctx)
    fee = (plan.fee or 0) + media
    settlement = plan.settlement
    if isinstance(settlement, Payment):
        # Card and transfer settle exactly the fee; cash must now cover the total.
        tendered = settlement.tendered if settlement.method.value == "cash" else fee
        settlement = Payment(settlement.method, fee, tendered)
    lines = [
        {"item": action.zh, "fee_fen": plan.fee or 0},
        {"item": f"介质费（{token_serial}）", "fee_fen": media},
    ]
    details = {
        **plan.details,
        "token_source": "stock",
        "stock_serial": token_serial,
        "media_fee_fen": media,
        "receipt_lines": lines,
    }
    return dataclasses.replace(plan, fee=fee, settlement=settlement, details=details)


def take(session: Session, plan: Any, application_id: str, operator: str, now: dt.datetime) -> None:
    """At record: the stock token becomes issued to the application, in the same transaction."""
    serial = plan.details.get("stock_serial")
    if plan.details.get("token_source") != "stock" or not isinstance(serial, str):
        return
    row = BackOfficeRows(session).stock_token(serial)
    if row is None or row.status != "in-stock":
        raise _refuse(serial, row)
    details = {"application": application_id}
    _move(session, row, "stock.issue", "issued", application_id, operator, now, details)


def put_back(session: Session, application_id: str, operator: str, now: dt.datetime) -> None:
    """A service rolled back: its stock token is back in stock (it holds nothing of it now)."""
    row = BackOfficeRows(session).issued_token(application_id)
    if row is None:
        return
    details = {"application": application_id, "rolled_back": True}
    _move(session, row, "stock.return", "in-stock", None, operator, now, details)


def _move(
    session: Session,
    row: StockTokenRow,
    action: str,
    status: str,
    application_id: str | None,
    operator: str,
    now: dt.datetime,
    details: dict[str, Any],
) -> None:
    """The token's new status (and application), audited as ``action``."""
    row.status, row.application_id, row.updated_at = status, application_id, now
    audit.append(
        session,
        operator=operator,
        action=action,
        obj=f"token:{row.serial}",
        details=details,
        time=now,
    )
