"""The four documents: 收费凭证, 证书申请（更新）表, 证书变更、挂起、解挂、吊销表 and the agreement
record. Each takes its facts and returns the PDF bytes; the GUI previews and prints that same
PDF (see :mod:`counter_app.documents.raster`), so what is archived is what was shown.
"""

from __future__ import annotations

import io

from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Image

from counter_app.documents.facts import (
    AgreementFacts,
    ApplicationFormFacts,
    ChangeFormFacts,
    CounterFormFacts,
    DeviceFacts,
    ReceiptFacts,
    SubscriberFacts,
)
from counter_app.documents.layout import (
    BODY_WIDTH,
    Page,
    build_pdf,
    china_date,
    china_time,
    field_table,
    grid_table,
    para,
    section,
    signature_block,
    spacer,
    styles,
)
from counter_app.domain.display import key_algorithm_title
from counter_app.domain.fees import PaymentMethod, format_yuan, yuan_in_capitals
from counter_app.domain.subscribers import Individual, Unit

RECEIPT_TITLE = "收费凭证"
APPLICATION_TITLE = "证书申请（更新）表"
CHANGE_TITLE = "证书变更、挂起、解挂、吊销表"
AGREEMENT_TITLE = "数字证书电子认证服务协议签署记录"
TIME_NOTE = "（北京时间）"

# Clause 9 of the agreement: the applicant vouches for what the forms say.
DECLARATION = (
    "申请人声明：本人（本单位）承诺本表所填信息及提供的相关证明材料完全真实、准确、合法、有效，"
    "已阅读并同意《数字证书电子认证服务协议》，并愿意承担由此带来的法律责任。"
)


def _method_zh(method: str) -> str:
    if method in {m.value for m in PaymentMethod}:
        return PaymentMethod(method).zh
    return {"waiver": "费用减免", "none": "免收费用"}.get(method, method)


def _yuan(fen: int) -> str:
    return f"¥ {format_yuan(fen)}"


# ---------------------------------------------------------------------------------------------
# 收费凭证


def _receipt_lines(facts: ReceiptFacts) -> list[Flowable]:
    """收费明细: one line per item when the fee has several (service and media fee, or each
    certificate of a batch)."""
    if not facts.lines:
        return []
    rows = [[item, _yuan(fen)] for item, fen in facts.lines]
    rows.append(["合计", _yuan(facts.fee_fen)])
    return [
        grid_table(["收费明细", "金额"], rows, [BODY_WIDTH * 0.7, BODY_WIDTH * 0.3]),
        spacer(4),
    ]


def render_receipt(facts: ReceiptFacts) -> bytes:
    """The receipt handed to the payer; a waiver prints its reference and approver instead."""
    st = styles()
    rows: list[tuple[str, str]] = [
        ("收据编号", facts.receipt_number),
        ("申请编号", facts.application_id),
        ("缴款人", facts.payer),
        ("收费时间", china_time(facts.time) + TIME_NOTE),
        ("收费项目", facts.service_zh),
        ("证书种类", facts.certificate_type_zh),
    ]
    if facts.method == "waiver":
        amounts = [
            ("应收金额", _yuan(facts.fee_fen)),
            ("应收金额（大写）", "人民币" + yuan_in_capitals(facts.fee_fen)),
            ("收款方式", _method_zh(facts.method)),
            ("实收金额", _yuan(0)),
            ("减免依据", facts.waiver_reference or "—"),
            ("批准人", facts.waiver_approved_by or "—"),
        ]
    else:
        amounts = [
            ("金额（小写）", _yuan(facts.fee_fen)),
            ("金额（大写）", "人民币" + yuan_in_capitals(facts.fee_fen)),
            ("收款方式", _method_zh(facts.method)),
            ("实收", _yuan(facts.tendered_fen)),
        ]
        if facts.method == PaymentMethod.CASH.value:
            # Only cash has change; "找零 0.00" on a card payment would only raise questions.
            amounts.append(("找零", _yuan(facts.change_fen)))
    story: list[Flowable] = [
        field_table(rows, columns=1, label_width=36 * mm),
        spacer(4),
        *_receipt_lines(facts),
        field_table(amounts, columns=1, label_width=36 * mm),
        spacer(4),
        field_table(
            [("收款人（受理员）", facts.clerk), ("收款单位", facts.ra_name)],
            columns=2,
            label_width=34 * mm,
        ),
        spacer(10),
        para("收款单位（盖章）：", st.body),
        spacer(16),
        para(
            "本凭证是数字证书服务费用的收款凭证，请妥善保管。凭证编号可在注册中心查询；"
            "扫描右上角二维码可查得对应申请。",
            st.note,
        ),
    ]
    page = Page(
        facts.ra_name, RECEIPT_TITLE, facts.application_id, f"收据编号 {facts.receipt_number}"
    )
    return build_pdf(page, story, subject=f"{RECEIPT_TITLE} {facts.receipt_number}")


