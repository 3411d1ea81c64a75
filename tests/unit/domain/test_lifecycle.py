"""The certificate lifecycle state machine."""

from __future__ import annotations

import datetime as dt

import pytest

from counter_app.domain.fields import UnknownChoice
from counter_app.domain.lifecycle import (
    CLERK_REASONS,
    CertificateStatus,
    RecordStatus,
    RenewalOfExpired,
    RenewalTooEarly,
    RevocationReason,
    Transition,
    TransitionRefused,
    allowed_transitions,
    check_transition,
    effective_status,
    expires_within,
    is_expired,
    parse_revocation_reason,
)

NOT_AFTER = dt.datetime(2027, 11, 24, 12, 0, tzinfo=dt.UTC)
MID_LIFE = NOT_AFTER - dt.timedelta(days=200)
IN_WINDOW = NOT_AFTER - dt.timedelta(days=10)
AFTER = NOT_AFTER + dt.timedelta(seconds=1)

ACTIVE, ON_HOLD, REVOKED = (
    CertificateStatus.ACTIVE,
    CertificateStatus.ON_HOLD,
    CertificateStatus.REVOKED,
)


def check(
    stored: CertificateStatus, move: Transition, now: dt.datetime = MID_LIFE
) -> CertificateStatus:
    return check_transition(stored, move, not_after=NOT_AFTER, now=now).result


def test_hold_then_release_returns_to_active() -> None:
    assert check(ACTIVE, Transition.HOLD) is ON_HOLD
    assert check(ON_HOLD, Transition.RELEASE) is ACTIVE


def test_release_only_from_hold() -> None:
    with pytest.raises(TransitionRefused):
        check(ACTIVE, Transition.RELEASE)


def test_revoked_is_final() -> None:
    for move in Transition:
        with pytest.raises(TransitionRefused):
            check(REVOKED, move, IN_WINDOW)


def test_revoke_from_hold_is_allowed() -> None:
    assert check(ON_HOLD, Transition.REVOKE) is REVOKED


def test_renew_is_refused_before_the_window() -> None:
    with pytest.raises(RenewalTooEarly) as caught:
        check(ACTIVE, Transition.RENEW, MID_LIFE)
    assert "2027-10-25" in caught.value.message("en")


def test_renew_opens_thirty_days_before_expiry() -> None:
    opens = NOT_AFTER - dt.timedelta(days=30)
    rule = check_transition(ACTIVE, Transition.RENEW, not_after=NOT_AFTER, now=opens)
    assert (rule.result, rule.reason) == (REVOKED, RevocationReason.SUPERSEDED)
    with pytest.raises(RenewalTooEarly):
        check(ACTIVE, Transition.RENEW, opens - dt.timedelta(seconds=1))


def test_renew_allowed_up_to_not_after_inclusive() -> None:
    assert check(ACTIVE, Transition.RENEW, NOT_AFTER) is REVOKED


def test_expired_certificate_accepts_no_transition() -> None:
    for move in Transition:
        if move is Transition.RENEW:
            continue  # its own refusal, below: it says to apply anew
        with pytest.raises(TransitionRefused) as caught:
            check(ACTIVE, move, AFTER)
        assert caught.value.data["status"] == "expired"


def test_renewing_an_expired_certificate_says_to_apply_anew() -> None:
    with pytest.raises(RenewalOfExpired) as caught:
        check(ACTIVE, Transition.RENEW, AFTER)
    assert "enroll" in caught.value.message("en") and "重新申请" in caught.value.message("zh")


def test_renew_of_a_held_certificate_is_refused() -> None:
    with pytest.raises(TransitionRefused):
        check(ON_HOLD, Transition.RENEW, IN_WINDOW)


def test_reissue_allowed_from_hold_for_a_lost_token() -> None:
    assert check(ON_HOLD, Transition.REISSUE) is REVOKED


