"""Certificate types, the fee table, money and payment (证书种类、收费、收款).

Money is an ``int`` of fen (分) everywhere; text becomes fen through :class:`decimal.Decimal` and
never through ``float``. The fee table is the parsed ``resources/fees.toml`` (the caller reads the
file); :meth:`FeeTable.from_mapping` refuses a table with a gap, so every service has a price for
every certificate type. Receipts print amounts as ``1,000.00`` and in Chinese capitals
(``壹仟元整``, written by cn2an's ``rmb`` mode, which follows the People's Bank rules for
amounts on bills).

A :class:`Payment` is checked when it is made: cash must cover the fee, card and transfer must
equal it. A fee waiver (clause 8: 书面协议或者书面通知) needs its written reference and a
supervisor's approval; :class:`WaiverRequest` is what the form says, :class:`Waiver` is the
approved result once the approver's role is known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from counter_app.domain.display import ChineseNamed, key_algorithm_title
from counter_app.domain.errors import CounterError, ValidationError
from counter_app.domain.fields import UnknownChoice, check_plain_text, shown
from counter_app.domain.identifiers import validate_name
from counter_app.domain.operators import Role
from counter_app.domain.policy import Action
from counter_app.domain.subscribers import SubscriberKind

MAX_VALIDITY_DAYS = 366  # clause 13: one year (a leap year's day included)


class KeyAlgorithm(StrEnum):
    EC_P256 = "ec-p256"
    RSA_2048 = "rsa-2048"
    RSA_3072 = "rsa-3072"
    # 国密 SM2 (GM/T 0003): a GM/T 0014 dual pair, the signing key made on an SKF token and the
    # encryption key by the KMC (docs/sm2.md).
    SM2 = "sm2"

    @property
    def display_name(self) -> str:
        """How the clerk and the forms name it: "ECC P-256", "RSA 2048", "SM2"."""
        return key_algorithm_title(self.value)

    @property
    def is_dual(self) -> bool:
        """Whether it issues a signing and an encryption certificate (SM2)."""
        return self is KeyAlgorithm.SM2

    @property
    def is_rsa(self) -> bool:
        return self.value.startswith("rsa-")

    @property
    def rsa_bits(self) -> int:
        """Modulus length of an RSA algorithm; ``ValueError`` for EC."""
        if not self.is_rsa:
            raise ValueError(f"{self.value} is not RSA")
        return int(self.value.removeprefix("rsa-"))


# The services of agreement clause 5, plus reissue and unlock at the counter: the counter's
# actions that the fee table prices, in the order it and the reports list them. They are the
# policy's own members (one value and one Chinese name for each service).
SERVICES: tuple[Action, ...] = (
    Action.ENROLL,
    Action.RENEW,
    Action.CHANGE,
    Action.ADD_ITEM,
    Action.SUSPEND,
    Action.RESUME,
    Action.REVOKE,
    Action.REISSUE,
    Action.UNLOCK,
)


class InvalidFeeTable(CounterError):
    """The fee table in resources/ is wrong: a deployment fault, not the clerk's input."""

    code = "invalid_fee_table"
    zh = "收费标准配置错误：{where}：{detail}"
    en = "the fee table is wrong: {where}: {detail}"


class UnknownCertificateType(ValidationError):
    code = "unknown_certificate_type"
    zh = "未知的证书种类：{value}（{field}）"
    en = "unknown certificate type: {value} ({field})"


class KeyAlgorithmNotAllowed(ValidationError):
    code = "key_algorithm_not_allowed"
    zh = "{type_zh}不支持密钥算法 {value}（可选：{allowed}）"
    en = "{type_en} does not allow key algorithm {value} (allowed: {allowed})"


class InvalidAmount(ValidationError):
    code = "invalid_amount"
    zh = "金额无效（{field}）：{reason_zh}"
    en = "invalid amount ({field}): {reason_en}"


class InsufficientCash(ValidationError):
    code = "insufficient_cash"
    zh = "实收现金不足：应收 {fee} 元，实收 {tendered} 元"
    en = "cash tendered is below the fee: fee {fee} yuan, tendered {tendered} yuan"


class AmountMismatch(ValidationError):
    code = "amount_mismatch"
    zh = "{method_zh}金额必须等于应收金额：应收 {fee} 元，实收 {tendered} 元"
    en = "a {method} payment must equal the fee: fee {fee} yuan, paid {tendered} yuan"


class WaiverNotApproved(ValidationError):
    code = "waiver_not_approved"
    zh = "费用减免须由主管批准：{approved_by} 的角色是{role_zh}（{field}）"
    en = "a fee waiver needs a supervisor's approval: {approved_by} is a {role} ({field})"


