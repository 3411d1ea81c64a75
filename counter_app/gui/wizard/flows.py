"""The counter's wizard flows: which page follows which, and what each page needs (no Qt).

One function per service wizard, each returning a fresh :class:`WizardFlow`; the Qt modules
(``gui/enroll/wizard.py``, ``gui/replace.py``, ``gui/unlock.py``) only map these step ids to
pages. Tested without a screen in ``tests/unit/gui/test_flows.py`` (Electrum's AbstractWizard
flows are tested the same way).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from counter_app.gui.wizard.flow import NextStep, Step, WizardFlow


def enrollment_flow() -> WizardFlow:
    """首次申请: identity → agreement → fee → review → token → result."""
    return WizardFlow.of(
        [
            Step("identity", next="agreement", provides=("subscriber", "documents")),
            Step("agreement", next="fee", needs=("subscriber",), provides=("agreement",)),
            Step(
                "fee",
                next="review",
                needs=("subscriber",),
                provides=("certificate_type", "payment", "key_algorithm"),
            ),
            Step("review", next="token", needs=("payment",), provides=("reviewer",)),
            Step("token", next="result", needs=("reviewer",), provides=("result",)),
            Step("result", next=None, needs=("result",)),
        ]
    )


def unlock_flow() -> WizardFlow:
    """解锁: fee → review → token → result."""
    return WizardFlow.of(
        [
            Step("fee", next="review", provides=("payment",)),
            Step("review", next="token", needs=("payment",), provides=("reviewer",)),
            Step("token", next="result", needs=("payment", "reviewer"), provides=("result",)),
            Step("result", next=None, needs=("result",)),
        ]
    )


def _token_or_record(data: Mapping[str, Any]) -> str:
    # A change, or an item the certificate does not carry, is recorded without the token.
    return "token" if data.get("new_certificate") else "record"


# The page between the certificate and the fee, for the services that have one.
_MIDDLE: dict[str, tuple[Step, ...]] = {
    "renew": (),
    "reissue": (),
    "change": (Step("changes", next="fee", needs=("certificate",), provides=("changes",)),),
    "add_item": (Step("item", next="fee", needs=("certificate",), provides=("item",)),),
}
REPLACE_SERVICES = tuple(_MIDDLE)


def replacement_flow(service: str) -> WizardFlow:
    """更新 / 补办 / 变更 / 增加应用项: certificate → [changes | item] → fee → review →
    token (a new certificate) or record (change, add_item without one) → result."""
    middle = _MIDDLE[service]
    after_review: NextStep = "token"
    if service in ("add_item", "change"):
        after_review = _token_or_record
    return WizardFlow.of(
        [
            Step(
                "certificate",
                next=middle[0].id if middle else "fee",
                provides=("certificate", "serial"),
            ),
            *middle,
            Step("fee", next="review", needs=("certificate",), provides=("payment",)),
            Step("review", next=after_review, needs=("payment",), provides=("reviewer",)),
            Step("token", next="result", needs=("reviewer",), provides=("result",)),
            Step("record", next="result", needs=("reviewer",), provides=("result",)),
            Step("result", next=None, needs=("result",)),
        ]
    )


def _replacement(service: str) -> Callable[[], WizardFlow]:
    return lambda: replacement_flow(service)


# Every service wizard's flow, by service name.
FLOWS: dict[str, Callable[[], WizardFlow]] = {
    "enroll": enrollment_flow,
    "unlock": unlock_flow,
    **{service: _replacement(service) for service in REPLACE_SERVICES},
}
