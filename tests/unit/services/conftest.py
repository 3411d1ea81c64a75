"""A whole counter in-process for the service tests: a SQLite store per test, a real signing
module (P-256 CA made in memory), fake tokens (see ``fakes.py``) and real operators.

The operators are made (and signed in) once in a template database that every test copies, so
Argon2 runs a handful of times per session instead of per test.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from counter_app.ca import CAKeys, CASettings, CAUrls, CertificateAuthority, load_profiles
from counter_app.ca.hierarchy import make_hierarchy
from counter_app.ca.sm2 import SM2PrivateKey
from counter_app.config import load_config, resource_path
from counter_app.domain.fees import SettlementForm
from counter_app.domain.lifecycle import RevocationReason
from counter_app.domain.operators import Role
from counter_app.domain.subscribers import DocumentSeen, DocumentType
from counter_app.kmc import KeyManagementCentre, KMCFiles, init_kmc
from counter_app.services import certificates, operators, replace, unlock
from counter_app.services.certificates import StatusChanged, StatusRequest
from counter_app.services.context import ServiceContext
from counter_app.services.enroll import EnrollmentResult, EnrollRequest, enroll
from counter_app.services.operators import OperatorInfo
from counter_app.services.pipeline import Operators
from counter_app.services.signing import LocalSigning
from counter_app.services.tokens import TokenChoice
from counter_app.store.ca_tables import Certificate
from counter_app.store.certificates import SQLCertificateRepository
from counter_app.store.counter import (
    AgreementRecord,
    ApplicationRow,
    JournalEntry,
    PaymentRow,
    RefundRow,
    SubscriberRow,
)
from counter_app.store.db import Store, open_store
from tests.unit.services.fakes import SO_PIN, USER_PIN, FakeTokens

EXAMPLES = Path(resource_path("examples"))
ADMIN_PASSWORD = "Adm1n-pass"
STAFF: dict[str, tuple[Role, str]] = {
    "clerk1": (Role.CLERK, "Clerk-pass1"),
    "clerk2": (Role.CLERK, "Clerk-pass2"),
    "rev1": (Role.REVIEWER, "Review-pass1"),
    "rev2": (Role.REVIEWER, "Review-pass2"),
    "sup1": (Role.SUPERVISOR, "Super-pass1"),
    "sup2": (Role.SUPERVISOR, "Super-pass2"),
}


# The individual of resources/examples/enroll-individual.json (张三) and another person.
ID_A = "140105198506122318"
ID_B = "140102199003071534"
# The unit example's handling agent (李四) and the agent who takes over from them.
AGENT_OLD_ID = "140102199003071526"
AGENT_NEW_ID = "140102199105011014"
CARD = SettlementForm(method="card")


def id_card(number: str) -> DocumentSeen:
    return DocumentSeen(DocumentType.RESIDENT_ID_CARD, number)


def person_b() -> dict[str, Any]:
    """Another individual than the example's, for a token that must not serve two people."""
    data = example("individual")
    data["subscriber"].update(
        name="王小明", id_number=ID_B, social_insurance_number=ID_B, email="wxm@example.cn"
    )
    data["documents"] = [{"type": "resident_id_card", "number": ID_B}]
    return data


def unit(name: str | None = None, agent_id: str = AGENT_OLD_ID) -> dict[str, Any]:
    """The unit example with an EC key (fast on the fake), optionally renamed or with another
    handling agent."""
    data = example("unit")
    data["key_algorithm"] = "ec-p256"
    if name is not None:
        data["subscriber"]["name"] = name
    if agent_id != AGENT_OLD_ID:
        data["subscriber"]["agent"].update(name="赵六", id_number=agent_id)
        for doc in data["documents"]:
            if doc["type"] == "resident_id_card":
                doc["number"] = agent_id
    return data


def waived_device(approved_by: str | None = "sup1") -> dict[str, Any]:
    data = example("device")
    if approved_by is None:
        del data["payment"]["waiver"]["approved_by"]
    else:
        data["payment"]["waiver"]["approved_by"] = approved_by
    return data


def example(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (EXAMPLES / f"enroll-{kind}.json").read_text(encoding="utf-8")
    )
    return data


