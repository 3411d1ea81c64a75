"""The pad's signature and the fee lines on the subscriber's screen: plain data, no Qt."""

from __future__ import annotations

import hashlib

import pytest

from counter_app.domain.signature import (
    MAX_SIGNATURE_BYTES,
    FeeShown,
    Signature,
    SignatureNotPng,
    SignatureTooLarge,
)
from tests.unit.documents.samples import tiny_png


def test_signature_hash_is_sha256_of_the_exact_png_bytes() -> None:
    png = tiny_png()
    assert Signature.of(png).sha256 == hashlib.sha256(png).hexdigest()


def test_bytes_that_are_not_png_are_refused() -> None:
    with pytest.raises(SignatureNotPng) as caught:
        Signature.of(b"GIF89a....")
    assert caught.value.field == "agreement.signature"


def test_an_oversized_image_is_refused() -> None:
    with pytest.raises(SignatureTooLarge):
        Signature.of(tiny_png() + b"\x00" * MAX_SIGNATURE_BYTES)


def test_fee_lines_show_yuan_with_capitals() -> None:
    shown = FeeShown.of(10000, 15000, 5000)
    assert shown.fee is not None and shown.fee.startswith("¥100.00（")
    assert shown.tendered is not None and shown.tendered.startswith("¥150.00")
    assert shown.change is not None and shown.change.startswith("¥50.00")


def test_unknown_lines_are_not_shown() -> None:
    assert FeeShown.of(None) == FeeShown()
    assert FeeShown.of(10000).tendered is None
