"""`serve` on 127.0.0.1 judged by `openssl ocsp -url` and plain HTTP."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import httpx
import pytest
from cryptography.x509 import ocsp

from counter_app.ca import CAFiles
from tests.conftest import CLI
from tests.integration.ca.conftest import CA_ENV, Server, issue_via_cli, run


def serial_of(cert: Path) -> str:
    return (
        run("openssl", "x509", "-in", str(cert), "-noout", "-serial").stdout.split("=")[1].strip()
    )


def set_status(ca_cli: CLI, leaf: Path, verb: str, *more: str) -> None:
    """``ca VERB SERIAL MORE…`` (hold, release, revoke) on the certificate ``leaf`` succeeds."""
    result = ca_cli("ca", verb, serial_of(leaf), *more, env=CA_ENV)
    assert result.returncode == 0, result.stderr


def verified(answer: subprocess.CompletedProcess[str]) -> str:
    """The text of an `openssl ocsp` answer, which openssl says verifies."""
    assert "Response verify OK" in answer.stderr + answer.stdout, answer.stderr
    return answer.stdout


def ask(server: Server, files: CAFiles, cert: Path, *more: str) -> str:
    """`openssl ocsp -url` (with ``more`` of its options) about ``cert``: the verified answer."""
    return verified(run(
        "openssl", "ocsp", "-issuer", str(files.cert("issuing")), "-cert", str(cert),
        "-url", f"{server.url}/ocsp", "-CAfile", str(files.cert("root")), "-resp_text", *more,
    ))  # fmt: skip


def test_ocsp_answers_good_for_an_issued_certificate(
    ca_cli: CLI, ca_files: CAFiles, server: Server, tmp_path: Path
) -> None:
    out = ask(server, ca_files, issue_via_cli(ca_cli, tmp_path))
    assert ": good" in out
    assert "Next Update" in out
    assert "OCSP Nonce" in out  # openssl sends a nonce by default; it must come back


def test_ocsp_answers_revoked_with_time_and_reason(
    ca_cli: CLI, ca_files: CAFiles, server: Server, tmp_path: Path
) -> None:
    leaf = issue_via_cli(ca_cli, tmp_path)
    ask(server, ca_files, leaf)  # a cached "good" must not survive the revocation
    set_status(ca_cli, leaf, "revoke", "--reason", "key-compromise")
    out = ask(server, ca_files, leaf)
    assert ": revoked" in out
    assert "Revocation Time" in out
    assert "keyCompromise" in out


def test_ocsp_answers_hold_as_revoked_certificate_hold(
    ca_cli: CLI, ca_files: CAFiles, server: Server, tmp_path: Path
) -> None:
    leaf = issue_via_cli(ca_cli, tmp_path)
    set_status(ca_cli, leaf, "hold")
    out = ask(server, ca_files, leaf)
    assert ": revoked" in out and "certificateHold" in out


def test_ocsp_answers_good_again_after_release(
    ca_cli: CLI, ca_files: CAFiles, server: Server, tmp_path: Path
) -> None:
    leaf = issue_via_cli(ca_cli, tmp_path)
    set_status(ca_cli, leaf, "hold")
    ask(server, ca_files, leaf)
    set_status(ca_cli, leaf, "release")
    assert ": good" in ask(server, ca_files, leaf)


def test_ocsp_answers_unknown_for_a_serial_never_issued(ca_files: CAFiles, server: Server) -> None:
    result = run(
        "openssl", "ocsp", "-issuer", str(ca_files.cert("issuing")), "-serial", "0x1234567890ABCDEF",
        "-url", f"{server.url}/ocsp", "-CAfile", str(ca_files.cert("root")),
    )  # fmt: skip
    assert "Response verify OK" in result.stderr + result.stdout
    assert ": unknown" in result.stdout


def test_malformed_ocsp_request_gets_malformed_request(server: Server) -> None:
    response = httpx.post(f"{server.url}/ocsp", content=b"\x30\x03garbage")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ocsp-response"
    parsed = ocsp.load_der_ocsp_response(response.content)
    assert parsed.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_oversized_ocsp_body_is_refused(server: Server) -> None:
    response = httpx.post(f"{server.url}/ocsp", content=b"\x00" * 100_000)
    assert response.status_code == 413


def test_ocsp_get_with_base64_request_is_answered(
    ca_cli: CLI, ca_files: CAFiles, server: Server, tmp_path: Path
) -> None:
    leaf = issue_via_cli(ca_cli, tmp_path)
    req = tmp_path / "req.der"
    run("openssl", "ocsp", "-issuer", str(ca_files.cert("issuing")), "-cert", str(leaf),
        "-no_nonce", "-reqout", str(req))  # fmt: skip
    encoded = base64.b64encode(req.read_bytes()).decode().replace("/", "%2F").replace("+", "%2B")
    response = httpx.get(f"{server.url}/ocsp/{encoded}")
    parsed = ocsp.load_der_ocsp_response(response.content)
    assert parsed.certificate_status is ocsp.OCSPCertStatus.GOOD


def test_crl_is_served_as_der_with_pkix_crl_type(server: Server, ca_files: CAFiles) -> None:
    response = httpx.get(f"{server.url}/crl")
    assert response.headers["content-type"] == "application/pkix-crl"
    assert response.content == ca_files.crl.read_bytes()


def test_chain_and_health_are_served(server: Server, ca_files: CAFiles) -> None:
    assert httpx.get(f"{server.url}/healthz").text == "ok\n"
    chain = httpx.get(f"{server.url}/ca/chain.pem").content
    assert chain == ca_files.cert("issuing").read_bytes() + ca_files.cert("root").read_bytes()


def test_server_started_after_a_revocation_answers_revoked(
    ca_cli: CLI, ca_files: CAFiles, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # Revoked while no server ran: a (re)started server reads status from the database.
    leaf = issue_via_cli(ca_cli, tmp_path)
    set_status(ca_cli, leaf, "revoke", "--reason", "superseded")
    server: Server = request.getfixturevalue("server")
    out = ask(server, ca_files, leaf)
    assert ": revoked" in out and "superseded" in out