class WaiverApproverMismatch(ValidationError):
    code = "waiver_approver_mismatch"
    zh = "表上填写的批准人 {approved_by} 不是登录批准的主管 {supervisor}（{field}）"
    en = "the approver written on the form, {approved_by}, is not the supervisor who signed in, {supervisor} ({field})"


class WaiverSelfApproved(ValidationError):
    code = "waiver_self_approved"
    zh = "受理员不能批准自己受理业务的费用减免（{field}）"
    en = "the clerk cannot approve a waiver for their own application ({field})"


@dataclass(frozen=True)
class CertificateType:
    """One kind of certificate on offer (clause 8), with its profile and its prices."""

    code: str
    name_zh: str
    name_en: str
    subscriber_kind: SubscriberKind
    profile: str
    key_algorithms: tuple[KeyAlgorithm, ...]
    default_key_algorithm: KeyAlgorithm
    validity_days: int
    fees: Mapping[Action, int] = field(compare=False)

    def check_key_algorithm(self, value: str, *, field: str = "key_algorithm") -> KeyAlgorithm:
        allowed = ", ".join(a.value for a in self.key_algorithms)
        if value not in {a.value for a in self.key_algorithms}:
            raise KeyAlgorithmNotAllowed(
                field,
                type_zh=self.name_zh,
                type_en=self.name_en,
                value=shown(value),
                allowed=allowed,
            )
        return KeyAlgorithm(value)


@dataclass(frozen=True)
class FeeTable:
    """The certificate types and their fees, by type code."""

    types: Mapping[str, CertificateType]
    currency: str = "CNY"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FeeTable:
        """Build from the parsed fees.toml; raise :class:`InvalidFeeTable` at the first gap."""
        currency = data.get("currency", "CNY")
        if currency != "CNY":
            raise InvalidFeeTable(where="currency", detail="only CNY is supported")
        raw_types = data.get("certificate_types")
        if not isinstance(raw_types, Mapping) or not raw_types:
            raise InvalidFeeTable(where="certificate_types", detail="missing or empty")
        types = {str(code): _certificate_type(str(code), raw) for code, raw in raw_types.items()}
        return cls(MappingProxyType(types), currency)

    def certificate_type(self, code: object, *, field: str = "certificate_type") -> CertificateType:
        if not isinstance(code, str) or code not in self.types:
            raise UnknownCertificateType(field, value=shown(code))
        return self.types[code]

    def fee_for(self, service: Action | str, certificate_type: CertificateType | str) -> int:
        """The fee in fen for a service on a certificate type."""
        cert_type = (
            certificate_type
            if isinstance(certificate_type, CertificateType)
            else self.certificate_type(certificate_type)
        )
        if service not in SERVICES:
            raise UnknownChoice(
                "service", value=shown(service), allowed=", ".join(s.value for s in SERVICES)
            )
        return cert_type.fees[Action(service)]


