"""密钥恢复: an escrowed SM2 encryption key restored onto a subscriber's new token.

The KMC holds the key encrypted to its own key; recovery builds a new GM/T 0016 envelope for the
new token's signing key (from a CSR signed on that token, so the token proves it holds the key).
The policy (``Action.KMC_RECOVER``): a supervisor makes it, a second person approves, and the
subscriber (or the unit's agent) shows the identity document recorded for the certificate. The
KMC key is opened, then the recovery is audited, and only then is the envelope made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509

from counter_app.ca.keys import verify_csr_signature
from counter_app.ca.sm2 import SM2PrivateKey
from counter_app.domain.errors import CounterError
from counter_app.domain.policy import Action, authorise
from counter_app.kmc import KeyManagementCentre
from counter_app.kmc.pair import sm2_signing_key
from counter_app.services.pipeline import Operators, current_actors
from counter_app.services.records import (
    application,
    check_identity,
    current_record,
    subscriber_as_recorded,
)
from counter_app.store import audit
from counter_app.store.db import Store

log = logging.getLogger(__name__)


class RecoveryWithoutSubscriber(CounterError):
    code = "recovery_without_subscriber"
    zh = "证书 {serial} 不是经柜台受理签发的，无法核验订户身份，不能恢复其加密密钥"
    en = (
        "certificate {serial} was not issued through the counter, so its subscriber's identity "
        "cannot be checked and its key cannot be recovered here"
    )


@dataclass(frozen=True)
class RecoveryRequest:
    serial: str  # the encryption certificate whose key is recovered
    csr: x509.CertificateSigningRequest  # signed on the new token with its SM2 signing key
    identity: str | None  # the number on the document the subscriber shows


@dataclass(frozen=True)
class Recovered:
    serial: str
    key_id: str
    signing_key_id: str
    envelope: bytes  # ENVELOPEDKEYBLOB for the new token

    def to_json(self) -> dict[str, str]:
        return {"serial": self.serial, "key_id": self.key_id, "signing_key_id": self.signing_key_id}


def recover_key(
    store: Store,
    kmc: KeyManagementCentre,
    request: RecoveryRequest,
    operators: Operators,
    open_kmc_key: Callable[[], SM2PrivateKey],
) -> Recovered:
    """Check everything, open the KMC key, audit, then envelope the escrowed key."""
    serial = request.serial.strip().upper()
    log.debug("key recovery of %s", serial)
    record = kmc.record(serial)  # NotEscrowed for anything else
    signing_key = sm2_signing_key(request.csr)
    verify_csr_signature(request.csr, signing_key)
    if record.application_id is None:
        raise RecoveryWithoutSubscriber(serial=serial)
    with store.session() as session:
        origin = application(session, record.application_id)
        subscriber = subscriber_as_recorded(session, current_record(session, serial, origin.id))
    shown = check_identity(subscriber, request.identity)
    auth = authorise(Action.KMC_RECOVER, current_actors(store, operators), identity_shown=shown)
    kmc_key = open_kmc_key()
    signing_key_id = signing_key.key_identifier().hex().upper()
    with store.session() as session:
        audit.append(
            session,
            operator=auth.maker,
            action="kmc.recover",
            obj=f"certificate:{serial}",
            details={
                "key_id": record.key_id,
                "application_id": record.application_id,
                "new_signing_key_id": signing_key_id,
                "second": auth.second,
                "identity_shown": auth.identity_shown,
            },
        )
    envelope = kmc.recover(serial, signing_key, kmc_key)
    return Recovered(serial, record.key_id, signing_key_id, envelope)
