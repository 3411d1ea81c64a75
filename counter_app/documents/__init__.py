"""Printed documents: receipt, application/renewal form, change form, agreement record.

Pure: each ``render_*`` takes frozen facts (:mod:`counter_app.documents.facts`) and returns
PDF bytes (A4, the CJK font embedded as a subset, page numbers, a QR code with the application
number on every page). :func:`rasterise` turns that PDF into PNG pages for the GUI's preview
and printing. The services gather the facts (``counter_app.services.documents``).
"""

from __future__ import annotations

from counter_app.documents.errors import (
    CJKFontMissing,
    DocumentError,
    FontUnusable,
    MissingGlyphs,
)
from counter_app.documents.facts import (
    AgreementFacts,
    ApplicationFormFacts,
    ChangeFormFacts,
    ChangeRow,
    DeviceFacts,
    IssuedFacts,
    ReceiptFacts,
    SubscriberFacts,
)
from counter_app.documents.raster import rasterise
from counter_app.documents.render import (
    render_agreement_record,
    render_application_form,
    render_change_form,
    render_receipt,
)

__all__ = [
    "AgreementFacts",
    "ApplicationFormFacts",
    "CJKFontMissing",
    "ChangeFormFacts",
    "ChangeRow",
    "DeviceFacts",
    "DocumentError",
    "FontUnusable",
    "IssuedFacts",
    "MissingGlyphs",
    "ReceiptFacts",
    "SubscriberFacts",
    "rasterise",
    "render_agreement_record",
    "render_application_form",
    "render_change_form",
    "render_receipt",
]
