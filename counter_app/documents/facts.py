"""The facts each printed document shows: plain frozen values, gathered by the services.

The renderers read nothing else (no store, no clock), so a reprint years later shows exactly
what was recorded, and the unit tests can print any case from hand-made facts. Times are
timezone-aware; they are printed in China Standard Time. Amounts are integer fen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from counter_app.domain.subscribers import Device, DocumentSeen, Individual, Unit

DEFAULT_RA_NAME = "易联众数字证书注册中心"


@dataclass(frozen=True)
class DeviceFacts(Device):
    """A device subscriber with the name of its owner unit, which the form prints beside the
    owner's USCC and the device itself does not carry."""

    owner_name: str | None = None


# The subscriber as verified that day, in the domain's own classes: an individual (also a unit's
# handling agent 经办人), a unit, or a device with its owner's name. The forms print the kind and
# the identity document by their Chinese names (``kind.zh``, ``id_type.zh``).
SubscriberFacts = Individual | Unit | DeviceFacts


@dataclass(frozen=True)
class ReceiptFacts:
    """收费凭证. ``method`` is cash/card/transfer, ``waiver`` or ``none`` (a free service)."""

    receipt_number: str
    application_id: str
    payer: str
    service_zh: str
    certificate_type_zh: str
    fee_fen: int
    method: str
    tendered_fen: int
    change_fen: int
    clerk: str
    time: dt.datetime
    waiver_reference: str | None = None
    waiver_approved_by: str | None = None
    ra_name: str = DEFAULT_RA_NAME
    # The fee's lines when it has several (the service and the media fee 介质费; each
    # certificate of a batch renewal): (item, fen). They add up to ``fee_fen``.
    lines: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class IssuedFacts:
    """The certificate an application produced."""

    serial: str
    not_before: dt.datetime
    not_after: dt.datetime
    subject: str | None = None


@dataclass(frozen=True, kw_only=True)
class CounterFormFacts:
    """What every counter form of one application shows: who, for whom, when, and how it
    stands; the subscriber, the clerk and the reviewer sign it."""

    application_id: str
    created_at: dt.datetime
    subscriber: SubscriberFacts
    certificate_type_zh: str
    clerk: str
    reviewer: str | None
    status_zh: str
    ra_name: str = DEFAULT_RA_NAME


@dataclass(frozen=True, kw_only=True)
class ApplicationFormFacts(CounterFormFacts):
    """证书申请（更新）表: an enrollment, renewal, reissue or added application item."""

    service_zh: str
    documents: tuple[DocumentSeen, ...]
    key_algorithm: str | None
    token_serial: str | None
    token_label: str | None
    old_serial: str | None = None
    items: tuple[str, ...] = ()
    issued: IssuedFacts | None = None


@dataclass(frozen=True)
class ChangeRow:
    """One line of a change form's before/after table."""

    label: str
    before: str
    after: str


@dataclass(frozen=True, kw_only=True)
class ChangeFormFacts(CounterFormFacts):
    """证书变更、挂起、解挂、吊销表 for one change, suspension, resumption or revocation."""

    action_zh: str
    serial: str
    subject: str | None
    not_before: dt.datetime | None
    not_after: dt.datetime | None
    reason_zh: str | None
    identity_checked: bool
    changes: tuple[ChangeRow, ...]


@dataclass(frozen=True)
class AgreementFacts:
    """The record of the subscriber's acceptance of one agreement version, with its text."""

    application_id: str
    version: str
    text: str
    sha256: str
    accepted_at: dt.datetime
    subscriber: SubscriberFacts
    clerk: str
    reviewer: str
    signed_zh: str
    ra_name: str = DEFAULT_RA_NAME
    # The subscriber's signature drawn on the pad (PNG) and its SHA-256, when there is one.
    signature_png: bytes | None = None
    signature_sha256: str | None = None
