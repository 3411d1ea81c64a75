"""What the benchmarks share: a throw-away CA on a temporary SQLite file, the same CA with a
repository that keeps nothing (the crypto and Python cost of issuance alone), and a SoftHSM2
token formatted for a run. Imported by the scripts beside it (``bench/`` is their sys.path[0])."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from counter_app.ca import CAFiles, CASettings, CertificateAuthority, init_hierarchy
from counter_app.ca.model import PendingCertificate
from counter_app.config import load_config
from counter_app.store.db import Store, open_store
from counter_app.store.signing_module import open_signing_module

SO_PIN, USER_PIN = "12345678", "123456"


def bench_ca(
    data_dir: Path, passphrase: str, *, algorithm: str = "p256", now: dt.datetime | None = None
) -> tuple[CertificateAuthority, Store]:
    """A CA initialised in ``data_dir`` (``CN=Bench Root,C=CN`` and so on) and its store."""
    config = load_config(data_dir=data_dir, environ={})
    store = open_store(config.db_url, create=True)
    settings = CASettings.software(
        "Bench", base_url="http://127.0.0.1:8080", identifier_salt=b"bench-salt"
    )
    settings = dataclasses.replace(settings, algorithm=algorithm)
    files = CAFiles.in_data_dir(config.data_dir)
    init_hierarchy(files, settings, passphrase=passphrase, now=now or dt.datetime.now(dt.UTC))
    return open_signing_module(config, store, lambda: passphrase), store


def bench_csr() -> tuple[ec.EllipticCurvePrivateKey, x509.CertificateSigningRequest]:
    """A P-256 key and a request of it with an empty subject (the CA names the subject)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key, x509.CertificateSigningRequestBuilder().subject_name(x509.Name([])).sign(
        key, hashes.SHA256()
    )


class NullRepository:
    """Keeps nothing: ca.issue's crypto and Python work alone."""

    def reserve(self, pending: PendingCertificate) -> None:
        pass

    def complete(self, pending: PendingCertificate, der: bytes) -> None:
        pass

    def reserve_many(self, pendings: object) -> None:
        pass

    def complete_many(self, signed: object) -> None:
        pass

    def get(self, serial_hex: str) -> None:
        return None


def without_store(ca: CertificateAuthority) -> CertificateAuthority:
    """``ca``'s keys, profiles and URLs over a :class:`NullRepository`."""
    return CertificateAuthority(
        keys=ca.keys,
        repository=NullRepository(),  # type: ignore[arg-type]
        profiles=ca.profiles,
        urls=ca._urls,
        identifier_salt=ca._salt,
    )


def private_softhsm(prefix: str) -> Path:
    """A temporary SoftHSM2 token store of this process alone (SOFTHSM2_CONF set to it)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    (tmp / "tokens").mkdir()
    conf = tmp / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp / 'tokens'}\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    return tmp


def openssl_ocsp(
    issuing: Path, leaf: Path, *more: str, **run: Any
) -> subprocess.CompletedProcess[str]:
    """``openssl ocsp -issuer ISSUING -cert LEAF -no_nonce MORE…``, its output captured."""
    return subprocess.run(
        ["openssl", "ocsp", "-issuer", str(issuing), "-cert", str(leaf), "-no_nonce", *more],
        capture_output=True,
        text=True,
        **run,
    )


def init_softhsm_token(label: str) -> None:
    """Formats SoftHSM2's free slot (of the SOFTHSM2_CONF in the environment) as ``label``."""
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label,
         "--so-pin", SO_PIN, "--pin", USER_PIN],
        check=True,
        capture_output=True,
    )  # fmt: skip
