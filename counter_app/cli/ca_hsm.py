"""CA keys in a PKCS#11 HSM (``ca init --hsm-module/--hsm-label``): not finished yet.

The plan: compose ``counter_app.token``'s cryptography-compatible signer objects here (cli/ may
import both token/ and ca/), so ``ca/`` keeps receiving plain key objects.
"""

from __future__ import annotations

from counter_app.ca.errors import HSMError
from counter_app.ca.hierarchy import KeyFactory
from counter_app.store.certificates import HSMKeyLoader


def key_factory(module: str, label: str | None, algorithm: str) -> KeyFactory:
    raise HSMError(detail="HSM-kept CA keys are not available in this build yet")


def key_loader() -> HSMKeyLoader:
    raise HSMError(detail="HSM-kept CA keys are not available in this build yet")
