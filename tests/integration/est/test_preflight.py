"""Pre-flight (issue 21): a counter that cannot sign is refused before its first side effect,
``counter-app doctor`` on a counter of the shared signing service, and the version handshake.

Real ``est serve`` over mutual TLS, the real CLI, a real SoftHSM token judged by pkcs11-tool,
curl as the foreign client that speaks an old protocol.
"""

from __future__ import annotations

import json

import pytest

from counter_app.services import est_wire
from counter_app.services.est_wire import VERSION_HEADER, IncompatibleVersion
from tests.integration.est.conftest import CLIENT_PASS, Service, run
from tests.integration.est.test_est import curl, est_client
from tests.integration.est.test_signing_down import LABEL, _app_file, _private_keys
from tests.integration.services.conftest import Counter


def _enroll(counter: Counter, service: Service, **env: str) -> tuple[int, str]:
    result = counter.run(
        "--lang", "en", "--ca-url", service.url, "enroll", str(_app_file(counter)),
        "--module", counter.softhsm.module, "--token-label", LABEL,
        env={**service.counter_env, **env},
    )  # fmt: skip
    return result.returncode, result.stderr


def test_counter_without_its_client_key_passphrase_is_refused_before_a_receipt_or_key(
    est_counter: Counter, service: Service
) -> None:
    est_counter.token(LABEL)
    code, err = _enroll(est_counter, service, COUNTER_APP_CLIENT_KEY_PASSPHRASE="")
    assert code == 2, err
    assert err.strip().splitlines() == [
        "error: missing secret: set COUNTER_APP_CLIENT_KEY_PASSPHRASE or run in a terminal "
        "to be prompted"
    ]
    assert est_counter.db("SELECT COUNT(*) FROM applications") == [(0,)]
    assert est_counter.db("SELECT COUNT(*) FROM payments") == [(0,)]
    assert _private_keys(est_counter) == 0


def test_doctor_on_a_counter_checks_the_service_with_its_client_certificate(
    est_counter: Counter, service: Service
) -> None:
    result = est_counter.cli(
        "--lang", "en", "--ca-url", service.url, "doctor", "--json", env=service.counter_env
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    by_check = {c["check"]: c for c in report["checks"]}
    assert report["ok"] is True
    assert "answers with this client certificate" in by_check["signing_service"]["message"]
    assert by_check["clock"]["level"] == "ok"
    assert "counter client certificate valid for 7" in by_check["certificates"]["message"]
    assert CLIENT_PASS not in result.stdout  # the passphrase is never shown


def test_doctor_without_the_client_key_passphrase_exits_1_naming_it(
    est_counter: Counter, service: Service
) -> None:
    result = est_counter.cli(
        "--lang", "en", "--ca-url", service.url, "doctor",
        env={**service.counter_env, "COUNTER_APP_CLIENT_KEY_PASSPHRASE": ""},
    )  # fmt: skip
    assert result.returncode == 1
    assert (
        "ERROR secrets: COUNTER_APP_CLIENT_KEY_PASSPHRASE is not set (environment or systemd "
        "credential): services will refuse"
    ) in result.stdout.splitlines()


def test_service_refuses_a_counter_of_an_older_protocol_in_one_line(service: Service) -> None:
    out = run(*curl(service, "/ra/version", "-H", f"{VERSION_HEADER}: 0; version=0.0.1"))
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["code"] == "incompatible_version"
    assert body["en"].endswith("upgrade counter-app on this counter")


def test_counter_refuses_a_service_older_than_it_needs(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This counter pretends to be a newer release that needs protocol 2 of the service.
    monkeypatch.setattr(est_wire, "MIN_PEER_PROTOCOL", 2)
    client = est_client(service)
    with pytest.raises(IncompatibleVersion) as caught:
        client.handshake()
    assert caught.value.message("en").endswith("upgrade the signing service first")


def test_version_endpoint_names_the_release_and_protocols(service: Service) -> None:
    version = est_client(service).handshake()
    assert (version.protocol, version.min_protocol) == (1, 1)
    assert version.date is not None
