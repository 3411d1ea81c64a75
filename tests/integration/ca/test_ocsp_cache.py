"""`serve`'s pre-produced OCSP answers (requests without a nonce), judged by `openssl ocsp`.

Every request here is sent without a nonce, so it is answered from the responder's kept
answers: a change of status must reach them before the next answer, POST and GET alike.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from counter_app.ca import CAFiles, CASettings, RevocationReason, SubjectInfo, init_hierarchy
from counter_app.ca.model import IssueRequest, PendingCertificate
from counter_app.config import load_config
from counter_app.store.certificates import SQLCertificateRepository
from counter_app.store.db import open_store
from counter_app.store.signing_module import open_signing_module
from tests.conftest import CLI
from tests.integration.ca.conftest import (
    PASSPHRASE,
    LibraryCA,
    Server,
    issue_via_cli,
    make_csr,
    run,
)
from tests.integration.ca.test_ca_server import ask, serial_of, set_status, verified


def request_for(files: CAFiles, cert: Path, out: Path) -> Path:
    """A no-nonce request in openssl's (the usual) encoding."""
    result = run(
        "openssl", "ocsp", "-issuer", str(files.cert("issuing")), "-cert", str(cert),
        "-no_nonce", "-reqout", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


def ask_post(server: Server, files: CAFiles, cert: Path) -> str:
    answer = ask(server, files, cert, "-no_nonce")
    assert "OCSP Nonce" not in answer
    return answer


def ask_get(server: Server, files: CAFiles, cert: Path, tmp_path: Path) -> str:
    """GET /ocsp/<base64 request>, the answer judged by `openssl ocsp -respin`."""
    der = request_for(files, cert, tmp_path / "get-req.der").read_bytes()
    encoded = base64.b64encode(der).decode().replace("/", "%2F").replace("+", "%2B")
    response = httpx.get(f"{server.url}/ocsp/{encoded}")
    assert response.status_code == 200
    answer = tmp_path / "get-resp.der"
    answer.write_bytes(response.content)
    return verified(run(
        "openssl", "ocsp", "-respin", str(answer), "-issuer", str(files.cert("issuing")),
        "-cert", str(cert), "-CAfile", str(files.cert("root")), "-no_nonce", "-resp_text",
    ))  # fmt: skip


def test_post_without_nonce_answers_revoked_right_after_a_cli_revocation(
    ca_cli: CLI, ca_files: CAFiles, server: Server, tmp_path: Path
) -> None:
    leaf = issue_via_cli(ca_cli, tmp_path)
    assert ": good" in ask_post(server, ca_files, leaf)  # now kept by the responder
    set_status(ca_cli, leaf, "revoke", "--reason", "key-compromise")
    out = ask_post(server, ca_files, leaf)
    assert ": revoked" in out and "keyCompromise" in out and "Revocation Time" in out


def test_post_without_nonce_answers_revoked_at_once_after_a_library_revocation(
    ca_cli: CLI, ca_files: CAFiles, server: Server, tmp_path: Path
) -> None:
    # Another process on this host revokes and the next request follows within milliseconds:
    # no periodic poll can have run in between, only the status stamp can tell the server.
    leaf = issue_via_cli(ca_cli, tmp_path)
    assert ": good" in ask_post(server, ca_files, leaf)
    config = load_config(data_dir=ca_cli.data_dir, environ={})
    store = open_store(config.db_url)
    try:
        ca = open_signing_module(config, store, lambda: PASSPHRASE)
        ca.revoke(serial_of(leaf), RevocationReason.SUPERSEDED, operator="test")
        out = ask_post(server, ca_files, leaf)
    finally:
        store.close()
    assert ": revoked" in out and "superseded" in out


def test_get_without_nonce_answers_revoked_after_a_revocation(
    ca_cli: CLI, ca_files: CAFiles, server: Server, tmp_path: Path
) -> None:
    leaf = issue_via_cli(ca_cli, tmp_path)
    assert ": good" in ask_get(server, ca_files, leaf, tmp_path)
    set_status(ca_cli, leaf, "revoke", "--reason", "key-compromise")
    out = ask_get(server, ca_files, leaf, tmp_path)
    assert ": revoked" in out and "keyCompromise" in out


@pytest.mark.parametrize("method", ["post", "get"])
def test_without_nonce_answers_good_after_a_release(
    ca_cli: CLI, ca_files: CAFiles, server: Server, tmp_path: Path, method: str
) -> None:
    leaf = issue_via_cli(ca_cli, tmp_path)

    def kept_answer() -> str:
        if method == "post":
            return ask_post(server, ca_files, leaf)
        return ask_get(server, ca_files, leaf, tmp_path)

    set_status(ca_cli, leaf, "hold")
    assert "certificateHold" in kept_answer()
    set_status(ca_cli, leaf, "release")
    assert ": good" in kept_answer()


def test_request_about_another_issuers_certificate_is_unauthorized(
    ca_files: CAFiles, server: Server, tmp_path: Path
) -> None:
    other = CAFiles.in_data_dir(tmp_path / "other")
    settings = CASettings.software(
        "Other", base_url="http://127.0.0.1:9", identifier_salt=b"other-salt-16byt"
    )
    init_hierarchy(other, settings, passphrase=PASSPHRASE, now=dt.datetime.now(dt.UTC))
    # A serial that our CA did not issue either: only the issuer check can refuse it.
    result = run(
        "openssl", "ocsp", "-issuer", str(other.cert("issuing")), "-serial", "0x5A5A5A5A5A5A",
        "-url", f"{server.url}/ocsp", "-no_nonce",
    )  # fmt: skip
    assert "Responder Error: unauthorized" in result.stdout + result.stderr


def test_pending_record_is_answered_unknown(ca_cli: CLI, ca_files: CAFiles, server: Server) -> None:
    # Recorded before signing (as issuance does) but never completed: not a certificate yet.
    config = load_config(data_dir=ca_cli.data_dir, environ={})
    store = open_store(config.db_url)
    now = dt.datetime.now(dt.UTC)
    try:
        SQLCertificateRepository(store).reserve(
            PendingCertificate(
                serial_hex="7E57A11C0FFEE0DDBA11",
                subject="CN=pending",
                profile="individual",
                not_before=now,
                not_after=now + dt.timedelta(days=365),
                tbs_der=b"\x30\x00",
                application_id=None,
                operator="test",
            )
        )
    finally:
        store.close()
    result = run(
        "openssl", "ocsp", "-issuer", str(ca_files.cert("issuing")),
        "-serial", "0x7E57A11C0FFEE0DDBA11", "-url", f"{server.url}/ocsp",
        "-CAfile", str(ca_files.cert("root")), "-no_nonce",
    )  # fmt: skip
    assert "Response verify OK" in result.stderr + result.stdout, result.stderr
    assert ": unknown" in result.stdout


def test_get_answer_carries_http_caching_headers(
    ca_cli: CLI, ca_files: CAFiles, server: Server, tmp_path: Path
) -> None:
    leaf = issue_via_cli(ca_cli, tmp_path)
    der = request_for(ca_files, leaf, tmp_path / "req.der").read_bytes()
    encoded = base64.b64encode(der).decode().replace("/", "%2F").replace("+", "%2B")
    response = httpx.get(f"{server.url}/ocsp/{encoded}")
    assert "max-age=" in response.headers["cache-control"]
    assert response.headers["etag"].startswith('"')
    assert response.headers["last-modified"].endswith("GMT")


def test_get_with_matching_etag_is_not_modified(
    ca_cli: CLI, ca_files: CAFiles, server: Server, tmp_path: Path
) -> None:
    leaf = issue_via_cli(ca_cli, tmp_path)
    der = request_for(ca_files, leaf, tmp_path / "req.der").read_bytes()
    url = f"{server.url}/ocsp/" + base64.b64encode(der).decode().replace("/", "%2F").replace(
        "+", "%2B"
    )
    etag = httpx.get(url).headers["etag"]
    assert httpx.get(url, headers={"if-none-match": etag}).status_code == 304


def test_in_process_responder_answers_revoked_right_after_a_revocation(
    library_ca: LibraryCA, tmp_path: Path
) -> None:
    # The signing module's own responder (the EST process, the GUI's library CA) keeps answers
    # too: a revocation made through it must drop the kept "good" at once, no poll in between.
    ca = library_ca.ca
    leaf = ca.issue(
        IssueRequest(
            x509.load_pem_x509_csr(make_csr()[1]), SubjectInfo(common_name="孙八"), "individual"
        )
    )
    leaf_pem = tmp_path / "leaf.pem"
    leaf_pem.write_bytes(leaf.certificate.public_bytes(serialization.Encoding.PEM))
    request = request_for(library_ca.files, leaf_pem, tmp_path / "req.der").read_bytes()
    first = ocsp.load_der_ocsp_response(ca.ocsp_response(request))
    assert first.certificate_status == ocsp.OCSPCertStatus.GOOD
    ca.revoke(leaf.serial_hex, RevocationReason.KEY_COMPROMISE, operator="test")
    after = ocsp.load_der_ocsp_response(ca.ocsp_response(request))
    assert after.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert after.revocation_reason == x509.ReasonFlags.key_compromise
