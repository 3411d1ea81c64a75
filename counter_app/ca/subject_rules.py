"""What the signing module stores beside the subject, checked before anything is signed.

:func:`counter_app.ca.profiles.check_subject` judges the subject's attributes and e-mail. This
module judges the rest of an issue request that ends up in the certificate or in the tables:
the GM/T 0015 identifier values and application items (control characters, length), and the
operator and application reference (the audit chain and the certificate table hold 64
characters). A request that reaches the CA by EST or the low-level CLI gets the same refusal as
one from the counter, before a serial is recorded or a signature made, so nothing is left
``pending`` by a value that could not be stored.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from counter_app.ca.errors import BadSubject
from counter_app.ca.model import SubjectInfo
from counter_app.domain.errors import ValidationError
from counter_app.domain.fields import check_plain_text

MAX_IDENTIFIER = 128
MAX_ITEM = 64
MAX_OPERATOR = 64  # the audit chain's operator column
MAX_REFERENCE = 64  # the certificate table's application_id column


def _domain(field: str, check: Callable[[], object]) -> None:
    try:
        check()
    except ValidationError as exc:
        raise BadSubject(
            field=field, reason_zh=exc.message("zh"), reason_en=exc.message("en")
        ) from None


def check_request(subject: SubjectInfo, operator: str, application_id: str | None) -> None:
    """Raise :class:`BadSubject` for an identifier, item, operator or reference not storable."""
    for oid, value in subject.identifiers.items():
        _domain(oid, partial(check_plain_text, value, oid, max_length=MAX_IDENTIFIER))
    for item in subject.application_items:
        _domain("application_items", partial(check_plain_text, item, "item", max_length=MAX_ITEM))
    _domain("operator", partial(check_plain_text, operator, "operator", max_length=MAX_OPERATOR))
    if application_id is not None:
        ref = application_id
        _domain("application_id", partial(check_plain_text, ref, "id", max_length=MAX_REFERENCE))
