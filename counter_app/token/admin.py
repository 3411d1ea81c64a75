"""Formatting a token and managing its PINs.

python-pkcs11 has no C_InitToken, so formatting calls the module's exported ``C_InitToken``
through ctypes (one small, tested call; the module is the one python-pkcs11 already loaded and
initialised, so both share its state). PINs go to the module as bytes, never to a command line.
"""

from __future__ import annotations

import ctypes
import logging

from pkcs11 import exceptions as p11

from counter_app.token.errors import (
    PinPolicy,
    SOPinWrong,
    TokenError,
    TokenHoldsObjects,
    TokenNotFound,
)
from counter_app.token.library import library, reinitialise, translated
from counter_app.token.session import TokenInfo, _match, _slots, find_token, pin_error

log = logging.getLogger(__name__)
MIN_PIN, MAX_PIN = 6, 16
CKR_OK, CKR_PIN_INCORRECT, CKR_PIN_LOCKED, CKR_SESSION_EXISTS = 0x0, 0xA0, 0xA4, 0xB6


def check_pin_policy(pin: str, *, field: str = "pin") -> None:
    """6 to 16 printable ASCII characters, not all one repeated digit. Checked before the token."""
    if not isinstance(pin, str) or not MIN_PIN <= len(pin) <= MAX_PIN:
        raise PinPolicy(
            field,
            reason_zh=f"长度须为{MIN_PIN}至{MAX_PIN}位",
            reason_en=f"it must be {MIN_PIN} to {MAX_PIN} characters",
        )
    if not (pin.isascii() and pin.isprintable()):
        raise PinPolicy(
            field,
            reason_zh="只能使用英文字母、数字和符号",
            reason_en="only ASCII letters, digits and symbols",
        )
    if pin.isdigit() and len(set(pin)) == 1:
        raise PinPolicy(
            field, reason_zh="不能全部是同一个数字", reason_en="it must not be one digit repeated"
        )


def _c_init_token(module: str, slot_id: int, so_pin: str, label: str) -> int:
    fn = ctypes.CDLL(module).C_InitToken
    fn.argtypes = [ctypes.c_ulong, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    fn.restype = ctypes.c_ulong
    encoded = so_pin.encode()
    padded = label.encode("utf-8")[:32].ljust(32, b" ")
    return int(fn(slot_id, encoded, len(encoded), padded))


def _object_count(module: str, info: TokenInfo, user_pin: str | None) -> int:
    from counter_app.token.session import open_token

    if not info.initialised or user_pin is None:
        return 0
    token = open_token(module, serial=info.serial)
    with translated(), token._token.open() as session:
        return len(list(session.get_objects()))


def init_token(
    module: str,
    *,
    new_label: str,
    so_pin: str,
    user_pin: str,
    label: str | None = None,
    serial: str | None = None,
    force: bool = False,
) -> TokenInfo:
    """Format a token: the free slot (no label/serial given) or an existing token (``force``
    needed when it holds objects). The SO PIN is set (or checked, for a formatted token)."""
    check_pin_policy(so_pin, field="so_pin")
    check_pin_policy(user_pin, field="user_pin")
    if not 1 <= len(new_label.encode("utf-8")) <= 32:
        raise PinPolicy(
            "label", reason_zh="标签须为1至32字节", reason_en="the label must be 1 to 32 bytes"
        )
    if label is None and serial is None:
        free = [(s, t) for s, t in _slots(module) if not TokenInfo.of(s, t).initialised]
        if not free:
            raise TokenNotFound(which="a free slot")
        slot_id = free[0][0]
    else:
        slot_id, token = _match(module, label, serial)
        count = _object_count(module, TokenInfo.of(slot_id, token), "")
        if count and not force:
            raise TokenHoldsObjects(count=count)
    reinitialise(module)  # no session of ours may be open on the token
    rv = _c_init_token(module, slot_id, so_pin, new_label)
    if rv in (CKR_PIN_INCORRECT, CKR_PIN_LOCKED):
        raise SOPinWrong()
    if rv != CKR_OK:
        raise TokenError(detail=f"C_InitToken returned 0x{rv:x}")
    reinitialise(module)
    info = [TokenInfo.of(s, t) for s, t in _slots(module) if s == slot_id or t.label == new_label]
    fresh = next(i for i in info if i.label == new_label)
    _so_session_set_user_pin(module, fresh, so_pin, user_pin)
    log.info("formatted token serial=%s label=%s", fresh.serial, new_label)
    return find_token(module, serial=fresh.serial)


def _so_session_set_user_pin(module: str, info: TokenInfo, so_pin: str, new_pin: str) -> None:
    from counter_app.token.session import open_token

    token = open_token(module, serial=info.serial)
    with translated():
        try:
            session = token._token.open(rw=True, so_pin=so_pin)
        except (p11.PinIncorrect, p11.PinLocked, p11.PinInvalid, p11.PinLenRange):
            session = None
    if session is None:
        reinitialise(module)
        raise SOPinWrong()
    try:
        with translated():
            session.init_pin(new_pin)
    finally:
        session.close()


def change_pin(
    module: str, *, old_pin: str, new_pin: str, label: str | None = None, serial: str | None = None
) -> None:
    """The subscriber changes their own PIN (old PIN needed)."""
    check_pin_policy(new_pin, field="new_pin")
    from counter_app.token.session import open_token

    token = open_token(module, label=label, serial=serial)
    with token.login(old_pin) as ts, translated():
        ts._s.set_pin(old_pin, new_pin)


def unblock_pin(
    module: str, *, so_pin: str, new_pin: str, label: str | None = None, serial: str | None = None
) -> None:
    """The SO PIN sets a new user PIN (a locked PIN is unblocked)."""
    check_pin_policy(new_pin, field="new_pin")
    info = find_token(module, label=label, serial=serial)
    library(module)
    _so_session_set_user_pin(module, info, so_pin, new_pin)


__all__ = ["change_pin", "check_pin_policy", "init_token", "pin_error", "unblock_pin"]
