"""GM/T 0016-2012 (SKF) USB keys through ctypes over the vendor's library.

Chinese USB keys for SM2 (Longmai mToken GM3000, Feitian ePass3000GM, Haitai HaiKey, ...) ship a
GM/T 0016 "SKF" library (``libgm3000.so``, ``libes_3000gm.so``, ``mtoken_gm3000.dll`` ...) rather
than, or beside, a PKCS#11 module. This driver loads such a library (its path is the setting
``skf_module`` / ``COUNTER_APP_SKF_MODULE`` or ``--module PATH``) and gives the services the same
verbs as a PKCS#11 token (:class:`counter_app.services.tokens.SubscriberToken`) as far as SM2
allows, plus the SM2 dual-certificate ones: import the encryption key pair the KMC sends as an
``ENVELOPEDKEYBLOB`` and decrypt with it.

How SKF objects map onto the counter's:

- a *device* (``SKF_EnumDev``) is a token; its serial and label come from ``SKF_GetDevInfo``;
- the counter keeps its keys in one *application* (default ``COUNTER_APP``, setting
  ``skf_application``) protected by the admin PIN (the SO PIN) and the user PIN; formatting
  (``token init``) deletes and re-creates it, which real keys allow only after device
  authentication (``SKF_GenRandom`` + ``SKF_DevAuth`` with the device-authentication key, taken
  from ``COUNTER_APP_SKF_DEVAUTH_KEY`` or else the factory key many vendors ship,
  ``1234567812345678``);
- each certificate pair has a *container* named by the key's label (the application number):
  its signing key pair is made in it (``SKF_GenECCKeyPair``), the KMC's encryption key pair is
  imported into it (``SKF_ImportECCKeyPair``), and both certificates are stored in it. A key id is
  the container's name in UTF-8.

Signatures: ``SKF_ECCSignData`` signs a digest. GM/T 0016 has the caller pass e = SM3(Z || M),
Z made from the signer's public key and distinguishing ID (GM/T 0009 default
``1234567812345678``); the host computes both here (with ``cryptography``'s SM3), so nothing
depends on a vendor's ``SKF_DigestInit`` handling of the ID.

Private-key decryption is not in GM/T 0016-2012; vendors add it under ``SKF_ECCDecrypt`` (GmSSL's
skf.h, several vendors) or ``SKF_ECCPrvKeyDecrypt`` (Longmai), with the same arguments. The driver
uses whichever the library exports.

Every call into the library runs on the process's token thread
(:func:`counter_app.token.thread.runs_in_token_thread`), as the PKCS#11 verbs do.

PINs go to the library as bytes in this process, never to a command line or a log.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from asn1crypto import algos as a_algos
from asn1crypto import core as a_core
from asn1crypto import csr as a_csr
from asn1crypto import keys as a_keys
from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from counter_app.domain.errors import CounterError
from counter_app.token.admin import check_changed_pin, check_format, check_pin_policy
from counter_app.token.capabilities import TokenCapabilities
from counter_app.token.errors import (
    CertificateMismatch,
    KeyAlgorithmNotSupported,
    KeyNotFound,
    PinLocked,
    PinMustBeChanged,
    PinPolicy,
    SOPinLocked,
    SOPinWrong,
    TokenError,
    TokenFull,
    TokenHoldsObjects,
    TokenNotFound,
    TokenRemoved,
    WrongPin,
)
from counter_app.token.keyspec import KeySpec, UnknownKeyAlgorithm, key_spec, register_key_spec
from counter_app.token.session import (
    SessionOnToken,
    TokenCertificate,
    TokenInfo,
    listed_certificate,
    listed_key,
    the_one,
)
from counter_app.token.thread import runs_in_token_thread

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# GM/T 0016 constants

SAR_OK = 0x00000000
SAR_FAIL = 0x0A000001
SAR_NOTSUPPORTYETERR = 0x0A000003
SAR_INVALIDHANDLEERR = 0x0A000005
SAR_KEYNOTFOUNTERR = 0x0A00001B
SAR_CERTNOTFOUNTERR = 0x0A00001C
SAR_BUFFER_TOO_SMALL = 0x0A000020
SAR_DEVICE_REMOVED = 0x0A000023
SAR_PIN_INCORRECT = 0x0A000024
SAR_PIN_LOCKED = 0x0A000025
SAR_PIN_INVALID = 0x0A000026
SAR_PIN_LEN_RANGE = 0x0A000027
SAR_USER_NOT_LOGGED_IN = 0x0A00002D
SAR_APPLICATION_EXISTS = 0x0A00002C
SAR_APPLICATION_NOT_EXISTS = 0x0A00002E
SAR_FILE_ALREADY_EXIST = 0x0A00002F
SAR_NO_ROOM = 0x0A000030
SAR_FILE_NOT_EXIST = 0x0A000031

ADMIN_TYPE, USER_TYPE = 0, 1
SGD_SM2_1 = 0x00020100  # SM2 signature
SGD_SM2_3 = 0x00020400  # SM2 encryption
SGD_SM4_ECB = 0x00000401

DEFAULT_APPLICATION = "COUNTER_APP"
DEFAULT_DEVAUTH_KEY = b"1234567812345678"  # the factory key of many vendors' keys
DEVAUTH_ENV = "COUNTER_APP_SKF_DEVAUTH_KEY"
ADMIN_PIN_RETRIES, USER_PIN_RETRIES = 10, 6
DEFAULT_ID = b"1234567812345678"  # GM/T 0009 default distinguishing ID

ULONG = ctypes.c_uint32
BOOL = ctypes.c_int32
HANDLE = ctypes.c_void_p


class _Packed(ctypes.Structure):
    """GM/T 0016 structures are byte-packed, as the vendors' headers declare them."""

    _pack_ = 1


class _Version(_Packed):
    _fields_ = [("major", ctypes.c_ubyte), ("minor", ctypes.c_ubyte)]


