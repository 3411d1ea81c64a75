"""`est serve --ocsp-port`: OCSP from worker processes of its own, plain HTTP, judged by openssl."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509

from counter_app.ca import CAFiles
from tests.integration.ca.conftest import make_csr
from tests.integration.est.conftest import (
    CA_ENV,
    Counter,
    Pki,
    Service,
    start_service,
    stop,
)


@pytest.fixture
def service_with_ocsp(est_counter: Counter, est_template: Pki) -> Iterator[Service]:
    svc = start_service(
        est_counter.cli.data_dir, est_template, est_counter.cli.env, ("--ocsp-port", "0")
    )
    try:
        yield svc
    finally:
        err = stop(svc)
        assert "Traceback" not in err, err


def issue(counter: Counter, tmp_path: Path) -> Path:
    _, csr = make_csr()
    (tmp_path / "leaf.csr").write_bytes(csr)
    out = tmp_path / "leaf.pem"
    result = counter.cli(
        "ca", "issue", "--csr", str(tmp_path / "leaf.csr"), "--profile", "individual",
        "--cn", "张三", "--out", str(out), env=CA_ENV,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


def ask(url: str, files: CAFiles, cert: Path) -> str:
    result = subprocess.run(
        ["openssl", "ocsp", "-issuer", str(files.cert("issuing")), "-cert", str(cert),
         "-url", f"{url}/ocsp", "-CAfile", str(files.cert("root")), "-no_nonce"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Response verify OK" in result.stderr + result.stdout, result.stderr
    return result.stdout


def test_ocsp_workers_answer_good_then_revoked(
    est_counter: Counter, service_with_ocsp: Service, tmp_path: Path
) -> None:
    assert service_with_ocsp.ocsp_url is not None
    files = CAFiles.in_data_dir(est_counter.cli.data_dir)
    leaf = issue(est_counter, tmp_path)
    assert ": good" in ask(service_with_ocsp.ocsp_url, files, leaf)
    serial = x509.load_pem_x509_certificate(leaf.read_bytes()).serial_number
    serial_hex = serial.to_bytes((serial.bit_length() + 7) // 8, "big").hex().upper()
    result = est_counter.cli("ca", "revoke", serial_hex, "--reason", "superseded", env=CA_ENV)
    assert result.returncode == 0, result.stderr
    assert ": revoked" in ask(service_with_ocsp.ocsp_url, files, leaf)


def test_ocsp_workers_stop_with_the_service(est_counter: Counter, est_template: Pki) -> None:
    svc = start_service(
        est_counter.cli.data_dir, est_template, est_counter.cli.env, ("--ocsp-port", "0")
    )
    assert svc.ocsp_url is not None
    address = urlsplit(svc.ocsp_url)
    stop(svc)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address.hostname, address.port), timeout=5).close()
