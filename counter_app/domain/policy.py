"""Who may do what at the counter: the authorisation policy, as data (授权策略).

Every counter service and every certificate verb of the signing module has one :class:`Rule`:
which roles may make it, whether a second person (maker-checker) must approve and with which
roles, whether the subscriber's identity must be shown, and whether a supervisor must sign in.
The service pipeline (:mod:`counter_app.services.pipeline`) enforces it for the GUI and the CLI
alike; ``counter-app policy`` prints it so a supervisor or an auditor can read it.

Defaults follow the controls an RA is audited on (EJBCA approvals, OpenXPKI workflows, Chinese RA
practice): clerks and supervisors make services, admins manage operators and settings only; the
maker never approves their own work; revoke and resume rest on the subscriber's identity and a
second person; a suspension rests on the identity, or on a supervisor's sign-in for an emergency
hold (with the reason recorded); a fee waiver rests on a written notice and a supervisor who
signs in for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from counter_app.domain.display import ChineseNamed
from counter_app.domain.errors import CounterError, OperatorDisabled, PermissionDenied
from counter_app.domain.fields import check_plain_text
from counter_app.domain.operators import Role


class Action(ChineseNamed):
    """Everything the policy decides on: the counter services and the signing module's verbs."""

    ENROLL = "enroll", "证书申请"
    RENEW = "renew", "证书密钥更新"
    CHANGE = "change", "证书变更"
    ADD_ITEM = "add_item", "增加应用项"
    REISSUE = "reissue", "证书补办"
    UNLOCK = "unlock", "介质解锁"
    SUSPEND = "suspend", "证书挂起"
    RESUME = "resume", "证书解挂"
    REVOKE = "revoke", "证书吊销"
    TOKEN_FORMAT = "token_format", "介质格式化"
    TOKEN_UNBLOCK = "token_unblock", "介质PIN解锁（无订户）"
    CA_ISSUE = "ca_issue", "签发模块直接签发"
    CA_REVOKE = "ca_revoke", "签发模块直接吊销"
    CA_HOLD = "ca_hold", "签发模块直接挂起"
    CA_RELEASE = "ca_release", "签发模块直接解挂"
    # The supervisor's desk (services/daybook.py, services/stock.py, services/reminders.py).
    DAY_CLOSE = "day_close", "日结"
    DAY_REOPEN = "day_reopen", "日结重开"
    STOCK_RECEIVE = "stock_receive", "介质入库"
    STOCK_MARK = "stock_mark", "介质状态登记"
    NOTIFY_EXPIRING = "notify_expiring", "到期提醒发送"
    KMC_RECOVER = "kmc_recover", "加密密钥恢复"


class Identity(StrEnum):
    """Whether the subscriber's identity document must be shown for the action."""

    NOT_NEEDED = "not_needed"
    REQUIRED = "required"
    # Shown, or else a supervisor signs in for an emergency hold and records why.
    REQUIRED_OR_SUPERVISOR = "required_or_supervisor"


_MAKERS = frozenset({Role.CLERK, Role.SUPERVISOR})
_CHECKERS = frozenset({Role.REVIEWER, Role.SUPERVISOR})
_SUPERVISOR = frozenset({Role.SUPERVISOR})
_NOBODY: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Rule:
    makers: frozenset[Role]
    # Roles of the second person who must approve; empty means no second person is needed.
    second_person: frozenset[Role] = _NOBODY
    identity: Identity = Identity.NOT_NEEDED
    # A supervisor must sign in for the action itself (not only for a waiver).
    supervisor: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "makers": sorted(r.value for r in self.makers),
            "second_person": sorted(r.value for r in self.second_person),
            "identity": self.identity.value,
            "supervisor_sign_in": self.supervisor,
        }


# Roles that may sign in to waive a fee (clause 8: a written notice and a supervisor).
WAIVER_ROLES = _SUPERVISOR

