"""Preview and print a rendered document through the system's print dialog.

The PDF that ``counter_app.documents`` renders is the one rendering: the worker rasterises its
pages (``documents.rasterise``, 300 dpi) and the GUI thread only paints those images, into the
preview and onto the printer, A4 and scaled to the printable area.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QRectF, Qt
from PySide6.QtGui import QImage, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget

from counter_app.documents import rasterise
from counter_app.services import documents
from counter_app.services.certificates import record_read
from counter_app.services.context import ServiceContext

PRINT_DPI = 300


@dataclass(frozen=True)
class Printable:
    """A document ready for the GUI thread: where its PDF was kept and its page images."""

    path: Path
    pages: tuple[bytes, ...]


def prepare(ctx: ServiceContext, kind: str, key: str, reader: str) -> Printable:
    """Worker side: render, keep the PDF under ``<data dir>/printouts``, rasterise for paper."""
    pdf = documents.render(ctx, kind, key)
    record_read(ctx, reader, "document", f"{kind}:{key}")
    folder = Path(ctx.config.data_dir) / "printouts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}-{key}.pdf"
    partial = path.with_suffix(".pdf.part")
    partial.write_bytes(pdf)
    partial.replace(path)
    return Printable(path, tuple(rasterise(pdf, dpi=PRINT_DPI)))


def paint_pages(printer: QPrinter, pages: Sequence[bytes]) -> int:
    """Paint each page image onto ``printer``, one sheet each; returns the sheets painted."""
    painter = QPainter()
    if not painter.begin(printer):
        return 0
    try:
        for index, png in enumerate(pages):
            if index:
                printer.newPage()
            image = QImage.fromData(png)
            area = printer.pageRect(QPrinter.Unit.DevicePixel)
            size = image.size().scaled(
                int(area.width()), int(area.height()), Qt.AspectRatioMode.KeepAspectRatio
            )
            target = QRectF(0, 0, size.width(), size.height())
            painter.drawImage(target, image)
    finally:
        painter.end()
    return len(pages)


def a4_printer() -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    return printer


def written_to(printable: Printable) -> str:
    return QCoreApplication.translate("ResultPage", "Written to %1").replace(
        "%1", str(printable.path)
    )


def preview_dialog(printable: Printable, parent: QWidget | None = None) -> QPrintPreviewDialog:
    """The system's preview with its Print button; the clerk picks the printer there."""
    printer = a4_printer()
    dialog = QPrintPreviewDialog(printer, parent)
    # The dialog does not own the printer: without this reference Python frees it under Qt.
    dialog._printer = printer  # type: ignore[attr-defined]
    dialog.setWindowTitle(printable.path.name)
    dialog.paintRequested.connect(lambda printer: paint_pages(printer, printable.pages))
    return dialog
