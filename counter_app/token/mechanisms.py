"""What a token says about one mechanism (C_GetMechanismInfo), and which mechanism signs.

Tokens differ: SoftHSM 2.6 has CKM_SHA256_RSA_PKCS but no CKM_ECDSA_SHA256; opencryptoki's soft
token has CKM_RSA_PKCS but neither CKM_SHA256_RSA_PKCS nor any EC; many smart cards sign only
with CKM_RSA_PKCS over a DigestInfo the host builds. The signers try, in order, the mechanisms
the token offers for a hash (:func:`rsa_signing_routes`, :func:`ecdsa_signing_routes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pkcs11 import Mechanism, MechanismFlag


@dataclass(frozen=True)
class MechanismLimits:
    """One mechanism's key sizes and flags as the token reports them (CK_MECHANISM_INFO)."""

    min_key: int | None
    max_key: int | None
    flags: int

    def fits(self, bits: int) -> bool:
        """Whether a key of ``bits`` is within the sizes the token reports. A token that reports
        no sizes (0 or absent) is taken at its word that the mechanism exists. PKCS#11 gives EC
        sizes in bits; some older tokens give bytes, which a maximum below 128 betrays."""
        if not self.max_key:
            return True
        low, high = self.min_key or 0, self.max_key
        if high < 128:
            low, high = low * 8, high * 8
        return low <= bits <= high

    @property
    def signs(self) -> bool:
        """CKF_SIGN set, or no flags reported at all (taken as usable)."""
        return not self.flags or bool(self.flags & MechanismFlag.SIGN)


Mechanisms = Mapping[int, MechanismLimits]


def can_sign(mechanisms: Mechanisms, mechanism: int) -> bool:
    limits = mechanisms.get(int(mechanism))
    return limits is not None and limits.signs


# DER prefixes of DigestInfo { AlgorithmIdentifier(hash, NULL), OCTET STRING digest }
# (RFC 8017, section 9.2, note 1): CKM_RSA_PKCS pads and signs exactly these bytes.
DIGEST_INFO_PREFIX = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}

_RSA_HASHING = {
    "sha256": Mechanism.SHA256_RSA_PKCS,
    "sha384": Mechanism.SHA384_RSA_PKCS,
    "sha512": Mechanism.SHA512_RSA_PKCS,
}
_ECDSA_HASHING = {
    "sha256": Mechanism.ECDSA_SHA256,
    "sha384": Mechanism.ECDSA_SHA384,
    "sha512": Mechanism.ECDSA_SHA512,
}


@dataclass(frozen=True)
class SigningRoute:
    """A mechanism and whether the host hashes first (``host_hash``)."""

    mechanism: Mechanism
    host_hash: bool


def _offered(routes: list[SigningRoute], offered: Mechanisms | None) -> list[SigningRoute]:
    if offered is None:  # the list could not be read: try each, best first
        return routes
    return [r for r in routes if can_sign(offered, r.mechanism)]


def rsa_signing_routes(
    hash_name: str, offered: Mechanisms | None, *, prehashed: bool = False
) -> list[SigningRoute]:
    """PKCS#1 v1.5: the token hashes (CKM_SHA256_RSA_PKCS), else CKM_RSA_PKCS over a DigestInfo
    the host builds. Empty when the token offers neither for this hash."""
    routes = []
    if hash_name in _RSA_HASHING and not prehashed:
        routes.append(SigningRoute(_RSA_HASHING[hash_name], host_hash=False))
    if hash_name in DIGEST_INFO_PREFIX:
        routes.append(SigningRoute(Mechanism.RSA_PKCS, host_hash=True))
    return _offered(routes, offered)


def ecdsa_signing_routes(
    hash_name: str, offered: Mechanisms | None, *, prehashed: bool = False
) -> list[SigningRoute]:
    """ECDSA: the token hashes (CKM_ECDSA_SHA256), else CKM_ECDSA over a host hash."""
    routes = []
    if hash_name in _ECDSA_HASHING and not prehashed:
        routes.append(SigningRoute(_ECDSA_HASHING[hash_name], host_hash=False))
    routes.append(SigningRoute(Mechanism.ECDSA, host_hash=True))
    return _offered(routes, offered)
