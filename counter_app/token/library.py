"""The PKCS#11 module, loaded once per process, and the translation of its errors.

python-pkcs11 keeps one library object per module path. SoftHSM reads its configuration and
token directory at C_Initialize only, so the library is re-initialised (when no session of ours
is open) to see tokens formatted by another process and after ``SOFTHSM2_CONF`` changes. A
failed C_Login leaks the session python-pkcs11 opened for it; re-initialising closes it, which
is what :func:`recover_after_failed_login` does.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pkcs11
from pkcs11 import exceptions as p11

from counter_app.token.errors import TokenError, TokenFull, TokenNotFound, TokenRemoved

log = logging.getLogger(__name__)
_lock = threading.RLock()
_open_sessions: dict[str, int] = {}
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


@contextmanager
def session_counted(module: str) -> Iterator[None]:
    with _lock:
        _open_sessions[module] = _open_sessions.get(module, 0) + 1
    try:
        yield
    finally:
        with _lock:
            _open_sessions[module] -= 1


def recover_after_failed_login(module: str) -> None:
    """Close the session python-pkcs11 leaked when C_Login failed (see module docstring)."""
    log.debug("re-initialising %s after a failed login", module)
    reinitialise(module)


@contextmanager
def translated(what: str = "token") -> Iterator[None]:
    """PKCS#11 exceptions become our typed errors at this boundary."""
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
        raise TokenError(detail=type(exc).__name__) from None