# ---------------------------------------------------------------------------------------------
# Subscriber details, shared by the forms and the agreement record


def _person_rows(person: Individual, prefix: str) -> list[tuple[str, str]]:
    return [
        (f"{prefix}姓名", person.name),
        ("证件类型", person.id_type.zh),
        ("证件号码", person.id_number),
        ("手机号码", person.mobile),
        ("电子邮箱", person.email or "—"),
        ("社会保障号码", person.social_insurance_number or "—"),
    ]


def _subscriber_story(subscriber: SubscriberFacts) -> list[Flowable]:
    kind = ("订户类型", subscriber.kind.zh)
    if isinstance(subscriber, Unit):
        unit = [
            kind,
            ("单位名称", subscriber.name),
            ("统一社会信用代码", subscriber.uscc),
            ("法定代表人", subscriber.legal_representative),
            ("单位社保编号", subscriber.social_insurance_unit_number),
        ]
        # Two pairs a row and the agent straight below keep a unit's form on one sheet.
        return [
            field_table(unit, columns=2, label_width=32 * mm),
            field_table(_person_rows(subscriber.agent, "经办人"), columns=2, label_width=32 * mm),
        ]
    if isinstance(subscriber, DeviceFacts):
        device = [
            kind,
            ("设备名称", subscriber.name),
            ("设备标识", subscriber.identifier),
            ("所属单位", subscriber.owner_name or "—"),
            ("所属单位统一社会信用代码", subscriber.owner_uscc),
        ]
        return [field_table(device, columns=1, label_width=44 * mm)]
    rows = [kind, *_person_rows(subscriber, "")]
    rows[1] = ("姓名", subscriber.name)
    return [field_table(rows, columns=2)]


def _signer(subscriber: SubscriberFacts) -> tuple[str, str]:
    """Who signs for the subscriber: the person, a unit's agent, or a device's owner unit."""
    if isinstance(subscriber, Unit):
        return "申请单位经办人", subscriber.agent.name
    if isinstance(subscriber, DeviceFacts):
        return "所属单位经办人", ""
    return "申请人", subscriber.name


# ---------------------------------------------------------------------------------------------
# 证书申请（更新）表


def render_application_form(facts: ApplicationFormFacts) -> bytes:
    st = styles()
    business = [
        ("申请编号", facts.application_id),
        ("业务类型", facts.service_zh),
        ("受理时间", china_time(facts.created_at) + TIME_NOTE),
        ("办理状态", facts.status_zh),
        ("证书种类", facts.certificate_type_zh),
        ("密钥算法", key_algorithm_title(facts.key_algorithm)),
        ("介质序列号", facts.token_serial or "—"),
        ("介质标签", facts.token_label or "—"),
    ]
    # Long values (a 32-digit serial, a list of items) get a full-width row of their own.
    extra: list[tuple[str, str]] = []
    if facts.old_serial:
        extra.append(("原证书序列号", facts.old_serial))
    if facts.items:
        extra.append(("应用项", "、".join(facts.items)))
    story: list[Flowable] = [
        section("一、申请业务"),
        field_table(business, columns=2),
        *([field_table(extra, columns=1)] if extra else []),
        section("二、订户信息"),
        *_subscriber_story(facts.subscriber),
        section("三、已核验的证明材料"),
        grid_table(
            ["序号", "材料名称", "号码"],
            [[str(i), d.type.zh, d.number] for i, d in enumerate(facts.documents, start=1)]
            or [["—", "（无）", "—"]],
            [14 * mm, 60 * mm, BODY_WIDTH - 74 * mm],
        ),
        section("四、证书信息"),
    ]
    if facts.issued is None:
        story.append(para("证书尚未签发。", st.body))
    else:
        validity = (
            f"{china_time(facts.issued.not_before)} 至 {china_time(facts.issued.not_after)}"
            + TIME_NOTE
        )
        story.append(
            field_table(
                [("证书序列号", facts.issued.serial), ("有效期", validity)],
                columns=1,
                label_width=28 * mm,
            )
        )
    return _signed_form(APPLICATION_TITLE, facts, story)


# ---------------------------------------------------------------------------------------------
# 证书变更、挂起、解挂、吊销表


