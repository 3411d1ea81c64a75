"""The signing module (签发模块): issue, hold, release, revoke, CRL and OCSP.

It is handed its keys (PKCS#8 loaded in memory, or HSM-backed key objects), certificates,
profiles and a :class:`CertificateRepository`; it imports neither the store nor the token layer.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from counter_app.ca.crl import CRL_REFRESH, DeltaNotApplicable, build_crl
from counter_app.ca.errors import BadCSR, CAError, CertificateNotFound, InvalidTransition
from counter_app.ca.hierarchy import new_serial
from counter_app.ca.keys import check_public_key, csr_public_key, verify_csr_signature
from counter_app.ca.model import (
    CertificateRecord,
    CertificateRepository,
    CRLSnapshot,
    IssuedCertificate,
    IssueRequest,
    PendingCertificate,
    PublishedCRL,
    RecordStatus,
    RevocationReason,
    StatusChange,
    SubjectInfo,
)
from counter_app.ca.ocsp import OCSPResponder, ResponderSet, serial_hex
from counter_app.ca.profiles import (
    CAUrls,
    Profile,
    for_purpose,
    get_profile,
    leaf_builder,
    subject_name,
)
from counter_app.ca.signing import IssuerKey, Signer, SubjectKey, signer_for
from counter_app.ca.subject_rules import check_request

log = logging.getLogger(__name__)
BACKDATE = dt.timedelta(minutes=1)  # tolerate relying parties whose clocks run a little slow
_STATE = {
    RecordStatus.PENDING: ("待签发", "pending"),
    RecordStatus.GOOD: ("有效", "valid"),
    RecordStatus.HOLD: ("挂起", "on hold"),
    RecordStatus.REVOKED: ("已吊销", "revoked"),
}
_ACTION = {
    "hold": ("挂起", "put on hold"),
    "release": ("解挂", "released"),
    "revoke": ("吊销", "revoked"),
}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class CAKeys:
    """Certificates and keys the CA works with; the root key is not needed after init."""

    root: x509.Certificate
    issuing: x509.Certificate
    issuing_key: IssuerKey
    responder: x509.Certificate
    responder_key: IssuerKey


class CertificateAuthority:
    def __init__(
        self,
        *,
        keys: CAKeys,
        repository: CertificateRepository,
        profiles: dict[str, Profile],
        urls: CAUrls,
        identifier_salt: bytes,
        clock: Callable[[], dt.datetime] = _utcnow,
        on_crl: Callable[[PublishedCRL], None] | None = None,
        on_status_change: Callable[[str], None] | None = None,
        crl_partition_size: int | None = None,
        issuer: int = 1,
    ) -> None:
        self.keys = keys
        # Which issuing CA this is (1, then 2... after ``ca rollover``), and every issuing CA
        # of the hierarchy that still answers for its certificates, this one included.
        self.issuer = issuer
        self._issuers: dict[int, CertificateAuthority] = {issuer: self}
        self._partition_size = crl_partition_size
        self._partition_lock = threading.Lock()
        self._partition_fill: tuple[int, int] | None = None  # (partition, certificates in it)
        self._repo = repository
        self.profiles = profiles
        self._urls = urls
        self._salt = identifier_salt
        self._clock = clock
        self._on_crl = on_crl
        self._on_status_change = on_status_change
        self._signer = signer_for(keys.issuing_key)
        self.responder = OCSPResponder(
            issuer=keys.issuing,
            responder=keys.responder,
            responder_key=keys.responder_key,
            lookup=self._own,
            clock=clock,
        )

    def _own(self, serial_hex: str) -> CertificateRecord | None:
        """The record of a certificate this issuer signed; None for another issuer's (OCSP
        answers "unknown" for a serial under the wrong issuer)."""
        record = self._repo.get(serial_hex)
        return record if record is not None and record.issuer == self.issuer else None

    # Issuers (``ca rollover``) ----------------------------------------------------------------

    def add_issuer(self, earlier: CertificateAuthority) -> None:
        """An earlier issuing CA that keeps answering status (OCSP, CRL) for the certificates
        it signed, while this one signs the new ones."""
        self._issuers[earlier.issuer] = earlier
        earlier._issuers = self._issuers

    @property
    def issuers(self) -> list[CertificateAuthority]:
        """Every issuing CA open here, oldest first."""
        return [self._issuers[n] for n in sorted(self._issuers)]

    def issuer_ca(self, issuer: int) -> CertificateAuthority:
        found = self._issuers.get(issuer)
        if found is None:
            raise CAError(detail=f"issuing CA {issuer} is not open here")
        return found

    def status_responder(self) -> OCSPResponder | ResponderSet:
        """What answers OCSP requests: this issuer's responder, or, after a rollover, each
        request's own issuer's (chosen by the CertID's issuer name and key hashes)."""
        if len(self._issuers) == 1:
            return self.responder
        return ResponderSet(lambda: [ca.responder for ca in self.issuers])

    def replace_responder(self, certificate: x509.Certificate, key: IssuerKey) -> None:
        """Answer with a renewed responder certificate from now on (``ca/rollover.py``)."""
        self.keys = replace(self.keys, responder=certificate, responder_key=key)
        self.responder = OCSPResponder(
            issuer=self.keys.issuing,
            responder=certificate,
            responder_key=key,
            lookup=self._own,
            clock=self._clock,
        )

    @property
    def signer(self) -> Signer:
        """The issuing key as a :class:`Signer` (made again if ``keys`` was replaced)."""
        if self._signer.key is not self.keys.issuing_key:
            self._signer = signer_for(self.keys.issuing_key)
        return self._signer

    # Issuance -------------------------------------------------------------------------------

    def _prepare(
        self, request: IssueRequest, purpose: str | None = None
    ) -> tuple[x509.CertificateBuilder, PendingCertificate, SubjectKey]:
        """Check the request and build the leaf; the pending record still lacks its TBS."""
        chosen = get_profile(self.profiles, request.profile)
        check_request(request.subject, request.operator, request.application_id)
        public_key = csr_public_key(request.csr)
        check_public_key(public_key)
        verify_csr_signature(request.csr, public_key)
        builder, pending = self._prepare_key(
            public_key,
            chosen,
            request.subject,
            request.application_id,
            request.operator,
            request.not_after,
            purpose,
        )
        return builder, pending, public_key

    def _prepare_key(
        self,
        public_key: SubjectKey,
        chosen: Profile,
        subject: SubjectInfo,
        application_id: str | None,
        operator: str,
        ends_by: dt.datetime | None,
        purpose: str | None,
    ) -> tuple[x509.CertificateBuilder, PendingCertificate]:
        serial = new_serial()
        not_before = self._clock() - BACKDATE
        not_after = min(not_before + chosen.validity, self.keys.issuing.not_valid_after_utc)
        if ends_by is not None:
            if ends_by <= not_before:
                raise BadCSR(
                    reason_zh="要求的到期时间已过", reason_en="the requested end of term has passed"
                )
            not_after = min(not_after, ends_by)
        name = subject_name(chosen, subject)
        partition = self._next_partition()
        builder = leaf_builder(
            profile=for_purpose(chosen, purpose),
            subject=subject,
            public_key=public_key,
            issuer=self.keys.issuing,
            urls=self._urls
            if partition is None
            else replace(self._urls, crl=self.partition_url(partition)),
            serial=serial,
            not_before=not_before,
            not_after=not_after,
            salt=self._salt,
            name=name,
        )
        pending = PendingCertificate(
            serial_hex=serial_hex(serial),
            subject=name.rfc4514_string(),
            profile=chosen.name,
            not_before=not_before,
            not_after=not_after,
            tbs_der=b"",
            application_id=application_id,
            operator=operator,
            crl_partition=partition,
        )
        return builder, pending

    def _sign_recorded(
        self, builder: x509.CertificateBuilder, pending: PendingCertificate, key: SubjectKey
    ) -> IssuedCertificate:
        recorded: list[PendingCertificate] = []

        def record_intent(tbs: bytes) -> None:
            # Committed before the signature exists: a crash after signing leaves a record.
            recorded.append(replace(pending, tbs_der=tbs))
            self._repo.reserve(recorded[0])

        certificate = self.signer.certificate(builder, key, record_intent)
        self._repo.complete(recorded[0], certificate.public_bytes(serialization.Encoding.DER))
        return IssuedCertificate(
            pending.serial_hex, certificate, pending.not_before, pending.not_after, pending.profile
        )

    def _next_partition(self) -> int | None:
        """The partition CRL the next certificate names: partitions fill up one after another.

        Each process counts from what the store held when it first issued, so processes
        issuing at once may put a few more than the size into a partition: the size is a
        target, not a bound (no lock shared by every issuance for it).
        """
        if self._partition_size is None:
            return None
        with self._partition_lock:
            if self._partition_fill is None:
                self._partition_fill = self._repo.partition_fill()
            partition, count = self._partition_fill
            if partition == 0 or count >= self._partition_size:
                partition, count = partition + 1, 0
            self._partition_fill = (partition, count + 1)
            return partition

    def partition_url(self, partition: int) -> str:
        """Where partition ``partition``'s CRL is published (its certificates' CRL DP)."""
        return f"{self._urls.crl}/{partition}"

    def issue(self, request: IssueRequest, *, purpose: str | None = None) -> IssuedCertificate:
        """Certify the CSR's key for the RA-verified subject under the request's profile; the
        certificate ends at the request's ``not_after`` when that is sooner than the profile's
        term.

        ``purpose`` ("signing") makes the signing certificate of a GM/T 0014 dual pair."""
        log.debug("issue profile=%s application=%s", request.profile, request.application_id)
        builder, pending, key = self._prepare(request, purpose)
        return self._sign_recorded(builder, pending, key)

    def issue_for_key(
        self,
        public_key: SubjectKey,
        subject: SubjectInfo,
        profile: str,
        *,
        purpose: str,
        application_id: str | None = None,
        operator: str = "system",
        not_after: dt.datetime | None = None,
    ) -> IssuedCertificate:
        """Certify a key the signing side made itself: the KMC's encryption key of a dual pair.

        There is no CSR: the key pair was generated in this process a moment ago, so proof of
        possession is not in question; every other check is :meth:`issue`'s.
        """
        log.debug("issue %s key profile=%s application=%s", purpose, profile, application_id)
        chosen = get_profile(self.profiles, profile)
        check_request(subject, operator, application_id)
        check_public_key(public_key)
        builder, pending = self._prepare_key(
            public_key, chosen, subject, application_id, operator, not_after, purpose
        )
        return self._sign_recorded(builder, pending, public_key)

    def issue_batch(self, requests: Sequence[IssueRequest]) -> list[IssuedCertificate | CAError]:
        """Issue several certificates with two commits for the lot instead of two each.

        What :meth:`issue` does for each, in three steps: every request is checked and its
        to-be-signed content recorded (one transaction) before the first signature is made;
        then each is signed; then all are stored with one audit event each (one transaction).
        A request that fails its checks gets its error in its place and the others go on; a
        store error fails the whole batch (records already made stay pending for recovery).
        The signing service batches the requests that arrive while it is busy this way.
        """
        results: list[IssuedCertificate | CAError | None] = [None] * len(requests)
        ready: list[tuple[int, x509.CertificateBuilder, PendingCertificate, SubjectKey]] = []
        for index, request in enumerate(requests):
            try:
                builder, pending, key = self._prepare(request)
                tbs = self.signer.tbs(builder, key)
            except CAError as exc:
                results[index] = exc
                continue
            ready.append((index, builder, replace(pending, tbs_der=tbs), key))
        if ready:
            self._repo.reserve_many([pending for _, _, pending, _ in ready])
            signed: list[tuple[PendingCertificate, bytes]] = []
            for index, builder, pending, key in ready:
                try:
                    certificate = self.signer.sign_recorded(builder, key, pending.tbs_der)
                except CAError:
                    raise CAError(
                        detail=f"serial {pending.serial_hex}: signed content differs"
                    ) from None
                signed.append((pending, certificate.public_bytes(serialization.Encoding.DER)))
                results[index] = IssuedCertificate(
                    pending.serial_hex,
                    certificate,
                    pending.not_before,
                    pending.not_after,
                    pending.profile,
                )
            self._repo.complete_many(signed)
        log.debug("issued a batch of %d (%d refused)", len(ready), len(requests) - len(ready))
        return cast(list[IssuedCertificate | CAError], results)

    # Lifecycle ------------------------------------------------------------------------------

    def serial_for_application(self, application_id: str) -> str | None:
        return self._repo.serial_for_application(application_id)

    def records(self, application_ids: Collection[str] | None = None) -> list[CertificateRecord]:
        return self._repo.records(application_ids)

    def status(self, serial_hex: str) -> CertificateRecord:
        record = self._repo.get(serial_hex.upper())
        if record is None:
            raise CertificateNotFound(serial=serial_hex)
        return record

    def hold(self, serial_hex: str, *, operator: str) -> CertificateRecord:
        return self._hold_or_release(serial_hex, "hold", operator)

    def release(self, serial_hex: str, *, operator: str) -> CertificateRecord:
        return self._hold_or_release(serial_hex, "release", operator)

    def _hold_or_release(self, serial_hex: str, verb: str, operator: str) -> CertificateRecord:
        """Hold a good certificate (certificateHold, from now) or release one on hold."""
        holding = verb == "hold"
        before, after = (
            (RecordStatus.GOOD, RecordStatus.HOLD)
            if holding
            else (RecordStatus.HOLD, RecordStatus.GOOD)
        )

        def decide(record: CertificateRecord) -> StatusChange:
            self._require(record, verb, before)
            return StatusChange(
                record.serial_hex,
                f"certificate.{verb}",
                after,
                self._clock() if holding else None,
                RevocationReason.CERTIFICATE_HOLD if holding else None,
                operator,
            )

        return self._change(serial_hex, decide, operator)

    def revoke(
        self,
        serial_hex: str,
        reason: RevocationReason,
        *,
        operator: str,
        time: dt.datetime | None = None,
    ) -> CertificateRecord:
        if reason is RevocationReason.CERTIFICATE_HOLD:
            raise InvalidTransition(
                serial=serial_hex,
                state_zh="—",
                state_en="-",
                action_zh="以“挂起”为理由吊销（请使用挂起）",
                action_en="revoked with reason certificate-hold (use hold)",
            )

        def decide(record: CertificateRecord) -> StatusChange:
            # A pending record (signed or not before a crash) may be revoked: the safe recovery.
            self._require(
                record,
                "revoke",
                RecordStatus.GOOD,
                RecordStatus.HOLD,
                RecordStatus.PENDING,
            )
            when = (time or self._clock()).astimezone(dt.UTC)
            return StatusChange(
                record.serial_hex,
                "certificate.revoke",
                RecordStatus.REVOKED,
                when,
                reason,
                operator,
            )

        return self._change(serial_hex, decide, operator)

    @staticmethod
    def _require(record: CertificateRecord, action: str, *allowed: RecordStatus) -> None:
        if record.status not in allowed:
            state_zh, state_en = _STATE[record.status]
            action_zh, action_en = _ACTION[action]
            raise InvalidTransition(
                serial=record.serial_hex,
                state_zh=state_zh,
                state_en=state_en,
                action_zh=action_zh,
                action_en=action_en,
            )

    def _change(
        self, serial_hex: str, decide: Callable[[CertificateRecord], StatusChange], operator: str
    ) -> CertificateRecord:
        record = self._repo.change_status(serial_hex.upper(), decide)
        # The issuer that signed it answers for it (an earlier one after a rollover).
        owner = self.issuer_ca(record.issuer)
        # Committed: tell OCSP before the CRL is signed (seconds for a million entries), so a
        # revocation is answered at once here and by responders in other processes.
        owner.responder.invalidate([int(record.serial_hex, 16)])
        if self._on_status_change is not None:
            self._on_status_change(record.serial_hex)
        owner.publish_crl(operator=operator)
        if record.crl_partition is not None:
            owner.publish_partition_crl(record.crl_partition, operator=operator)
        return record

    # CRL, OCSP, chain -----------------------------------------------------------------------

    def publish_crl(self, *, operator: str = "system") -> PublishedCRL:
        """Sign a full CRL with a new, higher CRL number and store it."""
        snapshot = self._repo.crl_snapshot()
        try:
            crl = self._build_crl(snapshot)
        except DeltaNotApplicable:
            crl = self._build_crl(self._repo.crl_snapshot(full=True))
        if self._repo.save_crl(crl, operator) and self._on_crl is not None:
            self._on_crl(crl)
        return crl

    def _build_crl(self, snapshot: CRLSnapshot) -> PublishedCRL:
        crl = build_crl(
            issuer=self.keys.issuing,
            key=self.signer,
            number=snapshot.number,
            entries=snapshot.entries,
            this_update=self._clock().replace(microsecond=0),
            base=snapshot.base,
            removed=snapshot.removed,
            encoded=snapshot.encoded,
        )
        return replace(crl, status_seq=snapshot.status_seq)

    def current_crl(self) -> bytes:
        """The newest CRL (DER); a fresh one is signed when the stored one is a day old."""
        latest = self._repo.latest_crl()
        if latest is None or self._clock() - latest.this_update >= CRL_REFRESH:
            latest = self.publish_crl()
        return latest.der

    def publish_partition_crl(self, partition: int, *, operator: str = "system") -> PublishedCRL:
        """Sign partition ``partition``'s CRL (its issuingDistributionPoint names /crl/N)."""
        snapshot = self._repo.partition_snapshot(partition)
        crl = build_crl(
            issuer=self.keys.issuing,
            key=self.keys.issuing_key,
            number=snapshot.number,
            entries=snapshot.entries,
            this_update=self._clock().replace(microsecond=0),
            encoded=snapshot.encoded,
            partition=(partition, self.partition_url(partition)),
        )
        self._repo.save_crl(crl, operator)
        return crl

    def partition_crl(self, partition: int) -> bytes | None:
        """Partition ``partition``'s newest CRL (DER), fresh as :meth:`current_crl`; None when
        no certificate names that partition."""
        if partition < 1 or partition > self._repo.partition_fill()[0]:
            return None
        latest = self._repo.latest_partition_crl(partition)
        if latest is None or self._clock() - latest.this_update >= CRL_REFRESH:
            latest = self.publish_partition_crl(partition)
        return latest.der

    def status_changes_since(self, seq: int) -> tuple[int, list[str]]:
        """Serials whose status changed after audit event ``seq``, and the newest seq."""
        return self._repo.status_changes_since(seq)

    def ocsp_response(self, request_der: bytes) -> bytes:
        return self.status_responder().respond(request_der)

    def chain_pem(self) -> bytes:
        """Issuing CA then root, PEM."""
        return b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in (self.keys.issuing, self.keys.root)
        )
