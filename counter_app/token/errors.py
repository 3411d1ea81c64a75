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
