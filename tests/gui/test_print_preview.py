"""Printing from the counter: the rendered PDF's pages, painted A4 onto a real QPrinter."""

from __future__ import annotations

import subprocess
from pathlib import Path

from counter_app.gui.print_preview import a4_printer, paint_pages, prepare, preview_dialog


def _printed(tmp_path: Path, pages: tuple[bytes, ...]) -> str:
    from PySide6.QtPrintSupport import QPrinter

    printer = a4_printer()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    assert paint_pages(printer, pages) == len(pages)
    images = subprocess.run(
        ["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True
    )
    assert len(images.stdout.splitlines()) - 2 == len(pages)  # one page image painted per sheet
    return subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout


def test_agreement_record_prints_every_page_on_a4(counter_context, counter, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    facts = counter.enrolled()
    printable = prepare(
        counter_context.service_context(), "agreement", facts["application_id"], "clerk1"
    )
    assert printable.path.exists() and len(printable.pages) == 2
    info = _printed(tmp_path, printable.pages)
    assert "Pages:           2" in info
    assert "A4" in info


def test_receipt_preview_dialog_is_offered(counter_context, counter, qtbot) -> None:  # type: ignore[no-untyped-def]
    facts = counter.enrolled()
    printable = prepare(
        counter_context.service_context(), "receipt", facts["receipt_number"], "clerk1"
    )
    dialog = preview_dialog(printable)
    qtbot.addWidget(dialog)
    assert printable.path.name in dialog.windowTitle()
    assert len(printable.pages) == 1
    dialog.show()  # paints the preview: the printer must outlive the factory that made it
    qtbot.wait(100)
    assert dialog.isVisible()
