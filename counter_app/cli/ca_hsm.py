"""CA keys in a PKCS#11 HSM (``ca init --hsm-module/--hsm-label``), composed from ``token/``.

The keys are generated on the HSM (sensitive, never extractable: ``TokenSession`` checks and
destroys a key without that protection) and never leave it; ``ca/`` receives ``cryptography``
private-key objects whose ``sign`` runs on the HSM. Those objects are only valid while the
signed-in session is open, so the session is opened once per process and kept open for the
life of the CA object (closed when the process exits). The HSM user PIN comes from
COUNTER_APP_HSM_PIN or a prompt, never from argv.
"""

from __future__ import annotations

import atexit
from contextlib import ExitStack, suppress

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

from counter_app.ca.errors import HSMError
from counter_app.ca.hierarchy import CAFiles, CASettings, KeyFactory, issuer_roles
from counter_app.cli.context import read_secret
from counter_app.store.signing_module import HSMKeyLoader
from counter_app.token import TokenSession, key_spec, open_token

PIN_ENV = "COUNTER_APP_HSM_PIN"
# ca init's --algorithm names -> the token layer's key specs.
KEY_SPECS = {"p256": "ec-p256", "p384": "ec-p384", "rsa2048": "rsa-2048", "rsa3072": "rsa-3072"}
LABEL_PREFIX = "counter-ca-"

_sessions: dict[tuple[str, str | None], TokenSession] = {}
_stack = ExitStack()


def _close_at_exit() -> None:
    # The token thread's executor (token/thread.py) is shut down by concurrent.futures' own exit
    # hook, which runs before atexit callbacks: closing the session through it then raises
    # "cannot schedule new futures after shutdown" and printed a traceback after every HSM
    # command (found by scripts/deploy-demo). The process is ending; the module's C_Finalize
    # at unload ends the session either way.
    with suppress(RuntimeError):
        _stack.close()


atexit.register(_close_at_exit)


def hsm_session(module: str, label: str | None) -> TokenSession:
    """The signed-in session on that HSM token, opened once and kept for this process."""
    key = (module, label)
    if key not in _sessions:
        token = open_token(module, label=label)
        _sessions[key] = _stack.enter_context(token.login(read_secret(PIN_ENV)))
    return _sessions[key]


def close_sessions() -> None:
    """Close every kept HSM session (the keys handed out stop working)."""
    _sessions.clear()
    _stack.close()


def key_factory(module: str, label: str | None, algorithm: str) -> KeyFactory:
    """New CA keys made on the HSM, one per role, labelled ``counter-ca-<role>`` (the roles
    of a later issuer: ``counter-ca-issuing-2``, ``counter-ca-ocsp-2``)."""
    spec_name = KEY_SPECS.get(algorithm)
    if spec_name is None:
        raise HSMError(detail=f"{algorithm} keys cannot be made on the HSM; use one of "
                       + ", ".join(KEY_SPECS))  # fmt: skip
    spec = key_spec(spec_name)

    def make(role: str) -> CertificateIssuerPrivateKeyTypes:
        return hsm_session(module, label).generate_key_pair(spec, LABEL_PREFIX + role).private_key()

    return make


def _spki(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def hsm_keys(
    files: CAFiles, settings: CASettings, roles: tuple[str, ...]
) -> list[CertificateIssuerPrivateKeyTypes]:
    """The keys of ``roles`` on the HSM, found by the public keys in their certificates
    (labels alone could match keys left by an earlier CA on the same token)."""
    if not settings.hsm_module:
        raise HSMError(detail="settings.toml names no HSM module")
    session = hsm_session(settings.hsm_module, settings.hsm_label)
    on_token = {_spki(k.public_key): k for k in session.list_keys()}
    found: list[CertificateIssuerPrivateKeyTypes] = []
    for role in roles:
        key = on_token.get(_spki(files.load_cert(role).public_key()))
        if key is None:
            raise HSMError(detail=f"the {role} CA key is not on the HSM token")
        found.append(key.private_key())
    return found


def key_loader(files: CAFiles) -> HSMKeyLoader:
    """Finds an issuing CA's key and its responder's on the HSM (:func:`hsm_keys`)."""

    def load(
        settings: CASettings, issuer: int = 1
    ) -> tuple[CertificateIssuerPrivateKeyTypes, CertificateIssuerPrivateKeyTypes]:
        issuing, responder = hsm_keys(files, settings, issuer_roles(issuer))
        return issuing, responder

    return load
