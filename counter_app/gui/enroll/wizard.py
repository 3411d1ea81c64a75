"""The enrollment (新办) wizard: identity → agreement → fee → review → token → result.

The flow is plain Python; the pages collect an APP.json-shaped mapping which the token step
hands to ``services.enroll.enroll`` on the token lane.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from PySide6.QtCore import QCoreApplication

from counter_app.domain.agreement import parse_agreement_file_name
from counter_app.gui import registry
from counter_app.gui.context import GuiContext
from counter_app.gui.enroll.agreement import AgreementPage
from counter_app.gui.enroll.identity import IdentityPage
from counter_app.gui.pages.fee import FeePage
from counter_app.gui.pages.result import ResultPage
from counter_app.gui.pages.reviewer import ReviewerPage
from counter_app.gui.pages.token import acting, issuing_step
from counter_app.gui.wizard.flows import enrollment_flow
from counter_app.gui.wizard.view import PageBuilder, WizardView
from counter_app.services.context import ServiceContext
from counter_app.services.enroll import EnrollmentResult, EnrollRequest, enroll
from counter_app.services.operators import OperatorInfo
from counter_app.services.tokens import TokenChoice


def application_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The APP.json mapping the enrollment service checks, from what the pages gathered."""
    version = str(data["agreement"]["version"])
    if version.startswith("v"):  # the page names the file's version ("v1"); APP.json says "1"
        version = parse_agreement_file_name(f"{version}.zh.txt")[0]
    out: dict[str, Any] = {
        "certificate_type": data["certificate_type"],
        "subscriber": {k: v for k, v in data["subscriber"].items() if v is not None},
        "documents": list(data["documents"]),
        "agreement": {"version": version, "accepted": True},
        "payment": data["payment"],
    }
    if data.get("key_algorithm"):
        out["key_algorithm"] = data["key_algorithm"]
    if "agent" in out["subscriber"]:
        out["subscriber"]["agent"] = {
            k: v for k, v in out["subscriber"]["agent"].items() if v is not None
        }
    return out


def run_enrollment(
    ctx: ServiceContext,
    data: Mapping[str, Any],
    token: TokenChoice,
    pin: str,
    clerk: OperatorInfo,
) -> EnrollmentResult:
    reviewer = data["reviewer"]
    assert isinstance(reviewer, OperatorInfo)
    request = EnrollRequest.parse(
        ctx,
        application_data(data),
        token=token,
        pin=pin,
        additional_certificate=bool(data.get("additional_certificate")),
        # Signed on the subscriber's screen, if it was used (the record keeps PNG and SHA-256).
        signature_png=data["agreement"].get("signature"),
    )
    return enroll(ctx, request, acting(data, clerk))


PAGES: dict[str, PageBuilder] = {
    "identity": IdentityPage,
    "agreement": AgreementPage,
    "fee": partial(FeePage, service="enroll"),
    "review": ReviewerPage,
    "token": issuing_step(
        run_enrollment,
        lambda: QCoreApplication.translate("EnrollWizard", "Make the key and &issue"),
    ),
    "result": partial(ResultPage, forms=("application", "agreement")),
}


def build(context: GuiContext) -> WizardView:
    return WizardView(context, registry.service("enroll").title(), enrollment_flow, PAGES)


registry.register_wizard("enroll", build)
