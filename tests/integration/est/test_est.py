"""The shared signing service (EST, RFC 7030, over mutual TLS) on 127.0.0.1, judged by curl,
``openssl s_client|pkcs7|verify``, pkcs11-tool and the real ``counter-app enroll --ca-url``.

No well-kept EST client exists on PyPI or in Debian (no ``python-est``/``estclient``/libest
package), so curl plays the standard EST client: base64 PKCS#10 in, base64 PKCS#7 out.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from counter_app.ca import IssueRequest, RevocationReason, SubjectInfo
from counter_app.ca.model import IssuedCertificate
from counter_app.services.est_client import (
    ESTSettings,
    ESTSigning,
    SigningServiceRefused,
    SigningServiceUnavailable,
)
from counter_app.services.est_wire import RA_HEADER, RARequest, encode_ra_request
from tests.conftest import CLIResult
from tests.integration.est.conftest import CLIENT_PASS, COUNTER_NAME, Service, foreign_client, run
from tests.integration.services.conftest import Counter, example
from tests.integration.services.test_enroll import _read_token_certificate

EST = "/.well-known/est"


def curl(
    service: Service, path: str, *args: str, cert: tuple[Path, Path] | None = None
) -> list[str]:
    # Test only: curl takes the key passphrase on argv; product code never does.
    cmd = ["curl", "-sS", "--max-time", "20", "--cacert", str(service.pki.trust)]
    if cert is None:
        cert = (service.pki.client_cert, service.pki.client_key)
        cmd += ["--pass", CLIENT_PASS]
    if cert:
        cmd += ["--cert", str(cert[0]), "--key", str(cert[1])]
    return [*cmd, *args, service.url + path]


def pkcs7_subjects(b64: bytes, tmp: Path) -> list[str]:
    der = tmp / "p7.der"
    der.write_bytes(base64.b64decode(b"".join(b64.split()), validate=True))
    out = run("openssl", "pkcs7", "-inform", "DER", "-in", str(der), "-print_certs", "-noout")
    assert out.returncode == 0, out.stderr
    return re.findall(r"subject=(.*)", out.stdout.decode())


def pkcs7_leaf(b64: bytes, tmp: Path) -> Path:
    der = tmp / "leaf.p7"
    der.write_bytes(base64.b64decode(b"".join(b64.split()), validate=True))
    pem = tmp / "leaf.pem"
    out = run(
        "openssl", "pkcs7", "-inform", "DER", "-in", str(der), "-print_certs", "-out", str(pem)
    )
    assert out.returncode == 0, out.stderr
    return pem


def make_csr(cn: str = "claimed-by-the-key-holder") -> tuple[bytes, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, cn)]))
        .sign(key, hashes.SHA256())
    )
    der = csr.public_bytes(serialization.Encoding.DER)
    return der, hashlib.sha256(der).hexdigest()


def ra_header(csr_sha256: str, cn: str = "张三") -> str:
    return encode_ra_request(
        RARequest(
            subject=SubjectInfo(common_name=cn, organization="某某单位"),
            profile="individual",
            application_id=None,
            operator="clerk1",
            csr_sha256=csr_sha256,
        )
    )


@pytest.fixture
def client(service: Service) -> Iterator[ESTSigning]:
    signer = est_client(service)
    try:
        yield signer
    finally:
        signer.close()


def est_client(service: Service, cert: Path | None = None, key: Path | None = None) -> ESTSigning:
    settings = ESTSettings(
        service.url,
        cert or service.pki.client_cert,
        key or service.pki.client_key,
        service.pki.trust,
    )
    return ESTSigning(settings, lambda: CLIENT_PASS)


# cacerts ----------------------------------------------------------------------------------


def test_cacerts_is_base64_pkcs7_with_issuing_ca_and_root(service: Service, tmp_path: Path) -> None:
    out = run(*curl(service, EST + "/cacerts", "-D", str(tmp_path / "h")))
    assert out.returncode == 0, out.stderr
    headers = (tmp_path / "h").read_text().lower()
    assert "content-type: application/pkcs7-mime" in headers
    assert "content-transfer-encoding: base64" in headers
    subjects = pkcs7_subjects(out.stdout, tmp_path)
    assert any("Counter Issuing CA" in s for s in subjects)
    assert any("Counter Root CA" in s for s in subjects)


# enrollment -------------------------------------------------------------------------------


def test_counter_enroll_with_ca_url_issues_through_est_onto_the_token(
    est_counter: Counter, service: Service, tmp_path: Path
) -> None:
    est_counter.token("SUB1")
    result = _enroll_via_flag(est_counter, service)
    assert result.returncode == 0, result.stderr
    serial = json.loads(result.stdout)["serial"]
    leaf = _read_token_certificate(est_counter, "SUB1", tmp_path)
    chain = tmp_path / "chain.pem"
    chain.write_text(est_counter.run("ca", "chain").stdout)
    verify = run("openssl", "verify", "-CAfile", str(chain), str(leaf))
    assert verify.returncode == 0, verify.stderr
    shown = run("openssl", "x509", "-in", str(leaf), "-noout", "-serial").stdout.decode()
    assert shown.strip() == f"serial={serial}"
    # The service, not the counter, signed it: the audit names the counter's certificate.
    audit = est_counter.run("audit", "list", "--limit", "1000").stdout
    assert re.search(rf"{COUNTER_NAME}/clerk1\s+certificate\.issue", audit), audit


def _enroll_via_flag(counter: Counter, service: Service) -> CLIResult:
    path = counter.tmp / "app.json"
    path.write_text(json.dumps(example("individual"), ensure_ascii=False), encoding="utf-8")
    return counter.run(
        "--ca-url", service.url, "enroll", str(path),
        "--module", counter.softhsm.module, "--token-label", "SUB1",
        env=service.counter_env,
    )  # fmt: skip


def test_simpleenroll_takes_the_subject_from_the_ra_header_not_the_csr(
    service: Service, tmp_path: Path
) -> None:
    der, digest = make_csr("claimed-by-the-key-holder")
    out = run(
        *curl(
            service, EST + "/simpleenroll",
            "-H", "Content-Type: application/pkcs10",
            "-H", f"{RA_HEADER}: {ra_header(digest, cn='李四')}",
            "--data-binary", "@-",
        ),
        input=base64.encodebytes(der),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    leaf = pkcs7_leaf(out.stdout, tmp_path)
    subject = run("openssl", "x509", "-in", str(leaf), "-noout", "-subject", "-nameopt", "utf8")
    assert re.search(r"CN ?= ?李四", subject.stdout.decode())
    assert "claimed-by-the-key-holder" not in subject.stdout.decode()


def test_simpleenroll_refuses_a_header_bound_to_another_csr(service: Service) -> None:
    der, _ = make_csr()
    _, other_digest = make_csr()
    out = run(
        *curl(
            service, EST + "/simpleenroll", "-w", "%{http_code}",
            "-H", "Content-Type: application/pkcs10",
            "-H", f"{RA_HEADER}: {ra_header(other_digest)}",
            "--data-binary", "@-",
        ),
        input=base64.encodebytes(der),
    )  # fmt: skip
    assert out.stdout.decode().endswith("400")
    assert b"csr_sha256" in out.stdout


def test_simpleenroll_without_the_ra_header_is_refused(service: Service) -> None:
    der, _ = make_csr()
    out = run(
        *curl(
            service, EST + "/simpleenroll", "-w", "%{http_code}",
            "-H", "Content-Type: application/pkcs10", "--data-binary", "@-",
        ),
        input=base64.encodebytes(der),
    )  # fmt: skip
    assert out.stdout.decode().endswith("400")


def _issue_for_zhang_san(client: ESTSigning) -> IssuedCertificate:
    """An individual certificate for 张三, issued by clerk1 through the counter's client."""
    der, _ = make_csr()
    subject = SubjectInfo(common_name="张三")
    csr = x509.load_der_x509_csr(der)
    return client.issue(
        IssueRequest(csr, subject, "individual", application_id=None, operator="clerk1")
    )


