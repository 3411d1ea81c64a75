"""Private keys that live on the token, shaped as ``cryptography`` private keys.

``cryptography``'s builders (CSR, certificate) call ``sign`` on whatever private-key object they
are given as long as it is an instance of its key interfaces, so these classes let the ordinary
``CertificateSigningRequestBuilder`` sign on the token. Nothing here can export the key.

Each ``sign`` picks its mechanism from what the token offers (:mod:`.mechanisms`): RSA with
CKM_SHA256_RSA_PKCS, else CKM_RSA_PKCS over a DigestInfo built here; ECDSA with CKM_ECDSA_SHA256,
else CKM_ECDSA over a hash made here (SoftHSM 2.6 has no CKM_ECDSA_SHA256). A mechanism listed
but refused with CKR_MECHANISM_INVALID is passed over for the next. The raw ECDSA (r, s) is
DER-encoded as X.509 expects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, NoReturn, Self, TypeVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric import utils as asym_utils
from pkcs11 import exceptions as p11

from counter_app.token.errors import MechanismUnavailable
from counter_app.token.library import translated
from counter_app.token.mechanisms import (
    DIGEST_INFO_PREFIX,
    Mechanisms,
    SigningRoute,
    ecdsa_signing_routes,
    rsa_signing_routes,
)
from counter_app.token.thread import runs_in_token_thread

log = logging.getLogger(__name__)

P = TypeVar("P", ec.EllipticCurvePublicKey, rsa.RSAPublicKey)


def _no_export(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise TypeError("a key on the token cannot be exported")


def _digest(data: bytes, algorithm: Any) -> bytes:
    if isinstance(algorithm, asym_utils.Prehashed):
        return data
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


def _hash_name(algorithm: Any) -> str:
    """The hash's name, also for data hashed already (``Prehashed`` has no name of its own)."""
    inner = algorithm._algorithm if isinstance(algorithm, asym_utils.Prehashed) else algorithm
    return str(inner.name)


@runs_in_token_thread
def _sign(
    handle: Any,
    routes: list[SigningRoute],
    payload: Callable[[SigningRoute], bytes],
    present: Callable[[], bool] | None,
    what: str,
) -> bytes:
    """Sign with the first route the token accepts; CKR_MECHANISM_INVALID moves to the next."""
    if not routes:
        raise MechanismUnavailable(what=what)
    with translated(present=present):
        for route in routes[:-1]:
            try:
                return bytes(handle.sign(payload(route), mechanism=route.mechanism))
            except p11.MechanismInvalid:
                log.debug("token refused %s, trying the next mechanism", route.mechanism.name)
        last = routes[-1]
        log.debug("sign with %s", last.mechanism.name)
        return bytes(handle.sign(payload(last), mechanism=last.mechanism))


class _OnToken(Generic[P]):
    """What every key on the token is: a handle, its public key, whether the token is still
    present, the mechanisms it offers; never exported, and a copy is the key itself."""

    def __init__(
        self,
        handle: Any,
        public: P,
        present: Callable[[], bool] | None = None,
        mechanisms: Mechanisms | None = None,
    ) -> None:
        self._handle, self._present, self._mechanisms = handle, present, mechanisms
        self._public: P = public

    def public_key(self) -> P:
        return self._public

    @property
    def key_size(self) -> int:
        return self._public.key_size

    private_numbers = _no_export
    private_bytes = _no_export

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self


class TokenECPrivateKey(_OnToken[ec.EllipticCurvePublicKey], ec.EllipticCurvePrivateKey):
    def sign(self, data: Any, signature_algorithm: ec.EllipticCurveSignatureAlgorithm) -> bytes:
        if not isinstance(signature_algorithm, ec.ECDSA):
            raise TypeError("only ECDSA is supported")
        algorithm = signature_algorithm.algorithm
        name = _hash_name(algorithm)
        prehashed = isinstance(algorithm, asym_utils.Prehashed)
        routes = ecdsa_signing_routes(name, self._mechanisms, prehashed=prehashed)
        raw = _sign(
            self._handle,
            routes,
            lambda r: _digest(data, algorithm) if r.host_hash else bytes(data),
            self._present,
            f"ECDSA with {name}",
        )
        half = len(raw) // 2
        return asym_utils.encode_dss_signature(
            int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
        )

    @property
    def curve(self) -> ec.EllipticCurve:
        return self._public.curve

    exchange = _no_export


class TokenRSAPrivateKey(_OnToken[rsa.RSAPublicKey], rsa.RSAPrivateKey):
    def sign(self, data: Any, padding_: padding.AsymmetricPadding, algorithm: Any) -> bytes:
        if not isinstance(padding_, padding.PKCS1v15):
            raise TypeError("only PKCS#1 v1.5 is supported on the token")
        name = _hash_name(algorithm)
        if name not in DIGEST_INFO_PREFIX:
            raise TypeError(f"hash {name} is not supported on the token")
        prehashed = isinstance(algorithm, asym_utils.Prehashed)
        routes = rsa_signing_routes(name, self._mechanisms, prehashed=prehashed)

        def payload(route: SigningRoute) -> bytes:
            if not route.host_hash:
                return bytes(data)
            return DIGEST_INFO_PREFIX[name] + _digest(data, algorithm)

        return _sign(self._handle, routes, payload, self._present, f"RSA PKCS#1 v1.5 with {name}")

    decrypt = _no_export
