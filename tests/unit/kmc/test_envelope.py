"""The GM/T 0016 ENVELOPEDKEYBLOB: byte layout, and opened by an independent SM2 (gmssl)."""

from __future__ import annotations

import struct

import pytest
from gmssl import sm2 as gm_sm2
from gmssl import sm4 as gm_sm4

from counter_app.ca.sm2 import SM2PrivateKey
from counter_app.kmc.envelope import (
    ENVELOPE,
    SGD_SM4_ECB,
    EnvelopedKeyBlob,
    EnvelopeError,
    open_envelope,
    seal,
)


@pytest.fixture(scope="module")
def keys() -> tuple[SM2PrivateKey, SM2PrivateKey]:
    return SM2PrivateKey.generate(), SM2PrivateKey.generate()  # encryption, token's signing


def test_envelope_layout_is_the_gmt0016_one(keys: tuple[SM2PrivateKey, SM2PrivateKey]) -> None:
    encryption, signing = keys
    blob = seal(encryption, signing.public_key())
    assert len(blob) == ENVELOPE == 388
    assert struct.unpack_from("<III", blob) == (1, SGD_SM4_ECB, 256)
    public = blob[12 + 64 : 12 + 64 + 132]
    assert struct.unpack_from("<I", public)[0] == 256
    assert public[4:36] == bytes(32) and public[36:68] == encryption.public_key().x
    assert public[68:100] == bytes(32) and public[100:132] == encryption.public_key().y
    cipher = blob[12 + 64 + 132 :]
    assert cipher[:32] == bytes(32) and cipher[64:96] == bytes(32)
    assert struct.unpack_from("<I", cipher, 160)[0] == 16 and len(cipher) == 180


def test_token_signing_key_opens_the_envelope(keys: tuple[SM2PrivateKey, SM2PrivateKey]) -> None:
    encryption, signing = keys
    opened = open_envelope(seal(encryption, signing.public_key()), signing)
    assert opened.scalar() == encryption.scalar()


def test_gmssl_opens_the_envelope_independently(keys: tuple[SM2PrivateKey, SM2PrivateKey]) -> None:
    encryption, signing = keys
    blob = seal(encryption, signing.public_key())
    cipher = blob[12 + 64 + 132 :]
    c1c3c2 = cipher[32:64] + cipher[96:128] + cipher[128:160] + cipher[164:180]
    token = gm_sm2.CryptSM2(
        private_key=f"{signing.scalar():064x}",
        public_key=signing.public_key().point[1:].hex(),
        mode=1,
    )
    session_key = token.decrypt(c1c3c2)
    assert len(session_key) == 16
    sm4 = gm_sm4.CryptSM4(padding_mode=-1)  # neither PKCS7 nor ZERO: no padding
    sm4.set_key(session_key, gm_sm4.SM4_DECRYPT)
    padded = sm4.crypt_ecb(blob[12 : 12 + 64])
    assert padded[:32] == bytes(32)
    assert int.from_bytes(padded[32:64], "big") == encryption.scalar()


def test_another_key_cannot_open_the_envelope(keys: tuple[SM2PrivateKey, SM2PrivateKey]) -> None:
    encryption, signing = keys
    with pytest.raises(ValueError):
        open_envelope(seal(encryption, signing.public_key()), SM2PrivateKey.generate())


def test_each_envelope_has_a_fresh_symmetric_key(keys: tuple[SM2PrivateKey, SM2PrivateKey]) -> None:
    encryption, signing = keys
    first, second = (seal(encryption, signing.public_key()) for _ in range(2))
    assert first[12:76] != second[12:76]


def test_envelope_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(EnvelopeError):
        EnvelopedKeyBlob.from_bytes(bytes(100))


def test_envelope_with_another_algorithm_is_refused(
    keys: tuple[SM2PrivateKey, SM2PrivateKey],
) -> None:
    encryption, signing = keys
    blob = bytearray(seal(encryption, signing.public_key()))
    blob[4:8] = struct.pack("<I", 0x00000402)  # SGD_SM4_CBC
    with pytest.raises(EnvelopeError):
        EnvelopedKeyBlob.from_bytes(bytes(blob))


def test_envelope_round_trips_through_its_parser(
    keys: tuple[SM2PrivateKey, SM2PrivateKey],
) -> None:
    encryption, signing = keys
    blob = seal(encryption, signing.public_key())
    parsed = EnvelopedKeyBlob.from_bytes(blob)
    assert parsed.public_key == encryption.public_key()
    assert parsed.to_bytes() == blob