class DEVINFO(_Packed):
    """GM/T 0016-2012 6.4.1."""

    _fields_ = [
        ("Version", _Version),
        ("Manufacturer", ctypes.c_char * 64),
        ("Issuer", ctypes.c_char * 64),
        ("Label", ctypes.c_char * 32),
        ("SerialNumber", ctypes.c_char * 32),
        ("HWVersion", _Version),
        ("FirmwareVersion", _Version),
        ("AlgSymCap", ULONG),
        ("AlgAsymCap", ULONG),
        ("AlgHashCap", ULONG),
        ("DevAuthAlgId", ULONG),
        ("TotalSpace", ULONG),
        ("FreeSpace", ULONG),
        ("MaxECCBufferSize", ULONG),
        ("MaxBufferSize", ULONG),
        ("Reserved", ctypes.c_ubyte * 64),
    ]


class ECCPUBLICKEYBLOB(_Packed):
    _fields_ = [
        ("BitLen", ULONG),
        ("XCoordinate", ctypes.c_ubyte * 64),
        ("YCoordinate", ctypes.c_ubyte * 64),
    ]

    def point(self) -> bytes:
        """The uncompressed point 04 | X | Y (32-byte coordinates, right-aligned in the blob)."""
        return b"\x04" + bytes(self.XCoordinate)[32:] + bytes(self.YCoordinate)[32:]


class ECCSIGNATUREBLOB(_Packed):
    _fields_ = [("r", ctypes.c_ubyte * 64), ("s", ctypes.c_ubyte * 64)]


ENVELOPED_KEY_BLOB_SIZE = 4 + 4 + 4 + 64 + 132 + (64 + 64 + 32 + 4 + 16)  # 388 bytes

# --------------------------------------------------------------------------------------------
# Errors


class SKFCallFailed(TokenError):
    code = "skf_call_failed"
    zh = "证书介质操作失败：{function} 返回 0x{rv:08X}"
    en = "token operation failed: {function} returned 0x{rv:08X}"

    def __init__(self, function: str, rv: int) -> None:
        self.function, self.rv = function, rv
        super().__init__(function=function, rv=rv)


class SKFLibraryUnusable(TokenError):
    code = "skf_library_unusable"
    zh = "无法使用SKF接口库 {module}：{reason}"
    en = "cannot use the SKF library {module}: {reason}"


class DeviceAuthFailed(TokenError):
    code = "skf_device_auth_failed"
    zh = "介质设备认证失败：请在 COUNTER_APP_SKF_DEVAUTH_KEY 中设置该介质的设备认证密钥"
    en = (
        "device authentication failed: set the token's device authentication key in "
        "COUNTER_APP_SKF_DEVAUTH_KEY"
    )


class NotFormatted(TokenError):
    code = "skf_not_formatted"
    zh = "介质尚未初始化（没有应用 {application}）：请先初始化介质"
    en = "the token is not formatted (no application {application}): format it first"


class DecryptUnavailable(TokenError):
    code = "skf_decrypt_unavailable"
    zh = "该介质的接口库不提供私钥解密（SKF_ECCDecrypt / SKF_ECCPrvKeyDecrypt）"
    en = "the token's library offers no private-key decryption (SKF_ECCDecrypt/ECCPrvKeyDecrypt)"


class EnvelopeRefused(TokenError):
    code = "skf_envelope_refused"
    zh = "介质拒绝导入加密密钥对（数字信封与该介质的签名密钥不符或格式有误）"
    en = "the token refused the encryption key pair (envelope not for this key, or malformed)"


def _pin_error(rv: int, retries: int, *, admin: bool = False) -> CounterError | None:
    """The error for a refused PIN from the return value and the retries the library reports."""
    if rv == SAR_PIN_LOCKED or (rv == SAR_PIN_INCORRECT and retries == 0):
        return SOPinLocked() if admin else PinLocked()
    if rv == SAR_PIN_INCORRECT:
        return SOPinWrong() if admin else WrongPin(tries_left=retries)
    if rv in (SAR_PIN_INVALID, SAR_PIN_LEN_RANGE):
        return PinPolicy(
            "so_pin" if admin else "pin",
            reason_zh="介质拒绝该PIN码的格式或长度",
            reason_en="the token refuses this PIN's form or length",
        )
    return None


def _refusal(
    lib: SKFLibrary, app: int, function: str, rv: int, reported: int, pin_type: int
) -> CounterError:
    """The error for a refused PIN. The retries left are read back with SKF_GetPINInfo: some
    libraries leave the call's pulRetryCount unset; its value counts only when that read fails."""
    left = reported
    if rv in (SAR_PIN_INCORRECT, SAR_PIN_LOCKED):
        try:
            left = _pin_info(lib, app, pin_type)[1]
        except TokenError:
            log.debug("SKF_GetPINInfo unreadable after %s", function)
    error = _pin_error(rv, left, admin=pin_type == ADMIN_TYPE)
    return error if error is not None else _error(function, rv)


def _error(function: str, rv: int) -> TokenError:
    if rv == SAR_DEVICE_REMOVED:
        return TokenRemoved()
    if rv == SAR_NO_ROOM:
        return TokenFull()
    return SKFCallFailed(function, rv)


# --------------------------------------------------------------------------------------------
# The library

