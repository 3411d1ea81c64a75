"""The signing module's state as the admin and supervisor pages show it (read-only).

The same facts as ``counter-app ca status``: the chain (root, issuing CA, OCSP responder) with
validity, the newest CRL's number and next update, and how many days each has left. Like that
CLI verb, this front end reads the signing module's files and CRL table directly (no Qt here;
the page calls it in a worker); the counter services never do (tests/unit/foundation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from counter_app.ca.hierarchy import CAFiles, issuer_roles
from counter_app.config import Config
from counter_app.store.certificates import SQLCertificateRepository
from counter_app.store.db import Store

ROLES = ("root", "issuing", "ocsp")


@dataclass(frozen=True)
class ChainEntry:
    role: str
    subject: str
    not_before: dt.datetime
    not_after: dt.datetime

    def days_left(self, now: dt.datetime) -> int:
        return (self.not_after - now).days


@dataclass(frozen=True)
class SigningStatus:
    algorithm: str
    key_storage: str
    chain: tuple[ChainEntry, ...]
    crl_number: int | None
    crl_this_update: dt.datetime | None
    crl_next_update: dt.datetime | None
    checked_at: dt.datetime

    @property
    def crl_overdue(self) -> bool:
        return self.crl_next_update is None or self.crl_next_update <= self.checked_at

    def entry(self, role: str) -> ChainEntry | None:
        return next((e for e in self.chain if e.role == role), None)


def signing_status(config: Config, store: Store, now: dt.datetime | None = None) -> SigningStatus:
    files = CAFiles.in_data_dir(config.data_dir)
    settings = files.load_settings()
    chain = []
    # After ``ca rollover``: the active issuing CA and its responder (``ca issuers`` lists all).
    for role, file_role in zip(ROLES, ("root", *issuer_roles(settings.active_issuer)), strict=True):
        if files.cert(file_role).exists():
            cert = files.load_cert(file_role)
            chain.append(
                ChainEntry(
                    role,
                    cert.subject.rfc4514_string(),
                    cert.not_valid_before_utc,
                    cert.not_valid_after_utc,
                )
            )
    latest = SQLCertificateRepository(store, settings.active_issuer).latest_crl()
    return SigningStatus(
        algorithm=settings.algorithm,
        key_storage=settings.key_storage,
        chain=tuple(chain),
        crl_number=latest.number if latest else None,
        crl_this_update=latest.this_update if latest else None,
        crl_next_update=latest.next_update if latest else None,
        checked_at=now or dt.datetime.now(dt.UTC),
    )