def test_expiry_is_derived_and_revoked_stays_revoked() -> None:
    assert effective_status("active", NOT_AFTER, AFTER) is CertificateStatus.EXPIRED
    assert effective_status("on_hold", NOT_AFTER, AFTER) is CertificateStatus.EXPIRED
    assert effective_status("revoked", NOT_AFTER, AFTER) is REVOKED
    assert effective_status("active", NOT_AFTER, NOT_AFTER) is ACTIVE
    with pytest.raises(ValueError):
        effective_status("expired", NOT_AFTER, MID_LIFE)


def test_naive_times_are_a_programming_error() -> None:
    with pytest.raises(TypeError):
        is_expired(NOT_AFTER.replace(tzinfo=None), MID_LIFE)


def test_expires_within_counts_only_live_certificates() -> None:
    assert expires_within(NOT_AFTER, IN_WINDOW, 30)
    assert not expires_within(NOT_AFTER, MID_LIFE, 30)
    assert not expires_within(NOT_AFTER, AFTER, 30)


def test_revocation_reasons_map_to_rfc5280() -> None:
    assert {r.value: (r.rfc5280, r.crl_code) for r in RevocationReason} == {
        "key-compromise": ("keyCompromise", 1),
        "ca-compromise": ("cACompromise", 2),
        "affiliation-changed": ("affiliationChanged", 3),
        "superseded": ("superseded", 4),
        "cessation-of-operation": ("cessationOfOperation", 5),
        "certificate-hold": ("certificateHold", 6),
        "privilege-withdrawn": ("privilegeWithdrawn", 9),
        "unspecified": ("unspecified", 0),
    }


def test_reason_flags_are_cryptographys() -> None:
    # The one vocabulary reaches the CRL and OCSP encoders: each reason is its ReasonFlags.
    for reason in RevocationReason:
        assert reason.flag.value == reason.rfc5280


def test_a_clerk_chooses_among_five_reasons() -> None:
    assert [r.value for r in CLERK_REASONS] == [
        "key-compromise",
        "affiliation-changed",
        "cessation-of-operation",
        "superseded",
        "unspecified",
    ]
    with pytest.raises(UnknownChoice):
        parse_revocation_reason("certificate-hold")


def test_the_signing_modules_statuses_read_as_lifecycle_statuses() -> None:
    assert {s.value: s.lifecycle for s in RecordStatus} == {
        "pending": ON_HOLD,  # being signed: nothing but recovery acts on it
        "good": ACTIVE,
        "hold": ON_HOLD,
        "revoked": REVOKED,
    }
    assert [s for s in RecordStatus if s.issued] == [RecordStatus.GOOD, RecordStatus.HOLD]
    for status in (ACTIVE, ON_HOLD, REVOKED):
        assert status.stored_as.lifecycle is status
    with pytest.raises(ValueError):
        _ = CertificateStatus.EXPIRED.stored_as


def test_the_ca_speaks_the_same_enums() -> None:
    from counter_app import ca

    assert ca.RevocationReason is RevocationReason
    assert ca.RecordStatus is RecordStatus


def test_allowed_transitions_follow_the_table() -> None:
    assert allowed_transitions("active") == {
        Transition.HOLD,
        Transition.REVOKE,
        Transition.RENEW,
        Transition.CHANGE,
        Transition.ADD_ITEM,
        Transition.REISSUE,
    }
    assert allowed_transitions(ON_HOLD) == {
        Transition.RELEASE,
        Transition.REVOKE,
        Transition.REISSUE,
    }
    assert allowed_transitions(REVOKED) == frozenset()
    assert allowed_transitions(CertificateStatus.EXPIRED) == frozenset()
    assert allowed_transitions("pending") == frozenset()


def test_unknown_reason_is_refused() -> None:
    assert parse_revocation_reason("key-compromise") is RevocationReason.KEY_COMPROMISE
    with pytest.raises(UnknownChoice):
        parse_revocation_reason("keyCompromise")
