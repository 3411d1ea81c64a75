"""Errors of the signing module (签发模块). Messages never carry a key, passphrase or PIN."""

from __future__ import annotations

from counter_app.domain.errors import CounterError


class CAError(CounterError):
    code = "ca"
    zh = "签发模块错误：{detail}"
    en = "signing module error: {detail}"


class CertificateNotFound(CAError):
    code = "certificate_not_found"
    zh = "未找到证书：序列号 {serial}"
    en = "certificate not found: serial {serial}"


class InvalidTransition(CAError):
    code = "invalid_transition"
    zh = "证书 {serial} 当前状态为{state_zh}，不能{action_zh}"
    en = "certificate {serial} is {state_en} and cannot be {action_en}"


class WeakKey(CAError):
    code = "weak_key"
    zh = "公钥不安全，拒绝签发：{reason_zh}"
    en = "the public key is weak and was refused: {reason_en}"


class BadCSR(CAError):
    code = "bad_csr"
    zh = "证书请求无效：{reason_zh}"
    en = "the certificate request is not valid: {reason_en}"


class UnknownProfile(CAError):
    code = "unknown_profile"
    zh = "未知的证书模板：{profile}"
    en = "unknown certificate profile: {profile}"


class ProfileError(CAError):
    code = "profile_error"
    zh = "证书模板配置错误：{detail}"
    en = "certificate profile configuration error: {detail}"


class CANotInitialised(CAError):
    code = "ca_not_initialised"
    zh = "签发模块尚未初始化：请先运行 counter-app ca init（{where}）"
    en = "the signing module is not initialised: run counter-app ca init first ({where})"


class CAAlreadyInitialised(CAError):
    code = "ca_already_initialised"
    zh = "签发模块已初始化：{where}"
    en = "the signing module is already initialised: {where}"


class WrongPassphrase(CAError):
    code = "wrong_passphrase"
    zh = "CA私钥口令错误"
    en = "wrong CA key passphrase"


class WeakPassphrase(CAError):
    code = "weak_ca_passphrase"
    zh = "CA私钥口令太短：至少需要{minimum}个字符"
    en = "the CA key passphrase is too short: it needs at least {minimum} characters"


class RootKeyOffline(CAError):
    code = "root_key_offline"
    zh = "根CA私钥离线保存：请插入保存根私钥的介质，并用 --offline-root DIR 指定其目录"
    en = (
        "the root CA key is kept offline: insert the media that holds it and give its "
        "directory with --offline-root DIR"
    )


class OfflineRootUnusable(CAError):
    code = "offline_root_unusable"
    zh = "离线根目录 {where} 不可用：{reason_zh}"
    en = "the offline root directory {where} cannot be used: {reason_en}"


class HSMError(CAError):
    code = "hsm_error"
    zh = "密码设备错误：{detail}"
    en = "HSM error: {detail}"


class BadSubject(CAError):
    """An identifier, operator or reference the CA will not store; refused before signing."""

    code = "bad_subject"
    zh = "签发请求无效（{field}）：{reason_zh}"
    en = "the issue request is not acceptable ({field}): {reason_en}"
