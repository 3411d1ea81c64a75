"""The GM/T 0016 digital envelope that delivers a KMC-made SM2 key pair to a token.

``SKF_ImportECCKeyPair`` takes an ENVELOPEDKEYBLOB. The layout (every ULONG a 4-octet
little-endian unsigned integer, every coordinate a 32-octet big-endian number right-aligned
in a 64-octet field whose left 32 octets are zero):

    ENVELOPEDKEYBLOB (388 octets)
      ULONG  Version            = 1
      ULONG  ulSymmAlgID        = SGD_SM4_ECB (0x00000401)
      ULONG  ulBits             = 256
      BYTE   cbEncryptedPriKey[64]   SM4-ECB, no padding, under a fresh 16-octet key, of the
                                     32-octet private scalar zero-padded on the left to 64
      ECCPUBLICKEYBLOB PubKey   (132 octets: the ENCRYPTION key's public key)
        ULONG BitLen = 256 | BYTE XCoordinate[64] | BYTE YCoordinate[64]
      ECCCIPHERBLOB ECCCipherBlob (180 octets: the SM4 key, SM2-encrypted (GM/T 0003.4,
                                   C1C3C2) to the token's SIGNING public key)
        BYTE XCoordinate[64] | BYTE YCoordinate[64]   C1
        BYTE HASH[32]                                 C3
        ULONG CipherLen = 16 | BYTE Cipher[16]         C2

The token decrypts the SM4 key with its signing private key and the scalar with the SM4 key,
so the encryption private key is in clear only inside the KMC and inside the token. Hand-made
because no Python library writes GM/T 0016 structures; the other end is the SKF driver.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from counter_app.ca.sm2 import COORDINATE, RawCiphertext, SM2PrivateKey, SM2PublicKey

VERSION = 1
SGD_SM4_ECB = 0x00000401
BITS = 256
FIELD = 64  # ECC_MAX_XCOORDINATE_BITS_LEN / 8
SM4_KEY = 16
PUBLIC_KEY_BLOB = 4 + 2 * FIELD  # 132
CIPHER_BLOB = 2 * FIELD + 32 + 4 + SM4_KEY  # 180
ENVELOPE = 3 * 4 + FIELD + PUBLIC_KEY_BLOB + CIPHER_BLOB  # 388


class EnvelopeError(ValueError):
    """Bytes that are not an ENVELOPEDKEYBLOB this KMC makes."""


def _field(value: bytes) -> bytes:
    if len(value) != COORDINATE:
        raise EnvelopeError(f"a coordinate is {COORDINATE} octets, not {len(value)}")
    return bytes(FIELD - COORDINATE) + value


def _unfield(field: bytes) -> bytes:
    if any(field[: FIELD - COORDINATE]):
        raise EnvelopeError("a 64-octet field holds more than 32 octets")
    return field[FIELD - COORDINATE :]


def public_key_blob(key: SM2PublicKey) -> bytes:
    """ECCPUBLICKEYBLOB: BitLen | X[64] | Y[64]."""
    return struct.pack("<I", BITS) + _field(key.x) + _field(key.y)


def parse_public_key_blob(blob: bytes) -> SM2PublicKey:
    if len(blob) != PUBLIC_KEY_BLOB or struct.unpack_from("<I", blob)[0] != BITS:
        raise EnvelopeError("not a 256-bit ECCPUBLICKEYBLOB")
    x, y = _unfield(blob[4 : 4 + FIELD]), _unfield(blob[4 + FIELD :])
    return SM2PublicKey(b"\x04" + x + y)


def cipher_blob(ciphertext: RawCiphertext) -> bytes:
    """ECCCIPHERBLOB: X[64] | Y[64] | HASH[32] | CipherLen | Cipher."""
    return (
        _field(ciphertext.x)
        + _field(ciphertext.y)
        + ciphertext.hash
        + struct.pack("<I", len(ciphertext.ciphertext))
        + ciphertext.ciphertext
    )


def parse_cipher_blob(blob: bytes) -> RawCiphertext:
    if len(blob) < 2 * FIELD + 32 + 4:
        raise EnvelopeError("an ECCCIPHERBLOB is too short")
    (length,) = struct.unpack_from("<I", blob, 2 * FIELD + 32)
    if len(blob) != 2 * FIELD + 32 + 4 + length:
        raise EnvelopeError("the ECCCIPHERBLOB's CipherLen does not match its size")
    return RawCiphertext(
        x=_unfield(blob[:FIELD]),
        y=_unfield(blob[FIELD : 2 * FIELD]),
        hash=blob[2 * FIELD : 2 * FIELD + 32],
        ciphertext=blob[2 * FIELD + 36 :],
    )


def _sm4_ecb(key: bytes, data: bytes, *, encrypt: bool) -> bytes:
    # ECB on exactly four blocks of key material, as GM/T 0016 prescribes for this blob.
    cipher = Cipher(algorithms.SM4(key), modes.ECB())  # noqa: S305
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(data) + op.finalize()


@dataclass(frozen=True)
class EnvelopedKeyBlob:
    version: int
    symm_alg_id: int
    bits: int
    encrypted_private_key: bytes  # 64 octets
    public_key: SM2PublicKey  # the encryption key pair's public key
    cipher: RawCiphertext  # the SM4 key, encrypted to the signing key

    def to_bytes(self) -> bytes:
        return (
            struct.pack("<III", self.version, self.symm_alg_id, self.bits)
            + self.encrypted_private_key
            + public_key_blob(self.public_key)
            + cipher_blob(self.cipher)
        )

    @classmethod
    def from_bytes(cls, blob: bytes) -> EnvelopedKeyBlob:
        if len(blob) != ENVELOPE:
            raise EnvelopeError(f"an ENVELOPEDKEYBLOB is {ENVELOPE} octets, not {len(blob)}")
        version, alg, bits = struct.unpack_from("<III", blob)
        if (version, alg, bits) != (VERSION, SGD_SM4_ECB, BITS):
            raise EnvelopeError(f"version {version}, algorithm {alg:#010x}, {bits} bits")
        at = 12
        encrypted = blob[at : at + FIELD]
        at += FIELD
        public = parse_public_key_blob(blob[at : at + PUBLIC_KEY_BLOB])
        at += PUBLIC_KEY_BLOB
        return cls(version, alg, bits, encrypted, public, parse_cipher_blob(blob[at:]))


def seal(key: SM2PrivateKey, signing_key: SM2PublicKey) -> bytes:
    """The ENVELOPEDKEYBLOB delivering ``key`` to the token whose signing key is ``signing_key``."""
    session_key = os.urandom(SM4_KEY)
    scalar = key.scalar().to_bytes(FIELD, "big")  # 32 octets, zero-padded on the left to 64
    return EnvelopedKeyBlob(
        version=VERSION,
        symm_alg_id=SGD_SM4_ECB,
        bits=BITS,
        encrypted_private_key=_sm4_ecb(session_key, scalar, encrypt=True),
        public_key=key.public_key(),
        cipher=signing_key.encrypt(session_key),
    ).to_bytes()


def open_envelope(blob: bytes, signing_private_key: SM2PrivateKey) -> SM2PrivateKey:
    """What the token does on SKF_ImportECCKeyPair (for tests and the KMC's own checks)."""
    envelope = EnvelopedKeyBlob.from_bytes(blob)
    session_key = signing_private_key.decrypt(envelope.cipher)
    if len(session_key) != SM4_KEY:
        raise EnvelopeError("the enveloped symmetric key is not 16 octets")
    scalar = _sm4_ecb(session_key, envelope.encrypted_private_key, encrypt=False)
    key = SM2PrivateKey.from_scalar(int.from_bytes(_unfield(scalar), "big"))
    if key.public_key() != envelope.public_key:
        raise EnvelopeError("the private key does not match the enveloped public key")
    return key
