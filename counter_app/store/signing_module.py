"""The wiring that builds the signing module of a data dir: keys, repository, profiles, URLs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

from counter_app.ca.authority import CAKeys, CertificateAuthority
from counter_app.ca.errors import CAError
from counter_app.ca.hierarchy import CAFiles, CASettings, issuer_roles
from counter_app.ca.profiles import CAUrls, load_profiles
from counter_app.ca.signing import IssuerKey
from counter_app.config import Config, resource_path
from counter_app.store.certificates import SQLCertificateRepository
from counter_app.store.db import Store

# (settings, issuer) -> that issuing CA's key and its responder's key, opened on the HSM.
HSMKeyLoader = Callable[
    [CASettings, int],
    tuple[CertificateIssuerPrivateKeyTypes, CertificateIssuerPrivateKeyTypes],
]


def open_signing_module(
    config: Config,
    store: Store,
    passphrase_provider: Callable[[], str],
    *,
    hsm_keys: HSMKeyLoader | None = None,
    profiles_path: str | None = None,
) -> CertificateAuthority:
    """The CA of this data dir, ready to issue: keys decrypted (or opened on the HSM).

    ``passphrase_provider`` is only called for keys kept at rest; ``hsm_keys`` returns the
    issuing and responder keys when ``ca init`` put them in an HSM. After ``ca rollover`` the
    CA returned is the active issuer, with the earlier ones added to answer for their own
    certificates (:meth:`CertificateAuthority.add_issuer`).
    """
    files = CAFiles.in_data_dir(config.data_dir)
    settings = files.load_settings()
    if settings.key_storage == "hsm" and hsm_keys is None:
        raise CAError(detail="the CA keys are in an HSM but no HSM access was given")
    passphrase: list[str] = []  # asked once, for the first issuer kept at rest
    path = profiles_path or config.extra.get("profiles") or resource_path("profiles.toml")
    profiles = load_profiles(Path(str(path)))

    def open_issuer(issuer: int) -> CertificateAuthority:
        issuing_role, responder_role = issuer_roles(issuer)
        issuing_key: IssuerKey
        responder_key: IssuerKey
        if hsm_keys is not None and settings.key_storage == "hsm":
            issuing_key, responder_key = hsm_keys(settings, issuer)
        else:
            if not passphrase:
                passphrase.append(passphrase_provider())
            issuing_key = files.load_key(issuing_role, passphrase[0])
            responder_key = files.load_key(responder_role, passphrase[0])
        keys = CAKeys(
            root=files.load_cert("root"),
            issuing=files.load_cert(issuing_role),
            issuing_key=issuing_key,
            responder=files.load_cert(responder_role),
            responder_key=responder_key,
        )
        return CertificateAuthority(
            keys=keys,
            repository=SQLCertificateRepository(store, issuer),
            profiles=profiles,
            urls=CAUrls.from_base(settings.base_url, issuer),
            identifier_salt=settings.identifier_salt,
            on_crl=lambda crl: files.publish_crl(crl.der, issuer),
            on_status_change=lambda serial: files.mark_status_change(),
            crl_partition_size=settings.crl_partition_size,
            issuer=issuer,
        )

    active = open_issuer(settings.active_issuer)
    for issuer in files.issuers():
        if issuer != settings.active_issuer:
            active.add_issuer(open_issuer(issuer))
    return active
