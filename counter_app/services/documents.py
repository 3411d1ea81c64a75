"""The facts of each printed document, gathered from the store, and the PDF made from them.

Receipts are found by receipt number, the forms and the agreement record by application id.
Every value printed comes from what was recorded at the time (the application, its payment,
its agreement record, the certificate the signing module issued), so a reprint shows the same
facts as the first print.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Any

from counter_app import documents as forms
from counter_app.ca import CertificateNotFound, CertificateRecord
from counter_app.ca.model import subject_text
from counter_app.documents.facts import DEFAULT_RA_NAME
from counter_app.domain.errors import CounterError, NotFound
from counter_app.domain.fees import SERVICES
from counter_app.domain.lifecycle import (
    STATUS_CHANGES,
    TRANSITIONS,
    RecordStatus,
    RevocationReason,
)
from counter_app.domain.policy import Action
from counter_app.domain.subscribers import DocumentSeen, DocumentType, IdType, Individual, Unit
from counter_app.services.certificates import show_application
from counter_app.services.context import ServiceContext
from counter_app.store.counter_repo import CounterRows
from counter_app.store.money_repo import MoneyRows


class DocumentKind(StrEnum):
    RECEIPT = "receipt"
    APPLICATION = "application"
    AGREEMENT = "agreement"
    CHANGE_FORM = "change-form"


# Which form records which service (agreement clause 9 names the two forms).
APPLICATION_FORM_SERVICES = frozenset({"enroll", "renew", "reissue", "add_item"})
CHANGE_FORM_SERVICES = frozenset({"change", "suspend", "resume", "revoke"})

_STATUS_ZH = {"in_progress": "办理中", "done": "已办结", "rolled_back": "已撤销"}
_SIGNED_ZH = {"paper": "纸质签字", "pad": "电子签名板"}


class WrongForm(CounterError):
    code = "wrong_form"
    zh = "申请 {application} 办理的是{service_zh}，没有{form_zh}；请打印{other_zh}"
    en = "application {application} is a {service} service and has no {form_en}; print the {other_en}"


class NoAgreementRecord(CounterError):
    code = "no_agreement_record"
    zh = "申请 {application}（{service_zh}）没有协议签署记录"
    en = "application {application} ({service}) has no agreement record"


class AgreementTextChanged(CounterError):
    code = "agreement_text_changed"
    zh = "申请 {application} 接受的协议第{version}版与现有文本的摘要不符，不能打印"
    en = "the text of agreement version {version} no longer matches the hash recorded for {application}"


def _ra_name(ctx: ServiceContext) -> str:
    name = ctx.config.extra.get("ra_name")
    return str(name) if isinstance(name, str) and name.strip() else DEFAULT_RA_NAME


def _service_zh(service: str) -> str:
    if service in SERVICES:
        return Action(service).zh
    # A batch renewal's payment (services/batch.py): its lines name each certificate.
    return {"batch_renew": "批量证书密钥更新"}.get(service, service)


def _type_zh(ctx: ServiceContext, code: str) -> str:
    cert_type = ctx.fee_table.types.get(code)
    if cert_type is None and code == "mixed":
        return "多种（见收费明细）"  # a batch renewal of several certificate types
    return cert_type.name_zh if cert_type else code


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _person(data: dict[str, Any]) -> Individual:
    return Individual(
        name=str(data.get("name", "")),
        id_type=IdType(data.get("id_type") or IdType.RESIDENT_ID.value),
        id_number=str(data.get("id_number", "")),
        mobile=str(data.get("mobile", "")),
        email=data.get("email"),
        social_insurance_number=data.get("social_insurance_number"),
    )


def _subscriber(ctx: ServiceContext, data: dict[str, Any]) -> forms.SubscriberFacts:
    kind = data.get("kind")
    if kind == "unit":
        return Unit(
            name=str(data["name"]),
            uscc=str(data.get("uscc", "")),
            legal_representative=str(data.get("legal_representative", "")),
            social_insurance_unit_number=str(data.get("social_insurance_unit_number", "")),
            agent=_person(dict(data.get("agent") or {})),
        )
    if kind == "device":
        owner_uscc = str(data.get("owner_uscc", ""))
        return forms.DeviceFacts(
            name=str(data["name"]),
            identifier=str(data.get("identifier", "")),
            owner_uscc=owner_uscc,
            owner_name=_unit_name(ctx, owner_uscc),
        )
    return _person(data)


def _unit_name(ctx: ServiceContext, uscc: str) -> str | None:
    with ctx.store.session() as session:
        return CounterRows(session).unit_name(uscc)


def _subject(text: str | None) -> str | None:
    return None if text is None else subject_text(text)


def _certificate(ctx: ServiceContext, serial: str | None) -> CertificateRecord | None:
    if not serial:
        return None
    try:
        return ctx.signing.status(serial.upper())
    except CertificateNotFound:
        return None


# ---------------------------------------------------------------------------------------------


def receipt_facts(ctx: ServiceContext, receipt_number: str) -> forms.ReceiptFacts:
    with ctx.store.session() as session:
        row = MoneyRows(session).payment(receipt_number.strip())
        if row is None:
            raise NotFound(what_zh="收费凭证", what_en="receipt", key=receipt_number)
        return forms.ReceiptFacts(
            receipt_number=row.receipt_number,
            application_id=row.application_id,
            payer=row.payer,
            service_zh=_service_zh(row.service),
            certificate_type_zh=_type_zh(ctx, row.certificate_type),
            fee_fen=row.fee_fen,
            method=row.method,
            tendered_fen=row.tendered_fen,
            change_fen=row.change_fen,
            clerk=row.clerk,
            time=row.time,
            waiver_reference=row.waiver_reference,
            waiver_approved_by=row.waiver_approved_by,
            ra_name=_ra_name(ctx),
            lines=_receipt_lines(session, row.application_id),
        )


def _receipt_lines(session: Any, application_id: str) -> tuple[tuple[str, int], ...]:
    """The fee's lines the service recorded with the application (media fee, a batch)."""
    app = CounterRows(session).application(application_id)
    data = json.loads(app.data) if app is not None and app.data else {}
    lines = data.get("receipt_lines") or ()
    return tuple((str(line["item"]), int(line["fee_fen"])) for line in lines)


