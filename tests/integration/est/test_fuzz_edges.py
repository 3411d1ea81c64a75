"""Bad input at the network edges: the OCSP responder (``serve``, plain HTTP) and EST
(``est serve``, mutual TLS) fed random bytes, truncated and mutated DER, huge bodies and wrong
content types by hypothesis, over real sockets. Never a 5xx, never a hang (every request has a
client time-out), memory bounded (bodies are capped; the servers' RSS is measured).

Run with ``-s`` to see how many inputs each edge was given.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from collections import Counter as Tally
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counter_app.ca import IssueRequest, SubjectInfo
from counter_app.services.est_client import ESTSettings, ESTSigning, tls_context
from counter_app.services.est_wire import RA_HEADER, RARequest, encode_ra_request
from tests.conftest import base_env, start_serve
from tests.integration.est.conftest import (
    CA_PASSPHRASE,
    CLIENT_PASS,
    Pki,
    Service,
    start_service,
    stop,
)

EXAMPLES = 300
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
TIMEOUT = httpx.Timeout(10.0)
HUGE = 8 * 1024 * 1024
TRIED: Tally[str] = Tally()
CONTENT_TYPES = [
    "application/ocsp-request",
    "application/pkcs10",
    "application/json",
    "application/pkcs7-mime",
    "text/plain",
    "multipart/form-data; boundary=x",
    "",
    "application/pkcs10; charset=\x7f",
]


@dataclass
class Edges:
    ocsp_url: str
    ocsp_proc: subprocess.Popen[str]
    est: Service
    ocsp_der: bytes
    csr_der: bytes
    plain: httpx.Client
    mtls: httpx.Client


def _ocsp_request(pki: Pki, cert: x509.Certificate) -> bytes:
    issuer = x509.load_pem_x509_certificate((pki.data_dir / "ca" / "issuing.pem").read_bytes())
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1())
    return builder.build().public_bytes(serialization.Encoding.DER)


def _csr() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "fuzz")]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.DER)


def _start_ocsp(data_dir: Path, env: dict[str, str]) -> tuple[str, subprocess.Popen[str]]:
    served = start_serve(data_dir, {**env, "COUNTER_APP_CA_PASSPHRASE": CA_PASSPHRASE})
    return served.url, served.proc


@pytest.fixture(scope="module")
def edges(est_template: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edges]:
    root = tmp_path_factory.mktemp("fuzz")
    data = root / "data"
    shutil.copytree(est_template.data_dir, data)
    env = base_env(root)
    est = start_service(data, est_template, env)
    ocsp_url, ocsp_proc = _start_ocsp(data, env)
    settings_ = ESTSettings(
        est.url, est_template.client_cert, est_template.client_key, est_template.trust
    )
    signer = ESTSigning(settings_, lambda: CLIENT_PASS)
    issued = signer.issue(
        IssueRequest(
            x509.load_der_x509_csr(_csr()),
            SubjectInfo(common_name="fuzz"),
            "individual",
            application_id=None,
            operator="fuzz",
        )
    )
    signer.close()
    mtls = httpx.Client(
        base_url=est.url, verify=tls_context(settings_, lambda: CLIENT_PASS), timeout=TIMEOUT
    )
    plain = httpx.Client(base_url=ocsp_url, timeout=TIMEOUT)
    try:
        yield Edges(
            ocsp_url,
            ocsp_proc,
            est,
            _ocsp_request(est_template, issued.certificate),
            _csr(),
            plain,
            mtls,
        )
    finally:
        plain.close()
        mtls.close()
        ocsp_proc.terminate()
        _, ocsp_err = ocsp_proc.communicate(timeout=10)
        est_err = stop(est)
        print(f"\nfuzz inputs tried: {dict(TRIED)} total {sum(TRIED.values())}")
        assert "Traceback" not in ocsp_err + est_err, ocsp_err + est_err


def mangled(valid: bytes) -> st.SearchStrategy[bytes]:
    """Random bytes, the valid DER cut short, or the valid DER with a few bytes changed."""
    truncated = st.integers(0, len(valid) - 1).map(lambda n: valid[:n])

    def flip(edits: list[tuple[int, int]]) -> bytes:
        data = bytearray(valid)
        for where, value in edits:
            data[where % len(data)] = value
        return bytes(data)

    mutated = st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=8
    )
    return st.one_of(st.binary(max_size=4096), truncated, mutated.map(flip))


def _no_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:200])


# OCSP ---------------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_ocsp_post_never_fails_on_mangled_requests(edges: Edges, data: st.DataObject) -> None:
    body = data.draw(mangled(edges.ocsp_der))
    content_type = data.draw(st.sampled_from(CONTENT_TYPES))
    TRIED["ocsp POST"] += 1
    response = edges.plain.post("/ocsp", content=body, headers={"content-type": content_type})
    _no_server_error(response)
    if response.status_code == 200:
        ocsp.load_der_ocsp_response(response.content)  # always a well-formed OCSP response


@FUZZ
@given(data=st.data())
def test_ocsp_get_never_fails_on_mangled_paths(edges: Edges, data: st.DataObject) -> None:
    choice = data.draw(st.integers(0, 2))
    if choice == 0:
        tail = base64.b64encode(data.draw(mangled(edges.ocsp_der))).decode()
    elif choice == 1:
        tail = data.draw(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126)))
    else:
        tail = "%" + data.draw(st.text(alphabet="0123456789abcdefXYZ%/+=", max_size=64))
    TRIED["ocsp GET"] += 1
    _no_server_error(edges.plain.get("/ocsp/" + tail))


# EST ----------------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_simpleenroll_never_fails_on_mangled_csrs(edges: Edges, data: st.DataObject) -> None:
    der = data.draw(mangled(edges.csr_der))
    body = data.draw(st.sampled_from([base64.encodebytes(der), der, base64.b64encode(der)[:-3]]))
    import hashlib

    header = encode_ra_request(
        RARequest(
            SubjectInfo(common_name="fuzz"),
            "individual",
            None,
            "fuzz",
            hashlib.sha256(der).hexdigest(),
        )
    )
    path = data.draw(st.sampled_from(["/simpleenroll", "/simplereenroll"]))
    content_type = data.draw(st.sampled_from(CONTENT_TYPES))
    TRIED["est enroll"] += 1
    response = edges.mtls.post(
        "/.well-known/est" + path,
        content=body,
        headers={"content-type": content_type, RA_HEADER: header},
    )
    _no_server_error(response)


# Any byte a client may legally put in a header value (h11 refuses control characters).
HEADER_TEXT = st.text(
    alphabet=st.characters(
        min_codepoint=0x21,
        max_codepoint=0x10FFFF,
        exclude_characters="\x7f",
        exclude_categories=["Cs"],
    ),
    max_size=300,
)


@FUZZ
@given(
    header=st.one_of(
        HEADER_TEXT,
        st.binary(max_size=300).map(lambda b: base64.urlsafe_b64encode(b).decode()),
    )
)
def test_simpleenroll_never_fails_on_mangled_ra_headers(edges: Edges, header: str) -> None:
    TRIED["est RA header"] += 1
    safe = header.encode("utf-8")
    response = edges.mtls.post(
        "/.well-known/est/simpleenroll",
        content=base64.encodebytes(edges.csr_der),
        headers=[(b"content-type", b"application/pkcs10"), (RA_HEADER.encode(), safe)],
    )
    _no_server_error(response)


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=1024),
        st.dictionaries(
            st.sampled_from(["serial", "action", "reason", "operator"]),
            st.one_of(
                st.none(),
                st.integers(),
                st.text(max_size=40),
                st.sampled_from(
                    ["hold", "release", "revoke", "status", "key-compromise", "ABCDEF"]
                ),
            ),
        ),
    )
)
def test_ra_status_never_fails_on_mangled_json(
    edges: Edges, body: bytes | dict[str, object]
) -> None:
    TRIED["ra status"] += 1
    if isinstance(body, dict):
        response = edges.mtls.post("/ra/status", json=body)
    else:
        response = edges.mtls.post(
            "/ra/status", content=body, headers={"content-type": "application/json"}
        )
    _no_server_error(response)


# Huge bodies and memory ---------------------------------------------------------------------


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+)", status)
    assert match
    return int(match.group(1))


def test_huge_ocsp_body_is_refused_without_growing_memory(edges: Edges) -> None:
    before = _rss_kib(edges.ocsp_proc.pid)
    for _ in range(10):
        TRIED["huge"] += 1
        response = httpx.post(
            edges.ocsp_url + "/ocsp",
            content=b"\x30" * HUGE,
            headers={"content-type": "application/ocsp-request"},
            timeout=TIMEOUT,
        )
        assert response.status_code == 413
    # Ten 8 MiB bodies: a server that buffered them would have grown by tens of MiB.
    assert _rss_kib(edges.ocsp_proc.pid) - before < 16 * 1024


def test_huge_est_body_is_refused_without_growing_memory(edges: Edges) -> None:
    before = _rss_kib(edges.est.proc.pid)
    for _ in range(10):
        TRIED["huge"] += 1
        try:
            response = edges.mtls.post(
                "/.well-known/est/simpleenroll",
                content=b"A" * HUGE,
                headers={"content-type": "application/pkcs10", RA_HEADER: "e30"},
            )
        except httpx.WriteError:
            continue  # the server answered early and closed; it must still serve the next one
        assert response.status_code in (400, 413)
    assert edges.mtls.get("/healthz").status_code == 200
    assert _rss_kib(edges.est.proc.pid) - before < 16 * 1024


def test_chunked_endless_est_body_is_cut_off(edges: Edges) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(HUGE // 4096):
            yield b"A" * 4096

    TRIED["huge"] += 1
    response = edges.mtls.post(
        "/.well-known/est/simpleenroll",
        content=chunks(),
        headers={"content-type": "application/pkcs10", RA_HEADER: "e30"},
    )
    assert response.status_code in (400, 413)
