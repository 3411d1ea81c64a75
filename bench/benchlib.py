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
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(config.db_url, create=True)
    settings = CASettings.software(
        "Bench", base_url="http://127.0.0.1:8080", identifier_salt=b"bench-salt"
    )
    settings = dataclasses.replace(settings, algorithm=algorithm)
    files = CAFiles.in_data_dir(config.data_dir)
    init_hierarchy(files, settings, passphrase=passphrase, now=now or dt.datetime.now(dt.UTC))
    return open_signing_module(config, store, lambda: passphrase), store


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


def init_softhsm_token(label: str) -> None:
    """Formats SoftHSM2's free slot (of the SOFTHSM2_CONF in the environment) as ``label``."""
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label,
         "--so-pin", SO_PIN, "--pin", USER_PIN],
        check=True,
        capture_output=True,
    )  # fmt: skip