def _check_form(app: dict[str, Any], wanted: DocumentKind) -> None:
    service = app["service"]
    allowed = (
        APPLICATION_FORM_SERVICES if wanted is DocumentKind.APPLICATION else CHANGE_FORM_SERVICES
    )
    if service in allowed:
        return
    forms = {
        DocumentKind.APPLICATION: ("证书申请（更新）表", "application form"),
        DocumentKind.CHANGE_FORM: ("证书变更、挂起、解挂、吊销表", "change form"),
    }
    other = DocumentKind.CHANGE_FORM if wanted is DocumentKind.APPLICATION else None
    if service not in APPLICATION_FORM_SERVICES | CHANGE_FORM_SERVICES:
        other_zh, other_en = "收费凭证", "receipt"
    else:
        other = other or DocumentKind.APPLICATION
        other_zh, other_en = forms[other]
    raise WrongForm(
        application=app["application_id"],
        service=service,
        service_zh=_service_zh(service),
        form_zh=forms[wanted][0],
        form_en=forms[wanted][1],
        other_zh=other_zh,
        other_en=other_en,
    )


def application_form_facts(ctx: ServiceContext, application_id: str) -> forms.ApplicationFormFacts:
    app = show_application(ctx, application_id)
    _check_form(app, DocumentKind.APPLICATION)
    details = app["details"]
    documents = tuple(
        DocumentSeen(DocumentType(str(d.get("type"))), str(d.get("number", "")))
        for d in details.get("documents") or ()
    )
    cert = _certificate(ctx, app["serial"])
    issued = (
        None
        if cert is None or cert.status == RecordStatus.PENDING
        else forms.IssuedFacts(
            cert.serial_hex, cert.not_before, cert.not_after, _subject(cert.subject)
        )
    )
    items = tuple(str(i) for i in details.get("items") or ())
    if details.get("new_item") and details["new_item"] not in items:
        items += (str(details["new_item"]),)
    return forms.ApplicationFormFacts(
        application_id=app["application_id"],
        service_zh=_service_zh(app["service"]),
        created_at=_time(app["created_at"]),
        subscriber=_subscriber(ctx, app["subscriber"]),
        documents=documents,
        certificate_type_zh=_type_zh(ctx, app["certificate_type"]),
        key_algorithm=app["key_algorithm"],
        token_serial=app["token_serial"],
        token_label=app["token_label"],
        clerk=app["clerk"],
        reviewer=app["reviewer"],
        status_zh=_STATUS_ZH.get(app["status"], app["status"]),
        old_serial=app["old_serial"],
        items=tuple(_item_zh(ctx, i) for i in items),
        issued=issued,
        ra_name=_ra_name(ctx),
    )


def _item_zh(ctx: ServiceContext, code: str) -> str:
    item = ctx.application_items.get(code)
    name = getattr(item, "name_zh", None) if item is not None else None
    return f"{name}（{code}）" if name else code


def change_form_facts(ctx: ServiceContext, application_id: str) -> forms.ChangeFormFacts:
    app = show_application(ctx, application_id)
    _check_form(app, DocumentKind.CHANGE_FORM)
    service, details = app["service"], app["details"]
    old = _certificate(ctx, app["old_serial"])
    reason = details.get("reason")
    return forms.ChangeFormFacts(
        application_id=app["application_id"],
        action_zh=_service_zh(service),
        created_at=_time(app["created_at"]),
        subscriber=_subscriber(ctx, app["subscriber"]),
        certificate_type_zh=_type_zh(ctx, app["certificate_type"]),
        serial=app["old_serial"] or "—",
        subject=_subject(old.subject) if old else None,
        not_before=old.not_before if old else None,
        not_after=old.not_after if old else None,
        reason_zh=RevocationReason(reason).zh if reason else None,
        identity_checked=bool(details.get("identity_checked")),
        changes=_changes(ctx, app, old),
        clerk=app["clerk"],
        reviewer=app["reviewer"],
        status_zh=_STATUS_ZH.get(app["status"], app["status"]),
        ra_name=_ra_name(ctx),
    )