POLICY: Mapping[Action, Rule] = MappingProxyType(
    {
        Action.ENROLL: Rule(_MAKERS, _CHECKERS),
        Action.RENEW: Rule(_MAKERS, _CHECKERS),
        Action.CHANGE: Rule(_MAKERS, _CHECKERS),
        Action.ADD_ITEM: Rule(_MAKERS, _CHECKERS),
        Action.REISSUE: Rule(_MAKERS, _CHECKERS),
        Action.UNLOCK: Rule(_MAKERS, _CHECKERS, Identity.REQUIRED),
        Action.SUSPEND: Rule(_MAKERS, _NOBODY, Identity.REQUIRED_OR_SUPERVISOR),
        Action.RESUME: Rule(_MAKERS, _CHECKERS, Identity.REQUIRED),
        Action.REVOKE: Rule(_MAKERS, _CHECKERS, Identity.REQUIRED),
        Action.TOKEN_FORMAT: Rule(_MAKERS),
        Action.TOKEN_UNBLOCK: Rule(_MAKERS),
        # The signing module's own verbs bypass the counter (no subscriber, no fee): only a
        # supervisor, and a second person for anything that makes or ends a certificate.
        Action.CA_ISSUE: Rule(_SUPERVISOR, _CHECKERS),
        Action.CA_REVOKE: Rule(_SUPERVISOR, _CHECKERS),
        Action.CA_HOLD: Rule(_SUPERVISOR),
        Action.CA_RELEASE: Rule(_SUPERVISOR, _CHECKERS),
        # The back office: closing and reopening a day and taking tokens into stock are the
        # supervisor's; marking a token faulty or lost and sending reminders are counter work.
        Action.DAY_CLOSE: Rule(_SUPERVISOR),
        Action.DAY_REOPEN: Rule(_SUPERVISOR),
        Action.STOCK_RECEIVE: Rule(_SUPERVISOR),
        Action.STOCK_MARK: Rule(_MAKERS),
        Action.NOTIFY_EXPIRING: Rule(_MAKERS),
        # An escrowed encryption key leaves the KMC only for its subscriber, shown in person,
        # on a supervisor's initiative and a second person's approval (GM/T 0014 key recovery).
        Action.KMC_RECOVER: Rule(_SUPERVISOR, _CHECKERS, Identity.REQUIRED),
    }
)


# ---------------------------------------------------------------------------------------------
# Who acts


@dataclass(frozen=True)
class Person:
    """An operator as the policy sees them: a name, a role, and whether the account is active."""

    name: str
    role: Role
    active: bool = True


@dataclass(frozen=True)
class Actors:
    """The operators acting on one service: the maker, the second person, the supervisor."""

    maker: Person
    second: Person | None = None
    supervisor: Person | None = None


class SecondPersonRequired(CounterError):
    code = "second_person_required"
    zh = "{action_zh}需要第二人（{roles_zh}）审核：请审核人登录确认"
    en = "{action_en} needs a second person ({roles_en}) to approve: ask a reviewer to sign in"


class SecondPersonIsMaker(CounterError):
    code = "second_person_is_maker"
    zh = "审核人不能是经办人本人（{name}）：请另一位{roles_zh}登录确认"
    en = "the approver cannot be the maker ({name}): ask another {roles_en} to sign in"


class SecondPersonRole(CounterError):
    code = "second_person_role"
    zh = "审核人须为{roles_zh}：{name} 的角色是{role_zh}"
    en = "the approver must be a {roles_en}: {name} is a {role}"


class IdentityRequired(CounterError):
    code = "identity_required"
    zh = "{action_zh}须核验订户身份：请录入订户出示的证件号码（--identity）"
    en = "{action_en} needs the subscriber's identity: enter the ID number shown (--identity)"


class IdentityOrSupervisorRequired(CounterError):
    code = "identity_or_supervisor_required"
    zh = "{action_zh}须核验订户身份；紧急挂起无证件时，请主管登录并填写原因"
    en = (
        "{action_en} needs the subscriber's identity; for an emergency hold without it, "
        "ask a supervisor to sign in and give the reason"
    )


