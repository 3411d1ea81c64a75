"""The certificate lifecycle as an explicit state machine (证书生命周期).

Stored states are ``active`` (issued, good), ``on_hold`` (挂起, certificateHold) and ``revoked``
(吊销, final). ``expired`` is never stored: it is derived from ``not_after`` and the time of
asking, and an expired certificate is invalid everywhere (agreement clause 13), so no service
acts on it. RFC 5280 makes ``notAfter`` inclusive: a certificate is expired only after it.

Transitions and where they may start:

=========  ===================  =====================================================
hold       active               → on_hold
release    on_hold              → active (解挂; a revoked certificate never comes back)
revoke     active, on_hold      → revoked
renew      active, within the   → old revoked as superseded, a new certificate issued
           30 days up to expiry
change     active               → old revoked as superseded
add_item   active               → old revoked as superseded when a new one is issued
reissue    active, on_hold      → old revoked (补办: lost or broken token)
=========  ===================  =====================================================

The signing module keeps its own stored status per record (:class:`RecordStatus`: ``pending``,
``good``, ``hold``, ``revoked``) and every layer speaks the one :class:`RevocationReason`: this
module is the single home of that vocabulary (``counter_app.ca`` re-exports it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509

from counter_app.domain.display import ChineseNamed
from counter_app.domain.errors import ValidationError
from counter_app.domain.fields import UnknownChoice, shown

RENEWAL_WINDOW = dt.timedelta(days=30)


class CertificateStatus(ChineseNamed):
    ACTIVE = "active", "有效"
    ON_HOLD = "on_hold", "已挂起"
    REVOKED = "revoked", "已吊销"
    EXPIRED = "expired", "已过期"

    @property
    def stored_as(self) -> RecordStatus:
        """The signing module's stored status for this lifecycle status (never expired)."""
        if self is CertificateStatus.EXPIRED:
            raise ValueError("expired is derived, never stored")
        return {
            CertificateStatus.ACTIVE: RecordStatus.GOOD,
            CertificateStatus.ON_HOLD: RecordStatus.HOLD,
            CertificateStatus.REVOKED: RecordStatus.REVOKED,
        }[self]


class RecordStatus(StrEnum):
    """What the signing module stores per certificate: pending → good → hold ⇄ good, or →
    revoked (final)."""

    PENDING = "pending"  # serial and TBS recorded, signature not yet stored
    GOOD = "good"
    HOLD = "hold"  # 挂起 (certificateHold)
    REVOKED = "revoked"  # 吊销

    @property
    def lifecycle(self) -> CertificateStatus:
        """The lifecycle status this record is in before expiry is considered; a record still
        being signed counts as on hold: nothing but recovery acts on it."""
        return _RECORD_TO_LIFECYCLE[self]

    @property
    def issued(self) -> bool:
        """Signed and not revoked (good or on hold)."""
        return self in (RecordStatus.GOOD, RecordStatus.HOLD)

    @property
    def zh(self) -> str:
        return "签发中" if self is RecordStatus.PENDING else self.lifecycle.zh


_RECORD_TO_LIFECYCLE = {
    RecordStatus.PENDING: CertificateStatus.ON_HOLD,
    RecordStatus.GOOD: CertificateStatus.ACTIVE,
    RecordStatus.HOLD: CertificateStatus.ON_HOLD,
    RecordStatus.REVOKED: CertificateStatus.REVOKED,
}


class Transition(ChineseNamed):
    HOLD = "hold", "挂起"
    RELEASE = "release", "解挂"
    REVOKE = "revoke", "吊销"
    RENEW = "renew", "证书密钥更新"
    CHANGE = "change", "变更"
    ADD_ITEM = "add_item", "增加应用项"
    REISSUE = "reissue", "补办"