@dataclass(frozen=True)
class Template:
    db: Path
    people: dict[str, OperatorInfo]


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    db = tmp_path_factory.mktemp("template") / "counter.db"
    store = open_store(f"sqlite:///{db}", create=True)
    # Argon2 at the product's cost takes most of a second per hash here; what these tests prove
    # does not rest on the hash's cost, so the template's operators get cheap (real) hashes.
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(operators, "_hasher", cheap)
        try:
            admin = operators.create_first_admin(store, "admin", ADMIN_PASSWORD)
            for name, (role, password) in STAFF.items():
                operators.add_operator(store, admin, name, role, password)
            people = {"admin": operators.authenticate(store, "admin", ADMIN_PASSWORD)}
            for name, (_role, password) in STAFF.items():
                people[name] = operators.authenticate(store, name, password)
        finally:
            store.close()
    return Template(db, people)


KMC_PASSPHRASE = "kmc-Passphrase-1"
SM2_SETTINGS = CASettings(
    "CN=SM2 Root,C=CN", "CN=SM2 Issuing,C=CN", "CN=SM2 OCSP,C=CN",
    "sm2", "pkcs8", "http://127.0.0.1:9", b"unit-test-salt!!",
)  # fmt: skip


def in_memory_ca_keys(settings: CASettings, new_key: Callable[[], Any]) -> CAKeys:
    """A CA hierarchy made in memory under ``settings``, each role's key from ``new_key()``."""
    keys = {role: new_key() for role in ("root", "issuing", "ocsp")}
    certs = make_hierarchy(settings, dict(keys), dt.datetime.now(dt.UTC))
    return CAKeys(certs["root"], certs["issuing"], keys["issuing"], certs["ocsp"], keys["ocsp"])


def sm2_ca_keys() -> CAKeys:
    """An SM2 CA hierarchy made in memory (SM2_SETTINGS)."""
    return in_memory_ca_keys(SM2_SETTINGS, SM2PrivateKey.generate)


@pytest.fixture(scope="session")
def ca_keys() -> CAKeys:
    settings = CASettings.software(
        "Unit Test",
        organization="Test",
        base_url="http://127.0.0.1:9",
        identifier_salt=b"unit-test-salt!!",
    )
    return in_memory_ca_keys(settings, lambda: ec.generate_private_key(ec.SECP256R1()))


def counter_ca(
    store: Store, clock: Callable[[], dt.datetime], keys: CAKeys
) -> CertificateAuthority:
    """The signing module on ``keys`` over the counter's store and clock."""
    return CertificateAuthority(
        keys=keys,
        repository=SQLCertificateRepository(store),
        profiles=load_profiles(resource_path("profiles.toml")),
        urls=CAUrls.from_base("http://127.0.0.1:9"),
        identifier_salt=b"unit-test-salt!!",
        clock=clock,
    )


def ca_with_kmc(counter: Counter, keys: CAKeys) -> tuple[CertificateAuthority, KeyManagementCentre]:
    """A signing module on ``keys`` over the counter's store and clock, and a KMC made in the
    counter's data dir under KMC_PASSPHRASE: the two halves of an SM2 dual enrollment."""
    files = KMCFiles.in_data_dir(counter.ctx.config.data_dir)
    init_kmc(files, KMC_PASSPHRASE)
    return counter_ca(counter.store, counter.clock, keys), KeyManagementCentre(files)


@dataclass
class Clock:
    """The counter's clock, shared by the services and the in-process signing module."""

    offset: dt.timedelta = field(default_factory=dt.timedelta)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += dt.timedelta(**delta)


@dataclass(frozen=True)
class Counts:
    """Rows of every table a service writes, and key pairs ever made on the fake tokens."""

    subscribers: int
    applications: int
    agreements: int
    payments: int
    refunds: int
    journal: int
    certificates: int
    keys_generated: int


