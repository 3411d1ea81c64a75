"""Identifier checks for the people, units and devices served at the counter.

Checksums come from python-stdnum (GB 11643 resident ID via ``stdnum.cn.ric``, GB 32100 unified
social credit code via ``stdnum.cn.uscc``) and phone rules from phonenumbers (libphonenumber's
metadata); nothing here hand-writes a checksum. Every check returns the normalised value or raises
a typed :class:`~counter_app.domain.errors.ValidationError`; none returns ``bool``.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import phonenumbers
from stdnum import exceptions as stdnum_exc
from stdnum import numdb
from stdnum.cn import ric, uscc

from counter_app.domain.errors import InvalidMobile, InvalidName, InvalidResidentId, InvalidUSCC

MAX_NAME_LENGTH = 100

_RIC_REASONS = {
    stdnum_exc.InvalidLength: ("长度应为18位", "must be 18 characters long"),
    stdnum_exc.InvalidFormat: ("格式不正确", "wrong format"),
    stdnum_exc.InvalidChecksum: ("校验位不正确", "the check digit is wrong"),
    stdnum_exc.InvalidComponent: ("出生日期或地区码不正确", "the birth date or region is wrong"),
}


def _reason(exc: Exception) -> tuple[str, str]:
    for kind, texts in _RIC_REASONS.items():
        if isinstance(exc, kind):
            return texts
    return ("格式不正确", "wrong format")


def _validate_ric(value: str) -> str:
    """``stdnum.cn.ric.validate`` without its one wrong assumption.

    stdnum refuses a number whose region code was created after the holder's birth year (it
    assumes the code is given at birth). Codes are given when the 18-digit number is issued, so
    everyone born in Taiyuan's 小店区 before 1997, say, holds a number stdnum refuses. A code
    that stdnum's table knows in any period is accepted here; checksum, length, format and birth
    date are still stdnum's.
    """
    try:
        return str(ric.validate(value))
    except stdnum_exc.InvalidComponent:
        number = ric.compact(value)
        ric.get_birth_date(number)  # raises InvalidComponent for an impossible date
        parts = numdb.get("cn/loc").info(number[:6])
        if not any("county" in props for _code, props in parts):
            raise

        return str(number)


def validate_resident_id(
    value: str, *, field: str = "id_number", today: dt.date | None = None
) -> str:
    """Return the 18-character resident identity card number (GB 11643), upper-case X.

    The birth date must be a real date, not in the future.
    """
    try:
        number = _validate_ric(value)
        birth = ric.get_birth_date(number)
    except (stdnum_exc.ValidationError, ValueError, TypeError, OverflowError) as exc:
        zh, en = _reason(exc)
        raise InvalidResidentId(field, reason_zh=zh, reason_en=en) from None
    if len(number) != 18:
        raise InvalidResidentId(
            field, reason_zh="应为18位新版号码", reason_en="must be the 18-character form"
        )
    if birth > (today or dt.date.today()) or birth.year < 1900:
        raise InvalidResidentId(
            field, reason_zh="出生日期不可能", reason_en="impossible birth date"
        )
    return number.upper()


def resident_id_birth_date(number: str) -> dt.date:
    """Birth date encoded in a valid resident ID number."""
    return ric.get_birth_date(validate_resident_id(number))


def validate_uscc(value: str, *, field: str = "uscc") -> str:
    """Return the 18-character unified social credit code (GB 32100-2015)."""
    try:
        return str(uscc.validate(value)).upper()
    except (stdnum_exc.ValidationError, ValueError, TypeError) as exc:
        zh, en = _reason(exc)
        if isinstance(exc, stdnum_exc.InvalidComponent):
            zh, en = (
                "登记管理部门或机构类别代码不正确",
                "the registration authority or type code is wrong",
            )
        raise InvalidUSCC(field, reason_zh=zh, reason_en=en) from None


def validate_mobile(value: str, *, field: str = "mobile") -> str:
    """Return a mainland China mobile number as its 11 national digits."""
    digits = value.strip().replace(" ", "").replace("-", "")
    if digits.startswith("+86"):
        digits = digits[3:]
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        raise InvalidMobile(field)
    try:
        parsed = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidMobile(field) from None
    kind = phonenumbers.number_type(parsed)
    mobile_kinds = (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    if not phonenumbers.is_valid_number(parsed) or kind not in mobile_kinds:
        raise InvalidMobile(field)
    return digits


def validate_name(
    value: str, *, field: str = "name", label: str = "名称", label_en: str = "the name"
) -> str:
    """Return a person's, unit's or device's name if it is fit to print and to put in a certificate.

    Refused: empty, longer than 100 characters, leading or trailing white space, control or
    format characters (tabs, new lines, zero-width and bidi marks), unassigned code points.
    """

    def refuse(zh: str, en: str) -> InvalidName:
        return InvalidName(field, label=label, label_en=label_en, reason_zh=zh, reason_en=en)

    if not isinstance(value, str) or not value:
        raise refuse("不能为空", "must not be empty")
    if value != value.strip():
        raise refuse("首尾不能有空格", "must not start or end with a space")
    if len(value) > MAX_NAME_LENGTH:
        raise refuse(
            f"不能超过{MAX_NAME_LENGTH}个字符", f"must be at most {MAX_NAME_LENGTH} characters"
        )
    for ch in value:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise refuse("含有控制字符或不可见字符", "contains a control or invisible character")
    return unicodedata.normalize("NFC", value)
