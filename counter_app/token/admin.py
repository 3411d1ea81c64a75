"""Formatting a token and managing its PINs.

python-pkcs11 has no C_InitToken, so formatting calls the module's exported ``C_InitToken``
through ctypes (one small, tested call; the module is the one python-pkcs11 already loaded and
initialised, so both share its state). We chose this over a tool (softhsm2-util, pkcs11-tool
``--init-token``) because a tool would need the SO PIN on its command line or a pty dialogue.
PINs go to the module as bytes, never to a command line.
"""

from __future__ import annotations

import ctypes
import logging
from typing import Any

from pkcs11 import exceptions as p11

from counter_app.token.capabilities import capabilities_of
from counter_app.token.errors import (
    PinPolicy,
    SOPinWrong,
    TokenError,
    TokenHoldsObjects,
    TokenNotFound,
)
from counter_app.token.library import (
    raw_module,
    recover_after_failed_login,
    reinitialise,
    session_counted,
    translated,
)
from counter_app.token.session import (
    LOGIN_REFUSED,
    TokenInfo,
    _match,
    _slots,
    find_token,
    list_tokens,
    pin_error,
)
from counter_app.token.thread import runs_in_token_thread

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


def check_format(new_label: str, so_pin: str, user_pin: str, *, max_label: int) -> None:
    """What formatting needs, PKCS#11 or SKF, checked before the token: both PINs by the
    counter's policy and a label of 1 to ``max_label`` bytes (32 in PKCS#11's token info, 31 in
    SKF's DEVINFO, whose last byte ends the string)."""
    check_pin_policy(so_pin, field="so_pin")
    check_pin_policy(user_pin, field="user_pin")
    if not 1 <= len(new_label.encode("utf-8")) <= max_label:
        raise PinPolicy(
            "label",
            reason_zh=f"标签须为1至{max_label}字节",
            reason_en=f"the label must be 1 to {max_label} bytes",
        )


def check_changed_pin(old_pin: str, new_pin: str) -> None:
    """A new user PIN by the counter's policy, and not the old one (a token that asks for its
    PIN to be changed is satisfied only by a new one), PKCS#11 or SKF."""
    check_pin_policy(new_pin, field="new_pin")
    if new_pin == old_pin:
        raise PinPolicy(
            "new_pin",
            reason_zh="新PIN码不能与原PIN码相同",
            reason_en="the new PIN must differ from the old one",
        )


