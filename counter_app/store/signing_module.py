"""The wiring that builds the signing module of a data dir: keys, repository, profiles, URLs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

from counter_app.ca.authority import CAKeys, CertificateAuthority
from counter_app.ca.errors import CAError
from counter_app.ca.hierarchy import CAFiles, CASettings
from counter_app.ca.profiles import CAUrls, load_profiles
from counter_app.ca.signing import IssuerKey
from counter_app.config import Config, resource_path
from counter_app.store.certificates import SQLCertificateRepository
from counter_app.store.db import Store

HSMKeyLoader = Callable[
    [CASettings], tuple[CertificateIssuerPrivateKeyTypes, CertificateIssuerPrivateKeyTypes]
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
    issuing and responder keys when ``ca init`` put them in an HSM.
    """
    files = CAFiles.in_data_dir(config.data_dir)
    settings = files.load_settings()
    issuing_key: IssuerKey
    responder_key: IssuerKey
    if settings.key_storage == "hsm":
        if hsm_keys is None:
            raise CAError(detail="the CA keys are in an HSM but no HSM access was given")
        issuing_key, responder_key = hsm_keys(settings)
    else:
        passphrase = passphrase_provider()
        issuing_key = files.load_key("issuing", passphrase)
        responder_key = files.load_key("ocsp", passphrase)
    keys = CAKeys(
        root=files.load_cert("root"),
        issuing=files.load_cert("issuing"),
        issuing_key=issuing_key,
        responder=files.load_cert("ocsp"),
        responder_key=responder_key,
    )
    path = profiles_path or config.extra.get("profiles") or resource_path("profiles.toml")
    return CertificateAuthority(
        keys=keys,
        repository=SQLCertificateRepository(store),
        profiles=load_profiles(Path(str(path))),
        urls=CAUrls.from_base(settings.base_url),
        identifier_salt=settings.identifier_salt,
        on_crl=lambda crl: files.publish_crl(crl.der),
        on_status_change=lambda serial: files.mark_status_change(),
        crl_partition_size=settings.crl_partition_size,
    )