_SIGNATURES: dict[str, list[Any]] = {
    "SKF_EnumDev": [BOOL, ctypes.c_char_p, ctypes.POINTER(ULONG)],
    "SKF_ConnectDev": [ctypes.c_char_p, ctypes.POINTER(HANDLE)],
    "SKF_DisConnectDev": [HANDLE],
    "SKF_GetDevInfo": [HANDLE, ctypes.POINTER(DEVINFO)],
    "SKF_SetLabel": [HANDLE, ctypes.c_char_p],
    "SKF_GenRandom": [HANDLE, ctypes.c_char_p, ULONG],
    "SKF_DevAuth": [HANDLE, ctypes.c_char_p, ULONG],
    "SKF_EnumApplication": [HANDLE, ctypes.c_char_p, ctypes.POINTER(ULONG)],
    "SKF_CreateApplication": [
        HANDLE,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ULONG,
        ctypes.c_char_p,
        ULONG,
        ULONG,
        ctypes.POINTER(HANDLE),
    ],
    "SKF_DeleteApplication": [HANDLE, ctypes.c_char_p],
    "SKF_OpenApplication": [HANDLE, ctypes.c_char_p, ctypes.POINTER(HANDLE)],
    "SKF_CloseApplication": [HANDLE],
    "SKF_VerifyPIN": [HANDLE, ULONG, ctypes.c_char_p, ctypes.POINTER(ULONG)],
    "SKF_ChangePIN": [HANDLE, ULONG, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ULONG)],
    "SKF_UnblockPIN": [HANDLE, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ULONG)],
    "SKF_GetPINInfo": [
        HANDLE,
        ULONG,
        ctypes.POINTER(ULONG),
        ctypes.POINTER(ULONG),
        ctypes.POINTER(BOOL),
    ],
    "SKF_EnumContainer": [HANDLE, ctypes.c_char_p, ctypes.POINTER(ULONG)],
    "SKF_CreateContainer": [HANDLE, ctypes.c_char_p, ctypes.POINTER(HANDLE)],
    "SKF_DeleteContainer": [HANDLE, ctypes.c_char_p],
    "SKF_OpenContainer": [HANDLE, ctypes.c_char_p, ctypes.POINTER(HANDLE)],
    "SKF_CloseContainer": [HANDLE],
    "SKF_GenECCKeyPair": [HANDLE, ULONG, ctypes.POINTER(ECCPUBLICKEYBLOB)],
    "SKF_ImportECCKeyPair": [HANDLE, ctypes.c_char_p],
    "SKF_ExportPublicKey": [HANDLE, BOOL, ctypes.c_char_p, ctypes.POINTER(ULONG)],
    "SKF_ECCSignData": [HANDLE, ctypes.c_char_p, ULONG, ctypes.POINTER(ECCSIGNATUREBLOB)],
    "SKF_ImportCertificate": [HANDLE, BOOL, ctypes.c_char_p, ULONG],
    "SKF_ExportCertificate": [HANDLE, BOOL, ctypes.c_char_p, ctypes.POINTER(ULONG)],
    "SKF_ECCDecrypt": [HANDLE, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ULONG)],
    "SKF_ECCPrvKeyDecrypt": [HANDLE, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ULONG)],
}
_lock = threading.RLock()
_loaded: dict[str, SKFLibrary] = {}


