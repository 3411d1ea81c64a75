"""What the signing module accepts in a subject, whoever sends it (counter, EST, ``ca issue``).

The counter validates its forms with the domain's rules; a request that reaches the CA another
way (EST from a counter of another version, the low-level CLI) gets the same rules here, before
a serial is recorded or a signature made, so a bad value is a refusal and never a half-issued
certificate. X.520 bounds count characters, but ``cryptography`` counts the common name in
UTF-8 bytes: that stricter bound is the one applied to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from counter_app.ca.errors import BadSubject
from counter_app.ca.model import SubjectInfo
from counter_app.domain.errors import ValidationError
from counter_app.domain.fields import check_plain_text
from counter_app.domain.identifiers import validate_name
from counter_app.domain.subscribers import validate_email

MAX_NAME = 64  # X.520 ub-common-name, ub-organization-name, ub-organizational-unit-name
MAX_IDENTIFIER = 128
MAX_OPERATOR = 64  # the audit chain's operator column
MAX_REFERENCE = 64  # the certificate table's application_id column
_COUNTRY = re.compile(r"[A-Z]{2}")


def _refuse(field: str, zh: str, en: str) -> BadSubject:
    return BadSubject(field=field, reason_zh=zh, reason_en=en)


def _domain(field: str, check: Callable[[], object]) -> None:
    try:
        check()
    except ValidationError as exc:
        raise _refuse(field, exc.message("zh"), exc.message("en")) from None


def _name(field: str, value: str | None, *, utf8_bytes: bool = False) -> None:
    if value is None:
        return
    _domain(field, lambda: validate_name(value, field=field, label=field, label_en=field))
    size = len(value.encode()) if utf8_bytes else len(value)
    if size > MAX_NAME:
        unit_zh, unit_en = (
            ("字节（UTF-8）", "UTF-8 bytes") if utf8_bytes else ("个字符", "characters")
        )
        raise _refuse(
            field, f"不能超过{MAX_NAME}{unit_zh}", f"must be at most {MAX_NAME} {unit_en}"
        )


def check_subject(subject: SubjectInfo) -> None:
    """Raise :class:`BadSubject` for anything in ``subject`` the CA must not certify."""
    if not subject.common_name:
        raise _refuse("common_name", "不能为空", "must not be empty")
    _name("common_name", subject.common_name, utf8_bytes=True)
    _name("organization", subject.organization)
    _name("organizational_unit", subject.organizational_unit)
    if subject.serial_number is not None:
        value = subject.serial_number
        _domain("serial_number", lambda: check_plain_text(value, "serial_number", max_length=64))
    if not _COUNTRY.fullmatch(subject.country or ""):
        raise _refuse(
            "country",
            "应为两个大写字母的国家代码（ISO 3166，如 CN）",
            "must be a two-letter ISO 3166 country code such as CN",
        )
    if subject.email is not None:
        email = subject.email
        if not email.isascii():
            raise _refuse("email", "只能使用半角字符", "must use ASCII characters only")
        _domain("email", lambda: validate_email(email))
    for oid, value in subject.identifiers.items():
        _domain(oid, partial(check_plain_text, value, oid, max_length=MAX_IDENTIFIER))
    for item in subject.application_items:
        _domain("application_items", partial(check_plain_text, item, "item", max_length=64))


def check_request_fields(operator: str, application_id: str | None) -> None:
    """The operator and application reference are stored with the certificate: check them now."""
    _domain("operator", lambda: check_plain_text(operator, "operator", max_length=MAX_OPERATOR))
    if application_id is not None:
        ref = application_id
        _domain("application_id", lambda: check_plain_text(ref, "id", max_length=MAX_REFERENCE))
