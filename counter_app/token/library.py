"""The PKCS#11 module, loaded once per process, and the translation of its errors.

python-pkcs11 keeps one library object per module path. SoftHSM reads its configuration and
token directory at C_Initialize only, so the library is re-initialised (when no session of ours
is open) to see tokens formatted by another process and after ``SOFTHSM2_CONF`` changes (each
test has its own token directory; one pytest process runs many tests).

A failed C_Login leaks the session python-pkcs11 opened for it (``Token.open`` raises before it
wraps the handle). The leaked session blocks C_InitToken (CKR_SESSION_EXISTS) and, when it is
read-only, a later SO login (CKR_SESSION_READ_ONLY_EXISTS); on a real token it also uses up one
of its few sessions. :func:`recover_after_failed_login` closes it with C_CloseAllSessions on that
slot, which python-pkcs11 does not wrap, so it is called through ctypes on the same loaded module
(``dlopen`` of the same path returns the same handle, so both share the module's state).
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pkcs11
from pkcs11 import exceptions as p11

from counter_app.token.errors import TokenError, TokenFull, TokenNotFound, TokenRemoved

log = logging.getLogger(__name__)
_lock = threading.RLock()
_open_sessions: dict[str, int] = {}
_open_on_slot: dict[tuple[str, int], int] = {}
_conf_seen: dict[str, str | None] = {}

REMOVED = (
    p11.DeviceRemoved,
    p11.TokenNotPresent,
    p11.SessionClosed,
    p11.SessionHandleInvalid,
    p11.DeviceError,
    p11.TokenNotRecognised,
)


def library(module: str, *, refresh: bool = False) -> Any:
    """The loaded module; refreshed (re-initialised) on request when no session is open."""
    with _lock:
        try:
            lib = pkcs11.lib(module)
        except (OSError, RuntimeError, p11.PKCS11Error) as exc:
            raise TokenError(detail=f"cannot load PKCS#11 module {module}: {exc}") from None
        conf = os.environ.get("SOFTHSM2_CONF")
        changed = _conf_seen.get(module, conf) != conf
        _conf_seen[module] = conf
        if (refresh or changed) and not _open_sessions.get(module):
            try:
                lib.reinitialize()
            except p11.PKCS11Error as exc:
                raise TokenError(
                    detail=f"cannot initialise {module}: {type(exc).__name__}"
                ) from None
        return lib


def reinitialise(module: str) -> None:
    with _lock:
        if not _open_sessions.get(module):
            pkcs11.lib(module).reinitialize()


def raw_module(module: str) -> ctypes.CDLL:
    """The module's C entry points, for the two calls python-pkcs11 lacks (C_InitToken,
    C_CloseAllSessions). Load it through :func:`library` first so it is initialised."""
    library(module)
    return ctypes.CDLL(module)


class _CKTokenInfo(ctypes.Structure):
    """CK_TOKEN_INFO (PKCS#11 2.40, section 3.2), for the PIN limits python-pkcs11 drops."""

    _fields_ = [
        ("label", ctypes.c_char * 32),
        ("manufacturerID", ctypes.c_char * 32),
        ("model", ctypes.c_char * 16),
        ("serialNumber", ctypes.c_char * 16),
        ("flags", ctypes.c_ulong),
        ("ulMaxSessionCount", ctypes.c_ulong),
        ("ulSessionCount", ctypes.c_ulong),
        ("ulMaxRwSessionCount", ctypes.c_ulong),
        ("ulRwSessionCount", ctypes.c_ulong),
        ("ulMaxPinLen", ctypes.c_ulong),
        ("ulMinPinLen", ctypes.c_ulong),
        ("ulTotalPublicMemory", ctypes.c_ulong),
        ("ulFreePublicMemory", ctypes.c_ulong),
        ("ulTotalPrivateMemory", ctypes.c_ulong),
        ("ulFreePrivateMemory", ctypes.c_ulong),
        ("hardwareVersion", ctypes.c_ubyte * 2),
        ("firmwareVersion", ctypes.c_ubyte * 2),
        ("utcTime", ctypes.c_char * 16),
    ]


def pin_length_limits(module: str, slot_id: int) -> tuple[int, int]:
    """The token's (ulMinPinLen, ulMaxPinLen) from C_GetTokenInfo, called through ctypes
    because python-pkcs11 0.10 does not expose them."""
    fn = raw_module(module).C_GetTokenInfo
    fn.argtypes = [ctypes.c_ulong, ctypes.POINTER(_CKTokenInfo)]
    fn.restype = ctypes.c_ulong
    info = _CKTokenInfo()
    rv = int(fn(slot_id, ctypes.byref(info)))
    if rv != 0:
        raise TokenError(detail=f"C_GetTokenInfo returned 0x{rv:x}")
    return int(info.ulMinPinLen), int(info.ulMaxPinLen)


@contextmanager
def session_counted(module: str, slot_id: int) -> Iterator[None]:
    """Counts our open sessions, so nothing re-initialises the module under them."""
    with _lock:
        _open_sessions[module] = _open_sessions.get(module, 0) + 1
        _open_on_slot[module, slot_id] = _open_on_slot.get((module, slot_id), 0) + 1
    try:
        yield
    finally:
        with _lock:
            _open_sessions[module] -= 1
            _open_on_slot[module, slot_id] -= 1


def recover_after_failed_login(module: str, slot_id: int) -> None:
    """Close the session python-pkcs11 leaked when C_Login failed (see module docstring).

    Only when none of our own sessions is open on that slot: C_CloseAllSessions would end them
    too. With one token thread per process that is the normal case."""
    with _lock:
        if _open_on_slot.get((module, slot_id)):
            log.warning("a session leaked by a failed login stays open on slot %s", slot_id)
            return
        fn = raw_module(module).C_CloseAllSessions
        fn.argtypes = [ctypes.c_ulong]
        fn.restype = ctypes.c_ulong
        rv = int(fn(slot_id))
    log.debug("closed the sessions of slot %s after a failed login (rv=0x%x)", slot_id, rv)


@contextmanager
def translated(what: str = "token", present: Callable[[], bool] | None = None) -> Iterator[None]:
    """PKCS#11 exceptions become our typed errors at this boundary.

    ``present`` tells whether the token is still there: a token pulled mid-operation does not
    always answer CKR_DEVICE_REMOVED (SoftHSM, its files gone, answers CKR_GENERAL_ERROR or
    CKR_OBJECT_HANDLE_INVALID), so any other failure is checked against it."""
    try:
        yield
    except TokenError:
        raise
    except REMOVED:
        raise TokenRemoved() from None
    except p11.NoSuchToken:
        raise TokenNotFound(which=what) from None
    except p11.DeviceMemory:
        raise TokenFull() from None
    except p11.PKCS11Error as exc:
        if present is not None and not present():
            raise TokenRemoved() from None
        raise TokenError(detail=type(exc).__name__) from None
