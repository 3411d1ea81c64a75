"""The tests' SM2 judge (tests/sm2_judge.py) takes any public point, whatever its digits."""

from __future__ import annotations

from asn1crypto.algos import DSASignature
from gmssl import sm2

from tests.sm2_judge import gmssl_verifies

# d = 11 gives a point whose x coordinate starts with the byte 0x04 (04b3cb10c9...).
D = 11


def test_a_point_whose_x_starts_with_04_verifies() -> None:
    signer = sm2.CryptSM2(private_key=f"{D:064x}", public_key="")
    point = bytes.fromhex("04" + signer._kg(D, signer.ecc_table["g"]))
    assert point[1] == 0x04
    signer.public_key = point[1:].hex()  # the signer's ID hash (Z) covers its public key
    data = b"tbs of a CRL"
    rs = signer.sign_with_sm3(data, f"{12345:064x}")
    der = DSASignature({"r": int(rs[:64], 16), "s": int(rs[64:], 16)}).dump()
    assert gmssl_verifies(point, data, der)
