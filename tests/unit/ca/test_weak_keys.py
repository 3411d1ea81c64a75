"""Weak RSA modulus checks (pure logic)."""

from __future__ import annotations

import math

import pytest

from counter_app.ca import WeakKey
from counter_app.ca.keys import (
    ROCA_PRIMES,
    check_rsa_modulus,
    has_roca_fingerprint,
    small_factor,
)
from counter_app.ca.ocsp import serial_hex


def roca_like_modulus(bits: int = 2048) -> int:
    """A number with the RSALib structure mod every fingerprint prime: (k*M + 65537^a)(...)."""
    m = math.prod(ROCA_PRIMES)
    factors = []
    for a, k in ((12345, (1 << (bits // 2 - 1)) // m), (777, (1 << (bits // 2 - 1)) // m * 3)):
        # Step k until the factor has no small divisor, so only the fingerprint gives it away.
        while small_factor(k * m + pow(65537, a, m)) is not None:
            k += 1
        factors.append(k * m + pow(65537, a, m))
    return factors[0] * factors[1]


def test_roca_structured_modulus_has_the_fingerprint() -> None:
    assert has_roca_fingerprint(roca_like_modulus())


def test_ordinary_modulus_lacks_the_roca_fingerprint() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    n = rsa.generate_private_key(65537, 2048).public_key().public_numbers().n
    assert not has_roca_fingerprint(n)


def test_roca_modulus_is_refused_with_a_message() -> None:
    n = roca_like_modulus()
    assert small_factor(n) is None  # so the refusal is for the fingerprint, not a factor
    with pytest.raises(WeakKey, match="ROCA"):
        check_rsa_modulus(n, 65537)


def test_modulus_with_a_small_factor_is_refused() -> None:
    n = 7919 * ((1 << 2047) // 7919 + 1)
    with pytest.raises(WeakKey, match="small factor"):
        check_rsa_modulus(n, 65537)


def test_modulus_of_close_primes_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(65537, 2048).private_numbers()
    p = key.p
    q = p + 2
    while small_factor(q) is not None:
        q += 2
    with pytest.raises(WeakKey, match="too close"):
        check_rsa_modulus(p * q, 65537)


def test_short_modulus_is_refused() -> None:
    with pytest.raises(WeakKey, match="1024 bits"):
        check_rsa_modulus((1 << 1023) + 1, 65537)


def test_serial_hex_matches_openssl_output() -> None:
    assert serial_hex(0x0A) == "0A"
    assert (
        serial_hex(0x4000_0000_0000_0000_0000_0000_0000_0001) == "40000000000000000000000000000001"
    )