class RevocationReason(StrEnum):
    """RFC 5280 CRLReason values in the CLI's spelling; ``rfc5280`` is the CRLReason name.

    A clerk chooses among :data:`CLERK_REASONS`; the signing module also knows the others
    (``certificate-hold`` marks an entry on hold).
    """

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key-compromise"
    CA_COMPROMISE = "ca-compromise"
    AFFILIATION_CHANGED = "affiliation-changed"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation-of-operation"
    CERTIFICATE_HOLD = "certificate-hold"
    PRIVILEGE_WITHDRAWN = "privilege-withdrawn"

    @property
    def rfc5280(self) -> str:
        """The RFC 5280 name, also ``cryptography.x509.ReasonFlags``' value."""
        return _RFC5280[self.value][0]

    @property
    def crl_code(self) -> int:
        """The CRLReason enumerated value (RFC 5280 section 5.3.1)."""
        return _RFC5280[self.value][1]

    @property
    def zh(self) -> str:
        return _RFC5280[self.value][2]

    @property
    def flag(self) -> x509.ReasonFlags:
        return x509.ReasonFlags(self.rfc5280)


_RFC5280 = {
    "unspecified": ("unspecified", 0, "未指定"),
    "key-compromise": ("keyCompromise", 1, "密钥泄露"),
    "ca-compromise": ("cACompromise", 2, "CA密钥泄露"),
    "affiliation-changed": ("affiliationChanged", 3, "隶属关系变更"),
    "superseded": ("superseded", 4, "已被取代"),
    "cessation-of-operation": ("cessationOfOperation", 5, "停止使用"),
    "certificate-hold": ("certificateHold", 6, "证书挂起"),
    "privilege-withdrawn": ("privilegeWithdrawn", 9, "权限撤销"),
}

# The reasons a clerk may give at the counter, in the order they are offered.
CLERK_REASONS = (
    RevocationReason.KEY_COMPROMISE,
    RevocationReason.AFFILIATION_CHANGED,
    RevocationReason.CESSATION_OF_OPERATION,
    RevocationReason.SUPERSEDED,
    RevocationReason.UNSPECIFIED,
)

CERTIFICATE_HOLD = "certificateHold"  # RFC 5280 CRLReason 6, the reason of an on-hold entry


def parse_revocation_reason(value: object, *, field: str = "reason") -> RevocationReason:
    allowed = [r.value for r in CLERK_REASONS]
    if not isinstance(value, str) or value not in allowed:
        raise UnknownChoice(field, value=shown(value), allowed=", ".join(allowed))
    return RevocationReason(value)


class TransitionRefused(ValidationError):
    code = "transition_refused"
    zh = "证书{status_zh}，不能{transition_zh}"
    en = "the certificate is {status}: it cannot be put through {transition}"


class RenewalTooEarly(ValidationError):
    code = "renewal_too_early"
    zh = "证书到期前30天内才能办理证书密钥更新（可办理日期：{opens}起）"
    en = "a certificate can be renewed only in the 30 days before it expires (from {opens})"


class RenewalOfExpired(ValidationError):
    code = "renewal_of_expired"
    zh = "证书已于 {expired} 过期，不能办理更新：过期证书视为无效（协议第十三条），请重新申请证书"
    en = (
        "the certificate expired on {expired} and cannot be renewed: an expired certificate is "
        "invalid (clause 13); apply anew (enroll)"
    )


@dataclass(frozen=True)
class TransitionRule:
    allowed_from: frozenset[CertificateStatus]
    # New stored status of the certificate the transition starts from.
    result: CertificateStatus
    # Revocation reason given to that certificate when the transition revokes it by itself.
    reason: RevocationReason | None = None


_ACTIVE = frozenset({CertificateStatus.ACTIVE})
_ACTIVE_OR_HOLD = frozenset({CertificateStatus.ACTIVE, CertificateStatus.ON_HOLD})

