"""Operator roles and password rules (pure).

Roles follow counter practice: the clerk (受理员) takes applications; the reviewer (审核员) approves
them (maker-checker: never their own); the supervisor approves fee waivers and exceptions; the
admin manages operators and the signing module.
"""

from __future__ import annotations

import string

from counter_app.domain.display import ChineseNamed
from counter_app.domain.errors import PermissionDenied, WeakPassword
from counter_app.domain.identifiers import validate_name


class Role(ChineseNamed):
    CLERK = "clerk", "受理员"
    REVIEWER = "reviewer", "审核员"
    SUPERVISOR = "supervisor", "主管"
    ADMIN = "admin", "管理员"


MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def check_password_policy(password: str) -> None:
    """Refuse a password shorter than 8 characters or made of one class of character only."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            "password",
            reason_zh=f"至少需要{MIN_PASSWORD_LENGTH}个字符",
            reason_en=f"it must have at least {MIN_PASSWORD_LENGTH} characters",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(
            "password",
            reason_zh=f"不能超过{MAX_PASSWORD_LENGTH}个字符",
            reason_en=f"it must have at most {MAX_PASSWORD_LENGTH} characters",
        )
    classes = {
        "lower"
        if c in string.ascii_lowercase
        else "upper"
        if c in string.ascii_uppercase
        else "digit"
        if c.isdigit()
        else "other"
        for c in password
    }
    if len(classes) < 2:
        raise WeakPassword(
            "password",
            reason_zh="不能只由一类字符组成（请混合字母、数字或符号）",
            reason_en="it must mix at least two kinds of character (letters, digits, symbols)",
        )


def check_operator_name(name: str) -> str:
    name = validate_name(name, field="operator", label="操作员名", label_en="the operator name")
    if len(name) > 64:
        raise WeakPassword("operator", reason_zh="操作员名过长", reason_en="operator name too long")
    return name


def check_sign_in_name(name: str) -> str:
    """A name typed at sign-in, refused if it could not be an operator's or would forge a log line.

    Control, format and invisible characters (a new line, a bidi mark) are refused here, before
    the name reaches the log or the audit chain.
    """
    return validate_name(name, field="operator", label="操作员名", label_en="the operator name")


def require_role(actual: str, allowed: tuple[Role, ...], *, action_zh: str, action_en: str) -> None:
    if actual not in {r.value for r in allowed}:
        raise PermissionDenied(
            action_zh=action_zh,
            action_en=action_en,
            roles_zh="、".join(r.zh for r in allowed),
            roles_en="/".join(r.value for r in allowed),
        )
