"""Edges the fuzzing found in ``est serve``, each now a 4xx with a message before anything is
signed, and counters' client certificates that can be revoked while the service runs."""

from __future__ import annotations

import base64
import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from counter_app.ca import SubjectInfo
from counter_app.services.est_client import ESTSettings, tls_context
from counter_app.services.est_wire import RA_HEADER, RARequest, encode_ra_request
from tests.conftest import CLI, base_env
from tests.integration.est.conftest import (
    CA_PASSPHRASE,
    CLIENT_PASS,
    COUNTER_NAME,
    Pki,
    Service,
    start_service,
    stop,
)

GOOD = SubjectInfo(common_name="张三", email="zhangsan@example.cn")


DATA_DIRS: dict[str, Path] = {}


@pytest.fixture(scope="module")
def edge_service(est_template: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("subject-edges")
    data = root / "data"
    shutil.copytree(est_template.data_dir, data)
    service = start_service(data, est_template, base_env(root))
    DATA_DIRS[service.url] = data
    try:
        yield service
    finally:
        err = stop(service)
        assert "Traceback" not in err, err


def mtls(service: Service) -> httpx.Client:
    settings = ESTSettings(
        service.url, service.pki.client_cert, service.pki.client_key, service.pki.trust
    )
    return httpx.Client(
        base_url=service.url, verify=tls_context(settings, lambda: CLIENT_PASS), timeout=20
    )


def enroll(
    service: Service,
    subject: SubjectInfo,
    *,
    operator: str = "clerk1",
    application_id: str | None = None,
) -> httpx.Response:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "x")]))
        .sign(key, hashes.SHA256())
    )
    der = csr.public_bytes(serialization.Encoding.DER)
    header = encode_ra_request(
        RARequest(subject, "individual", application_id, operator, hashlib.sha256(der).hexdigest())
    )
    with mtls(service) as client:
        return client.post(
            "/.well-known/est/simpleenroll",
            content=base64.encodebytes(der),
            headers={"content-type": "application/pkcs10", RA_HEADER: header},
        )


def refused_on(response: httpx.Response, code: str, words: str) -> None:
    assert response.status_code == 400, (response.status_code, response.text)
    body = response.json()
    assert body["code"] == code
    assert words in body["en"]


def test_a_good_subject_is_still_issued(edge_service: Service) -> None:
    assert enroll(edge_service, GOOD).status_code == 200


def test_common_name_over_64_characters_is_a_400(edge_service: Service) -> None:
    response = enroll(edge_service, replace(GOOD, common_name="a" * 65))
    refused_on(response, "subject_refused", "CN must have at most 64 characters")


def test_chinese_common_name_of_64_characters_is_issued(edge_service: Service) -> None:
    # X.520 counts characters: 64 Chinese characters (192 UTF-8 bytes) are within the bound.
    assert enroll(edge_service, replace(GOOD, common_name="张" * 64)).status_code == 200


def test_three_letter_country_is_a_400(edge_service: Service) -> None:
    refused_on(enroll(edge_service, replace(GOOD, country="CHN")), "subject_refused", "C must")


def test_common_name_with_a_new_line_is_refused(edge_service: Service) -> None:
    response = enroll(edge_service, replace(GOOD, common_name="张三\nCN=admin"))
    refused_on(response, "subject_refused", "control or invisible")


def test_common_name_with_a_right_to_left_override_is_refused(edge_service: Service) -> None:
    response = enroll(edge_service, replace(GOOD, common_name="张三\u202egpj.exe"))
    refused_on(response, "subject_refused", "control or invisible")


def test_malformed_email_is_refused(edge_service: Service) -> None:
    response = enroll(edge_service, replace(GOOD, email="zhangsan@@example"))
    refused_on(response, "subject_refused", "e-mail")


def test_identifier_with_a_control_character_is_refused(edge_service: Service) -> None:
    bad = replace(GOOD, identifiers={"1.2.156.10260.4.1.1": "ABC\x00"})
    refused_on(enroll(edge_service, bad), "bad_subject", "1.2.156.10260.4.1.1")


def test_overlong_operator_is_refused_before_anything_is_recorded(edge_service: Service) -> None:
    # "counter-01/" + 60 characters overflows the 64 characters the audit chain stores.
    response = enroll(edge_service, GOOD, operator="c" * 60, application_id="EDGE-OPERATOR-1")
    refused_on(response, "bad_subject", "operator")
    with sqlite3.connect(DATA_DIRS[edge_service.url] / "counter.db") as conn:
        rows = conn.execute(
            "SELECT count(*) FROM ca_certificates WHERE application_id = 'EDGE-OPERATOR-1'"
        ).fetchone()[0]
    assert rows == 0


# Revoking a counter -------------------------------------------------------------------------


def test_revoked_counter_is_refused_at_its_next_request(est_template: Pki, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(est_template.data_dir, data)
    service = start_service(data, est_template, base_env(tmp_path))
    cli = CLI(data, base_env(tmp_path))
    try:
        with mtls(service) as client:
            assert client.get("/.well-known/est/cacerts").status_code == 200
            revoked = cli(
                "est", "revoke-counter", COUNTER_NAME,
                env={"COUNTER_APP_CA_PASSPHRASE": CA_PASSPHRASE},
            )  # fmt: skip
            assert revoked.returncode == 0, revoked.stderr
            # The same keep-alive connection, opened before the revocation.
            again = client.get("/.well-known/est/cacerts")
        assert again.status_code == 403 and "revoked" in again.text
        with mtls(service) as fresh:
            assert fresh.get("/.well-known/est/cacerts").status_code == 403
    finally:
        err = stop(service)
    assert "Traceback" not in err, err


def test_revoking_an_unknown_counter_is_one_line_exit_2(est_template: Pki, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(est_template.data_dir, data)
    cli = CLI(data, base_env(tmp_path))
    result = cli(
        "--lang", "en", "est", "revoke-counter", "no-such-counter",
        env={"COUNTER_APP_CA_PASSPHRASE": CA_PASSPHRASE},
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no-such-counter" in result.stderr
    assert not (data / "est" / "client-ca.crl").exists()


def test_a_forged_counter_revocation_list_refuses_every_counter(
    est_template: Pki, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(est_template.data_dir, data)
    (data / "est" / "client-ca.crl").write_text(
        "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"
    )
    service = start_service(data, est_template, base_env(tmp_path))
    try:
        with mtls(service) as client:
            assert client.get("/.well-known/est/cacerts").status_code == 403
    finally:
        stop(service)
