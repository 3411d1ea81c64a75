"""Which key pair a certificate type gets, as one small pluggable interface.

A :class:`KeySpec` knows how to ask a PKCS#11 session for its key pair and which mechanism
signs with it. An SM2 driver (vendor-defined mechanisms) is another KeySpec registered here.
"""

from __future__ import annotations

from dataclasses import dataclass

from counter_app.domain.errors import ValidationError


class UnknownKeyAlgorithm(ValidationError):
    code = "unknown_key_algorithm"
    zh = "不支持的密钥算法：{value}（可选：{allowed}）"
    en = "unsupported key algorithm: {value} (one of: {allowed})"


@dataclass(frozen=True)
class KeySpec:
    name: str  # ec-p256 | rsa-2048 | rsa-3072
    family: str  # "ec" | "rsa"
    curve: str | None = None  # named curve for EC
    bits: int | None = None  # modulus length for RSA

    @property
    def title(self) -> str:
        """How the clerk reads it: "RSA 2048", "ECC P-256"."""
        if self.family == "rsa" and self.bits:
            return f"RSA {self.bits}"
        if self.family == "ec" and self.curve in _CURVE_TITLES:
            return _CURVE_TITLES[self.curve]
        return self.name.upper()

    @property
    def key_bits(self) -> int | None:
        """The size a token's C_GetMechanismInfo limits are compared with."""
        if self.family == "ec" and self.curve:
            return _CURVE_BITS.get(self.curve)
        return self.bits


_CURVE_TITLES = {"secp256r1": "ECC P-256", "secp384r1": "ECC P-384"}
_CURVE_BITS = {"secp256r1": 256, "secp384r1": 384}


_SPECS = {
    "ec-p256": KeySpec("ec-p256", "ec", curve="secp256r1"),
    "ec-p384": KeySpec("ec-p384", "ec", curve="secp384r1"),
    "rsa-2048": KeySpec("rsa-2048", "rsa", bits=2048),
    "rsa-3072": KeySpec("rsa-3072", "rsa", bits=3072),
}


def key_spec(name: str) -> KeySpec:
    try:
        return _SPECS[name]
    except (KeyError, TypeError):
        raise UnknownKeyAlgorithm(
            "key_algorithm", value=str(name)[:40], allowed=", ".join(_SPECS)
        ) from None


def key_specs() -> tuple[KeySpec, ...]:
    """Every registered spec, in registration order."""
    return tuple(_SPECS.values())


def register_key_spec(spec: KeySpec) -> None:
    """For a driver that brings another algorithm (e.g. SM2 on a GM/T token)."""
    _SPECS[spec.name] = spec
