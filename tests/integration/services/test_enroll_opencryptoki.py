"""证书申请 through the real CLI onto opencryptoki's soft token (a second PKCS#11 implementation:
RSA only, signing with CKM_RSA_PKCS), judged by pkcs11-tool and openssl as on SoftHSM."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import OpenCryptoki
from tests.integration.services.conftest import USER_PIN, Counter, example, in_cash


@pytest.fixture
def ock_counter(counter: Counter, opencryptoki: OpenCryptoki) -> Counter:
    """The same counter, its subscriber's token on opencryptoki instead of SoftHSM."""
    return Counter(counter.cli, opencryptoki, counter.tmp)  # type: ignore[arg-type]


def _key_id(objects: str, kind: str) -> str:
    block = objects.split(kind)[1].split("Object;")[0]
    match = re.search(r"ID:\s+([0-9a-f]+)", block)
    assert match, objects
    return match.group(1)


def test_rsa_enrollment_on_opencryptoki_writes_a_verifying_certificate_beside_a_protected_key(
    ock_counter: Counter, tmp_path: Path
) -> None:
    data = example("individual")
    data["key_algorithm"] = "rsa-2048"
    ock_counter.token("SUB1")
    result = ock_counter.enroll(data, "SUB1")
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)

    objects = ock_counter.token_objects("SUB1")
    private = objects.split("Private Key Object")[1].split("Object;")[0]
    for flag in ("sensitive", "always sensitive", "never extractable", "local"):
        assert flag in private
    key_id = _key_id(objects, "Private Key Object")
    assert _key_id(objects, "Certificate Object") == key_id

    leaf = ock_counter.certificate_on_token("SUB1", key_id, tmp_path)
    ock_counter.assert_chain_verifies(leaf, facts["serial"], tmp_path)


def test_ec_enrollment_on_a_token_without_ec_is_refused_before_payment(
    ock_counter: Counter,
) -> None:
    ock_counter.token("SUB1")
    result = ock_counter.enroll(example("individual"), "SUB1")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "该介质仅支持 RSA 2048" in result.stderr and "Traceback" not in result.stderr
    assert ock_counter.db("SELECT COUNT(*) FROM applications") == [(0,)]
    assert ock_counter.db("SELECT COUNT(*) FROM payments") == [(0,)]
    assert (
        "Private Key Object"
        not in ock_counter.softhsm.pkcs11_tool(
            "--token-label", "SUB1", "--login", "--pin", USER_PIN, "-O"
        ).stdout
    )


def test_renewal_to_ec_on_a_token_without_ec_is_refused_before_payment(
    short_lived: Counter, opencryptoki: OpenCryptoki
) -> None:
    counter = Counter(short_lived.cli, opencryptoki, short_lived.tmp)  # type: ignore[arg-type]
    data = example("individual")
    data["key_algorithm"] = "rsa-2048"
    counter.token("SUB1")
    enrolled = counter.enroll(data, "SUB1")
    assert enrolled.returncode == 0, enrolled.stderr
    serial = json.loads(enrolled.stdout)["serial"]
    result = counter.run(
        "renew",
        serial,
        "--module",
        opencryptoki.module,
        "--token-label",
        "SUB1",
        "--key-algorithm",
        "ec-p256",
        *in_cash("80.00"),
    )
    assert result.returncode == 2 and "该介质仅支持 RSA 2048" in result.stderr
    assert counter.db("SELECT COUNT(*) FROM applications") == [(1,)]
    assert counter.db("SELECT COUNT(*) FROM payments") == [(1,)]
