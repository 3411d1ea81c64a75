"""The SKF (GM/T 0016) driver, end to end over ctypes against the test library compiled from
tests/skf/skf_soft.c (OpenSSL 3's SM2/SM3/SM4), judged by openssl and by gmssl."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from counter_app.token.errors import (
    CertificateMismatch,
    KeyAlgorithmNotSupported,
    PinLocked,
    SOPinLocked,
    SOPinWrong,
    TokenHoldsObjects,
    TokenNotFound,
    TokenRemoved,
    WrongPin,
)
from counter_app.token.keyspec import key_spec
from counter_app.token.skf import (
    SM2_SPEC,
    USER_PIN_RETRIES,
    DeviceAuthFailed,
    EnvelopeRefused,
    NotFormatted,
    SKFSession,
    SKFTokens,
    build_sm2_csr,
    change_skf_pin,
    cipher_blob,
    cipher_blob_from_der,
    find_skf_token,
    init_skf_token,
    list_skf_tokens,
    skf_login,
    unblock_skf_pin,
)
from tests.conftest import SKFStore
from tests.skf import kmc

SO, PIN = "admin-8642", "user-1357"
DISTID = "distid:1234567812345678"


@pytest.fixture
def token(skf: SKFStore) -> SKFStore:
    """One formatted SKF key, serial SKF-T1, label SUB1."""
    skf.insert(serial="SKF-T1")
    init_skf_token(skf.module, new_label="SUB1", so_pin=SO, user_pin=PIN)
    return skf


def _subject(cn: str = "张三") -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@contextmanager
def _app1_on_sub1(token: SKFStore) -> Iterator[tuple[Any, Any]]:
    """SUB1 signed in with PIN, and a new SM2 signing key made in its container APP-1."""
    with skf_login(token.module, PIN, label="SUB1") as ts:
        yield ts, ts.generate_key_pair(SM2_SPEC, "APP-1")


def _openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)


# ---------------------------------------------------------------------------- devices and format


def test_a_blank_key_is_listed_unformatted_then_formatted_with_its_label(skf: SKFStore) -> None:
    skf.insert(serial="SKF-B1")
    [blank] = list_skf_tokens(skf.module)
    assert (blank.serial, blank.initialised, blank.label) == ("SKF-B1", False, "")
    init_skf_token(skf.module, new_label="SUB1", so_pin=SO, user_pin=PIN)
    [info] = list_skf_tokens(skf.module)
    assert (info.label, info.initialised, info.user_pin_tries_left) == ("SUB1", True, 6)
    assert not (info.pin_locked or info.pin_count_low or info.pin_final_try)


def test_formatting_needs_the_device_authentication_key(
    skf: SKFStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    skf.insert(devauth_key=b"ABCDEFGHIJKLMNOP")
    with pytest.raises(DeviceAuthFailed):
        init_skf_token(skf.module, new_label="SUB1", so_pin=SO, user_pin=PIN)
    monkeypatch.setenv("COUNTER_APP_SKF_DEVAUTH_KEY", b"ABCDEFGHIJKLMNOP".hex())
    assert init_skf_token(skf.module, new_label="SUB1", so_pin=SO, user_pin=PIN).initialised


def test_reformatting_a_key_holding_containers_needs_confirmation(token: SKFStore) -> None:
    with skf_login(token.module, PIN, label="SUB1") as ts:
        ts.generate_key_pair(SM2_SPEC, "APP-1")
    with pytest.raises(TokenHoldsObjects):
        init_skf_token(token.module, new_label="SUB2", so_pin=SO, user_pin=PIN, label="SUB1")
    init_skf_token(
        token.module, new_label="SUB2", so_pin=SO, user_pin="user-2468", label="SUB1", force=True
    )
    with skf_login(token.module, "user-2468", label="SUB2") as ts:
        assert ts.list_keys() == []


def test_a_key_not_formatted_for_the_counter_cannot_be_signed_in(skf: SKFStore) -> None:
    skf.insert(serial="SKF-B2")
    with pytest.raises(TokenNotFound), skf_login(skf.module, PIN, serial="SKF-B2"):
        pass


def test_a_pulled_key_is_reported_removed(token: SKFStore) -> None:
    with _app1_on_sub1(token) as (_ts, key):
        token.pull()
        with pytest.raises(TokenRemoved):
            key.sign(b"data")


# ---------------------------------------------------------------------------- PINs


def test_a_wrong_pin_says_how_many_tries_are_left(token: SKFStore) -> None:
    with pytest.raises(WrongPin) as exc, skf_login(token.module, "wrong-000", label="SUB1"):
        pass
    assert exc.value.tries_left == USER_PIN_RETRIES - 1
    assert find_skf_token(token.module, label="SUB1").pin_count_low


def test_a_right_pin_restores_the_retry_counter(token: SKFStore) -> None:
    with pytest.raises(WrongPin), skf_login(token.module, "wrong-000", label="SUB1"):
        pass
    with skf_login(token.module, PIN, label="SUB1"):
        pass
    assert find_skf_token(token.module, label="SUB1").user_pin_tries_left == USER_PIN_RETRIES


def test_the_pin_locks_after_its_retries_and_then_refuses_the_right_pin(token: SKFStore) -> None:
    for left in range(USER_PIN_RETRIES - 1, 0, -1):
        with pytest.raises(WrongPin) as exc, skf_login(token.module, "wrong-000", label="SUB1"):
            pass
        assert exc.value.tries_left == left
    with pytest.raises(PinLocked), skf_login(token.module, "wrong-000", label="SUB1"):
        pass
    assert find_skf_token(token.module, label="SUB1").pin_locked
    with pytest.raises(PinLocked), skf_login(token.module, PIN, label="SUB1"):
        pass


def test_the_admin_pin_unblocks_a_locked_pin(token: SKFStore) -> None:
    for _ in range(USER_PIN_RETRIES):
        with (
            pytest.raises((WrongPin, PinLocked)),
            skf_login(token.module, "wrong-000", label="SUB1"),
        ):
            pass
    unblock_skf_pin(token.module, so_pin=SO, new_pin="fresh-2468", label="SUB1")
    info = find_skf_token(token.module, label="SUB1")
    assert not info.pin_locked and info.user_pin_tries_left == USER_PIN_RETRIES
    with skf_login(token.module, "fresh-2468", label="SUB1"):
        pass


def test_a_wrong_admin_pin_does_not_unblock(token: SKFStore) -> None:
    with pytest.raises(SOPinWrong):
        unblock_skf_pin(token.module, so_pin="admin-0000", new_pin="fresh-2468", label="SUB1")
    with skf_login(token.module, PIN, label="SUB1"):
        pass


def test_the_admin_pin_locks_too(token: SKFStore) -> None:
    for _ in range(9):
        with pytest.raises(SOPinWrong):
            unblock_skf_pin(token.module, so_pin="admin-0000", new_pin="fresh-2468", label="SUB1")
    with pytest.raises(SOPinLocked):
        unblock_skf_pin(token.module, so_pin="admin-0000", new_pin="fresh-2468", label="SUB1")
    with pytest.raises(SOPinLocked):
        unblock_skf_pin(token.module, so_pin=SO, new_pin="fresh-2468", label="SUB1")


def test_change_pin_replaces_the_old_one(token: SKFStore) -> None:
    change_skf_pin(token.module, old_pin=PIN, new_pin="newer-9753", label="SUB1")
    with pytest.raises(WrongPin), skf_login(token.module, PIN, label="SUB1"):
        pass
    with skf_login(token.module, "newer-9753", label="SUB1"):
        pass


def test_change_pin_with_a_wrong_old_pin_counts_a_try(token: SKFStore) -> None:
    with pytest.raises(WrongPin) as exc:
        change_skf_pin(token.module, old_pin="wrong-000", new_pin="newer-9753", label="SUB1")
    assert exc.value.tries_left == USER_PIN_RETRIES - 1


# ---------------------------------------------------------------------------- keys and signatures


def test_only_sm2_keys_are_offered(token: SKFStore) -> None:
    with skf_login(token.module, PIN, label="SUB1") as ts:
        assert ts.capabilities.key_algorithms() == ("sm2",)
        with pytest.raises(KeyAlgorithmNotSupported):
            ts.generate_key_pair(key_spec("ec-p256"), "APP-1")


def test_a_csr_signed_on_the_token_verifies_with_openssl_and_the_default_id(
    token: SKFStore, tmp_path: Path
) -> None:
    with _app1_on_sub1(token) as (_ts, key):
        (tmp_path / "req.der").write_bytes(build_sm2_csr(key, _subject()))
    checked = _openssl(
        "req", "-inform", "DER", "-in", "req.der", "-noout", "-verify", "-vfyopt", DISTID,
        cwd=tmp_path,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "verify OK" in checked.stdout + checked.stderr
    shown = _openssl("req", "-inform", "DER", "-in", "req.der", "-noout", "-text", cwd=tmp_path)
    assert "SM2-with-SM3" in shown.stdout and "ASN1 OID: SM2" in shown.stdout


def test_a_csr_signature_is_bound_to_the_distinguishing_id(token: SKFStore, tmp_path: Path) -> None:
    # Z covers the ID: the same request does not verify under another one.
    with _app1_on_sub1(token) as (_ts, key):
        (tmp_path / "req.der").write_bytes(build_sm2_csr(key, _subject()))
    checked = _openssl(
        "req", "-inform", "DER", "-in", "req.der", "-noout", "-verify",
        "-vfyopt", "distid:8765432187654321", cwd=tmp_path,
    )  # fmt: skip
    # openssl 3.0 `req -verify` exits 0 either way: its words are the verdict.
    assert "verify failure" in checked.stderr and "verify OK" not in checked.stdout + checked.stderr


def test_a_token_signature_verifies_with_an_independent_sm2(token: SKFStore) -> None:
    with _app1_on_sub1(token) as (_ts, key):
        signature = key.sign("办理 2026-12-02".encode())
    assert kmc.gmssl_verify(key.point, signature, "办理 2026-12-02".encode())
    assert not kmc.gmssl_verify(key.point, signature, b"something else")


def test_keys_are_listed_by_container_and_deleted_whole(token: SKFStore) -> None:
    with skf_login(token.module, PIN, label="SUB1") as ts:
        first = ts.generate_key_pair(SM2_SPEC, "APP-1")
        again = ts.generate_key_pair(SM2_SPEC, "APP-1")
        assert (first.key_id, again.key_id) == (b"APP-1", b"APP-1#2")
        assert {k.label for k in ts.list_keys()} == {"APP-1"}
        ts.delete_key_pair(first.key_id)
        assert [k.key_id for k in ts.list_keys()] == [b"APP-1#2"]


def test_keys_need_the_user_pin(token: SKFStore) -> None:
    # The session object cannot be had without VerifyPIN; after SKF_ClearSecureState-like loss
    # of the login (a new connection), the library refuses to make a container.
    from counter_app.token.skf import SKFCallFailed, _application, _connected, load_library

    lib = load_library(token.module)
    info = find_skf_token(token.module, label="SUB1")
    with _connected(lib, info.device) as dev, _application(lib, dev, "COUNTER_APP") as app:
        session = SKFSession(lib, info, dev, app)
        with pytest.raises(SKFCallFailed) as exc:
            session.generate_key_pair(SM2_SPEC, "APP-1")
    assert exc.value.rv == 0x0A00002D  # SAR_USER_NOT_LOGGED_IN


# ---------------------------------------------------------------------------- the encryption key


def test_an_enveloped_encryption_key_is_imported_and_decrypts_on_the_token(
    token: SKFStore,
) -> None:
    enc_d, enc_point = kmc.new_key_pair()
    with _app1_on_sub1(token) as (ts, key):
        ts.import_encryption_key(key.key_id, kmc.envelope(key.point, enc_d))
        assert ts.encryption_public_key(key.key_id) == enc_point
        secret = "档案密钥 archive key".encode()
        c1, c3, c2 = kmc.sm2_encrypt(enc_point, secret)
        assert ts.decrypt(key.key_id, cipher_blob(c1, c3, c2)) == secret


def test_data_encrypted_by_openssl_decrypts_on_the_token(token: SKFStore, tmp_path: Path) -> None:
    enc_d, enc_point = kmc.new_key_pair()
    (tmp_path / "enc.pem").write_bytes(kmc.public_pem(enc_point))
    (tmp_path / "plain.bin").write_bytes(b"recoverable archive")
    encrypted = _openssl(
        "pkeyutl", "-encrypt", "-pubin", "-inkey", "enc.pem", "-in", "plain.bin", "-out", "c.der",
        cwd=tmp_path,
    )  # fmt: skip
    assert encrypted.returncode == 0, encrypted.stderr
    with _app1_on_sub1(token) as (ts, key):
        ts.import_encryption_key(key.key_id, kmc.envelope(key.point, enc_d))
        blob = cipher_blob_from_der((tmp_path / "c.der").read_bytes())
        assert ts.decrypt(key.key_id, blob) == b"recoverable archive"


def test_an_envelope_for_another_signing_key_is_refused(token: SKFStore) -> None:
    enc_d, _ = kmc.new_key_pair()
    _, other_signing = kmc.new_key_pair()
    with _app1_on_sub1(token) as (ts, key):
        with pytest.raises(EnvelopeRefused):
            ts.import_encryption_key(key.key_id, kmc.envelope(other_signing, enc_d))
        assert ts.encryption_public_key(key.key_id) is None


def test_an_envelope_whose_public_key_is_not_the_private_keys_is_refused(token: SKFStore) -> None:
    enc_d, _ = kmc.new_key_pair()
    _, wrong_point = kmc.new_key_pair()
    with _app1_on_sub1(token) as (ts, key), pytest.raises(EnvelopeRefused):
        ts.import_encryption_key(key.key_id, kmc.envelope(key.point, enc_d, wrong_point))


# ---------------------------------------------------------------------------- certificates


def _issue(
    tmp_path: Path, csr_der: bytes, *, force_pubkey: bytes | None = None
) -> x509.Certificate:
    """An SM2 certificate from openssl (a throw-away SM2 CA), for the request given."""
    if not (tmp_path / "ca.pem").exists():
        assert (
            _openssl("genpkey", "-algorithm", "SM2", "-out", "ca.key", cwd=tmp_path).returncode == 0
        )
        made = _openssl(
            "req", "-new", "-x509", "-key", "ca.key", "-sm3", "-sigopt", DISTID,
            "-subj", "/CN=Test SM2 CA", "-days", "30", "-out", "ca.pem", cwd=tmp_path,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
    (tmp_path / "req.der").write_bytes(csr_der)
    extra = []
    if force_pubkey is not None:
        (tmp_path / "force.pem").write_bytes(force_pubkey)
        extra = ["-force_pubkey", "force.pem"]
    issued = _openssl(
        "x509", "-req", "-inform", "DER", "-in", "req.der", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-sm3", "-sigopt", DISTID, "-vfyopt", DISTID, "-days", "30", "-set_serial", "0x1234",
        "-outform", "DER", "-out", "leaf.der", *extra, cwd=tmp_path,
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    return x509.load_der_x509_certificate((tmp_path / "leaf.der").read_bytes())


def test_signing_and_encryption_certificates_go_to_their_keys(
    token: SKFStore, tmp_path: Path
) -> None:
    enc_d, enc_point = kmc.new_key_pair()
    with _app1_on_sub1(token) as (ts, key):
        ts.import_encryption_key(key.key_id, kmc.envelope(key.point, enc_d))
        csr = build_sm2_csr(key, _subject())
        sign_cert = _issue(tmp_path, csr)
        enc_cert = _issue(tmp_path, csr, force_pubkey=kmc.public_pem(enc_point))
        with pytest.raises(CertificateMismatch):
            ts.write_certificate(enc_cert, key.key_id, "APP-1", signing=True)
        ts.write_certificate(enc_cert, key.key_id, "APP-1")
        ts.write_certificate(sign_cert, key.key_id, "APP-1", signing=True)
        ts.check_certificate_matches(sign_cert, key.key_id)
        ts.check_certificate_matches(enc_cert, key.key_id)
        read_back = ts.read_certificates()
    assert {(c.usage, c.certificate) for c in read_back} == {
        ("sign", sign_cert),
        ("encrypt", enc_cert),
    }
    # The signing certificate read back from the token verifies against the CA (openssl).
    back = next(c.certificate for c in read_back if c.usage == "sign")
    (tmp_path / "back.pem").write_bytes(back.public_bytes(serialization.Encoding.PEM))
    verified = _openssl("verify", "-vfyopt", DISTID, "-CAfile", "ca.pem", "back.pem", cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_certificate_for_another_key_is_refused(token: SKFStore, tmp_path: Path) -> None:
    with _app1_on_sub1(token) as (ts, key):
        other = ts.generate_key_pair(SM2_SPEC, "APP-2")
        cert = _issue(tmp_path, build_sm2_csr(other, _subject()))
        with pytest.raises(CertificateMismatch):
            ts.write_certificate(cert, key.key_id, "APP-1")
        assert ts.read_certificates() == []


def test_an_sm2_token_serves_through_token_access(token: SKFStore) -> None:
    from counter_app.services.tokens import TokenChoice

    access = SKFTokens(token.module)
    assert access.identify(TokenChoice(label="SUB1")).serial == "SKF-T1"
    with access.session(TokenChoice(serial="SKF-T1"), PIN) as ts:
        assert ts.token_label == "SUB1"
        ts.capabilities.check_key_algorithm("sm2")


def test_a_deleted_application_reads_as_not_formatted(token: SKFStore) -> None:
    import shutil

    shutil.rmtree(token.store / "usbkey0" / "apps" / "COUNTER_APP")
    [info] = list_skf_tokens(token.module)
    assert not info.initialised
    from counter_app.token.skf import _application, _connected, load_library

    lib = load_library(token.module)
    with (
        pytest.raises(NotFormatted),
        _connected(lib, info.device) as dev,
        _application(lib, dev, "COUNTER_APP"),
    ):
        pass


def test_the_library_itself_refuses_a_private_key_that_does_not_match_the_public_key(
    token: SKFStore,
) -> None:
    # The driver reads the public key back as well; this is the token's own check, called raw.
    import ctypes

    enc_d, _ = kmc.new_key_pair()
    _, wrong_point = kmc.new_key_pair()
    with _app1_on_sub1(token) as (ts, key), ts._container(key.key_id) as con:
        rv = ts._lib.call(
            "SKF_ImportECCKeyPair",
            ctypes.c_void_p(con),
            kmc.envelope(key.point, enc_d, wrong_point),
        )
    assert rv == 0x0A000011  # SAR_INDATAERR


def test_the_services_csr_for_an_skf_key_is_sm2_signed_on_the_token(
    token: SKFStore, tmp_path: Path
) -> None:
    from counter_app.ca import SubjectInfo
    from counter_app.services.issuance import build_csr

    with _app1_on_sub1(token) as (_ts, key):
        request = build_csr(key, SubjectInfo(common_name="某某市人力资源和社会保障局"))
    (tmp_path / "req.pem").write_bytes(request.public_bytes(serialization.Encoding.PEM))
    checked = _openssl(
        "req", "-in", "req.pem", "-noout", "-verify", "-vfyopt", DISTID, cwd=tmp_path
    )
    assert "verify OK" in checked.stdout + checked.stderr


def test_the_test_library_exports_no_way_to_read_a_private_key(token: SKFStore) -> None:
    # Judged by the dynamic symbol table (nm): only the GM/T 0016 calls the driver uses.
    listed = subprocess.run(
        ["nm", "-D", "--defined-only", token.module], capture_output=True, text=True, check=True
    )
    exported = {line.split()[-1] for line in listed.stdout.splitlines() if " T " in line}
    assert all(name.startswith("SKF_") for name in exported)
    assert not {n for n in exported if "Export" in n} - {
        "SKF_ExportPublicKey",
        "SKF_ExportCertificate",
    }
    assert not {n for n in exported if n.startswith("SKF_Ext")}


# ---------------------------------------------------------------------------- vendor variations


@pytest.fixture
def quirky(skf: SKFStore, skf_quirky_library: str) -> SKFStore:
    """A formatted key behind a library that leaves pulRetryCount unset, answers
    SAR_PIN_INCORRECT at zero retries and exports only SKF_ECCPrvKeyDecrypt."""
    variant = SKFStore(skf_quirky_library, skf.store)
    variant.insert(serial="SKF-Q1")
    init_skf_token(variant.module, new_label="SUB1", so_pin=SO, user_pin=PIN)
    return variant


def test_tries_left_are_read_back_when_the_library_does_not_report_them(quirky: SKFStore) -> None:
    with pytest.raises(WrongPin) as exc, skf_login(quirky.module, "wrong-000", label="SUB1"):
        pass
    assert exc.value.tries_left == USER_PIN_RETRIES - 1


def test_a_pin_at_zero_retries_is_locked_even_when_the_library_says_incorrect(
    quirky: SKFStore,
) -> None:
    for _ in range(USER_PIN_RETRIES - 1):
        with pytest.raises(WrongPin), skf_login(quirky.module, "wrong-000", label="SUB1"):
            pass
    with pytest.raises(PinLocked), skf_login(quirky.module, "wrong-000", label="SUB1"):
        pass


def test_decryption_through_skf_eccprvkeydecrypt(quirky: SKFStore) -> None:
    enc_d, enc_point = kmc.new_key_pair()
    with skf_login(quirky.module, PIN, label="SUB1") as ts:
        assert ts._lib.fn("SKF_ECCDecrypt") is None
        key = ts.generate_key_pair(SM2_SPEC, "APP-1")
        ts.import_encryption_key(key.key_id, kmc.envelope(key.point, enc_d))
        c1, c3, c2 = kmc.sm2_encrypt(enc_point, b"via the Longmai name")
        assert ts.decrypt(key.key_id, cipher_blob(c1, c3, c2)) == b"via the Longmai name"
