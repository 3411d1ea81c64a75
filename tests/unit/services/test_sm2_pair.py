"""SM2 dual certificates through the services: a pair issued to a fake SM2 token, revoke and
suspend reaching both, and key recovery under the policy. An in-memory SM2 CA signs; the token
is a fake (pure logic); the SKF tests prove the real token."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from counter_app.ca import (
    BadCSR,
    CAKeys,
    CertificateAuthority,
    IssueRequest,
    SubjectInfo,
)
from counter_app.ca.signing import certificate_key
from counter_app.ca.sm2 import SM2PrivateKey, SM2PublicKey
from counter_app.domain.errors import PermissionDenied
from counter_app.domain.policy import IdentityRequired, SecondPersonRequired
from counter_app.kmc import IssuedPair, KeyManagementCentre, open_envelope
from counter_app.services.key_recovery import RecoveryRequest, recover_key
from counter_app.services.records import IdentityMismatch
from counter_app.services.signing import LocalSigning
from counter_app.services.sm2_pair import build_sm2_csr, fulfil_pair
from counter_app.services.tokens import TokenChoice
from counter_app.store import audit
from counter_app.token import KeySpec
from counter_app.token.capabilities import TokenCapabilities
from counter_app.token.keyspec import UnknownKeyAlgorithm, key_spec, register_key_spec
from tests.unit.services.conftest import (
    ID_A,
    ID_B,
    KMC_PASSPHRASE,
    Counter,
    ca_with_kmc,
    example,
    sm2_ca_keys,
)
from tests.unit.services.fakes import FakeCertificate, FakeTokens, FakeTokenSession

NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "张三")])


@dataclass
class Pair:
    counter: Counter
    ca: CertificateAuthority
    kmc: KeyManagementCentre
    signing: LocalSigning
    application_id: str

    def status(self, serial: str) -> str:
        return self.ca.status(serial).status.value


@dataclass
class FakeSM2Key:
    key_id: bytes
    private: SM2PrivateKey

    @property
    def public_key(self) -> SM2PublicKey:
        return self.private.public_key()

    @property
    def point(self) -> bytes:
        return self.public_key.point

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


@dataclass
class FakeSM2Token:
    """An SKF container in memory: a signing key made "on" it, the imported encryption key."""

    keys: dict[bytes, FakeSM2Key] = field(default_factory=dict)
    encryption: dict[bytes, SM2PrivateKey] = field(default_factory=dict)
    certificates: list[tuple[bytes, bool, x509.Certificate]] = field(default_factory=list)

    def generate_sm2_signing_key(self, label: str) -> FakeSM2Key:
        key = FakeSM2Key(bytes([len(self.keys) + 1]) * 4, SM2PrivateKey.generate())
        self.keys[key.key_id] = key
        return key

    def import_encryption_key(self, key_id: bytes, envelope: bytes) -> None:
        self.encryption[key_id] = open_envelope(envelope, self.keys[key_id].private)

    def write_certificate(
        self, certificate: x509.Certificate, key_id: bytes, *, signing: bool
    ) -> None:
        self.certificates.append((key_id, signing, certificate))

    def check_certificate_matches(self, certificate: x509.Certificate, key_id: bytes) -> None:
        assert certificate_key(certificate) == self.keys[key_id].public_key


class Steps:
    def __init__(self) -> None:
        self.done: list[str] = []

    def step(self, name: str, **data: str) -> None:
        self.done.append(name)


@pytest.fixture(scope="module")
def sm2_keys() -> CAKeys:
    return sm2_ca_keys()


@pytest.fixture
def pair(counter: Counter, sm2_keys: CAKeys, tmp_path: Path) -> Pair:
    ca, kmc = ca_with_kmc(counter, sm2_keys)
    signing = LocalSigning(ca, kmc)
    counter.ctx.signing_factory = lambda: signing
    # An individual's application as the counter records it (the subscriber of ID_A).
    enrolled = counter.enroll()
    return Pair(counter, ca, kmc, signing, enrolled.application_id)


def _issue(p: Pair, token: FakeSM2Token | None = None) -> tuple[IssuedPair, FakeSM2Token]:
    token = token or FakeSM2Token()
    issued = fulfil_pair(
        token, p.signing, Steps(),
        subject=SubjectInfo("张三"),
        csr_subject=NAME, profile="individual", application_id=p.application_id, operator="clerk1",
    )  # fmt: skip
    return issued, token


def _usage(cert: x509.Certificate) -> x509.KeyUsage:
    return cert.extensions.get_extension_for_class(x509.KeyUsage).value


def test_signing_certificate_of_a_pair_is_for_signatures_only(pair: Pair) -> None:
    issued, _ = _issue(pair)
    usage = _usage(issued.signing.certificate)
    assert usage.digital_signature and usage.content_commitment
    assert not (usage.key_encipherment or usage.data_encipherment or usage.key_agreement)


def test_encryption_certificate_of_a_pair_is_for_encryption_only(pair: Pair) -> None:
    issued, _ = _issue(pair)
    usage = _usage(issued.encryption.certificate)
    assert usage.key_encipherment and usage.data_encipherment and usage.key_agreement
    assert not (usage.digital_signature or usage.content_commitment)


def test_pair_shares_subject_and_term(pair: Pair) -> None:
    issued, _ = _issue(pair)
    sign, enc = issued.signing.certificate, issued.encryption.certificate
    assert sign.subject == enc.subject
    assert enc.not_valid_after_utc == sign.not_valid_after_utc


def test_token_decrypts_what_is_encrypted_to_the_encryption_certificate(pair: Pair) -> None:
    issued, token = _issue(pair)
    public = certificate_key(issued.encryption.certificate)
    assert isinstance(public, SM2PublicKey)
    (imported,) = token.encryption.values()
    assert imported.decrypt(public.encrypt(b"archived secret")) == b"archived secret"


def test_pair_steps_are_journaled_in_order(pair: Pair) -> None:
    steps = Steps()
    fulfil_pair(
        FakeSM2Token(), pair.signing, steps,
        subject=SubjectInfo("张三"),
        csr_subject=NAME, profile="individual", application_id=pair.application_id,
        operator="clerk1",
    )  # fmt: skip
    assert steps.done == ["key_generated", "issued", "written"]


def test_a_pair_needs_an_sm2_signing_key(pair: Pair) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(NAME).sign(key, hashes.SHA256())
    with pytest.raises(BadCSR):
        pair.signing.issue_pair(
            IssueRequest(csr, SubjectInfo("张三"), "individual", pair.application_id, "clerk1")
        )


def test_revoking_the_signing_certificate_revokes_its_encryption_partner(pair: Pair) -> None:
    issued, _ = _issue(pair)
    pair.counter.revoke(issued.signing.serial_hex, identity=ID_A)
    assert pair.status(issued.signing.serial_hex) == "revoked"
    assert pair.status(issued.encryption.serial_hex) == "revoked"


def test_suspend_and_resume_reach_both_certificates(pair: Pair) -> None:
    issued, _ = _issue(pair)
    sign, enc = issued.signing.serial_hex, issued.encryption.serial_hex
    pair.counter.suspend(sign, identity=ID_A)
    assert (pair.status(sign), pair.status(enc)) == ("hold", "hold")
    pair.counter.resume(sign, identity=ID_A)
    assert (pair.status(sign), pair.status(enc)) == ("good", "good")


# -- key recovery ------------------------------------------------------------------------------


def _recover(p: Pair, serial: str, *, identity: str | None = ID_A, maker: str = "sup1",
             second: str | None = "rev1") -> tuple[bytes, SM2PrivateKey]:  # fmt: skip
    new_token_key = SM2PrivateKey.generate()
    csr = build_sm2_csr(new_token_key.public_key(), new_token_key.sign, NAME)
    recovered = recover_key(
        p.counter.store, p.kmc, RecoveryRequest(serial, csr, identity),
        p.counter.acting(maker=maker, second=second),
        lambda: p.kmc.open_key(KMC_PASSPHRASE),
    )  # fmt: skip
    return recovered.envelope, new_token_key


def test_recovered_key_opens_on_the_new_token_and_decrypts_old_data(pair: Pair) -> None:
    issued, _ = _issue(pair)
    public = certificate_key(issued.encryption.certificate)
    assert isinstance(public, SM2PublicKey)
    archived = public.encrypt(b"encrypted last year")
    envelope, new_token_key = _recover(pair, issued.encryption.serial_hex)
    restored = open_envelope(envelope, new_token_key)
    assert restored.decrypt(archived) == b"encrypted last year"


def test_recovery_is_audited_with_both_people(pair: Pair) -> None:
    issued, _ = _issue(pair)
    _recover(pair, issued.encryption.serial_hex)
    with pair.counter.store.session() as session:
        events = [e for e in audit.iter_events(session) if e.action == "kmc.recover"]
    assert len(events) == 1 and events[0].operator == "sup1"


def test_recovery_without_the_identity_shown_is_refused(pair: Pair) -> None:
    issued, _ = _issue(pair)
    with pytest.raises(IdentityRequired):
        _recover(pair, issued.encryption.serial_hex, identity=None)


def test_recovery_with_someone_elses_identity_is_refused(pair: Pair) -> None:
    issued, _ = _issue(pair)
    with pytest.raises(IdentityMismatch):
        _recover(pair, issued.encryption.serial_hex, identity=ID_B)


def test_recovery_by_a_clerk_is_refused(pair: Pair) -> None:
    issued, _ = _issue(pair)
    with pytest.raises(PermissionDenied):
        _recover(pair, issued.encryption.serial_hex, maker="clerk1")


def test_recovery_without_a_second_person_is_refused(pair: Pair) -> None:
    issued, _ = _issue(pair)
    with pytest.raises(SecondPersonRequired):
        _recover(pair, issued.encryption.serial_hex, second=None)


def test_escrow_holds_no_key_in_clear(pair: Pair) -> None:
    token = FakeSM2Token()
    _issue(pair, token)
    (key,) = token.encryption.values()
    scalar = key.scalar().to_bytes(32, "big")
    needles = [scalar, scalar.hex().encode(), scalar.hex().upper().encode()]
    data_dir = pair.counter.ctx.config.data_dir
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.parent.name == "escrow" for p in files)
    for path in files:  # the store (counter.db and its WAL) and the KMC's files
        content = path.read_bytes()
        assert not any(n in content for n in needles), path


def test_sm2_enrollment_without_an_sm2_token_driver_is_refused_before_anything(
    pair: Pair,
) -> None:
    from counter_app.services.sm2_pair import DualCertificatesUnavailable

    before = pair.counter.counts()
    data = example("individual")
    data["key_algorithm"] = "sm2"
    with pytest.raises(DualCertificatesUnavailable):
        pair.counter.enroll(data, label="SUB9")
    assert pair.counter.counts() == before


def test_sm2_enrollment_against_a_p256_signing_module_is_refused(counter: Counter) -> None:
    from counter_app.services.sm2_pair import DualCertificatesUnavailable

    data = example("individual")
    data["key_algorithm"] = "sm2"
    with pytest.raises(DualCertificatesUnavailable, match="ca init --algorithm sm2"):
        counter.enroll(data)


# -- a whole SM2 enrollment through the pipeline, on a fake SM2 token ------------------------


@dataclass(frozen=True)
class DeviceSM2Key:
    key_id: bytes
    label: str
    private: SM2PrivateKey

    @property
    def point(self) -> bytes:
        return self.private.public_key().point

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


SM2_SPEC = KeySpec("sm2", "sm2", curve="sm2p256v1")  # as the SKF driver registers it
try:
    key_spec("sm2")
except UnknownKeyAlgorithm:
    register_key_spec(SM2_SPEC)


@dataclass(frozen=True)
class SM2Capabilities(TokenCapabilities):
    def supports(self, spec: KeySpec) -> bool:
        return spec.family == "sm2"


class FakeSM2Session(FakeTokenSession):
    """A fake SKF session: an SM2 signing key per container, the KMC's key imported beside it."""

    @property
    def capabilities(self) -> TokenCapabilities:
        return SM2Capabilities(self.device.serial, self.device.label, "fake-skf", {}, 6, 16)

    def generate_sm2_signing_key(self, label: str) -> DeviceSM2Key:
        key = DeviceSM2Key(os.urandom(8), label, SM2PrivateKey.generate())
        self.device.keys[key.key_id] = key  # type: ignore[assignment]
        self.device.generated += 1
        return key

    def import_encryption_key(self, key_id: bytes, envelope: bytes) -> None:
        signing = self.device.keys[key_id]
        assert isinstance(signing, DeviceSM2Key)
        IMPORTED[key_id] = open_envelope(envelope, signing.private)

    def write_certificate(  # type: ignore[override]
        self, cert: x509.Certificate, key_id: bytes, label: str = "", *, signing: bool = True
    ) -> None:
        self.device.certificates.append(FakeCertificate(key_id, label, cert))

    def check_certificate_matches(self, cert: x509.Certificate, key_id: bytes) -> None:
        key = self.device.keys[key_id]
        assert isinstance(key, DeviceSM2Key)
        assert certificate_key(cert) == key.private.public_key()


