"""rasterise: the PNG pages the GUI previews and prints."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from counter_app import documents
from counter_app.documents import DocumentError
from tests.unit.documents import samples


def test_rasterise_gives_one_a4_png_per_page() -> None:
    pdf = documents.render_agreement_record(samples.agreement())
    pngs = documents.rasterise(pdf, dpi=72)
    assert len(pngs) >= 2
    for png in pngs:
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG"
        assert image.size in {(595, 842), (596, 842)}  # 595.28 pt rounds either way


def test_rasterise_scales_with_dpi() -> None:
    pdf = documents.render_receipt(samples.receipt())
    (png,) = documents.rasterise(pdf, dpi=144)
    width, height = Image.open(io.BytesIO(png)).size
    assert abs(width - 1191) <= 1 and abs(height - 1684) <= 1


def test_rasterise_draws_the_text() -> None:
    # A blank page would be all white; the receipt has text, rules and a QR code.
    (png,) = documents.rasterise(documents.render_receipt(samples.receipt()), dpi=72)
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.getextrema()[0] < 64


def test_rasterise_refuses_what_is_not_a_pdf() -> None:
    with pytest.raises(DocumentError):
        documents.rasterise(b"not a pdf", dpi=72)