def _certificate_type(code: str, raw: object) -> CertificateType:
    where = f"certificate_types.{code}"
    if not isinstance(raw, Mapping):
        raise InvalidFeeTable(where=where, detail="not a table")

    def text(key: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise InvalidFeeTable(where=f"{where}.{key}", detail="missing text")
        return value

    try:
        kind = SubscriberKind(text("subscriber_kind"))
        algorithms = tuple(KeyAlgorithm(a) for a in raw.get("key_algorithms", ()))
        default = KeyAlgorithm(text("default_key_algorithm"))
    except ValueError as exc:
        raise InvalidFeeTable(where=where, detail=str(exc)) from None
    if not algorithms or default not in algorithms:
        raise InvalidFeeTable(where=where, detail="default key algorithm must be among the allowed")
    days = raw.get("validity_days")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_VALIDITY_DAYS:
        raise InvalidFeeTable(where=f"{where}.validity_days", detail="1 to 366 days (clause 13)")
    return CertificateType(
        code=code,
        name_zh=text("name_zh"),
        name_en=text("name_en"),
        subscriber_kind=kind,
        profile=text("profile"),
        key_algorithms=algorithms,
        default_key_algorithm=default,
        validity_days=days,
        fees=_fees(where, raw.get("fees")),
    )


def _fees(where: str, raw: object) -> Mapping[Action, int]:
    if not isinstance(raw, Mapping):
        raise InvalidFeeTable(where=f"{where}.fees", detail="missing")
    unknown = set(raw) - {s.value for s in SERVICES}
    if unknown:
        raise InvalidFeeTable(where=f"{where}.fees", detail=f"unknown services {sorted(unknown)}")
    fees: dict[Action, int] = {}
    for service in SERVICES:
        amount = raw.get(service.value)
        # Integers only: a decimal in the table would be a float from TOML, and fen are whole.
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise InvalidFeeTable(
                where=f"{where}.fees.{service.value}", detail="a whole number of fen >= 0"
            )
        fees[service] = amount
    return MappingProxyType(fees)


# ---------------------------------------------------------------------------------------------
# Money

MAX_YUAN_DIGITS = 12  # up to 999,999,999,999.99 yuan: far beyond any counter takings
_PLAIN = re.compile(rf"[0-9]{{1,{MAX_YUAN_DIGITS}}}(\.[0-9]{{1,2}})?")
_GROUPED = re.compile(r"[0-9]{1,3}(,[0-9]{3}){1,3}(\.[0-9]{1,2})?")


def parse_yuan(value: object, *, field: str = "amount") -> int:
    """``"1000.00"`` / ``"1,000.5"`` / ``"300"`` (or an int of whole yuan) to fen.

    Refused: floats (JSON ``1000.5`` must be written ``"1000.50"``), negatives, more than two
    decimals, full-width digits, anything else.
    """
    if isinstance(value, bool):
        raise InvalidAmount(field, reason_zh="不是金额", reason_en="not an amount")
    if isinstance(value, int):
        if value < 0:
            raise InvalidAmount(field, reason_zh="不能为负数", reason_en="must not be negative")
        value = str(value)
    if not isinstance(value, str):
        raise InvalidAmount(
            field,
            reason_zh='请以文本填写，如 "300.00"',
            reason_en='write it as a string such as "300.00"',
        )
    text = value.strip()
    if text.startswith("-"):
        raise InvalidAmount(field, reason_zh="不能为负数", reason_en="must not be negative")
    if not (_PLAIN.fullmatch(text) or _GROUPED.fullmatch(text)):
        raise InvalidAmount(
            field,
            reason_zh="应为最多两位小数的金额，如 1000.00",
            reason_en="expected yuan with at most two decimals, such as 1000.00",
        )
    try:
        amount = Decimal(text.replace(",", "")) * 100
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise InvalidAmount(field, reason_zh="格式不正确", reason_en="wrong format") from None
    return int(amount)


def format_yuan(fen: int) -> str:
    """``100000`` -> ``"1,000.00"``."""
    _check_fen(fen)
    return f"{fen // 100:,}.{fen % 100:02d}"


def yuan_in_capitals(fen: int) -> str:
    """The amount in Chinese capital numerals for a receipt: ``100000`` -> ``"壹仟元整"``.

    The caller prints the ``人民币`` prefix where the form wants it.
    """
    _check_fen(fen)
    import cn2an  # on first use: its import takes about 70 ms, and most commands print no receipt

    return str(cn2an.an2cn(f"{fen // 100}.{fen % 100:02d}", "rmb"))


def _check_fen(fen: int) -> None:
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError("an amount is an int of fen")
    if fen < 0:
        raise ValueError("an amount of fen is never negative")


# ---------------------------------------------------------------------------------------------
# Payment and waiver


class PaymentMethod(ChineseNamed):
    CASH = "cash", "现金"
    CARD = "card", "刷卡"
    TRANSFER = "transfer", "转账"


PAYMENT_FIELD = "payment.tendered"


@dataclass(frozen=True)
class Payment:
    """A payment taken at the counter; construction refuses one that does not settle the fee."""

    method: PaymentMethod
    fee: int
    tendered: int

    def __post_init__(self) -> None:
        _check_fen(self.fee)
        _check_fen(self.tendered)
        if self.method is PaymentMethod.CASH and self.tendered < self.fee:
            raise InsufficientCash(
                PAYMENT_FIELD, fee=format_yuan(self.fee), tendered=format_yuan(self.tendered)
            )
        if self.method is not PaymentMethod.CASH and self.tendered != self.fee:
            raise AmountMismatch(
                PAYMENT_FIELD,
                method=self.method.value,
                method_zh=self.method.zh,
                fee=format_yuan(self.fee),
                tendered=format_yuan(self.tendered),
            )

    @property
    def change_due(self) -> int:
        """Change to hand back, in fen (only cash can have any)."""
        return self.tendered - self.fee


@dataclass(frozen=True)
class WaiverRequest:
    """A waiver as written on the form: the written notice's reference and who approved it."""

    reference: str
    approved_by: str | None = None

    @classmethod
    def parse(
        cls, reference: str, approved_by: str | None = None, *, path: str = "payment.waiver"
    ) -> WaiverRequest:
        ref = check_plain_text(reference, f"{path}.reference", max_length=64)
        approver = (
            None
            if not approved_by
            else validate_name(
                approved_by, field=f"{path}.approved_by", label="批准人", label_en="the approver"
            )
        )
        return cls(ref, approver)

    def granted_by(self, supervisor: str, fee: int, *, path: str = "payment.waiver") -> Waiver:
        """The waiver as approved by the supervisor who signed in for it. A name written on the
        form is only a cross-check: it must be that supervisor's."""
        if self.approved_by is not None and not _same_operator(self.approved_by, supervisor):
            raise WaiverApproverMismatch(
                f"{path}.approved_by", approved_by=self.approved_by, supervisor=supervisor
            )
        _check_fen(fee)
        return Waiver(self.reference, supervisor, Role.SUPERVISOR, fee)

    def approve(
        self, approver_role: str, *, clerk_name: str, fee: int, path: str = "payment.waiver"
    ) -> Waiver:
        """The approved waiver, once the approver's role has been looked up.

        Only a supervisor may waive a fee, and never for an application they took themselves.
        """
        where = f"{path}.approved_by"
        if self.approved_by is None:
            raise WaiverNotApproved(where, approved_by="—", role="none", role_zh="无")
        if _same_operator(self.approved_by, clerk_name):
            raise WaiverSelfApproved(where)
        if approver_role != Role.SUPERVISOR.value:
            role_zh = (
                Role(approver_role).zh
                if approver_role in {r.value for r in Role}
                else shown(approver_role)
            )
            raise WaiverNotApproved(
                where, approved_by=self.approved_by, role=shown(approver_role), role_zh=role_zh
            )
        _check_fen(fee)
        return Waiver(self.reference, self.approved_by, Role.SUPERVISOR, fee)


@dataclass(frozen=True)
class Waiver:
    """An approved waiver of ``fee_waived`` fen."""

    reference: str
    approved_by: str
    approver_role: Role
    fee_waived: int


def _same_operator(a: str, b: str) -> bool:
    # Operator names are compared case-insensitively so "Alice" cannot approve "alice"'s work.
    return a.strip().casefold() == b.strip().casefold()


@dataclass(frozen=True)
class SettlementForm:
    """How the fee is to be settled, as the form gives it (APP.json's ``payment``, the CLI's
    ``--method/--tendered/--waiver``, the GUI's fee page): parsed against the fee by
    :meth:`settle`, the one place every service reads a payment."""

    method: str | None = None
    tendered: object = None
    waiver_reference: str | None = None
    waiver_approved_by: str | None = None

    @classmethod
    def from_mapping(cls, section: object, path: str = "payment") -> SettlementForm:
        from counter_app.domain.fields import (
            get_required_str,
            get_str,
            join,
            refuse_unknown_keys,
            require_mapping,
        )

        if section is None:
            return cls()
        data = require_mapping(section, path)
        if "waiver" in data:
            refuse_unknown_keys(data, ("waiver",), path)
            where = join(path, "waiver")
            waiver = require_mapping(data["waiver"], where)
            refuse_unknown_keys(waiver, ("reference", "approved_by"), where)
            return cls(
                waiver_reference=get_required_str(waiver, "reference", where),
                waiver_approved_by=get_str(waiver, "approved_by", where, optional=True),
            )
        refuse_unknown_keys(data, ("method", "tendered"), path)
        return cls(method=get_required_str(data, "method", path), tendered=data.get("tendered"))

    @property
    def empty(self) -> bool:
        return self.method is None and self.waiver_reference is None

    def settle(self, fee: int, path: str = "payment") -> Payment | WaiverRequest | None:
        """A checked payment, a waiver still to be granted by a signed-in supervisor, or
        ``None`` for a free service. Raises the first problem, naming its field."""
        from counter_app.domain.fields import MissingField, choice, join

        if fee == 0:
            return None
        if self.waiver_reference is not None or self.waiver_approved_by is not None:
            return WaiverRequest.parse(
                self.waiver_reference or "", self.waiver_approved_by, path=join(path, "waiver")
            )
        if self.method is None:
            raise MissingField(path)
        method = PaymentMethod(
            choice(self.method, [m.value for m in PaymentMethod], join(path, "method"))
        )
        if self.tendered is None and method is PaymentMethod.CASH:
            raise MissingField(join(path, "tendered"))
        # A card or transfer settles exactly the fee, so its amount may be left out of the form.
        tendered = (
            fee
            if self.tendered is None
            else parse_yuan(self.tendered, field=join(path, "tendered"))
        )
        return Payment(method, fee, tendered)
