"""Errors of the token layer: PKCS#11 return codes become these, with words for the clerk.

No message ever contains a PIN.
"""

from __future__ import annotations

from counter_app.domain.errors import CounterError, ValidationError


class TokenError(CounterError):
    code = "token_error"
    zh = "证书介质操作失败：{detail}"
    en = "token operation failed: {detail}"


class TokenNotFound(TokenError):
    code = "token_not_found"
    zh = "未找到证书介质：{which}（请确认已插入）"
    en = "token not found: {which} (is it inserted?)"


class TokenRemoved(TokenError):
    code = "token_removed"
    zh = "证书介质在操作中被拔出"
    en = "the token was removed during the operation"


class WrongPin(TokenError):
    code = "wrong_pin"
    zh = "PIN码错误{tries_zh}"
    en = "wrong PIN{tries_en}"

    def __init__(self, tries_left: int | None = None, count_low: bool = False) -> None:
        self.tries_left = tries_left
        if tries_left is not None:
            tries_zh, tries_en = f"，还可尝试{tries_left}次", f", {tries_left} tries left"
        elif count_low:
            tries_zh, tries_en = "，剩余尝试次数不多", ", few tries left"
        else:
            tries_zh = tries_en = ""
        super().__init__(tries_zh=tries_zh, tries_en=tries_en)


class PinLocked(TokenError):
    code = "pin_locked"
    zh = "用户PIN码已锁定，请用管理员PIN码（SO PIN）解锁"
    en = "the user PIN is locked, unblock with the SO PIN"


class SOPinWrong(TokenError):
    code = "so_pin_wrong"
    zh = "管理员PIN码（SO PIN）错误"
    en = "wrong SO PIN"


class SOPinLocked(TokenError):
    code = "so_pin_locked"
    zh = "管理员PIN码（SO PIN）已锁定，该介质须由发行方重置或更换"
    en = "the SO PIN is locked; the token must be reset by its issuer or replaced"


class PinPolicy(ValidationError):
    code = "pin_policy"
    zh = "PIN码不合规：{reason_zh}"
    en = "PIN not acceptable: {reason_en}"


class TokenFull(TokenError):
    code = "token_full"
    zh = "证书介质存储空间已满"
    en = "the token is full"


class KeyNotFound(TokenError):
    code = "key_not_found"
    zh = "介质上没有该密钥：{key_id}"
    en = "no such key on the token: {key_id}"


class KeyNotProtected(TokenError):
    code = "key_not_protected"
    zh = "介质生成的私钥不具备必需的保护属性（{missing}），已删除"
    en = "the key the token made lacks required protection ({missing}) and was deleted"


class CertificateMismatch(TokenError):
    code = "certificate_mismatch"
    zh = "证书与介质上的密钥不匹配"
    en = "the certificate does not match the key on the token"


class TokenHoldsObjects(TokenError):
    code = "token_holds_objects"
    zh = "介质上已有{count}个对象，格式化会全部删除；请确认后重试"
    en = "the token holds {count} objects that formatting would erase; confirm to go on"


class MechanismUnavailable(TokenError):
    code = "mechanism_unavailable"
    zh = "该介质没有可用的签名机制（{what}）"
    en = "the token offers no mechanism for {what}"


class KeyAlgorithmNotSupported(TokenError):
    """The token cannot make or use keys of the algorithm chosen; ``allowed`` names what it can."""

    code = "key_algorithm_not_supported"
    zh = "该介质不支持 {wanted} 密钥；{allowed_zh}"
    en = "this token cannot hold {wanted} keys; {allowed_en}"

    def __init__(self, wanted: str, allowed: tuple[str, ...]) -> None:
        self.wanted, self.allowed = wanted, allowed
        if allowed:
            allowed_zh = f"该介质仅支持 {'、'.join(allowed)}"
            allowed_en = f"this token supports {', '.join(allowed)} only"
        else:
            allowed_zh = "该介质不支持本柜台提供的任何密钥算法"
            allowed_en = "this token supports none of the key algorithms this counter offers"
        super().__init__(wanted=wanted, allowed_zh=allowed_zh, allowed_en=allowed_en)


class PinMustBeChanged(TokenError):
    code = "pin_must_be_changed"
    zh = "该介质的用户PIN码须先修改（介质要求更换PIN码）；请先办理修改PIN码"
    en = "the token's user PIN must be changed first (the token says so); change the PIN"
