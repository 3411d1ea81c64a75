"""The subscriber's USB token through PKCS#11 (python-pkcs11): find, format, sign in, make keys
that never leave the token, sign CSRs on it, store certificates beside their keys."""

from counter_app.token.admin import change_pin, check_pin_policy, init_token, unblock_pin
from counter_app.token.capabilities import TokenCapabilities, read_capabilities
from counter_app.token.keyspec import KeySpec, key_spec, register_key_spec
from counter_app.token.session import (
    Token,
    TokenCertificate,
    TokenInfo,
    TokenKey,
    TokenSession,
    build_csr,
    describe_objects,
    find_token,
    list_tokens,
    open_token,
)
from counter_app.token.watcher import TokenEvent, TokenWatcher

__all__ = [
    "KeySpec",
    "Token",
    "TokenCapabilities",
    "TokenCertificate",
    "TokenEvent",
    "TokenInfo",
    "TokenKey",
    "TokenSession",
    "TokenWatcher",
    "build_csr",
    "change_pin",
    "check_pin_policy",
    "describe_objects",
    "find_token",
    "init_token",
    "key_spec",
    "list_tokens",
    "open_token",
    "read_capabilities",
    "register_key_spec",
    "unblock_pin",
]
