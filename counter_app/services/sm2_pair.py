"""The token half of an SM2 dual-certificate enrollment (双证书), journaled like ``issuance``.

Steps: ``key_generated`` (the SM2 signing key made on the token) → ``issued`` (both serials:
the signing certificate from the CSR signed on the token, the KMC's encryption certificate) →
``written`` (the envelope imported with SKF_ImportECCKeyPair, both certificates written back and
matched) → done. The token is reached through :class:`SM2Token`, which the SKF driver provides
(and a fake in the logic tests); the signing module through the pair-aware signing client.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, cast

from cryptography import x509

from counter_app.ca import IssueRequest, SubjectInfo
from counter_app.ca.sm2 import SM2PublicKey
from counter_app.domain.errors import CounterError
from counter_app.kmc.pair import IssuedPair

if TYPE_CHECKING:
    from counter_app.services.pipeline import Job
    from counter_app.services.signing import LocalSigning


class DualCertificatesUnavailable(CounterError):
    code = "dual_certificates_unavailable"
    zh = "SM2双证书暂不能办理：{reason_zh}（未收费、未生成密钥）"
    en = "SM2 dual certificates cannot be issued here: {reason_en} (nothing was charged or made)"


def check_dual_ready(signing: object, tokens: object) -> None:
    """Refuse an SM2 enrollment before any side effect unless both halves are there: a signing
    module with a KMC (``ca init --algorithm sm2``) and a token access whose sessions are SM2
    tokens (it says so with ``provides_sm2 = True``: the SKF driver's)."""
    if not getattr(signing, "issues_pairs", False):
        raise DualCertificatesUnavailable(
            reason_zh="签发模块不是SM2签发模块（请用 ca init --algorithm sm2 建立）",
            reason_en="the signing module is not an SM2 one (set it up with ca init --algorithm sm2)",
        )
    if not getattr(tokens, "provides_sm2", False):
        raise DualCertificatesUnavailable(
            reason_zh="未配置SKF介质驱动（--driver skf）",
            reason_en="no SKF token driver is configured (--driver skf)",
        )


def build_sm2_csr(
    public_key: SM2PublicKey, sign: Callable[[bytes], bytes], subject: x509.Name
) -> x509.CertificateSigningRequest:
    """A PKCS#10 request for an SM2 key, signed by ``sign`` (the token: SM2 with SM3 over
    Z || M with the default ID, DER r, s), assembled by the SKF driver's one request builder."""
    from counter_app.token.skf import sm2_request

    return x509.load_der_x509_csr(sm2_request(public_key.spki_der(), sign, subject))


class SM2KeyOnToken(Protocol):
    """The SKF driver's ``SKFKey``: a container's signing key pair."""

    @property
    def key_id(self) -> bytes: ...

    @property
    def point(self) -> bytes:
        """The public key, 04 || X || Y."""

    def sign(self, data: bytes) -> bytes:
        """SM2 signature with SM3 and the default ID, made on the token (DER r, s)."""


class SM2Token(Protocol):
    """What an SM2 token (SKF container) does for a dual enrollment."""

    def generate_sm2_signing_key(self, label: str) -> SM2KeyOnToken: ...

    def import_encryption_key(self, key_id: bytes, envelope: bytes) -> None:
        """SKF_ImportECCKeyPair into the container of the signing key ``key_id``."""

    def write_certificate(
        self, certificate: x509.Certificate, key_id: bytes, *, signing: bool
    ) -> None: ...

    def check_certificate_matches(self, certificate: x509.Certificate, key_id: bytes) -> None: ...


class Steps(Protocol):
    def step(self, name: str, **data: str) -> None: ...


def fulfil_pair(
    token: SM2Token,
    signing: LocalSigning,
    steps: Steps,
    *,
    subject: SubjectInfo,
    csr_subject: x509.Name,
    profile: str,
    application_id: str,
    operator: str,
    not_after: dt.datetime | None = None,
) -> IssuedPair:
    """Signing key on the token → CSR signed there → pair issued → envelope imported →
    both certificates written and read back."""
    key = token.generate_sm2_signing_key(application_id)
    steps.step("key_generated", key_id=key.key_id.hex())
    csr = build_sm2_csr(SM2PublicKey(key.point), key.sign, csr_subject)
    pair = signing.issue_pair(
        IssueRequest(csr, subject, profile, application_id, operator, not_after)
    )
    # The journal keeps the signing serial; a roll-back revokes it, and the signing client
    # revokes its encryption partner with it (the KMC links the two).
    steps.step("issued", cert_serial=pair.signing.serial_hex)
    token.import_encryption_key(key.key_id, pair.envelope)
    token.write_certificate(pair.signing.certificate, key.key_id, signing=True)
    token.write_certificate(pair.encryption.certificate, key.key_id, signing=False)
    token.check_certificate_matches(pair.signing.certificate, key.key_id)
    steps.step("written")
    return pair


def fulfil_pair_job(
    job: Job, *, subject: SubjectInfo, profile: str, not_after: dt.datetime | None = None
) -> IssuedPair:
    """:func:`fulfil_pair` for an enrollment's job: its token, signing client and journal."""
    from counter_app.services.issuance import csr_subject

    token, signing = job.token, job.ctx.signing
    if not callable(getattr(token, "generate_sm2_signing_key", None)):
        raise DualCertificatesUnavailable(
            reason_zh="该介质不是SM2（SKF）介质", reason_en="the token is not an SM2 (SKF) token"
        )
    if not getattr(signing, "issues_pairs", False):
        raise DualCertificatesUnavailable(
            reason_zh="签发模块不是SM2签发模块", reason_en="the signing module is not an SM2 one"
        )
    return fulfil_pair(
        cast(SM2Token, token),
        cast("LocalSigning", signing),
        job,
        subject=subject,
        csr_subject=csr_subject(subject),
        profile=profile,
        application_id=job.application_id,
        operator=job.operator,
        not_after=not_after,
    )
