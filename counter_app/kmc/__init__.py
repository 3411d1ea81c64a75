"""The key management centre (密钥管理中心) of SM2 dual certificates: docs/sm2.md."""

from counter_app.kmc.centre import (
    EscrowRecord,
    KeyManagementCentre,
    KMCFiles,
    KMCNotInitialised,
    NotEscrowed,
    init_kmc,
)
from counter_app.kmc.envelope import EnvelopedKeyBlob, EnvelopeError, open_envelope, seal
from counter_app.kmc.pair import IssuedPair, PairedStatus, issue_pair

__all__ = [
    "EnvelopeError",
    "EnvelopedKeyBlob",
    "EscrowRecord",
    "IssuedPair",
    "KMCFiles",
    "KMCNotInitialised",
    "KeyManagementCentre",
    "NotEscrowed",
    "PairedStatus",
    "init_kmc",
    "issue_pair",
    "open_envelope",
    "seal",
]