def test_simplereenroll_needs_a_live_certificate_it_replaces(
    service: Service, client: ESTSigning
) -> None:
    old = _issue_for_zhang_san(client)
    client.revoke(old.serial_hex, RevocationReason.KEY_COMPROMISE, operator="clerk1")
    der2, digest2 = make_csr()
    header = encode_ra_request(
        RARequest(
            SubjectInfo(common_name="张三"), "individual", None, "clerk1", digest2, old.serial_hex
        )
    )
    out = run(
        *curl(
            service, EST + "/simplereenroll", "-w", "%{http_code}",
            "-H", "Content-Type: application/pkcs10", "-H", f"{RA_HEADER}: {header}",
            "--data-binary", "@-",
        ),
        input=base64.encodebytes(der2),
    )  # fmt: skip
    assert out.stdout.decode().endswith("400")
    assert b"revoked" in out.stdout


# status endpoints through the counter's client --------------------------------------------


def test_hold_release_and_revoke_through_ra_status(service: Service, client: ESTSigning) -> None:
    issued = _issue_for_zhang_san(client)
    assert client.hold(issued.serial_hex, operator="clerk1").status == "hold"
    assert client.release(issued.serial_hex, operator="clerk1").status == "good"
    revoked = client.revoke(issued.serial_hex, RevocationReason.KEY_COMPROMISE, operator="clerk1")
    assert (revoked.status, revoked.reason) == ("revoked", RevocationReason.KEY_COMPROMISE)
    assert client.status(issued.serial_hex).der == issued.certificate.public_bytes(
        serialization.Encoding.DER
    )