def _changes(
    ctx: ServiceContext, app: dict[str, Any], old: CertificateRecord | None
) -> tuple[forms.ChangeRow, ...]:
    if app["service"] == "change":
        # Each changed field before → after, as recorded when the change was made.
        rows = [
            forms.ChangeRow(
                _FIELD_ZH.get(c["field"], c["field"]), _text(c["before"]), _text(c["after"])
            )
            for c in app["details"].get("changes") or ()
        ]
        if app["serial"]:
            new = _certificate(ctx, app["serial"])
            rows.append(forms.ChangeRow("证书序列号", app["old_serial"] or "—", app["serial"]))
            rows.append(
                forms.ChangeRow(
                    "证书主题",
                    _subject(old.subject) or "—" if old else "—",
                    _subject(new.subject) or "—" if new else "（未签发）",
                )
            )
        elif app["status"] == "done":
            rows.append(forms.ChangeRow("证书", "—", "未重新签发（变更项不在证书中）"))
        return tuple(rows)
    before, after = _status_change(ctx, app)
    return (forms.ChangeRow("证书状态", before, after),)


_FIELD_ZH = {
    "name": "名称/姓名",
    "mobile": "手机号码",
    "email": "电子邮箱",
    "social_insurance_number": "社会保障号码",
    "legal_representative": "法定代表人",
    "social_insurance_unit_number": "社保单位编号",
    "agent.name": "经办人姓名",
    "agent.id_type": "经办人证件类型",
    "agent.id_number": "经办人证件号码",
    "agent.mobile": "经办人手机号码",
    "agent.email": "经办人电子邮箱",
}


def _text(value: object) -> str:
    return "—" if value in (None, "") else str(value)


def _status_change(ctx: ServiceContext, app: dict[str, Any]) -> tuple[str, str]:
    """The certificate's status before and after, from the signing module's audit event."""
    expected = TRANSITIONS[STATUS_CHANGES[app["service"]]].result.stored_as
    if app["status"] == "done" and app["old_serial"]:
        with ctx.store.session() as session:
            events = CounterRows(session).certificate_events(
                app["old_serial"].upper(), _time(app["created_at"])
            )
            for raw in events:
                details = json.loads(raw)
                if details.get("to") == expected and "from" in details:
                    before = details["from"]
                    known = before in RecordStatus.__members__.values()
                    return (RecordStatus(before).zh if known else before), expected.zh
    return "—", f"{expected.zh}（{_STATUS_ZH.get(app['status'], app['status'])}）"


def agreement_facts(ctx: ServiceContext, application_id: str) -> forms.AgreementFacts:
    app = show_application(ctx, application_id)
    record = app["agreement"]
    if record is None:
        raise NoAgreementRecord(
            application=app["application_id"],
            service=app["service"],
            service_zh=_service_zh(app["service"]),
        )
    version = ctx.agreements.get(record["version"])
    if version is None or version.sha256 != record["sha256"]:
        # The shipped text no longer matches what was accepted: printing it would be a lie.
        raise AgreementTextChanged(application=app["application_id"], version=record["version"])
    signed = str(record["signature"]).split(":", 1)
    signed_zh = _SIGNED_ZH.get(signed[0], signed[0])
    if len(signed) == 2:
        signed_zh += f"（表单编号 {signed[1]}）"
    return forms.AgreementFacts(
        application_id=app["application_id"],
        version=record["version"],
        text=version.text,
        sha256=record["sha256"],
        accepted_at=_time(record["accepted_at"]),
        subscriber=_subscriber(ctx, app["subscriber"]),
        clerk=record["clerk"],
        reviewer=record["reviewer"],
        signed_zh=signed_zh,
        ra_name=_ra_name(ctx),
        signature_png=_signature_png(ctx, app["application_id"]),
        signature_sha256=record.get("signature_sha256"),
    )


def _signature_png(ctx: ServiceContext, application_id: str) -> bytes | None:
    """The pad's signature image kept beside the agreement record, if the subscriber signed so."""
    with ctx.store.session() as session:
        record = CounterRows(session).agreement(application_id)
        return record.signature_png if record is not None else None


def render(ctx: ServiceContext, kind: DocumentKind | str, key: str) -> bytes:
    """The PDF of one document: a receipt by receipt number, the others by application id."""
    kind = DocumentKind(kind)
    if kind is DocumentKind.RECEIPT:
        return forms.render_receipt(receipt_facts(ctx, key))
    if kind is DocumentKind.APPLICATION:
        return forms.render_application_form(application_form_facts(ctx, key))
    if kind is DocumentKind.CHANGE_FORM:
        return forms.render_change_form(change_form_facts(ctx, key))
    return forms.render_agreement_record(agreement_facts(ctx, key))