IMPORTED: dict[bytes, SM2PrivateKey] = {}


class FakeSM2Tokens(FakeTokens):
    provides_sm2 = True

    @contextmanager
    def session(self, choice: TokenChoice, pin: str) -> Iterator[FakeSM2Session]:
        with super().session(choice, pin) as plain:
            yield FakeSM2Session(plain.device)


def test_sm2_enrollment_issues_a_pair_and_delivers_the_encryption_key(pair: Pair) -> None:
    tokens = FakeSM2Tokens()
    pair.counter.ctx.token_access = tokens
    pair.counter.tokens = tokens
    data = example("individual")
    data["key_algorithm"] = "sm2"
    result = pair.counter.enroll(data, label="SM2TOKEN", additional_certificate=True)
    assert result.encryption_serial is not None
    assert pair.kmc.partner(result.serial) == result.encryption_serial
    device = tokens.by_label("SM2TOKEN")
    written = {c.certificate.serial_number for c in device.certificates}
    assert written == {int(result.serial, 16), int(result.encryption_serial, 16)}
    (key_id,) = device.keys
    encryption_cert = next(
        c.certificate
        for c in device.certificates
        if c.certificate.serial_number == int(result.encryption_serial, 16)
    )
    public = certificate_key(encryption_cert)
    assert isinstance(public, SM2PublicKey)
    assert IMPORTED[key_id].decrypt(public.encrypt(b"for the token")) == b"for the token"
    assert result.to_json()["encryption_serial"] == result.encryption_serial