def test_releasing_a_revoked_certificate_is_refused_with_the_services_words(
    client: ESTSigning,
) -> None:
    issued = _issue_for_zhang_san(client)
    client.revoke(issued.serial_hex, RevocationReason.SUPERSEDED, operator="clerk1")
    with pytest.raises(SigningServiceRefused) as caught:
        client.release(issued.serial_hex, operator="clerk1")
    assert "409" in caught.value.message("en") and "revoked" in caught.value.message("en")


# who is refused ---------------------------------------------------------------------------


def test_curl_without_a_client_certificate_is_refused(service: Service) -> None:
    out = run(*curl(service, EST + "/cacerts", cert=()))  # type: ignore[arg-type]
    assert out.returncode != 0
    assert b"Counter Root CA" not in out.stdout


def test_curl_with_a_client_certificate_from_another_ca_is_refused(
    service: Service, tmp_path: Path
) -> None:
    out = run(*curl(service, EST + "/cacerts", cert=foreign_client(tmp_path)))
    assert out.returncode != 0
    assert out.stdout == b""


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_s_client_without_a_client_certificate_gets_no_answer(
    service: Service, version: str
) -> None:
    port = service.url.rsplit(":", 1)[1]
    out = run(
        "openssl", "s_client", version, "-connect", f"127.0.0.1:{port}",
        "-CAfile", str(service.pki.trust), "-verify_return_error", "-ign_eof",
        input=b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )  # fmt: skip
    text = (out.stdout + out.stderr).decode(errors="replace")
    assert "HTTP/1.1" not in text  # no HTTP request got through
    if version == "-tls1_2":
        # Under TLS 1.2 the server ends the handshake itself (the client's Finished is never
        # answered); under TLS 1.3 the handshake completes first and the connection then ends.
        assert out.returncode != 0, text
        assert "unexpected eof" in text or "alert" in text, text
    else:
        assert "Verify return code: 0 (ok)" in text  # the server's certificate was fine


def test_s_client_handshake_completes_with_the_counters_certificate(service: Service) -> None:
    port = service.url.rsplit(":", 1)[1]
    out = run(
        "openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", str(service.pki.trust),
        "-cert", str(service.pki.client_cert), "-key", str(service.pki.client_key),
        "-pass", f"pass:{CLIENT_PASS}", "-verify_return_error", "-ign_eof",
        input=b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )  # fmt: skip
    assert b"HTTP/1.1 200" in out.stdout, out.stderr


def test_counter_with_a_foreign_certificate_gets_a_clear_refusal(
    service: Service, tmp_path: Path
) -> None:
    cert, key = foreign_client(tmp_path)
    settings = ESTSettings(service.url, cert, key, service.pki.trust)
    client = ESTSigning(settings, lambda: "")
    with pytest.raises(SigningServiceUnavailable) as caught:
        client.chain()
    assert service.url in caught.value.message("en")


def test_enroll_with_a_foreign_certificate_fails_in_one_line(
    est_counter: Counter, service: Service, tmp_path: Path
) -> None:
    cert, key = foreign_client(tmp_path)
    est_counter.token("SUB1")
    env = service.counter_env | {
        "COUNTER_APP_CA_CLIENT_CERT": str(cert),
        "COUNTER_APP_CA_CLIENT_KEY": str(key),
    }
    path = est_counter.tmp / "app.json"
    path.write_text(json.dumps(example("individual"), ensure_ascii=False), encoding="utf-8")
    result = est_counter.run(
        "--lang", "en", "--ca-url", service.url, "enroll", str(path),
        "--module", est_counter.softhsm.module, "--token-label", "SUB1", env=env,
    )  # fmt: skip
    assert result.returncode == 2
    assert "signing service" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
