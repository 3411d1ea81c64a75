"""Counter and service certificates renewed before they end (issue 21, item 2): a counter
re-enrolls its own client certificate over EST, a revoked one cannot, and the EST server
certificate is renewed keeping its host names. Judged by ``openssl verify`` and a real
handshake with the renewed files."""

from __future__ import annotations

import shutil
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.integration.est.conftest import CLIENT_PASS, Service, run
from tests.integration.est.test_est import est_client
from tests.integration.services.conftest import CA_PASSPHRASE, Counter


def _own_copy(service: Service, tmp: Path) -> dict[str, str]:
    """The counter's client files copied (the template's are shared by the session's tests)."""
    mine = tmp / "mine"
    mine.mkdir()
    cert = Path(shutil.copy(service.pki.client_cert, mine))
    key = Path(shutil.copy(service.pki.client_key, mine))
    return {
        **service.counter_env,
        "COUNTER_APP_CA_CLIENT_CERT": str(cert),
        "COUNTER_APP_CA_CLIENT_KEY": str(key),
    }


def test_counter_renews_its_client_certificate_over_est_and_uses_it(
    est_counter: Counter, service: Service, tmp_path: Path
) -> None:
    env = _own_copy(service, tmp_path)
    cert_path = Path(env["COUNTER_APP_CA_CLIENT_CERT"])
    before = x509.load_pem_x509_certificate(cert_path.read_bytes())
    result = est_counter.cli(
        "--lang", "en", "--ca-url", service.url, "est", "renew-counter-cert", env=env
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("client certificate of counter-01 renewed until ")
    after = x509.load_pem_x509_certificate(cert_path.read_bytes())
    assert after.serial_number != before.serial_number
    assert after.subject == before.subject
    assert after.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != before.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    verify = run("openssl", "verify", "-CAfile", str(service.pki.trust), str(cert_path))
    assert verify.returncode == 0, verify.stderr
    # The old pair is kept aside; the new pair works for a real handshake.
    assert len(list(cert_path.parent.glob("*.old"))) == 2
    client = est_client(service, cert_path, Path(env["COUNTER_APP_CA_CLIENT_KEY"]))
    assert client.handshake().protocol == 1
    audit = est_counter.cli("audit", "list", "--limit", "20").stdout
    assert "est.renew_counter_cert" in audit


def test_renew_counter_cert_if_due_leaves_a_young_certificate_alone(
    est_counter: Counter, service: Service, tmp_path: Path
) -> None:
    env = _own_copy(service, tmp_path)
    before = Path(env["COUNTER_APP_CA_CLIENT_CERT"]).read_bytes()
    result = est_counter.cli(
        "--lang", "en", "--ca-url", service.url, "est", "renew-counter-cert", "--if-due", env=env
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "not yet half way" in result.stdout
    assert Path(env["COUNTER_APP_CA_CLIENT_CERT"]).read_bytes() == before


def test_a_revoked_counter_cannot_renew_its_certificate(
    est_counter: Counter, service: Service, tmp_path: Path
) -> None:
    env = _own_copy(service, tmp_path)
    revoked = est_counter.cli(
        "est", "revoke-counter", "counter-01", env={"COUNTER_APP_CA_PASSPHRASE": CA_PASSPHRASE}
    )
    assert revoked.returncode == 0, revoked.stderr
    before = Path(env["COUNTER_APP_CA_CLIENT_CERT"]).read_bytes()
    result = est_counter.cli(
        "--lang", "en", "--ca-url", service.url, "est", "renew-counter-cert", env=env
    )  # fmt: skip
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "revoked" in result.stderr
    assert Path(env["COUNTER_APP_CA_CLIENT_CERT"]).read_bytes() == before


def test_renew_server_cert_keeps_its_host_names(est_counter: Counter, tmp_path: Path) -> None:
    out = tmp_path / "tls-new"
    result = est_counter.cli(
        "est", "renew-server-cert", "est-service", "--out", str(out),
        env={"COUNTER_APP_CA_PASSPHRASE": CA_PASSPHRASE,
             "COUNTER_APP_TLS_KEY_PASSPHRASE": CLIENT_PASS},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    cert = x509.load_pem_x509_certificate((out / "est-service.crt").read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    verify = run(
        "openssl", "verify", "-purpose", "sslserver", "-CAfile", str(out / "ca.pem"),
        str(out / "est-service.crt"),
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr
