"""Pages of a rendered PDF as PNG images: the GUI's preview and print path.

The GUI shows and prints these images of the very PDF that is archived, so preview, paper and
file cannot differ. PDFium (pypdfium2) does the rasterising; no Qt here.
"""

from __future__ import annotations

import io

import pypdfium2 as pdfium

from counter_app.documents.errors import DocumentError

POINTS_PER_INCH = 72


def rasterise(pdf: bytes, dpi: int = 150) -> list[bytes]:
    """One PNG per page of ``pdf`` at ``dpi`` (e.g. 96 for a screen preview, 300 for paper)."""
    if not 24 <= dpi <= 1200:
        raise ValueError("dpi must be between 24 and 1200")
    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise DocumentError(detail=f"not a readable PDF: {exc}") from None
    pages: list[bytes] = []
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                bitmap = page.render(scale=dpi / POINTS_PER_INCH)
                image = bitmap.to_pil()
                out = io.BytesIO()
                image.save(out, format="PNG", dpi=(dpi, dpi))
                pages.append(out.getvalue())
            finally:
                page.close()
    finally:
        document.close()
    return pages