def render_change_form(facts: ChangeFormFacts) -> bytes:
    business = [
        ("申请编号", facts.application_id),
        ("业务类型", facts.action_zh),
        ("受理时间", china_time(facts.created_at) + TIME_NOTE),
        ("办理状态", facts.status_zh),
        ("原因", facts.reason_zh or "—"),
        ("身份核验", "已当面核验订户证件" if facts.identity_checked else "未核验证件"),
    ]
    certificate = [
        ("证书序列号", facts.serial),
        ("证书种类", facts.certificate_type_zh),
        ("证书主题", facts.subject or "—"),
        (
            "有效期",
            "—"
            if facts.not_before is None or facts.not_after is None
            else f"{china_date(facts.not_before)} 至 {china_date(facts.not_after)}",
        ),
    ]
    story: list[Flowable] = [
        section("一、申请业务"),
        field_table(business, columns=1, label_width=36 * mm),
        section("二、订户信息"),
        *_subscriber_story(facts.subscriber),
        section("三、所涉证书"),
        field_table(certificate, columns=1, label_width=36 * mm),
        section("四、变更内容"),
        grid_table(
            ["项目", "变更前", "变更后"],
            [[c.label, c.before, c.after] for c in facts.changes] or [["—", "—", "—"]],
            [34 * mm, (BODY_WIDTH - 34 * mm) / 2, (BODY_WIDTH - 34 * mm) / 2],
        ),
    ]
    return _signed_form(CHANGE_TITLE, facts, story)


def _signed_form(title: str, facts: CounterFormFacts, story: list[Flowable]) -> bytes:
    """A counter form closed by the declaration the subscriber, the clerk and the reviewer
    sign (section five), on pages headed with the application's number."""
    story.append(
        signature_block(
            "五、声明与签字",
            DECLARATION,
            [_signer(facts.subscriber), ("受理员", facts.clerk), ("审核员", facts.reviewer)],
        )
    )
    page = Page(facts.ra_name, title, facts.application_id, f"申请编号 {facts.application_id}")
    return build_pdf(page, story, subject=f"{title} {facts.application_id}")


# ---------------------------------------------------------------------------------------------
# Agreement record


def _drawn_signature(png: bytes | None) -> Flowable | None:
    """The pad's PNG scaled into the signer's box (at most 50 × 18 mm, aspect kept)."""
    if png is None:
        return None
    reader = ImageReader(io.BytesIO(png))
    width, height = reader.getSize()
    scale = min(50 * mm / width, 18 * mm / height)
    return Image(io.BytesIO(png), width=width * scale, height=height * scale, hAlign="LEFT")


def render_agreement_record(facts: AgreementFacts) -> bytes:
    """The facts of acceptance first, then the full text that was accepted, then signatures."""
    st = styles()
    record = [
        ("申请编号", facts.application_id),
        ("协议版本", f"第 {facts.version} 版"),
        ("文本 SHA-256", facts.sha256),
        ("接受时间", china_time(facts.accepted_at) + TIME_NOTE),
        ("订户", f"{facts.subscriber.name}（{facts.subscriber.kind.zh}）"),
        ("受理员", facts.clerk),
        ("批准（审核员）", facts.reviewer),
        ("签署方式", facts.signed_zh),
    ]
    if facts.signature_sha256 is not None:
        record.append(("签名图像 SHA-256", facts.signature_sha256))
    story: list[Flowable] = [
        section("一、签署记录"),
        field_table(record, columns=1, label_width=32 * mm),
        spacer(1.5),
        para(
            "SHA-256 为下列协议全文（UTF-8 编码）的摘要，可据此核对订户所接受的协议文本。"
            "本协议自注册中心授权的受理人审核批准之日起生效。",
            st.note,
        ),
        section(f"二、协议全文（第 {facts.version} 版）"),
    ]
    lines = [line for line in facts.text.splitlines() if line.strip()]
    if lines:
        story.append(para(lines[0].strip(), st.title, "agreement"))
    story += [para(line.strip(), st.clause, "agreement") for line in lines[1:]]
    signer = _signer(facts.subscriber)
    story.append(
        signature_block(
            "三、签字",
            "订户已阅读并理解上述协议全部条款，同意接受协议约束；协议经审核员批准后生效。",
            [signer, ("受理员", facts.clerk), ("审核员（批准）", facts.reviewer)],
            [_drawn_signature(facts.signature_png)],
        )
    )
    page = Page(
        facts.ra_name, AGREEMENT_TITLE, facts.application_id, f"申请编号 {facts.application_id}"
    )
    return build_pdf(page, story, subject=f"{AGREEMENT_TITLE} {facts.application_id}")
