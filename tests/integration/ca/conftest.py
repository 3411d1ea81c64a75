"""Fixtures of the signing module's tests: an initialised CA (CLI and library), a live server."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from counter_app.ca import CAFiles, CASettings, CertificateAuthority, init_hierarchy
from counter_app.config import load_config
from counter_app.store.db import Store, open_store
from counter_app.store.signing_module import open_signing_module
from tests.conftest import CLI, OFFICERS_ENV, Served, add_officers, base_env, serving

PASSPHRASE = "ca-Passphrase-1"
CA_ENV = {"COUNTER_APP_CA_PASSPHRASE": PASSPHRASE, **OFFICERS_ENV}
BIN = Path(sys.executable).parent


def make_csr(cn: str = "from-the-csr") -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, cn)]))
        .sign(key, hashes.SHA256())
    )
    return key, csr.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="session")
def ca_template(tmp_path_factory: pytest.TempPathFactory, initialised_template: Path) -> Path:
    """A data dir after ``init``, ``ca init`` and the officers, made once per test process."""
    root = tmp_path_factory.mktemp("ca-template")
    shutil.copytree(initialised_template, root / "data")
    cli = CLI(root / "data", base_env(root))
    result = cli("ca", "init", env=CA_ENV)
    assert result.returncode == 0, result.stderr
    add_officers(cli)
    return root / "data"


@pytest.fixture
def ca_cli(cli: CLI, ca_template: Path) -> CLI:
    """``cli`` on a data dir with the local signing module initialised (a copy of the template)."""
    shutil.copytree(ca_template, cli.data_dir)
    return cli


@pytest.fixture
def ca_files(ca_cli: CLI) -> CAFiles:
    return CAFiles.in_data_dir(ca_cli.data_dir)


def issue_via_cli(cli: CLI, tmp_path: Path, profile: str = "individual", **extra: str) -> Path:
    _, csr = make_csr()
    csr_path = tmp_path / f"{profile}.csr"
    csr_path.write_bytes(csr)
    out = tmp_path / f"{profile}.pem"
    args = ["ca", "issue", "--csr", str(csr_path), "--profile", profile, "--out", str(out)]
    args += ["--cn", extra.get("cn", "张三"), "--org", extra.get("org", "某某单位")]
    for oid, value in extra.items():
        if oid.startswith("1."):
            args += ["--id", f"{oid}={value}"]
    result = cli(*args, env=CA_ENV)
    assert result.returncode == 0, result.stderr
    return out


Server = Served


@pytest.fixture
def server(ca_cli: CLI) -> Iterator[Server]:
    with serving(ca_cli.data_dir, {**ca_cli.env, **CA_ENV}) as served:
        yield served


@dataclass
class LibraryCA:
    ca: CertificateAuthority
    store: Store
    files: CAFiles


def throwaway_ca_settings(name: str, **changes: object) -> CASettings:
    """A throw-away software CA's settings (``CN=<name> Root,O=Test,C=CN`` and so on, base URL
    http://127.0.0.1:9), with ``changes`` (algorithm="sm2", crl_partition_size=2, …)."""
    settings = CASettings.software(
        name,
        organization="Test",
        base_url="http://127.0.0.1:9",
        identifier_salt=b"salt-for-tests!!",
    )
    return replace(settings, **changes)  # type: ignore[arg-type]


@contextmanager
def open_library_ca(tmp_path: Path, settings: CASettings) -> Iterator[LibraryCA]:
    """The library initialised with ``settings`` on a real SQLite file under ``tmp_path/lib``,
    composed the way services compose it; its store is closed on leaving."""
    config = load_config(data_dir=tmp_path / "lib", environ={})
    config.data_dir.mkdir(parents=True)
    store = open_store(config.db_url, create=True)
    files = CAFiles.in_data_dir(config.data_dir)
    init_hierarchy(files, settings, passphrase=PASSPHRASE, now=dt.datetime.now(dt.UTC))
    try:
        yield LibraryCA(open_signing_module(config, store, lambda: PASSPHRASE), store, files)
    finally:
        store.close()


@pytest.fixture
def library_ca(tmp_path: Path) -> Iterator[LibraryCA]:
    """The library on a real SQLite file, composed the way services compose it."""
    with open_library_ca(tmp_path, throwaway_ca_settings("Test")) as library:
        yield library


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60)