class EmergencyReasonRequired(CounterError):
    code = "emergency_reason_required"
    zh = "未核验身份的紧急挂起须填写原因"
    en = "an emergency hold without the subscriber's identity needs a reason"


class SupervisorRequired(CounterError):
    code = "supervisor_required"
    zh = "{what_zh}须主管登录确认：请主管登录（COUNTER_APP_SUPERVISOR）"
    en = "{what_en} needs a supervisor's sign-in: ask a supervisor to sign in (COUNTER_APP_SUPERVISOR)"


class SupervisorRole(CounterError):
    code = "supervisor_role"
    zh = "{name} 不是主管（角色：{role_zh}），不能批准{what_zh}"
    en = "{name} is not a supervisor (role: {role}) and cannot approve {what_en}"


class SupervisorIsMaker(CounterError):
    code = "supervisor_is_maker"
    zh = "经办人不能自己批准{what_zh}：请另一位主管登录"
    en = "the maker cannot approve {what_en} themselves: ask another supervisor to sign in"


def _same(a: str, b: str) -> bool:
    # Operator names compare case-insensitively so that "Alice" cannot pass as "alice"'s checker.
    return a.strip().casefold() == b.strip().casefold()


def _roles_zh(roles: frozenset[Role]) -> str:
    return "或".join(r.zh for r in sorted(roles))


def _roles_en(roles: frozenset[Role]) -> str:
    return " or ".join(r.value for r in sorted(roles))


def _check_active(*people: Person | None) -> None:
    for person in people:
        if person is not None and not person.active:
            raise OperatorDisabled(name=person.name)


def check_maker(action: Action, maker: Person) -> None:
    rule = POLICY[action]
    if maker.role not in rule.makers:
        raise PermissionDenied(
            action_zh=action.zh,
            action_en=action.value.replace("_", " "),
            roles_zh=_roles_zh(rule.makers),
            roles_en=_roles_en(rule.makers),
        )


def check_second_person(action: Action, maker: Person, second: Person | None) -> None:
    roles = POLICY[action].second_person
    if not roles:
        return
    data = {
        "action_zh": action.zh,
        "action_en": action.value.replace("_", " "),
        "roles_zh": _roles_zh(roles),
        "roles_en": _roles_en(roles),
    }
    if second is None:
        raise SecondPersonRequired(**data)
    if _same(second.name, maker.name):
        raise SecondPersonIsMaker(name=second.name, **data)
    if second.role not in roles:
        raise SecondPersonRole(
            name=second.name, role=second.role.value, role_zh=second.role.zh, **data
        )


def check_supervisor(
    maker: Person, supervisor: Person | None, *, what_zh: str, what_en: str
) -> Person:
    """The signed-in supervisor approving ``what``; never the maker themselves."""
    if supervisor is None:
        raise SupervisorRequired(what_zh=what_zh, what_en=what_en)
    if supervisor.role not in WAIVER_ROLES:
        raise SupervisorRole(
            name=supervisor.name,
            role=supervisor.role.value,
            role_zh=supervisor.role.zh,
            what_zh=what_zh,
            what_en=what_en,
        )
    if _same(supervisor.name, maker.name):
        raise SupervisorIsMaker(what_zh=what_zh, what_en=what_en)
    return supervisor


def check_emergency_reason(reason: str | None) -> str:
    if reason is None or not reason.strip():
        raise EmergencyReasonRequired()
    return check_plain_text(reason.strip(), "emergency_reason", max_length=200)


@dataclass(frozen=True)
class Authorisation:
    """What the policy allowed, to be recorded with the application."""

    action: Action
    maker: str
    second: str | None
    supervisor: str | None
    identity_shown: bool
    emergency_reason: str | None = None
    waiver_approved_by: str | None = None


