"""What a token can do, read once when it is found or opened, before any money is taken.

Tokens differ in mechanisms, key sizes, PIN length limits and flags (a dozen models meet a
counter over the years). :func:`read_capabilities` reads them (C_GetMechanismList,
C_GetMechanismInfo, C_GetTokenInfo) into a :class:`TokenCapabilities` record, whose checks raise
typed errors that name what the token can do, e.g. "this token supports RSA 2048 only".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pkcs11
from pkcs11 import TokenFlag
from pkcs11 import exceptions as p11

from counter_app.token.drivers import driver_for
from counter_app.token.errors import (
    KeyAlgorithmNotSupported,
    PinLocked,
    PinMustBeChanged,
    PinPolicy,
    TokenError,
)
from counter_app.token.keyspec import KeySpec, key_spec, key_specs
from counter_app.token.library import pin_length_limits, translated
from counter_app.token.mechanisms import MechanismLimits, Mechanisms
from counter_app.token.thread import runs_in_token_thread

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenCapabilities:
    """A token's mechanisms (with key sizes and flags), PIN length limits and PIN flags."""

    serial: str
    label: str
    model: str
    mechanisms: Mechanisms
    min_pin: int
    max_pin: int
    user_pin_to_be_changed: bool = False
    so_pin_to_be_changed: bool = False
    user_pin_locked: bool = False
    write_protected: bool = False

    def supports(self, spec: KeySpec) -> bool:
        """Whether the token can make this key pair and sign with it."""
        try:
            driver = driver_for(spec)
        except TokenError:
            return False
        return bool(driver.supported_by(self.mechanisms, spec))

    def key_algorithms(self) -> tuple[str, ...]:
        """Names of the registered key algorithms this token supports, e.g. ``("rsa-2048",)``."""
        return tuple(s.name for s in key_specs() if self.supports(s))

    def check_key_algorithm(self, name: str, offered: tuple[str, ...] | None = None) -> None:
        """Raise :class:`KeyAlgorithmNotSupported` unless the token supports ``name``. The
        message names what it does support, among ``offered`` (the fee table's choices for the
        certificate type) when given."""
        spec = key_spec(name)
        if self.supports(spec):
            return
        candidates = offered if offered is not None else tuple(s.name for s in key_specs())
        allowed = tuple(key_spec(n).title for n in candidates if self.supports(key_spec(n)))
        raise KeyAlgorithmNotSupported(wanted=spec.title, allowed=allowed)

    def check_new_pin(self, pin: str, *, field: str = "new_pin") -> None:
        """Raise :class:`PinPolicy` when the token would refuse this PIN's length. Some tokens
        report no limits (0): the counter's own policy then stands alone."""
        low = self.min_pin or 0
        high = self.max_pin or 0
        if len(pin) < low or (high and len(pin) > high):
            span_zh = f"{low}至{high}位" if high else f"至少{low}位"
            span_en = f"{low} to {high} characters" if high else f"at least {low} characters"
            raise PinPolicy(
                field,
                reason_zh=f"该介质要求PIN码为{span_zh}",
                reason_en=f"this token takes PINs of {span_en}",
            )

    def check_user_pin_usable(self) -> None:
        """Raise before a service relies on the user PIN: locked, or the token wants it changed
        (a token in that state may refuse to sign half-way through the service)."""
        if self.user_pin_locked:
            raise PinLocked()
        if self.user_pin_to_be_changed:
            raise PinMustBeChanged()

    def to_json(self) -> dict[str, Any]:
        """Plain data for a listing."""
        return {
            "serial": self.serial,
            "label": self.label,
            "model": self.model,
            "key_algorithms": list(self.key_algorithms()),
            "pin_length": [self.min_pin, self.max_pin],
            "user_pin_to_be_changed": self.user_pin_to_be_changed,
            "so_pin_to_be_changed": self.so_pin_to_be_changed,
            "mechanisms": sorted(_mechanism_name(m) for m in self.mechanisms),
        }


def _mechanism_name(mechanism: int) -> str:
    try:
        return pkcs11.Mechanism(mechanism).name
    except ValueError:
        return f"0x{mechanism:x}"


def _mechanisms(slot: Any) -> dict[int, MechanismLimits]:
    out = {}
    for mechanism in slot.get_mechanisms():
        try:
            info = slot.get_mechanism_info(mechanism)
            limits = MechanismLimits(info.min_key_length, info.max_key_length, int(info.flags))
        except p11.PKCS11Error:
            limits = MechanismLimits(None, None, 0)  # listed but not described: taken as usable
        out[int(mechanism)] = limits
    return out


def capabilities_of(module: str, token: pkcs11.Token) -> TokenCapabilities:
    """The record for a token python-pkcs11 has found (in any state, formatted or blank)."""
    slot = token.slot
    with translated():
        mechanisms = _mechanisms(slot)
        flags = token.flags
    min_pin, max_pin = pin_length_limits(module, slot.slot_id)
    serial = token.serial if isinstance(token.serial, str) else token.serial.decode().strip()
    log.debug("token serial=%s offers %d mechanisms", serial, len(mechanisms))
    return TokenCapabilities(
        serial=serial,
        label=token.label,
        model=token.model,
        mechanisms=mechanisms,
        min_pin=min_pin,
        max_pin=max_pin,
        user_pin_to_be_changed=bool(flags & TokenFlag.USER_PIN_TO_BE_CHANGED),
        so_pin_to_be_changed=bool(flags & TokenFlag.SO_PIN_TO_BE_CHANGED),
        user_pin_locked=bool(flags & TokenFlag.USER_PIN_LOCKED),
        write_protected=bool(flags & TokenFlag.WRITE_PROTECTED),
    )


@runs_in_token_thread
def read_capabilities(
    module: str, *, label: str | None = None, serial: str | None = None
) -> TokenCapabilities:
    """The capabilities of the one formatted token with this label and/or serial (no PIN)."""
    from counter_app.token.session import _match

    _slot_id, token = _match(module, label, serial)
    return capabilities_of(module, token)


def inserted_capabilities(module: str) -> list[TokenCapabilities]:
    """The capabilities of every formatted token in a reader now (no PIN), for a counter screen
    to offer only what the inserted token can make."""
    from counter_app.token.session import _slots

    return [
        capabilities_of(module, token)
        for _slot_id, token in _slots(module)
        if token.flags & TokenFlag.TOKEN_INITIALIZED
    ]
