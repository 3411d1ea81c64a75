"""SM2 keys, signatures and public-key encryption (GM/T 0003, GM/T 0009), through tongsuopy.

``cryptography`` reads SM2 certificates but refuses the SM2 curve for keys, so every SM2 key of
the signing module and of the KMC is one of the two classes here, and this is the only module
that imports tongsuopy (docs/sm2.md says why that library). Signatures are SM2 with SM3 over
Z || M, Z made with the GM/T 0009 default distinguishing ID ``1234567812345678`` (checked:
tongsuopy's Tongsuo computes Z with that ID, and OpenSSL 3 verifies its signatures with
``-pkeyopt distid:1234567812345678``; gmssl, an independent implementation, verifies them too).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from asn1crypto import core
from cryptography.exceptions import InvalidSignature as CryptographyInvalidSignature
from tongsuopy.backends.tongsuo import backend as _tongsuo
from tongsuopy.crypto import hashes as t_hashes
from tongsuopy.crypto import serialization as t_serialization
from tongsuopy.crypto.asymciphers import ec as t_ec
from tongsuopy.crypto.exceptions import InvalidSignature as TongsuoInvalidSignature

SM2_CURVE_OID = "1.2.156.10197.1.301"  # sm2p256v1
SM2_SM3_OID = "1.2.156.10197.1.501"  # SM2-with-SM3 (GM/T 0006)
DEFAULT_ID = b"1234567812345678"  # GM/T 0009 default distinguishing ID
# AlgorithmIdentifier { SM2-with-SM3 } without parameters, as OpenSSL 3 writes it: 12 octets,
# the same length as ecdsa-with-SHA256's, so patching one for the other moves nothing.
SM2_SM3_ALGORITHM = bytes.fromhex("300a06082a811ccf55018375")
# SubjectPublicKeyInfo { id-ecPublicKey, sm2p256v1 } up to the uncompressed point (GM/T 0015).
SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")
POINT_LENGTH = 65  # 04 || X || Y
COORDINATE = 32
# The curve's order n (GM/T 0003.5): private scalars are in [1, n-2].
ORDER = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123


class InvalidSM2Signature(Exception):
    """An SM2 signature that does not verify."""


class InvalidSM2Key(ValueError):
    """Bytes that are not an SM2 public key (wrong encoding, or a point not on the curve)."""


class SM2Ciphertext(core.Sequence):
    """GM/T 0009 SM2Cipher: C1 (x, y), C3 (SM3 hash), C2 (ciphertext), in this order."""

    _fields = [  # noqa: RUF012 (asn1crypto's declaration style)
        ("x", core.Integer),
        ("y", core.Integer),
        ("hash", core.OctetString),
        ("ciphertext", core.OctetString),
    ]


@dataclass(frozen=True)
class RawCiphertext:
    """C1C3C2 with fixed-width coordinates, as GM/T 0016's ECCCIPHERBLOB carries them."""

    x: bytes  # 32 octets, big-endian
    y: bytes
    hash: bytes  # C3, 32 octets
    ciphertext: bytes  # C2, as long as the plaintext

    def to_der(self) -> bytes:
        return SM2Ciphertext(
            {
                "x": int.from_bytes(self.x, "big"),
                "y": int.from_bytes(self.y, "big"),
                "hash": self.hash,
                "ciphertext": self.ciphertext,
            }
        ).dump()

    @classmethod
    def from_der(cls, der: bytes) -> RawCiphertext:
        parsed = SM2Ciphertext.load(der)
        return cls(
            x=parsed["x"].native.to_bytes(COORDINATE, "big"),
            y=parsed["y"].native.to_bytes(COORDINATE, "big"),
            hash=parsed["hash"].native,
            ciphertext=parsed["ciphertext"].native,
        )


def _pkey_operation(key: object, encrypt: bool, data: bytes) -> bytes:
    """EVP_PKEY_encrypt/decrypt on a tongsuopy key: Tongsuo's SM2 public-key encryption.

    tongsuopy 1.0.1 wraps signing but not SM2 encryption, though its binding exports the two
    OpenSSL calls; they are called here (GM/T 0003.4 with SM3, output the DER SM2Cipher).
    """
    lib, ffi = _tongsuo._lib, _tongsuo._ffi
    ctx = lib.EVP_PKEY_CTX_new(key._evp_pkey, ffi.NULL)  # type: ignore[attr-defined]
    if ctx == ffi.NULL:
        raise ValueError("SM2: no context")
    ctx = ffi.gc(ctx, lib.EVP_PKEY_CTX_free)
    init, run = (
        (lib.EVP_PKEY_encrypt_init, lib.EVP_PKEY_encrypt)
        if encrypt
        else (lib.EVP_PKEY_decrypt_init, lib.EVP_PKEY_decrypt)
    )
    if init(ctx) != 1:
        _tongsuo._consume_errors()
        raise ValueError("SM2: cannot initialise")
    size = ffi.new("size_t *")
    if run(ctx, ffi.NULL, size, data, len(data)) != 1:
        _tongsuo._consume_errors()
        raise ValueError("SM2: cannot size the output")
    out = ffi.new("unsigned char[]", size[0])
    if run(ctx, out, size, data, len(data)) != 1:
        _tongsuo._consume_errors()
        raise ValueError("SM2: decryption failed" if not encrypt else "SM2: encryption failed")
    return bytes(ffi.buffer(out)[: size[0]])