def authorise(
    action: Action,
    actors: Actors,
    *,
    identity_shown: bool = False,
    waiver: bool = False,
    emergency_reason: str | None = None,
) -> Authorisation:
    """Raise unless ``actors`` may make ``action`` as the policy says; every refusal says what
    to do next. ``waiver`` asks also for the supervisor who waives the fee."""
    _check_active(actors.maker, actors.second, actors.supervisor)
    rule = POLICY[action]
    check_maker(action, actors.maker)
    check_second_person(action, actors.maker, actors.second)
    what = (action.zh, action.value.replace("_", " "))
    if rule.supervisor:
        check_supervisor(actors.maker, actors.supervisor, what_zh=what[0], what_en=what[1])
    reason = None
    if rule.identity is Identity.REQUIRED and not identity_shown:
        raise IdentityRequired(action_zh=what[0], action_en=what[1])
    if rule.identity is Identity.REQUIRED_OR_SUPERVISOR and not identity_shown:
        if actors.supervisor is None:
            raise IdentityOrSupervisorRequired(action_zh=what[0], action_en=what[1])
        check_supervisor(
            actors.maker, actors.supervisor, what_zh="紧急挂起", what_en="an emergency hold"
        )
        reason = check_emergency_reason(emergency_reason)
    approver = None
    if waiver:
        approver = check_supervisor(
            actors.maker, actors.supervisor, what_zh="费用减免", what_en="a fee waiver"
        ).name
    supervisor = actors.supervisor.name if actors.supervisor is not None else None
    return Authorisation(
        action=action,
        maker=actors.maker.name,
        second=actors.second.name if actors.second is not None else None,
        supervisor=supervisor,
        identity_shown=identity_shown,
        emergency_reason=reason,
        waiver_approved_by=approver,
    )


def policy_table() -> list[dict[str, Any]]:
    """The policy as rows, for ``counter-app policy`` and the GUI."""
    rows = [{"action": a.value, "action_zh": a.zh, **POLICY[a].to_json()} for a in Action]
    rows.append(
        {
            "action": "waiver",
            "action_zh": "费用减免",
            "makers": [],
            "second_person": [],
            "identity": Identity.NOT_NEEDED.value,
            "supervisor_sign_in": True,
        }
    )
    return rows


# ---------------------------------------------------------------------------------------------
# Opening the signing module for the day (开启签发模块), issue 15 item 7: a custodian's act.
#
# With custody set up (``counter-app ca custody init``), the CA keys open only with the shares of
# ``threshold`` custodians (M of N), so no clerk, and no single custodian, knows what opens them.
# A custodian is an active operator with one of CUSTODIAN_ROLES who holds a share.

CUSTODIAN_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


class NotEnoughCustodians(CounterError):
    code = "not_enough_custodians"
    zh = "开启签发模块需要 {need} 名保管人，现有 {have} 名"
    en = "opening the signing module needs {need} custodians; {have} given"


class CustodianRole(CounterError):
    code = "custodian_role"
    zh = "{name} 不能作为保管人：需要{roles_zh}角色"
    en = "{name} cannot act as a custodian: it needs the {roles_en} role"


class CustodianTwice(CounterError):
    code = "custodian_twice"
    zh = "保管人 {name} 重复出现：每名保管人只算一次"
    en = "custodian {name} appears twice: each custodian counts once"


def check_custodians(people: Sequence[Person], threshold: int) -> None:
    """``threshold`` distinct, active custodians of a custodian role; raise on the first gap."""
    _check_active(*people)
    seen: set[str] = set()
    for person in people:
        if person.name.casefold() in seen:
            raise CustodianTwice(name=person.name)
        seen.add(person.name.casefold())
        if person.role not in CUSTODIAN_ROLES:
            raise CustodianRole(
                name=person.name,
                roles_zh=_roles_zh(CUSTODIAN_ROLES),
                roles_en=_roles_en(CUSTODIAN_ROLES),
            )
    if len(people) < threshold:
        raise NotEnoughCustodians(need=threshold, have=len(people))