TRANSITIONS: dict[Transition, TransitionRule] = {
    Transition.HOLD: TransitionRule(_ACTIVE, CertificateStatus.ON_HOLD),
    Transition.RELEASE: TransitionRule(
        frozenset({CertificateStatus.ON_HOLD}), CertificateStatus.ACTIVE
    ),
    # The reason of a plain revocation is the clerk's choice, given to check_transition's caller.
    Transition.REVOKE: TransitionRule(_ACTIVE_OR_HOLD, CertificateStatus.REVOKED),
    Transition.RENEW: TransitionRule(
        _ACTIVE, CertificateStatus.REVOKED, RevocationReason.SUPERSEDED
    ),
    Transition.CHANGE: TransitionRule(
        _ACTIVE, CertificateStatus.REVOKED, RevocationReason.SUPERSEDED
    ),
    Transition.ADD_ITEM: TransitionRule(
        _ACTIVE, CertificateStatus.REVOKED, RevocationReason.SUPERSEDED
    ),
    # A lost token may have been put on hold first; reissue then replaces it.
    Transition.REISSUE: TransitionRule(
        _ACTIVE_OR_HOLD, CertificateStatus.REVOKED, RevocationReason.SUPERSEDED
    ),
}


# The transitions a clerk starts from the look-up screen on one certificate, by the name of the
# counter service that makes them.
STATUS_CHANGES = {
    "suspend": Transition.HOLD,
    "resume": Transition.RELEASE,
    "revoke": Transition.REVOKE,
}


def allowed_transitions(status: CertificateStatus | str) -> frozenset[Transition]:
    """Which transitions may start from a certificate in this (effective) status; none for a
    status that is not a lifecycle status (a record still being signed)."""
    if status not in CertificateStatus.__members__.values():
        return frozenset()
    current = CertificateStatus(status)
    return frozenset(t for t, rule in TRANSITIONS.items() if current in rule.allowed_from)


def _aware(moment: dt.datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TypeError(f"{name} must be timezone-aware")


def is_expired(not_after: dt.datetime, now: dt.datetime) -> bool:
    """RFC 5280: valid through ``notAfter`` inclusive, so expired strictly after it."""
    _aware(not_after, "not_after")
    _aware(now, "now")
    return now > not_after


def effective_status(
    stored: CertificateStatus | str, not_after: dt.datetime, now: dt.datetime
) -> CertificateStatus:
    """What to show and act on: a revoked certificate stays revoked; any other past
    ``not_after`` is expired (clause 13)."""
    status = CertificateStatus(stored)
    if status is CertificateStatus.EXPIRED:
        raise ValueError("expired is derived, never stored")
    if status is CertificateStatus.REVOKED:
        return status
    return CertificateStatus.EXPIRED if is_expired(not_after, now) else status


def renewal_opens(not_after: dt.datetime) -> dt.datetime:
    return not_after - RENEWAL_WINDOW


def expires_within(not_after: dt.datetime, now: dt.datetime, days: int) -> bool:
    """Not yet expired and expiring within ``days`` days: the ``cert list --expiring`` filter."""
    return not is_expired(not_after, now) and not_after - now <= dt.timedelta(days=days)


def check_transition(
    stored: CertificateStatus | str,
    transition: Transition | str,
    *,
    not_after: dt.datetime,
    now: dt.datetime,
    field: str = "serial",
) -> TransitionRule:
    """Raise unless ``transition`` may start from this certificate now; return its rule.

    The rule's ``result`` is the certificate's new stored status and ``reason`` the revocation
    reason when the transition supersedes it.
    """
    move = Transition(transition)
    rule = TRANSITIONS[move]
    status = effective_status(stored, not_after, now)
    if move is Transition.RENEW and status is CertificateStatus.EXPIRED:
        raise RenewalOfExpired(field, expired=not_after.date().isoformat())
    if status not in rule.allowed_from:
        raise TransitionRefused(
            field,
            status=status.value,
            status_zh=status.zh,
            transition=move.value,
            transition_zh=move.zh,
        )
    if move is Transition.RENEW and now < renewal_opens(not_after):
        raise RenewalTooEarly(field, opens=renewal_opens(not_after).date().isoformat())
    return rule