class SKFLibrary:
    """One vendor library, loaded once per path; functions bound with their C signatures."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._dll = ctypes.CDLL(path)
        except OSError as exc:
            raise SKFLibraryUnusable(module=path, reason=str(exc)) from None
        self._fns: dict[str, Any] = {}

    def fn(self, name: str) -> Any:
        """The bound function, or None where the library does not export it."""
        if name not in self._fns:
            try:
                f = getattr(self._dll, name)
            except AttributeError:
                self._fns[name] = None
                return None
            f.argtypes = _SIGNATURES[name]
            f.restype = ULONG
            self._fns[name] = f
        return self._fns[name]

    def call(self, name: str, *args: Any) -> int:
        f = self.fn(name)
        if f is None:
            raise SKFLibraryUnusable(module=self.path, reason=f"{name} is not exported")
        return int(f(*args))

    def check(self, name: str, *args: Any) -> None:
        rv = self.call(name, *args)
        if rv != SAR_OK:
            raise _error(name, rv)

    def names(self, name: str, *args: Any) -> list[str]:
        """A GM/T 0016 name list (NUL-separated, double NUL at the end): size, then the list."""
        size = ULONG(0)
        self.check(name, *args, None, ctypes.byref(size))
        if size.value <= 1:
            return []
        buf = ctypes.create_string_buffer(size.value)
        self.check(name, *args, buf, ctypes.byref(size))
        raw = buf.raw[: size.value]
        return [n.decode("utf-8", "replace") for n in raw.split(b"\0") if n]

    def sized(self, name: str, *args: Any) -> bytes:
        """Output whose length is asked first (pbBuf = NULL), then read."""
        size = ULONG(0)
        self.check(name, *args, None, ctypes.byref(size))
        buf = ctypes.create_string_buffer(max(size.value, 1))
        self.check(name, *args, buf, ctypes.byref(size))
        return buf.raw[: size.value]


def load_library(path: str) -> SKFLibrary:
    with _lock:
        if path not in _loaded:
            _loaded[path] = SKFLibrary(path)
        return _loaded[path]


# --------------------------------------------------------------------------------------------
# SM2 helpers (GM/T 0003 curve, GM/T 0009 Z value, signature and SPKI encodings)

_SM2_A = bytes.fromhex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC")
_SM2_B = bytes.fromhex("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93")
_SM2_GX = bytes.fromhex("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7")
_SM2_GY = bytes.fromhex("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0")
OID_SM2_CURVE = "1.2.156.10197.1.301"
OID_SM2_WITH_SM3 = "1.2.156.10197.1.501"
# SubjectPublicKeyInfo of an SM2 key: id-ecPublicKey with the named curve sm2p256v1, then the
# BIT STRING of the uncompressed point (RFC 5480 layout; GM/T 0015). A fixed 27-byte prefix:
# asn1crypto knows neither OID, so the DER is written here.
_SM2_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")


def sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def z_value(point: bytes, ident: bytes = DEFAULT_ID) -> bytes:
    """Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA), GM/T 0003.2 / GM/T 0009."""
    entl = (len(ident) * 8).to_bytes(2, "big")
    return sm3(entl + ident + _SM2_A + _SM2_B + _SM2_GX + _SM2_GY + point[1:33] + point[33:65])


def sm2_spki(point: bytes) -> bytes:
    if len(point) != 65 or point[0] != 4:
        raise TokenError(detail="not an uncompressed SM2 point")
    return _SM2_SPKI_PREFIX + point


def spki_point(spki_der: bytes) -> bytes | None:
    """The uncompressed point of an SM2 SubjectPublicKeyInfo; None for any other key."""
    info = a_keys.PublicKeyInfo.load(spki_der)
    params = info["algorithm"]["parameters"]
    if info["algorithm"]["algorithm"].dotted != "1.2.840.10045.2.1":
        return None
    if not isinstance(params.chosen, a_core.ObjectIdentifier):
        return None
    if params.chosen.dotted != OID_SM2_CURVE:
        return None
    return bytes(info["public_key"].contents[1:])


def certificate_point(cert: x509.Certificate) -> bytes | None:
    """The SM2 public key of a certificate (``cryptography`` refuses the SM2 curve for keys)."""
    der = cert.public_bytes(serialization.Encoding.DER)
    spki = a_x509.Certificate.load(der)["tbs_certificate"]["subject_public_key_info"]
    return spki_point(spki.dump())


def cipher_blob(c1: bytes, c3: bytes, c2: bytes) -> bytes:
    """An ECCCIPHERBLOB (X[64] | Y[64] | HASH[32] | CipherLen | Cipher) from an SM2 ciphertext
    in parts: C1 the point (64 bytes x||y, or 65 with the 04), C3 the SM3 hash, C2 the data."""
    if len(c1) == 65:
        c1 = c1[1:]
    if len(c1) != 64 or len(c3) != 32:
        raise TokenError(detail="malformed SM2 ciphertext")
    pad = bytes(32)
    return pad + c1[:32] + pad + c1[32:] + c3 + len(c2).to_bytes(4, "little") + c2


class _SM2Cipher(a_core.Sequence):  # type: ignore[misc]
    """GM/T 0009 SM2Cipher: SEQUENCE { x, y INTEGER, hash OCTET STRING, cipher OCTET STRING }"""

    _fields = [  # noqa: RUF012 (asn1crypto's declaration style)
        ("x", a_core.Integer),
        ("y", a_core.Integer),
        ("hash", a_core.OctetString),
        ("cipher", a_core.OctetString),
    ]


def cipher_blob_from_der(der: bytes) -> bytes:
    """An ECCCIPHERBLOB from the GM/T 0009 DER form (what OpenSSL's SM2 encryption produces)."""
    parsed = _SM2Cipher.load(der)
    c1 = parsed["x"].native.to_bytes(32, "big") + parsed["y"].native.to_bytes(32, "big")
    return cipher_blob(c1, parsed["hash"].native, parsed["cipher"].native)


def _sm4_ecb_encrypt(key: bytes, data: bytes) -> bytes:
    # ECB on one block: GM/T 0016 device authentication specifies SM4-ECB (DevAuthAlgId).
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305
    return enc.update(data) + enc.finalize()


# --------------------------------------------------------------------------------------------
# Key specs and capabilities

SM2_SPEC = KeySpec("sm2", "sm2", curve="sm2p256v1")


def _register_sm2() -> None:
    try:
        key_spec("sm2")
    except UnknownKeyAlgorithm:
        register_key_spec(SM2_SPEC)


_register_sm2()


@dataclass(frozen=True)
class SKFCapabilities(TokenCapabilities):
    """What an SKF key can do: SM2 (if its DEVINFO says so), the counter's PIN limits."""

    asym_caps: int = 0

    def supports(self, spec: KeySpec) -> bool:
        return spec.family == "sm2" and bool(self.asym_caps & SGD_SM2_1 == SGD_SM2_1)

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        data["driver"] = "skf"
        return data


# --------------------------------------------------------------------------------------------
# Devices


@dataclass(frozen=True)
class SKFTokenInfo(TokenInfo):
    """A device as ``token list`` shows it: a PKCS#11 token's fields (``slot_id`` its index in
    the device list) and the device's name; the PIN fields come from the counter's application
    (all false when the token is not formatted)."""

    device: str = field(kw_only=True)
    user_pin_tries_left: int | None = None
    asym_caps: int = 0


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


@contextmanager
def _connected(lib: SKFLibrary, device: str) -> Iterator[int]:
    handle = HANDLE()
    lib.check("SKF_ConnectDev", device.encode(), ctypes.byref(handle))
    try:
        yield int(handle.value or 0)
    finally:
        lib.call("SKF_DisConnectDev", handle)


@contextmanager
def _application(lib: SKFLibrary, dev: int, name: str) -> Iterator[int]:
    handle = HANDLE()
    rv = lib.call("SKF_OpenApplication", HANDLE(dev), name.encode(), ctypes.byref(handle))
    if rv == SAR_APPLICATION_NOT_EXISTS:
        raise NotFormatted(application=name)
    if rv != SAR_OK:
        raise _error("SKF_OpenApplication", rv)
    try:
        yield int(handle.value or 0)
    finally:
        lib.call("SKF_CloseApplication", handle)


def _pin_info(lib: SKFLibrary, app: int, pin_type: int) -> tuple[int, int, bool]:
    most, left, default = ULONG(), ULONG(), BOOL()
    lib.check(
        "SKF_GetPINInfo",
        HANDLE(app),
        pin_type,
        ctypes.byref(most),
        ctypes.byref(left),
        ctypes.byref(default),
    )
    return most.value, left.value, bool(default.value)


def _device_info(lib: SKFLibrary, index: int, device: str, application: str) -> SKFTokenInfo:
    info = DEVINFO()
    with _connected(lib, device) as dev:
        lib.check("SKF_GetDevInfo", HANDLE(dev), ctypes.byref(info))
        apps = lib.names("SKF_EnumApplication", HANDLE(dev))
        pin: tuple[int, int, bool] | None = None
        if application in apps:
            with _application(lib, dev, application) as app:
                pin = _pin_info(lib, app, USER_TYPE)
    most, left, default = pin if pin is not None else (0, 0, False)
    return SKFTokenInfo(
        slot_id=index,
        device=device,
        label=_text(bytes(info.Label)),
        manufacturer=_text(bytes(info.Manufacturer)),
        model=_text(bytes(info.Issuer)),
        serial=_text(bytes(info.SerialNumber)),
        initialised=pin is not None,
        user_pin_initialised=pin is not None,
        pin_count_low=pin is not None and 0 < left < most,
        pin_final_try=pin is not None and left == 1,
        pin_locked=pin is not None and left == 0,
        pin_to_be_changed=default,
        user_pin_tries_left=left if pin is not None else None,
        asym_caps=int(info.AlgAsymCap),
    )


@runs_in_token_thread
def list_skf_tokens(module: str, application: str = DEFAULT_APPLICATION) -> list[SKFTokenInfo]:
    """Every device the library reports, formatted for the counter or not."""
    lib = load_library(module)
    devices = lib.names("SKF_EnumDev", 1)
    out = []
    for index, device in enumerate(devices):
        try:
            out.append(_device_info(lib, index, device, application))
        except TokenRemoved:
            continue  # pulled between the listing and the look
    return out


class SKFChoice(TypedDict, total=False):
    """Which SKF key a verb acts on, as :func:`find_skf_token` takes it: by label and/or serial
    (None: any), and the counter's application on it (default :data:`DEFAULT_APPLICATION`)."""

    label: str | None
    serial: str | None
    application: str


@runs_in_token_thread
def find_skf_token(
    module: str,
    *,
    label: str | None = None,
    serial: str | None = None,
    application: str = DEFAULT_APPLICATION,
    formatted: bool = True,
) -> SKFTokenInfo:
    found = [
        t
        for t in list_skf_tokens(module, application)
        if t.answers_to(label, serial) and (t.initialised or not formatted)
    ]
    return the_one(found, label, serial, anything="SKF")


def _devauth_key() -> bytes:
    value = os.environ.get(DEVAUTH_ENV)
    if not value:
        return DEFAULT_DEVAUTH_KEY
    try:
        key = bytes.fromhex(value)
    except ValueError:
        key = value.encode()
    if len(key) != 16:
        raise PinPolicy(
            DEVAUTH_ENV,
            reason_zh="设备认证密钥须为16字节（32位十六进制数）",
            reason_en="the device authentication key must be 16 bytes (32 hex digits)",
        )
    return key


def _device_authenticate(lib: SKFLibrary, dev: int) -> None:
    """GM/T 0016 7.2.3: the host encrypts the device's 8 random bytes, zero-padded to 16, with
    SM4-ECB under the device authentication key (DEVINFO.DevAuthAlgId = SGD_SM4_ECB)."""
    challenge = ctypes.create_string_buffer(8)
    lib.check("SKF_GenRandom", HANDLE(dev), challenge, 8)
    answer = _sm4_ecb_encrypt(_devauth_key(), challenge.raw[:8] + bytes(8))
    if lib.call("SKF_DevAuth", HANDLE(dev), answer, 16) != SAR_OK:
        raise DeviceAuthFailed()


def _check_pin_length(pin: str, field: str) -> None:
    check_pin_policy(pin, field=field)


@runs_in_token_thread
def init_skf_token(
    module: str,
    *,
    new_label: str,
    so_pin: str,
    user_pin: str,
    force: bool = False,
    **which: Unpack[SKFChoice],
) -> SKFTokenInfo:
    """Format an SKF key for the counter: label it, (re-)create the counter's application with
    the admin PIN (SO PIN) and the user PIN. Which key: by label/serial, else the only device
    not yet formatted. A key whose application holds containers is erased only with ``force``."""
    check_format(new_label, so_pin, user_pin, max_label=31)
    application = which.get("application", DEFAULT_APPLICATION)
    if which.get("label") is None and which.get("serial") is None:
        blank = [t for t in list_skf_tokens(module, application) if not t.initialised]
        if len(blank) != 1:
            raise TokenNotFound(which="a blank SKF token" + (" (several)" if blank else ""))
        target = blank[0]
    else:
        target = find_skf_token(module, **which, formatted=False)
    lib = load_library(module)
    with _connected(lib, target.device) as dev:
        if application in lib.names("SKF_EnumApplication", HANDLE(dev)):
            with _application(lib, dev, application) as app:
                held = lib.names("SKF_EnumContainer", HANDLE(app))
            if held and not force:
                raise TokenHoldsObjects(count=len(held))
            _device_authenticate(lib, dev)
            lib.check("SKF_DeleteApplication", HANDLE(dev), application.encode())
        else:
            _device_authenticate(lib, dev)
        lib.check("SKF_SetLabel", HANDLE(dev), new_label.encode("utf-8"))
        app_handle = HANDLE()
        lib.check(
            "SKF_CreateApplication",
            HANDLE(dev),
            application.encode(),
            so_pin.encode(),
            ADMIN_PIN_RETRIES,
            user_pin.encode(),
            USER_PIN_RETRIES,
            0xFF,  # SECURE_ANYONE_ACCOUNT may create files; keys need the user PIN anyway
            ctypes.byref(app_handle),
        )
        lib.call("SKF_CloseApplication", app_handle)
    log.info("formatted SKF token serial=%s label=%s", target.serial, new_label)
    return find_skf_token(module, serial=target.serial, application=application)


def _pin_call(lib: SKFLibrary, app: int, function: str, pin_type: int, *args: Any) -> None:
    """An SKF PIN function whose last argument receives the tries left; a refusal is mapped for
    the PIN of ``pin_type``."""
    retries = ULONG(0)
    rv = lib.call(function, HANDLE(app), *args, ctypes.byref(retries))
    if rv != SAR_OK:
        raise _refusal(lib, app, function, rv, retries.value, pin_type)


def _verify(lib: SKFLibrary, app: int, pin_type: int, pin: str) -> None:
    _pin_call(lib, app, "SKF_VerifyPIN", pin_type, pin_type, pin.encode())


def _pin_call_in(
    module: str, info: SKFTokenInfo, which: SKFChoice, function: str, pin_type: int, *args: Any
) -> None:
    """:func:`_pin_call` in the counter's application on the key found."""
    lib = load_library(module)
    application = which.get("application", DEFAULT_APPLICATION)
    with _connected(lib, info.device) as dev, _application(lib, dev, application) as app:
        _pin_call(lib, app, function, pin_type, *args)


@runs_in_token_thread
def change_skf_pin(
    module: str, *, old_pin: str, new_pin: str, **which: Unpack[SKFChoice]
) -> SKFTokenInfo:
    check_changed_pin(old_pin, new_pin)
    info = find_skf_token(module, **which)
    if info.pin_locked:
        raise PinLocked()
    pins = (old_pin.encode(), new_pin.encode())
    _pin_call_in(module, info, which, "SKF_ChangePIN", USER_TYPE, USER_TYPE, *pins)
    log.info("user PIN changed on SKF token serial=%s", info.serial)
    return info


@runs_in_token_thread
def unblock_skf_pin(
    module: str, *, so_pin: str, new_pin: str, **which: Unpack[SKFChoice]
) -> SKFTokenInfo:
    """The admin PIN (SO PIN) sets a new user PIN and resets its retry counter."""
    check_pin_policy(new_pin, field="new_pin")
    info = find_skf_token(module, **which)
    pins = (so_pin.encode(), new_pin.encode())
    _pin_call_in(module, info, which, "SKF_UnblockPIN", ADMIN_TYPE, *pins)
    log.info("user PIN reset with the admin PIN on SKF token serial=%s", info.serial)
    return info


def skf_capabilities(info: SKFTokenInfo) -> SKFCapabilities:
    return SKFCapabilities(
        serial=info.serial,
        label=info.label,
        model=info.model,
        mechanisms={},
        min_pin=6,
        max_pin=16,
        user_pin_to_be_changed=info.pin_to_be_changed,
        user_pin_locked=info.pin_locked,
        asym_caps=info.asym_caps,
    )


# --------------------------------------------------------------------------------------------
# A signed-in session


@dataclass(frozen=True)
class SKFKey:
    """The signing key pair of one container (valid while the session is open)."""

    key_id: bytes
    label: str
    point: bytes  # 04 | X | Y
    _session: SKFSession = field(repr=False, compare=False)

    algorithm = "sm2"

    @property
    def public_key_der(self) -> bytes:
        """SubjectPublicKeyInfo DER of the SM2 signing key."""
        return sm2_spki(self.point)

    def private_key(self) -> SM2TokenSigner:
        return SM2TokenSigner(self)

    def sign(self, data: bytes, ident: bytes = DEFAULT_ID) -> bytes:
        """An SM2 signature (DER SEQUENCE {r, s}) over SM3(Z || data), made on the token."""
        return self._session.sign(self.key_id, sm3(z_value(self.point, ident) + data))


class SM2TokenSigner:
    """What a builder needs from a key on the token: ``sign(data) -> DER signature`` (SM2 with
    SM3 and the GM/T 0009 default ID) and the public key. There is no way to export the key."""

    def __init__(self, key: SKFKey) -> None:
        self._key = key

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def public_key_der(self) -> bytes:
        return self._key.public_key_der


@dataclass(frozen=True)
class SKFCertificate(TokenCertificate):
    usage: str  # "sign" | "encrypt"


def _label_of(container: str) -> str:
    return container.split("#", 1)[0]


class SKFSession(SessionOnToken[SKFKey]):
    """The counter's application on one SKF key, opened with the user PIN."""

    info: SKFTokenInfo

    def __init__(self, lib: SKFLibrary, info: SKFTokenInfo, dev: int, app: int) -> None:
        self._lib, self.info, self._dev, self._app = lib, info, dev, app

    @cached_property
    def capabilities(self) -> SKFCapabilities:
        return skf_capabilities(self.info)

    @contextmanager
    def _container(self, key_id: bytes) -> Iterator[int]:
        handle = HANDLE()
        rv = self._lib.call(
            "SKF_OpenContainer", HANDLE(self._app), bytes(key_id), ctypes.byref(handle)
        )
        if rv == SAR_FILE_NOT_EXIST:
            raise KeyNotFound(key_id=key_id.decode("utf-8", "replace"))
        if rv != SAR_OK:
            raise _error("SKF_OpenContainer", rv)
        try:
            yield int(handle.value or 0)
        finally:
            self._lib.call("SKF_CloseContainer", handle)

    @runs_in_token_thread
    def containers(self) -> list[str]:
        return self._lib.names("SKF_EnumContainer", HANDLE(self._app))

    def _public_point(self, con: int, sign: bool) -> bytes | None:
        blob = ECCPUBLICKEYBLOB()
        size = ULONG(ctypes.sizeof(blob))
        rv = self._lib.call(
            "SKF_ExportPublicKey",
            HANDLE(con),
            1 if sign else 0,
            ctypes.cast(ctypes.byref(blob), ctypes.c_char_p),
            ctypes.byref(size),
        )
        if rv in (SAR_KEYNOTFOUNTERR, SAR_FAIL, SAR_NOTSUPPORTYETERR):
            return None
        if rv != SAR_OK:
            raise _error("SKF_ExportPublicKey", rv)
        return blob.point()

    @runs_in_token_thread
    def generate_key_pair(self, spec: KeySpec, label: str) -> SKFKey:
        """A new SM2 signing key pair made on the token, in a new container named ``label``
        (``label#2``... when that name is taken)."""
        if not self.capabilities.supports(spec):
            raise KeyAlgorithmNotSupported(
                wanted=spec.title, allowed=(SM2_SPEC.title,) if spec.family != "sm2" else ()
            )
        taken = set(self.containers())
        name, n = label, 1
        while name in taken:
            n += 1
            name = f"{label}#{n}"
        if len(name.encode("utf-8")) > 64:
            raise PinPolicy(
                "label", reason_zh="容器名超过64字节", reason_en="container name over 64 bytes"
            )
        handle = HANDLE()
        self._lib.check(
            "SKF_CreateContainer", HANDLE(self._app), name.encode("utf-8"), ctypes.byref(handle)
        )
        try:
            blob = ECCPUBLICKEYBLOB()
            self._lib.check("SKF_GenECCKeyPair", handle, SGD_SM2_1, ctypes.byref(blob))
        except TokenError:
            self._lib.call("SKF_CloseContainer", handle)
            self._lib.call("SKF_DeleteContainer", HANDLE(self._app), name.encode("utf-8"))
            raise
        self._lib.call("SKF_CloseContainer", handle)
        log.debug("generated SM2 signing key in container %s", name)
        return SKFKey(name.encode("utf-8"), _label_of(name), blob.point(), self)

    @runs_in_token_thread
    def list_keys(self) -> list[SKFKey]:
        keys = []
        for name in self.containers():
            with self._container(name.encode("utf-8")) as con:
                point = self._public_point(con, sign=True)
            if point is not None:
                keys.append(SKFKey(name.encode("utf-8"), _label_of(name), point, self))
        return keys

    def _key_name(self, key_id: bytes) -> str:
        return key_id.decode("utf-8", "replace")  # the container's name

    @runs_in_token_thread
    def check_key_protected(self, key_id: bytes) -> None:
        """An SKF key has no export function for private keys: nothing to read back."""
        self.find_key(key_id)

    @runs_in_token_thread
    def sign(self, key_id: bytes, digest: bytes) -> bytes:
        """``SKF_ECCSignData`` over a 32-byte digest; the signature DER-encoded (r, s)."""
        signature = ECCSIGNATUREBLOB()
        with self._container(key_id) as con:
            self._lib.check(
                "SKF_ECCSignData", HANDLE(con), digest, len(digest), ctypes.byref(signature)
            )
        r = int.from_bytes(bytes(signature.r), "big")
        s = int.from_bytes(bytes(signature.s), "big")
        return encode_dss_signature(r, s)

    @runs_in_token_thread
    def encryption_public_key(self, key_id: bytes) -> bytes | None:
        with self._container(key_id) as con:
            return self._public_point(con, sign=False)

    @runs_in_token_thread
    def import_encryption_key(self, key_id: bytes, envelope: bytes) -> None:
        """``SKF_ImportECCKeyPair``: the KMC's encryption key pair, in its ENVELOPEDKEYBLOB
        (SM4 key encrypted to this container's signing key), into the container; the public key
        the token then holds is read back and must be the envelope's."""
        if len(envelope) != ENVELOPED_KEY_BLOB_SIZE:
            raise EnvelopeRefused()
        with self._container(key_id) as con:
            rv = self._lib.call("SKF_ImportECCKeyPair", HANDLE(con), envelope)
            if rv != SAR_OK:
                if rv in (SAR_DEVICE_REMOVED, SAR_NO_ROOM, SAR_USER_NOT_LOGGED_IN):
                    raise _error("SKF_ImportECCKeyPair", rv)
                raise EnvelopeRefused()
            point = self._public_point(con, sign=False)
        expected = b"\x04" + envelope[80 + 32 : 144] + envelope[144 + 32 : 208]
        if point != expected:
            raise EnvelopeRefused()

    @runs_in_token_thread
    def decrypt(self, key_id: bytes, blob: bytes) -> bytes:
        """Decrypt an ECCCIPHERBLOB (see :func:`cipher_blob`) with the container's encryption
        private key, on the token."""
        name = next(
            (n for n in ("SKF_ECCDecrypt", "SKF_ECCPrvKeyDecrypt") if self._lib.fn(n)), None
        )
        if name is None:
            raise DecryptUnavailable()
        with self._container(key_id) as con:
            return self._lib.sized(name, HANDLE(con), blob)

    @runs_in_token_thread
    def generate_sm2_signing_key(self, label: str) -> SKFKey:
        """The SM2 token verb of a dual enrollment (``services.sm2_pair.SM2Token``)."""
        return self.generate_key_pair(SM2_SPEC, label)

    @runs_in_token_thread
    def write_certificate(
        self,
        cert: x509.Certificate,
        key_id: bytes,
        label: str = "",
        *,
        signing: bool | None = None,
    ) -> None:
        """Store the certificate in the container, as the signing or the encryption certificate
        by the key it certifies (``signing``, when given, must agree)."""
        point = certificate_point(cert)
        der = cert.public_bytes(serialization.Encoding.DER)
        with self._container(key_id) as con:
            if point is not None and point == self._public_point(con, sign=True):
                sign = True
            elif point is not None and point == self._public_point(con, sign=False):
                sign = False
            else:
                raise CertificateMismatch()
            if signing is not None and signing != sign:
                raise CertificateMismatch()
            self._lib.check("SKF_ImportCertificate", HANDLE(con), 1 if sign else 0, der, len(der))

    @runs_in_token_thread
    def read_certificates(self) -> list[SKFCertificate]:
        out = []
        for name in self.containers():
            key_id = name.encode("utf-8")
            with self._container(key_id) as con:
                for sign in (True, False):
                    try:
                        der = self._lib.sized(
                            "SKF_ExportCertificate", HANDLE(con), 1 if sign else 0
                        )
                    except SKFCallFailed as exc:
                        if exc.rv in (SAR_CERTNOTFOUNTERR, SAR_FILE_NOT_EXIST):
                            continue
                        raise
                    cert = x509.load_der_x509_certificate(der)
                    usage = "sign" if sign else "encrypt"
                    out.append(SKFCertificate(key_id, _label_of(name), cert, usage))
        return out

    @runs_in_token_thread
    def check_certificate_matches(self, cert: x509.Certificate, key_id: bytes) -> None:
        """Read back: the certificate is in this container and certifies one of its keys."""
        stored = [c.certificate for c in self.read_certificates() if c.key_id == key_id]
        if cert not in stored:
            raise CertificateMismatch()
        point = certificate_point(cert)
        with self._container(key_id) as con:
            if point is None or point not in (
                self._public_point(con, sign=True),
                self._public_point(con, sign=False),
            ):
                raise CertificateMismatch()

    @runs_in_token_thread
    def delete_key_pair(self, key_id: bytes) -> None:
        """The container: both key pairs and both certificates."""
        rv = self._lib.call("SKF_DeleteContainer", HANDLE(self._app), bytes(key_id))
        if rv not in (SAR_OK, SAR_FILE_NOT_EXIST):
            raise _error("SKF_DeleteContainer", rv)


def describe_skf_objects(ts: SKFSession) -> dict[str, list[dict[str, str]]]:
    """What is in the counter's application, listed as ``describe_objects`` lists PKCS#11 (plus
    the container name, whether it holds an encryption key, and each certificate's usage)."""
    keys = [
        {
            # SKF offers no private-key export at all: every key is protected.
            **listed_key(key.key_id, key.label, key.algorithm, "protected"),
            "container": key.key_id.decode("utf-8", "replace"),
            "encryption_key": "yes" if ts.encryption_public_key(key.key_id) else "no",
        }
        for key in ts.list_keys()
    ]
    certificates = [
        {
            **listed_certificate(c),
            "container": c.key_id.decode("utf-8", "replace"),
            "usage": c.usage,
        }
        for c in ts.read_certificates()
    ]
    return {"keys": keys, "certificates": certificates}


@runs_in_token_thread
def _open_session(
    module: str, pin: str, label: str | None, serial: str | None, application: str
) -> SKFSession:
    info = find_skf_token(module, label=label, serial=serial, application=application)
    if info.pin_locked:
        raise PinLocked()
    if info.pin_to_be_changed:
        raise PinMustBeChanged()
    lib = load_library(module)
    dev = HANDLE()
    lib.check("SKF_ConnectDev", info.device.encode(), ctypes.byref(dev))
    app = HANDLE()
    try:
        rv = lib.call("SKF_OpenApplication", dev, application.encode(), ctypes.byref(app))
        if rv == SAR_APPLICATION_NOT_EXISTS:
            raise NotFormatted(application=application)
        if rv != SAR_OK:
            raise _error("SKF_OpenApplication", rv)
        try:
            _verify(lib, int(app.value or 0), USER_TYPE, pin)
        except BaseException:
            lib.call("SKF_CloseApplication", app)
            raise
    except BaseException:
        lib.call("SKF_DisConnectDev", dev)
        raise
    return SKFSession(lib, info, int(dev.value or 0), int(app.value or 0))


@runs_in_token_thread
def _close_session(session: SKFSession) -> None:
    # Closing the application ends the user's login (the secure state).
    session._lib.call("SKF_CloseApplication", HANDLE(session._app))
    session._lib.call("SKF_DisConnectDev", HANDLE(session._dev))


@contextmanager
def skf_login(
    module: str,
    pin: str,
    *,
    label: str | None = None,
    serial: str | None = None,
    application: str = DEFAULT_APPLICATION,
) -> Iterator[SKFSession]:
    """Connect, open the counter's application and verify the user PIN; closed on exit. The
    calls run on the token thread (:mod:`counter_app.token.thread`), whoever opens it."""
    session = _open_session(module, pin, label, serial, application)
    try:
        yield session
    finally:
        _close_session(session)


def configured_driver(extra: Any, environ: Any = None) -> tuple[str, str | None]:
    """The token driver the counter is set up for and, for SKF, its library and application:
    COUNTER_APP_TOKEN_DRIVER / ``token_driver`` ("pkcs11" by default, or "skf"),
    COUNTER_APP_SKF_MODULE / ``skf_module``. Returns (driver, SKF library path or None)."""
    env = os.environ if environ is None else environ
    driver = str(env.get("COUNTER_APP_TOKEN_DRIVER") or extra.get("token_driver") or "pkcs11")
    module = env.get("COUNTER_APP_SKF_MODULE") or extra.get("skf_module")
    return driver, (str(module) if module else None)


def configured_application(extra: Any) -> str:
    return str(extra.get("skf_application") or DEFAULT_APPLICATION)


class SKFTokens:
    """:class:`counter_app.services.tokens.TokenAccess` over an SKF library."""

    # Its sessions are SM2 tokens (``services.sm2_pair.SM2Token``): SM2 dual certificates can be
    # enrolled on them (``services.sm2_pair.check_dual_ready``).
    provides_sm2 = True

    def __init__(self, module: str, application: str = DEFAULT_APPLICATION) -> None:
        self.module, self.application = module, application

    @contextmanager
    def session(self, choice: Any, pin: str) -> Iterator[SKFSession]:
        with skf_login(
            self.module,
            pin,
            label=choice.label,
            serial=choice.serial,
            application=self.application,
        ) as session:
            yield session

    def identify(self, choice: Any) -> Any:
        from counter_app.services.tokens import TokenIdentity

        info = find_skf_token(
            self.module, label=choice.label, serial=choice.serial, application=self.application
        )
        return TokenIdentity(info.serial, info.label)

    def check_new_pin(self, pin: str) -> None:
        check_pin_policy(pin, field="new_pin")

    def unblock(self, serial: str, so_pin: str, new_pin: str) -> None:
        unblock_skf_pin(
            self.module,
            serial=serial,
            so_pin=so_pin,
            new_pin=new_pin,
            application=self.application,
        )


# --------------------------------------------------------------------------------------------
# A PKCS#10 request signed on the token


def build_sm2_csr(key: SKFKey, subject: x509.Name) -> bytes:
    """A PKCS#10 request (DER) for the SM2 key on the token, signed there with SM2-with-SM3
    (1.2.156.10197.1.501) over SM3(Z || CertificationRequestInfo), Z with the GM/T 0009 default
    ID. ``openssl req -verify -vfyopt distid:1234567812345678`` accepts it."""
    return sm2_request(key.public_key_der, key.sign, subject)


def sm2_request(public_key_der: bytes, sign: Callable[[bytes], bytes], subject: x509.Name) -> bytes:
    """A PKCS#10 request (DER) for an SM2 public key (SubjectPublicKeyInfo DER), ``sign`` making
    the SM2-with-SM3 signature (DER r, s) over the CertificationRequestInfo. ``cryptography``
    builds no SM2 request, so asn1crypto assembles it."""
    info = a_csr.CertificationRequestInfo(
        {
            "version": "v1",
            "subject": a_x509.Name.load(subject.public_bytes()),
            "subject_pk_info": a_keys.PublicKeyInfo.load(public_key_der),
            "attributes": [],
        }
    )
    signature = sign(info.dump())
    request = a_csr.CertificationRequest(
        {
            "certification_request_info": info,
            "signature_algorithm": a_algos.SignedDigestAlgorithm({"algorithm": OID_SM2_WITH_SM3}),
            "signature": signature,
        }
    )
    return bytes(request.dump())


if TYPE_CHECKING:  # mypy proves the SKF classes fit the services' token interfaces
    from counter_app.services.tokens import SubscriberToken, TokenAccess

    def _fits(session: SKFSession, tokens: SKFTokens) -> tuple[SubscriberToken, TokenAccess]:
        return session, tokens
