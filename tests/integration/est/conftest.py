"""The shared signing service on 127.0.0.1: EST over mutual TLS, started by the real CLI.

A session template (operators, CA, counter-client CA, the service's TLS certificate and one
counter's client certificate) is made once through the CLI; each test copies it, starts
``counter-app est serve`` on a free port and talks to it as a counter would.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.conftest import CLI, SoftHSM, base_env, write_cert_and_key
from tests.integration.services.conftest import (  # noqa: F401  (fixtures used here)
    CA_PASSPHRASE,
    OPERATORS,
    Counter,
    template_data_dir,
)

BIN = Path(sys.executable).parent
TLS_PASS = "tls-Key-pass1"
CLIENT_PASS = "client-Key-pass1"
COUNTER_NAME = "counter-01"
# The template data dir's own officers sign in for `ca issue`, `ca revoke` and `ca rollover`.
CA_ENV = {
    "COUNTER_APP_CA_PASSPHRASE": CA_PASSPHRASE,
    "COUNTER_APP_SUPERVISOR": "supervisor",
    "COUNTER_APP_SUPERVISOR_PASSWORD": OPERATORS["supervisor"][1],
    "COUNTER_APP_REVIEWER": "rev1",
    "COUNTER_APP_REVIEWER_PASSWORD": OPERATORS["rev1"][1],
}


@dataclass(frozen=True)
class Pki:
    data_dir: Path
    tls_cert: Path
    tls_key: Path
    client_cert: Path
    client_key: Path
    trust: Path  # the counter-client CA: it also certified the service's TLS certificate


@pytest.fixture(scope="session")
def est_template(template_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Pki:  # noqa: F811
    root = tmp_path_factory.mktemp("est-template")
    data = root / "data"
    shutil.copytree(template_data_dir, data)
    cli = CLI(data, base_env(root))
    env = {
        "COUNTER_APP_CA_PASSPHRASE": CA_PASSPHRASE,
        "COUNTER_APP_TLS_KEY_PASSPHRASE": TLS_PASS,
        "COUNTER_APP_CLIENT_KEY_PASSPHRASE": CLIENT_PASS,
    }
    assert (r := cli("est", "init", env=env)).returncode == 0, r.stderr
    r = cli(
        "est",
        "server-cert",
        "est-service",
        "--host",
        "127.0.0.1",
        "--out",
        str(root / "tls"),
        env=env,
    )
    assert r.returncode == 0, r.stderr
    tls = json.loads(r.stdout)
    r = cli("est", "counter-cert", COUNTER_NAME, "--out", str(root / "client"), env=env)
    assert r.returncode == 0, r.stderr
    client = json.loads(r.stdout)
    return Pki(
        data,
        Path(tls["cert"]),
        Path(tls["key"]),
        Path(client["cert"]),
        Path(client["key"]),
        Path(client["trust"]),
    )


@dataclass
class Service:
    url: str
    proc: subprocess.Popen[str]
    pki: Pki
    ocsp_url: str | None = None  # est serve --ocsp-port: its own OCSP workers

    @property
    def counter_env(self) -> dict[str, str]:
        """What a counter needs to reach the service (and no CA passphrase: it cannot sign)."""
        return {
            "COUNTER_APP_CA_CLIENT_CERT": str(self.pki.client_cert),
            "COUNTER_APP_CA_CLIENT_KEY": str(self.pki.client_key),
            "COUNTER_APP_CA_TRUST": str(self.pki.trust),
            "COUNTER_APP_CLIENT_KEY_PASSPHRASE": CLIENT_PASS,
            "COUNTER_APP_CA_PASSPHRASE": "",
        }

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]


def start_service(
    data_dir: Path, pki: Pki, env: dict[str, str], extra: tuple[str, ...] = ()
) -> Service:
    proc = subprocess.Popen(
        [
            str(BIN / "counter-app"),
            "--data-dir",
            str(data_dir),
            "est",
            "serve",
            "--port",
            "0",
            "--tls-cert",
            str(pki.tls_cert),
            "--tls-key",
            str(pki.tls_key),
            *extra,
        ],
        env={
            **env,
            "COUNTER_APP_CA_PASSPHRASE": CA_PASSPHRASE,
            "COUNTER_APP_TLS_KEY_PASSPHRASE": TLS_PASS,
        },
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    ocsp_url = None
    if "--ocsp-port" in extra:
        found = re.search(r"serving OCSP on (http://\S+)", proc.stderr.readline())
        assert found, proc.stderr.read()
        ocsp_url = found.group(1)
    line = proc.stderr.readline()
    match = re.search(r"serving EST on (https://\S+)", line)
    if not match:
        proc.kill()
        raise AssertionError(line + proc.stderr.read())
    return Service(match.group(1), proc, pki, ocsp_url)


def stop(service: Service) -> str:
    service.proc.terminate()
    try:
        _, err = service.proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        service.proc.kill()
        _, err = service.proc.communicate()
    return err


@pytest.fixture
def est_counter(tmp_path: Path, cli: CLI, softhsm: SoftHSM, est_template: Pki) -> Counter:
    """A counter whose data dir (and so database) the service shares, as on PostgreSQL."""
    shutil.copytree(est_template.data_dir, cli.data_dir)
    return Counter(cli, softhsm, tmp_path)


@pytest.fixture
def service(est_counter: Counter, est_template: Pki) -> Iterator[Service]:
    svc = start_service(est_counter.cli.data_dir, est_template, est_counter.cli.env)
    try:
        yield svc
    finally:
        err = stop(svc)
        assert "Traceback" not in err, err


def foreign_client(tmp: Path) -> tuple[Path, Path]:
    """A client certificate from a CA the service has never heard of (unencrypted test key)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Counter Client CA")])
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COUNTER_NAME)]))
        .issuer_name(ca_name)  # the same name as ours: only the signature tells them apart
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = write_cert_and_key(cert, key, tmp / "foreign.crt", tmp / "foreign.key")
    os.chmod(key_path, 0o600)
    return cert_path, key_path


def run(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(args), capture_output=True, input=input, timeout=60)
