"""A KMC's half of GM/T 0016 key delivery, for tests: an SM2 encryption key pair and the
ENVELOPEDKEYBLOB that carries it to a token, built with an SM2 independent of the token library
(gmssl, pure Python) and SM4 from ``cryptography``."""

from __future__ import annotations

import os
import secrets
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmssl import sm2 as gm_sm2

from tests.sm2_judge import gmssl_key

N = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)
SGD_SM4_ECB = 0x00000401
SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")


def point_of(d: int) -> bytes:
    """The public point 04 | X | Y of the private scalar d."""
    crypt = gm_sm2.CryptSM2(private_key=f"{d:064x}", public_key="")
    return b"\x04" + bytes.fromhex(crypt._kg(d, gm_sm2.default_ecc_table["g"]))


def new_key_pair() -> tuple[int, bytes]:
    d = secrets.randbelow(N - 2) + 1
    return d, point_of(d)


def public_pem(point: bytes) -> bytes:
    import base64

    body = base64.encodebytes(SPKI_PREFIX + point).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"-----BEGIN PUBLIC KEY-----\n" + b"\n".join(lines) + b"\n-----END PUBLIC KEY-----\n"


def sm2_encrypt(point: bytes, data: bytes) -> tuple[bytes, bytes, bytes]:
    """(C1 as x||y, C3, C2) of an SM2 encryption of ``data`` to ``point`` (GM/T 0003.4)."""
    out = gmssl_key(point, mode=1).encrypt(data)
    return out[:64], out[64:96], out[96:]


def _field(value32: bytes) -> bytes:
    return bytes(32) + value32


def envelope(signing_point: bytes, enc_d: int, enc_point: bytes | None = None) -> bytes:
    """ENVELOPEDKEYBLOB: Version 1 | SGD_SM4_ECB | 256 | SM4-ECB(k, 0^32 || d) |
    ECCPUBLICKEYBLOB(enc public key) | ECCCIPHERBLOB(SM2 encryption of k to the signing key)."""
    enc_point = enc_point or point_of(enc_d)
    sm4_key = os.urandom(16)
    encryptor = Cipher(algorithms.SM4(sm4_key), modes.ECB()).encryptor()
    wrapped = encryptor.update(bytes(32) + enc_d.to_bytes(32, "big")) + encryptor.finalize()
    c1, c3, c2 = sm2_encrypt(signing_point, sm4_key)
    return (
        struct.pack("<III", 1, SGD_SM4_ECB, 256)
        + wrapped
        + struct.pack("<I", 256)
        + _field(enc_point[1:33])
        + _field(enc_point[33:65])
        + _field(c1[:32])
        + _field(c1[32:])
        + c3
        + struct.pack("<I", len(c2))
        + c2
    )


def gmssl_verify(point: bytes, signature_der: bytes, data: bytes) -> bool:
    """An independent SM2-with-SM3 check (default ID) of a DER signature over ``data``."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(signature_der)
    return bool(gmssl_key(point, mode=1).verify_with_sm3(f"{r:064x}{s:064x}", data))