@dataclass
class Counter:
    ctx: ServiceContext
    ca: CertificateAuthority
    tokens: FakeTokens
    clock: Clock
    people: dict[str, OperatorInfo]

    @property
    def store(self) -> Store:
        return self.ctx.store

    def acting(
        self, maker: str = "clerk1", second: str | None = "rev1", supervisor: str | None = None
    ) -> Operators:
        return Operators(
            maker=self.people[maker],
            second=self.people[second] if second else None,
            supervisor=self.people[supervisor] if supervisor else None,
        )

    def token(self, label: str) -> TokenChoice:
        if not any(d.label == label for d in self.tokens.devices.values()):
            self.tokens.add(label)
        return TokenChoice(label=label)

    def enroll_request(
        self,
        data: dict[str, Any] | None = None,
        label: str = "SUB1",
        *,
        pin: str = USER_PIN,
        additional_certificate: bool = False,
    ) -> EnrollRequest:
        return EnrollRequest.parse(
            self.ctx,
            example("individual") if data is None else data,
            token=self.token(label),
            pin=pin,
            additional_certificate=additional_certificate,
        )

    def enroll(
        self,
        data: dict[str, Any] | None = None,
        label: str = "SUB1",
        operators: Operators | None = None,
        **kw: Any,
    ) -> EnrollmentResult:
        request = self.enroll_request(data, label, **kw)
        return enroll(self.ctx, request, operators or self.acting())

    # -- the other services, with the defaults a plain case needs ------------------------------

    def renew(
        self, serial: str, operators: Operators | None = None, label: str = "SUB1"
    ) -> EnrollmentResult:
        request = replace.ReplaceRequest(serial, self.token(label), USER_PIN, CARD)
        return replace.renew(self.ctx, request, operators or self.acting())

    def reissue(
        self, serial: str, operators: Operators | None = None, label: str = "SUB2"
    ) -> EnrollmentResult:
        request = replace.ReplaceRequest(serial, self.token(label), USER_PIN, CARD)
        return replace.reissue(self.ctx, request, operators or self.acting())

    def change(
        self,
        serial: str,
        subscriber: dict[str, Any],
        documents: tuple[DocumentSeen, ...] = (id_card(ID_A),),
        operators: Operators | None = None,
        label: str | None = None,
    ) -> EnrollmentResult | replace.ChangeRecorded:
        request = replace.ChangeRequest(
            serial,
            {"subscriber": subscriber},
            documents,
            self.token(label) if label else None,
            USER_PIN if label else None,
            CARD,
        )
        return replace.change(self.ctx, request, operators or self.acting())

    def add_item(
        self, serial: str, item: str = "si-online", operators: Operators | None = None
    ) -> EnrollmentResult | replace.ItemRecorded:
        request = replace.AddItemRequest(serial, item, settlement=CARD)
        return replace.add_item(self.ctx, request, operators or self.acting())

    def unlock(
        self, identity: str = ID_A, operators: Operators | None = None, label: str = "SUB1"
    ) -> unlock.UnlockResult:
        request = unlock.UnlockRequest(self.token(label), identity, SO_PIN, "135792", CARD)
        return unlock.unlock(self.ctx, request, operators or self.acting())

    def suspend(
        self,
        serial: str,
        identity: str | None = ID_A,
        operators: Operators | None = None,
        emergency_reason: str | None = None,
    ) -> StatusChanged:
        request = StatusRequest(serial, identity=identity, emergency_reason=emergency_reason)
        return certificates.suspend(self.ctx, request, operators or self.acting(second=None))

    def resume(
        self, serial: str, identity: str | None = ID_A, operators: Operators | None = None
    ) -> StatusChanged:
        request = StatusRequest(serial, identity=identity)
        return certificates.resume(self.ctx, request, operators or self.acting())

    def revoke(
        self, serial: str, identity: str | None = ID_A, operators: Operators | None = None
    ) -> StatusChanged:
        request = StatusRequest(serial, identity=identity, reason=RevocationReason.KEY_COMPROMISE)
        return certificates.revoke(self.ctx, request, operators or self.acting())

    def counts(self) -> Counts:
        with self.store.session() as session:

            def n(model: Any) -> int:
                return int(session.execute(select(func.count()).select_from(model)).scalar_one())

            return Counts(
                subscribers=n(SubscriberRow),
                applications=n(ApplicationRow),
                agreements=n(AgreementRecord),
                payments=n(PaymentRow),
                refunds=n(RefundRow),
                journal=n(JournalEntry),
                certificates=n(Certificate),
                keys_generated=self.tokens.keys_generated,
            )

    def certificate(self, serial: str) -> x509.Certificate:
        record = self.ca.status(serial)
        assert record.der is not None
        return x509.load_der_x509_certificate(record.der)

    def status(self, serial: str) -> str:
        return self.ca.status(serial).status.value


@pytest.fixture
def counter(tmp_path: Path, template: Template, ca_keys: CAKeys) -> Iterator[Counter]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(template.db, data_dir / "counter.db")
    config = load_config(data_dir=data_dir, environ={})
    store = open_store(config.db_url)
    clock = Clock()
    ca = counter_ca(store, clock, ca_keys)
    tokens = FakeTokens()
    ctx = ServiceContext(
        config=config,
        store=store,
        signing_factory=lambda: LocalSigning(ca),
        clock=clock,
        token_access=tokens,
    )
    try:
        yield Counter(ctx, ca, tokens, clock, dict(template.people))
    finally:
        store.close()
