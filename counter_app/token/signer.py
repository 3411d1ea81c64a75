"""Private keys that live on the token, shaped as ``cryptography`` private keys.

``cryptography``'s builders (CSR, certificate) call ``sign`` on whatever private-key object they
are given as long as it is an instance of its key interfaces, so these classes let the ordinary
``CertificateSigningRequestBuilder`` sign on the token. Nothing here can export the key.

SoftHSM 2.6 has no CKM_ECDSA_SHA256: the data is hashed on the host, signed with CKM_ECDSA and
the raw (r, s) is DER-encoded as X.509 expects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric import utils as asym_utils
from pkcs11 import Mechanism

from counter_app.token.library import translated

_RSA_MECHANISMS = {
    "sha256": Mechanism.SHA256_RSA_PKCS,
    "sha384": Mechanism.SHA384_RSA_PKCS,
    "sha512": Mechanism.SHA512_RSA_PKCS,
}


def _no_export(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise TypeError("a key on the token cannot be exported")


def _digest(data: bytes, algorithm: Any) -> bytes:
    if isinstance(algorithm, asym_utils.Prehashed):
        return data
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


class TokenECPrivateKey(ec.EllipticCurvePrivateKey):
    def __init__(
        self,
        handle: Any,
        public: ec.EllipticCurvePublicKey,
        present: Callable[[], bool] | None = None,
    ) -> None:
        self._handle, self._public, self._present = handle, public, present

    def sign(self, data: Any, signature_algorithm: ec.EllipticCurveSignatureAlgorithm) -> bytes:
        if not isinstance(signature_algorithm, ec.ECDSA):
            raise TypeError("only ECDSA is supported")
        digest = _digest(data, signature_algorithm.algorithm)
        with translated(present=self._present):
            raw = self._handle.sign(digest, mechanism=Mechanism.ECDSA)
        half = len(raw) // 2
        return asym_utils.encode_dss_signature(
            int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
        )

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public

    @property
    def curve(self) -> ec.EllipticCurve:
        return self._public.curve

    @property
    def key_size(self) -> int:
        return self._public.key_size

    exchange = _no_export
    private_numbers = _no_export
    private_bytes = _no_export

    def __copy__(self) -> TokenECPrivateKey:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> TokenECPrivateKey:
        return self


class TokenRSAPrivateKey(rsa.RSAPrivateKey):
    def __init__(
        self, handle: Any, public: rsa.RSAPublicKey, present: Callable[[], bool] | None = None
    ) -> None:
        self._handle, self._public, self._present = handle, public, present

    def sign(self, data: Any, padding_: padding.AsymmetricPadding, algorithm: Any) -> bytes:
        if not isinstance(padding_, padding.PKCS1v15) or isinstance(
            algorithm, asym_utils.Prehashed
        ):
            raise TypeError("only PKCS#1 v1.5 over unhashed data is supported on the token")
        mechanism = _RSA_MECHANISMS.get(algorithm.name)
        if mechanism is None:
            raise TypeError(f"hash {algorithm.name} is not supported on the token")
        with translated(present=self._present):
            return bytes(self._handle.sign(data, mechanism=mechanism))

    def public_key(self) -> rsa.RSAPublicKey:
        return self._public

    @property
    def key_size(self) -> int:
        return self._public.key_size

    decrypt = _no_export
    private_numbers = _no_export
    private_bytes = _no_export

    def __copy__(self) -> TokenRSAPrivateKey:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> TokenRSAPrivateKey:
        return self
