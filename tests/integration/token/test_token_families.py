"""The token layer on two independent PKCS#11 implementations: SoftHSM2 and opencryptoki's soft
token (IBM SoftTok: RSA only, no CKM_SHA256_RSA_PKCS, PINs of 4 to 8 characters), judged from
outside by OpenSC's pkcs11-tool and openssl."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from pkcs11 import Mechanism

from counter_app.token import build_csr, key_spec, open_token, read_capabilities
from counter_app.token.admin import init_token
from counter_app.token.errors import KeyAlgorithmNotSupported, PinPolicy, WrongPin
from counter_app.token.mechanisms import MechanismLimits
from counter_app.token.signer import TokenRSAPrivateKey
from tests.conftest import CLI, OpenCryptoki, SoftHSM, token_cli
from tests.integration.token.conftest import (
    NAME,
    assert_openssl_verifies_csr,
    assert_private_key_never_leaves,
    self_signed,
)

PIN = "246813"
Impl = SoftHSM | OpenCryptoki


SUB1 = ("--label", "SUB1")


def _new_pin(new: str) -> dict[str, str]:
    return {"COUNTER_APP_USER_PIN": PIN, "COUNTER_APP_NEW_USER_PIN": new}


@pytest.fixture
def token(pkcs11_impl: Impl) -> Impl:
    pkcs11_impl.init_token("SUB1", so_pin=pkcs11_impl.so_pin, pin=PIN)
    return pkcs11_impl


def test_capabilities_offer_ec_exactly_when_pkcs11_tool_lists_ec_generation(token: Impl) -> None:
    listed = token.pkcs11_tool("--token-label", "SUB1", "-M").stdout
    capabilities = read_capabilities(token.module, label="SUB1")
    has_ec = "ECDSA-KEY-PAIR-GEN" in listed
    assert ("ec-p256" in capabilities.key_algorithms()) == has_ec
    assert "rsa-2048" in capabilities.key_algorithms()


def test_capabilities_carry_the_pin_limits_pkcs11_tool_reports(token: Impl) -> None:
    listed = token.pkcs11_tool("-L").stdout
    low, high = re.search(r"pin min/max\s*:\s*(\d+)/(\d+)", listed).groups()  # type: ignore[union-attr]
    capabilities = read_capabilities(token.module, label="SUB1")
    assert (capabilities.min_pin, capabilities.max_pin) == (int(low), int(high))


def test_rsa_key_generated_is_sensitive_local_and_never_extractable(token: Impl) -> None:
    with open_token(token.module, label="SUB1").login(PIN) as ts:
        key = ts.generate_key_pair(key_spec("rsa-2048"), "app-1")
    assert_private_key_never_leaves(token, PIN, key.key_id)


def test_rsa_csr_signed_on_the_token_passes_openssl_req_verify(token: Impl, tmp_path: Path) -> None:
    with open_token(token.module, label="SUB1").login(PIN) as ts:
        key = ts.generate_key_pair(key_spec("rsa-2048"), "app-1")
        csr = build_csr(key, NAME)
    assert_openssl_verifies_csr(csr, tmp_path)


def test_certificate_written_back_beside_an_rsa_key_matches_it(token: Impl) -> None:
    with open_token(token.module, label="SUB1").login(PIN) as ts:
        key = ts.generate_key_pair(key_spec("rsa-2048"), "app-1")
        cert = self_signed(key.public_key, key.private_key())
        ts.write_certificate(cert, key.key_id, "app-1")
        ts.check_certificate_matches(cert, key.key_id)
    assert token.objects(PIN).count(key.key_id.hex()) == 3  # private key, public key, certificate


def test_wrong_pin_is_refused_and_the_next_login_works(token: Impl) -> None:
    with pytest.raises(WrongPin), open_token(token.module, label="SUB1").login("135790"):
        pass
    with open_token(token.module, label="SUB1").login(PIN) as ts:
        assert ts.list_keys() == []


def test_change_pin_on_the_cli_takes_effect(token: Impl, cli: CLI) -> None:
    result = token_cli(cli, "change-pin", token.module, *SUB1, env=_new_pin("975310"))
    assert result.returncode == 0, result.stderr
    assert token.logs_in("975310") and not token.logs_in(PIN)


def test_unblock_on_the_cli_sets_a_new_user_pin(token: Impl, cli: CLI) -> None:
    unblock = {"COUNTER_APP_SO_PIN": token.so_pin, "COUNTER_APP_NEW_USER_PIN": "975310"}
    result = token_cli(cli, "unblock", token.module, *SUB1, env=unblock)
    assert result.returncode == 0, result.stderr
    assert token.logs_in("975310")


# opencryptoki alone: what SoftHSM cannot show (no EC, no hashing RSA mechanism, short PINs).


@pytest.fixture
def ock_token(opencryptoki: OpenCryptoki) -> OpenCryptoki:
    opencryptoki.init_token("SUB1", pin=PIN)
    return opencryptoki


def test_ec_key_on_a_token_without_ec_is_refused_naming_what_it_can(
    ock_token: OpenCryptoki,
) -> None:
    with (
        open_token(ock_token.module, label="SUB1").login(PIN) as ts,
        pytest.raises(KeyAlgorithmNotSupported) as refused,
    ):
        ts.generate_key_pair(key_spec("ec-p256"), "app-1")
    assert "该介质仅支持 RSA 2048、RSA 3072" in refused.value.message("zh")
    assert "this token supports RSA 2048, RSA 3072 only" in refused.value.message("en")
    assert "Private Key Object" not in ock_token.objects(PIN)


def test_new_pin_longer_than_the_token_takes_is_refused_beside_the_field(
    ock_token: OpenCryptoki, cli: CLI
) -> None:
    result = token_cli(
        cli, "change-pin", ock_token.module, *SUB1, env=_new_pin("975310864"), lang="en"
    )
    assert result.returncode == 2 and "this token takes PINs of 4 to 8 characters" in result.stderr
    assert "975310864" not in result.stderr
    assert ock_token.logs_in(PIN)


def test_unblock_with_a_pin_the_token_would_refuse_is_refused(ock_token: OpenCryptoki) -> None:
    with pytest.raises(PinPolicy):
        from counter_app.token import unblock_pin

        unblock_pin(ock_token.module, so_pin=ock_token.so_pin, new_pin="975310864", label="SUB1")
    assert ock_token.logs_in(PIN)


def test_formatting_with_a_user_pin_the_token_would_refuse_leaves_the_token_as_it_was(
    ock_token: OpenCryptoki,
) -> None:
    with open_token(ock_token.module, label="SUB1").login(PIN) as ts:
        ts.generate_key_pair(key_spec("rsa-2048"), "app-1")
    with pytest.raises(PinPolicy):
        init_token(
            ock_token.module,
            new_label="NEW1",
            so_pin=ock_token.so_pin,
            user_pin="1357924680",
            label="SUB1",
            force=True,
        )
    assert "Private Key Object" in ock_token.objects(PIN)


# SoftHSM alone: it offers CKM_SHA256_RSA_PKCS, so the CKM_RSA_PKCS route is forced by naming
# only the mechanisms a smart card without on-token hashing would offer.


def test_rsa_pkcs_over_a_host_digest_info_gives_the_signature_of_sha256_rsa_pkcs(
    softhsm: SoftHSM,
) -> None:
    softhsm.init_token("SUB1", pin=PIN)
    only_raw = {int(Mechanism.RSA_PKCS): MechanismLimits(512, 4096, 0)}
    with open_token(softhsm.module, label="SUB1").login(PIN) as ts:
        key = ts.generate_key_pair(key_spec("rsa-2048"), "app-1")
        on_token = key.private_key().sign(b"hello", padding.PKCS1v15(), hashes.SHA256())
        raw = TokenRSAPrivateKey(key._handle, key.public_key, None, only_raw)
        host_digest = raw.sign(b"hello", padding.PKCS1v15(), hashes.SHA256())
    # PKCS#1 v1.5 is deterministic: both routes must give the very same bytes.
    assert host_digest == on_token
    key.public_key.verify(host_digest, b"hello", padding.PKCS1v15(), hashes.SHA256())


def test_token_capabilities_on_the_cli_list_what_the_token_can_make(token: Impl, cli: CLI) -> None:
    result = token_cli(cli, "capabilities", token.module, *SUB1, "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    listed = token.pkcs11_tool("--token-label", "SUB1", "-M").stdout
    assert ("ec-p256" in shown["key_algorithms"]) == ("ECDSA-KEY-PAIR-GEN" in listed)
    assert "rsa-2048" in shown["key_algorithms"]