class SM2PublicKey:
    """An SM2 public key, known by its uncompressed point (checked to be on the curve)."""

    __slots__ = ("_key", "point")

    def __init__(self, point: bytes) -> None:
        if len(point) != POINT_LENGTH or point[0] != 0x04:
            raise InvalidSM2Key("an SM2 public key is an uncompressed point of 65 octets")
        try:
            self._key = t_ec.EllipticCurvePublicKey.from_encoded_point(t_ec.SM2(), point)
        except Exception:  # tongsuopy raises ValueError or its own types for a bad point
            raise InvalidSM2Key("the point is not on the SM2 curve") from None
        self.point = point

    @classmethod
    def from_spki(cls, spki_der: bytes) -> SM2PublicKey:
        if not is_sm2_spki(spki_der) or len(spki_der) != len(SPKI_PREFIX) + POINT_LENGTH:
            raise InvalidSM2Key("not an SM2 SubjectPublicKeyInfo")
        return cls(spki_der[len(SPKI_PREFIX) :])

    @classmethod
    def from_coordinates(cls, x: int, y: int) -> SM2PublicKey:
        return cls(b"\x04" + x.to_bytes(COORDINATE, "big") + y.to_bytes(COORDINATE, "big"))

    @property
    def x(self) -> bytes:
        return self.point[1 : 1 + COORDINATE]

    @property
    def y(self) -> bytes:
        return self.point[1 + COORDINATE :]

    def spki_der(self) -> bytes:
        return SPKI_PREFIX + self.point

    def key_identifier(self) -> bytes:
        """RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits, like cryptography's
        ``SubjectKeyIdentifier.from_public_key``."""
        return hashlib.sha1(self.point, usedforsecurity=False).digest()

    def verify(self, signature: bytes, data: bytes) -> None:
        """Raise :class:`InvalidSM2Signature` unless ``signature`` (DER r, s) is this key's SM2
        signature of ``data`` with SM3 and the default distinguishing ID."""
        try:
            self._key.verify(signature, data, t_ec.ECDSA(t_hashes.SM3()))
        except (TongsuoInvalidSignature, CryptographyInvalidSignature, ValueError):
            raise InvalidSM2Signature() from None
        except Exception:  # an unparsable signature makes Tongsuo's assertion fail
            raise InvalidSM2Signature() from None

    def encrypt(self, plaintext: bytes) -> RawCiphertext:
        """SM2 public-key encryption (GM/T 0003.4) of ``plaintext`` to this key, C1C3C2."""
        return RawCiphertext.from_der(_pkey_operation(self._key, True, plaintext))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SM2PublicKey) and other.point == self.point

    def __hash__(self) -> int:
        return hash(self.point)

    def __repr__(self) -> str:
        return f"SM2PublicKey({self.point[:9].hex()}…)"


class SM2PrivateKey:
    """An SM2 private key in memory (a CA key opened with its passphrase, or a KMC key)."""

    __slots__ = ("_key", "_public")

    def __init__(self, key: t_ec.EllipticCurvePrivateKey) -> None:
        self._key = key
        public = key.public_key().public_bytes(
            t_serialization.Encoding.X962, t_serialization.PublicFormat.UncompressedPoint
        )
        self._public = SM2PublicKey(public)

    @classmethod
    def generate(cls) -> SM2PrivateKey:
        return cls(t_ec.generate_private_key(t_ec.SM2()))

    @classmethod
    def from_pkcs8(cls, der: bytes) -> SM2PrivateKey:
        key = t_serialization.load_der_private_key(der, None)
        if not isinstance(key, t_ec.EllipticCurvePrivateKey):
            raise InvalidSM2Key("not an SM2 private key")
        return cls(key)

    @classmethod
    def from_scalar(cls, scalar: int) -> SM2PrivateKey:
        if not 1 <= scalar <= ORDER - 2:
            raise InvalidSM2Key("the private scalar is out of range")
        return cls(t_ec.derive_private_key(scalar, t_ec.SM2()))

    def public_key(self) -> SM2PublicKey:
        return self._public

    @property
    def key_size(self) -> int:
        return 256

    def scalar(self) -> int:
        """The private scalar d. Only the KMC asks, to escrow or envelope a key it made."""
        return int(self._key.private_numbers().private_value)

    def pkcs8_der(self) -> bytes:
        """Unencrypted PKCS#8 DER: only ever handed to ``keys.encrypt_pkcs8``."""
        return bytes(
            self._key.private_bytes(
                t_serialization.Encoding.DER,
                t_serialization.PrivateFormat.PKCS8,
                t_serialization.NoEncryption(),
            )
        )

    def sign(self, data: bytes) -> bytes:
        """SM2 signature (DER r, s) of ``data``: SM3 over Z || data, default ID."""
        return bytes(self._key.sign(data, t_ec.ECDSA(t_hashes.SM3())))

    def decrypt(self, ciphertext: RawCiphertext) -> bytes:
        return _pkey_operation(self._key, False, ciphertext.to_der())

    def __repr__(self) -> str:
        return f"SM2PrivateKey(public={self._public!r})"


def is_sm2_spki(spki_der: bytes) -> bool:
    return spki_der.startswith(SPKI_PREFIX)