def _enroll_sm2(pair: Pair, label: str = "SM2TOKEN") -> tuple[FakeSM2Tokens, str, str]:
    tokens = FakeSM2Tokens()
    pair.counter.ctx.token_access = tokens
    pair.counter.tokens = tokens
    data = example("individual")
    data["key_algorithm"] = "sm2"
    result = pair.counter.enroll(data, label=label, additional_certificate=True)
    assert result.encryption_serial is not None
    return tokens, result.serial, result.encryption_serial


def test_renewing_an_sm2_pair_issues_a_new_pair_and_revokes_the_old_one(pair: Pair) -> None:
    _tokens, sign, enc = _enroll_sm2(pair)
    pair.counter.clock.advance(days=340)
    renewed = pair.counter.renew(sign, label="SM2TOKEN")
    assert renewed.encryption_serial is not None
    assert pair.kmc.partner(renewed.serial) == renewed.encryption_serial
    assert (pair.status(sign), pair.status(enc)) == ("revoked", "revoked")
    assert pair.status(renewed.encryption_serial) == "good"


def test_reissuing_an_sm2_pair_onto_a_new_token_issues_a_new_pair(pair: Pair) -> None:
    tokens, sign, enc = _enroll_sm2(pair)
    reissued = pair.counter.reissue(sign, label="SM2NEW")
    assert reissued.encryption_serial is not None
    assert len(tokens.by_label("SM2NEW").certificates) == 2
    assert (pair.status(sign), pair.status(enc)) == ("revoked", "revoked")