def _c_init_token(module: str, slot_id: int, so_pin: str, label: str) -> int:
    """C_InitToken through ctypes (python-pkcs11 0.10 does not wrap it); returns the CK_RV.

    The label is padded with blanks to 32 bytes as PKCS#11 requires; the SO PIN goes to the module
    as bytes in this process, never to a command line."""
    fn = raw_module(module).C_InitToken
    fn.argtypes = [ctypes.c_ulong, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    fn.restype = ctypes.c_ulong
    encoded = so_pin.encode()
    padded = label.encode("utf-8")[:32].ljust(32, b" ")
    return int(fn(slot_id, encoded, len(encoded), padded))


def init_error(rv: int) -> TokenError | None:
    """C_InitToken's return value as our error (None for CKR_OK)."""
    if rv == CKR_OK:
        return None
    if rv in (CKR_PIN_INCORRECT, CKR_PIN_LOCKED):
        return SOPinWrong()
    if rv == CKR_SESSION_EXISTS:
        return TokenError(detail="another program has a session open on the token")
    return TokenError(detail=f"C_InitToken returned 0x{rv:x}")


def _public_object_count(module: str, token: Any) -> int:
    """Objects visible without a login (public keys, certificates). Private objects need the
    user PIN, which a clerk re-formatting a forgotten token does not have; every key pair made
    here has a public half, so a token holding our keys is never counted empty."""
    with translated(), token.open() as session:
        return len(list(session.get_objects()))


def _target_slot(
    module: str, slot: int | None, label: str | None, serial: str | None, force: bool
) -> tuple[int, str | None, Any]:
    """The slot to format, the serial of the token now in it (None for a blank one) and the
    token itself (to read its PIN limits)."""
    if label is None and serial is None:
        candidates = [(s, t) for s, t in _slots(module) if slot is None or s == slot]
        free = [(s, t) for s, t in candidates if not TokenInfo.of(s, t).initialised]
        if slot is not None and candidates and not free:
            slot_id, token = candidates[0]
        elif free:
            return free[0][0], None, free[0][1]
        else:
            raise TokenNotFound(which=f"slot {slot}" if slot is not None else "a free slot")
    else:
        slot_id, token = _match(module, label, serial)
    count = _public_object_count(module, token)
    if count and not force:
        raise TokenHoldsObjects(count=count)
    return slot_id, TokenInfo.of(slot_id, token).serial, token


@runs_in_token_thread
def init_token(
    module: str,
    *,
    new_label: str,
    so_pin: str,
    user_pin: str,
    slot: int | None = None,
    label: str | None = None,
    serial: str | None = None,
    force: bool = False,
) -> TokenInfo:
    """Format a token and set its user PIN. Which token: ``label``/``serial`` of a formatted one,
    ``slot`` by number, or else the first blank (free) slot. Re-formatting a token that holds
    objects needs ``force``; a formatted token keeps its SO PIN, which must be given right."""
    check_format(new_label, so_pin, user_pin, max_label=32)
    slot_id, old_serial, target = _target_slot(module, slot, label, serial, force)
    limits = capabilities_of(module, target)
    limits.check_new_pin(so_pin, field="so_pin")
    limits.check_new_pin(user_pin, field="user_pin")
    before = {i.serial for i in list_tokens(module) if i.initialised}
    reinitialise(module)  # no session of ours may be open on the token
    log.debug("C_InitToken on slot %s", slot_id)
    error = init_error(_c_init_token(module, slot_id, so_pin, new_label))
    if error is not None:
        raise error
    # SoftHSM moves a freshly formatted token to a new slot number, so find it by serial: the
    # one it had, or the one that was not there before.
    fresh = [
        i
        for i in list_tokens(module)
        if i.initialised
        and i.label == new_label
        and (i.serial == old_serial or i.serial not in before)
    ]
    if len(fresh) != 1:
        raise TokenError(detail="the formatted token could not be found again")
    _so_session_set_user_pin(module, fresh[0], so_pin, user_pin)
    log.info("formatted token serial=%s label=%s", fresh[0].serial, new_label)
    return find_token(module, serial=fresh[0].serial)


def _so_session_set_user_pin(module: str, info: TokenInfo, so_pin: str, new_pin: str) -> None:
    """C_InitPIN in an SO session: sets (or unblocks with) a new user PIN."""
    from counter_app.token.session import open_token

    token = open_token(module, serial=info.serial)
    refused: p11.PKCS11Error | None = None
    with translated(present=token.present):
        try:
            session = token._token.open(rw=True, so_pin=so_pin)
        except LOGIN_REFUSED as exc:
            refused = exc
    if refused is not None:
        recover_after_failed_login(module, info.slot_id)
        raise SOPinWrong() from None
    with session_counted(module, info.slot_id):
        try:
            with translated(present=token.present):
                session.init_pin(new_pin)
        finally:
            session.close()


@runs_in_token_thread
def change_pin(
    module: str, *, old_pin: str, new_pin: str, label: str | None = None, serial: str | None = None
) -> TokenInfo:
    """The subscriber changes their own PIN (old PIN needed); returns the token changed. The
    new PIN must suit the token's length limits and differ from the old one (a token that asks
    for its PIN to be changed is satisfied only by a new one)."""
    check_changed_pin(old_pin, new_pin)
    from counter_app.token.session import open_token

    token = open_token(module, label=label, serial=serial)
    token.capabilities().check_new_pin(new_pin, field="new_pin")
    with token.login(old_pin, changing_pin=True) as ts, translated(present=token.present):
        ts._s.set_pin(old_pin, new_pin)
    log.info("user PIN changed on token serial=%s", token.info.serial)
    return token.info


@runs_in_token_thread
def unblock_pin(
    module: str, *, so_pin: str, new_pin: str, label: str | None = None, serial: str | None = None
) -> TokenInfo:
    """The SO PIN sets a new user PIN (a locked PIN is unblocked); returns the token."""
    check_pin_policy(new_pin, field="new_pin")
    from counter_app.token.session import open_token

    token = open_token(module, label=label, serial=serial)
    token.capabilities().check_new_pin(new_pin, field="new_pin")
    info = token.info
    _so_session_set_user_pin(module, info, so_pin, new_pin)
    log.info("user PIN reset with the SO PIN on token serial=%s", info.serial)
    return info


__all__ = ["change_pin", "check_pin_policy", "init_token", "pin_error", "unblock_pin"]
