"""The subscriber's handwritten signature from the signature pad, and what the subscriber's screen
shows of the fee (双屏). Qt-free: the GUI hands PNG bytes in and reads plain text out.

A signature is kept as the exact PNG bytes drawn and their SHA-256, beside the agreement record:
the hash printed on the record's PDF lets anyone check the archived image against the paper.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from counter_app.domain.errors import ValidationError
from counter_app.domain.fees import format_yuan, yuan_in_capitals

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# A pad image is a few kilobytes; anything far larger is not a signature.
MAX_SIGNATURE_BYTES = 2 * 1024 * 1024


class SignatureNotPng(ValidationError):
    code = "signature_not_png"
    zh = "签名图像不是 PNG 图片，请在签名板上重新签名"
    en = "the signature image is not a PNG picture: sign on the pad again"


class SignatureTooLarge(ValidationError):
    code = "signature_too_large"
    zh = "签名图像过大（{size} 字节，上限 {limit}），请清除后重新签名"
    en = "the signature image is too large ({size} bytes, limit {limit}): clear and sign again"


@dataclass(frozen=True)
class Signature:
    """The PNG of a signature drawn on the pad, exactly as exported."""

    png: bytes

    @classmethod
    def of(cls, png: bytes, *, field: str = "agreement.signature") -> Signature:
        if not png.startswith(PNG_MAGIC):
            raise SignatureNotPng(field)
        if len(png) > MAX_SIGNATURE_BYTES:
            raise SignatureTooLarge(field, size=len(png), limit=MAX_SIGNATURE_BYTES)
        return cls(png)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.png).hexdigest()


@dataclass(frozen=True)
class FeeShown:
    """The fee lines on the subscriber's screen, mirrored from the clerk's fee page.

    ``None`` means the line is not shown (not yet known, or not a cash payment).
    """

    fee: str | None = None
    tendered: str | None = None
    change: str | None = None

    @classmethod
    def of(
        cls, fee_fen: int | None, tendered_fen: int | None = None, change_fen: int | None = None
    ) -> FeeShown:
        def money(fen: int | None) -> str | None:
            return None if fen is None else f"¥{format_yuan(fen)}（{yuan_in_capitals(fen)}）"

        return cls(money(fee_fen), money(tendered_fen), money(change_fen))
