"""Error types every layer speaks.

Each error carries its data and a message template in Chinese and English. Front ends turn an
error into words in exactly one place (the CLI's ``main()``, the GUI's error slot) by calling
:meth:`CounterError.message` with the current language. A message never contains a secret.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CounterError(Exception):
    """Base of every error a clerk may see; caused by input or the environment, never a bug."""

    code: ClassVar[str] = "error"
    zh: ClassVar[str] = "操作失败"
    en: ClassVar[str] = "the operation failed"

    def __init__(self, **data: Any) -> None:
        self.data = data
        super().__init__(self.message("en"))

    def message(self, lang: str = "zh") -> str:
        template = self.zh if lang.lower().startswith("zh") else self.en
        try:
            return template.format(**self.data)
        except (KeyError, IndexError, ValueError):
            return template


class ValidationError(CounterError):
    """Input refused before anything is written. ``field`` names the form field at fault."""

    code = "invalid"
    zh = "输入无效：{field}"
    en = "invalid input: {field}"

    def __init__(self, field: str = "", **data: Any) -> None:
        self.field = field
        super().__init__(field=field, **data)


class InvalidName(ValidationError):
    code = "invalid_name"
    zh = "{label}不合规：{reason_zh}"
    en = "{label_en} is not acceptable: {reason_en}"


class InvalidResidentId(ValidationError):
    code = "invalid_resident_id"
    zh = "居民身份证号码无效：{reason_zh}"
    en = "invalid resident identity card number: {reason_en}"


class InvalidUSCC(ValidationError):
    code = "invalid_uscc"
    zh = "统一社会信用代码无效：{reason_zh}"
    en = "invalid unified social credit code: {reason_en}"


class InvalidMobile(ValidationError):
    code = "invalid_mobile"
    zh = "手机号码无效：应为11位中国大陆手机号"
    en = "invalid mobile number: expected an 11-digit mainland China mobile number"


class WeakPassword(ValidationError):
    code = "weak_password"
    zh = "密码太弱：{reason_zh}"
    en = "password too weak: {reason_en}"


class NotFound(CounterError):
    code = "not_found"
    zh = "未找到{what_zh}：{key}"
    en = "{what_en} not found: {key}"


class AlreadyExists(CounterError):
    code = "exists"
    zh = "{what_zh}已存在：{key}"
    en = "{what_en} already exists: {key}"


class AuthenticationFailed(CounterError):
    code = "auth_failed"
    zh = "操作员名或密码错误"
    en = "wrong operator name or password"


class OperatorDisabled(CounterError):
    code = "operator_disabled"
    zh = "操作员已停用：{name}"
    en = "operator is disabled: {name}"


class OperatorLocked(CounterError):
    """Too many failed sign-ins in a row; the same answer whatever password was given."""

    code = "operator_locked"
    zh = (
        "操作员 {name} 因连续{failures}次登录失败已被锁定，{until} (UTC) 后可再试，"
        "或请管理员运行 counter-app operator unlock {name}"
    )
    en = (
        "operator {name} is locked after {failures} failed sign-ins in a row: try again after "
        "{until} (UTC), or ask an admin to run counter-app operator unlock {name}"
    )


class PermissionDenied(CounterError):
    code = "permission_denied"
    zh = "权限不足：{action_zh}需要{roles_zh}角色"
    en = "permission denied: {action_en} needs the {roles_en} role"


class MissingSecret(CounterError):
    code = "missing_secret"
    zh = "缺少{what_zh}：请设置环境变量 {env}，或在终端中运行以便输入"
    en = "missing {what_en}: set {env} or run in a terminal to be prompted"


class StoreUnavailable(CounterError):
    code = "store_unavailable"
    zh = "数据库不可用：{detail}"
    en = "database unavailable: {detail}"


class StoreNotInitialised(CounterError):
    code = "store_not_initialised"
    zh = "数据目录尚未初始化：请先运行 counter-app init（{where}）"
    en = "the data directory is not initialised: run counter-app init first ({where})"


class ConfigError(CounterError):
    code = "config"
    zh = "配置错误：{detail}"
    en = "configuration error: {detail}"
