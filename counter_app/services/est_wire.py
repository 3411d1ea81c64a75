"""What a counter and the shared signing service say to each other beside RFC 7030.

EST (RFC 7030) carries the CSR and the certificate; it has no field for what the RA verified at
the counter. The CA never takes the subject from the CSR, so the counter sends it in one HTTP
header, ``Counter-RA-Request``, on the same ``simpleenroll`` / ``simplereenroll`` request:

    Counter-RA-Request: <base64url, unpadded, of UTF-8 JSON>
    {"v": 1, "profile": "individual", "application_id": "A...", "operator": "clerk1",
     "csr_sha256": "<hex SHA-256 of the CSR's DER>", "replaces": null,
     "subject": {"common_name": ..., "organization": ..., "organizational_unit": ...,
                 "serial_number": ..., "country": "CN", "email": ...,
                 "identifiers": {"<oid>": "<value>"}, "application_items": [...]}}

Why a header and not a CSR attribute: the CSR is signed on the subscriber's token and says only
what the key holder claims; the header is said by the counter, and the counter is the party the
signing service authenticates (TLS client certificate, RFC 7030 §3.3.2). Mutual TLS binds every
byte of the request, header included, to that certificate; ``csr_sha256`` binds the header to
exactly one CSR, so a header logged or copied elsewhere cannot certify another key. The body
stays plain RFC 7030 (base64 PKCS#10 in, base64 PKCS#7 certs-only out), so a standard EST client
can reach ``cacerts`` and sees well-formed errors everywhere else.

Status changes are not EST: ``POST /ra/status`` (same TLS client authentication) takes JSON
``{"serial": "...", "action": "status"|"hold"|"release"|"revoke", "reason": "...",
"operator": "..."}`` and answers the certificate record as JSON. Refusals are
``application/json`` ``{"code", "zh", "en"}`` with a 4xx status (RFC 7030 §4.2.3 allows any
human-readable body with a 4xx).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from counter_app.ca import CertificateRecord, RecordStatus, RevocationReason, SubjectInfo
from counter_app.domain.errors import CounterError

RA_HEADER = "counter-ra-request"
WIRE_VERSION = 1
EST_PREFIX = "/.well-known/est"
PKCS7_TYPE = "application/pkcs7-mime; smime-type=certs-only"
PKCS10_TYPE = "application/pkcs10"
MAX_HEADER = 8 * 1024


class BadRARequest(CounterError):
    """The counter's RA header or status request cannot be read (a client bug, never a 500)."""

    code = "bad_ra_request"
    zh = "注册请求格式错误：{detail}"
    en = "malformed RA request: {detail}"


@dataclass(frozen=True)
class RARequest:
    subject: SubjectInfo
    profile: str
    application_id: str | None
    operator: str
    csr_sha256: str
    replaces: str | None = None
    not_after: dt.datetime | None = None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_ra_request(request: RARequest) -> str:
    s = request.subject
    body = {
        "v": WIRE_VERSION,
        "profile": request.profile,
        "application_id": request.application_id,
        "operator": request.operator,
        "csr_sha256": request.csr_sha256,
        "replaces": request.replaces,
        "not_after": request.not_after.isoformat() if request.not_after else None,
        "subject": {
            "common_name": s.common_name,
            "organization": s.organization,
            "organizational_unit": s.organizational_unit,
            "serial_number": s.serial_number,
            "country": s.country,
            "email": s.email,
            "identifiers": dict(s.identifiers),
            "application_items": list(s.application_items),
        },
    }
    return _b64url(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def _text(data: dict[str, Any], key: str, *, optional: bool = False) -> str | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > 1024:
        raise BadRARequest(detail=f"{key} must be a non-empty string")
    return value


def _subject(data: Any) -> SubjectInfo:
    if not isinstance(data, dict):
        raise BadRARequest(detail="subject must be an object")
    ids = data.get("identifiers") or {}
    items = data.get("application_items") or []
    if not isinstance(ids, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in ids.items()
    ):
        raise BadRARequest(detail="identifiers must map strings to strings")
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise BadRARequest(detail="application_items must be a list of strings")
    return SubjectInfo(
        common_name=_text(data, "common_name") or "",
        organization=_text(data, "organization", optional=True),
        organizational_unit=_text(data, "organizational_unit", optional=True),
        serial_number=_text(data, "serial_number", optional=True),
        country=_text(data, "country", optional=True) or "CN",
        email=_text(data, "email", optional=True),
        identifiers=dict(ids),
        application_items=tuple(items),
    )


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadRARequest(detail="not UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise BadRARequest(detail="not a JSON object")
    return data


def decode_ra_request(header: str) -> RARequest:
    if len(header) > MAX_HEADER:
        raise BadRARequest(detail="header too long")
    try:
        raw = _unb64url(header)
    except (ValueError, TypeError):
        raise BadRARequest(detail="header is not base64url") from None
    data = _json_object(raw)
    if data.get("v") != WIRE_VERSION:
        raise BadRARequest(detail=f"unsupported version {data.get('v')!r}")
    return RARequest(
        subject=_subject(data.get("subject")),
        profile=_text(data, "profile") or "",
        application_id=_text(data, "application_id", optional=True),
        operator=_text(data, "operator") or "",
        csr_sha256=(_text(data, "csr_sha256") or "").lower(),
        replaces=_text(data, "replaces", optional=True),
        not_after=_optional_time(data, "not_after"),
    )


def _optional_time(data: dict[str, Any], key: str) -> dt.datetime | None:
    text = _text(data, key, optional=True)
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise BadRARequest(detail=f"{key} must be an ISO 8601 time") from None
    if when.tzinfo is None:
        raise BadRARequest(detail=f"{key} must carry its time zone")
    return when


@dataclass(frozen=True)
class StatusRequest:
    serial: str
    action: str  # status | hold | release | revoke
    operator: str
    reason: RevocationReason | None = None


ACTIONS = ("status", "hold", "release", "revoke")


def encode_status_request(request: StatusRequest) -> bytes:
    return json.dumps(
        {
            "serial": request.serial,
            "action": request.action,
            "operator": request.operator,
            "reason": request.reason.value if request.reason else None,
        }
    ).encode()


def decode_status_request(raw: bytes) -> StatusRequest:
    data = _json_object(raw)
    action = _text(data, "action") or ""
    if action not in ACTIONS:
        raise BadRARequest(detail=f"action must be one of {', '.join(ACTIONS)}")
    reason_text = _text(data, "reason", optional=True)
    try:
        reason = RevocationReason(reason_text) if reason_text else None
    except ValueError:
        raise BadRARequest(detail="unknown revocation reason") from None
    if action == "revoke" and reason is None:
        raise BadRARequest(detail="revoke needs a reason")
    serial = _text(data, "serial") or ""
    if not all(c in "0123456789abcdefABCDEF" for c in serial):
        raise BadRARequest(detail="serial must be hexadecimal")
    return StatusRequest(serial.upper(), action, _text(data, "operator") or "", reason)


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def record_to_json(record: CertificateRecord) -> bytes:
    return json.dumps(
        {
            "serial_hex": record.serial_hex,
            "subject": record.subject,
            "profile": record.profile,
            "status": record.status.value,
            "not_before": _time(record.not_before),
            "not_after": _time(record.not_after),
            "application_id": record.application_id,
            "revoked_at": _time(record.revoked_at),
            "reason": record.reason.value if record.reason else None,
            "der": base64.b64encode(record.der).decode() if record.der else None,
        },
        ensure_ascii=False,
    ).encode("utf-8")


def record_from_json(raw: bytes) -> CertificateRecord:
    data = _json_object(raw)

    def when(key: str) -> dt.datetime | None:
        value = data.get(key)
        return dt.datetime.fromisoformat(value) if value else None

    try:
        return CertificateRecord(
            serial_hex=data["serial_hex"],
            subject=data["subject"],
            profile=data["profile"],
            status=RecordStatus(data["status"]),
            not_before=when("not_before") or dt.datetime.min.replace(tzinfo=dt.UTC),
            not_after=when("not_after") or dt.datetime.min.replace(tzinfo=dt.UTC),
            application_id=data.get("application_id"),
            revoked_at=when("revoked_at"),
            reason=RevocationReason(data["reason"]) if data.get("reason") else None,
            der=base64.b64decode(data["der"]) if data.get("der") else None,
        )
    except (KeyError, ValueError, TypeError):
        raise BadRARequest(detail="certificate record") from None


def error_to_json(error: CounterError) -> bytes:
    return json.dumps(
        {"code": error.code, "zh": error.message("zh_CN"), "en": error.message("en")},
        ensure_ascii=False,
    ).encode("utf-8")


# Version handshake (issue 21). Every request of a counter names the protocol it speaks in
# VERSION_HEADER; the service refuses a counter older than its MIN_PEER_PROTOCOL with 426, and a
# counter asks VERSION_PATH before its first side effect and refuses a service older than its
# own MIN_PEER_PROTOCOL. Raise PROTOCOL_VERSION when the wire changes; raise MIN_PEER_PROTOCOL
# only when the older side can no longer be served (then the signing service is upgraded first,
# docs/operations.md).
PROTOCOL_VERSION = 1
MIN_PEER_PROTOCOL = 1
VERSION_HEADER = "counter-app-protocol"
VERSION_PATH = "/ra/version"
COUNTER_CERT_PATH = "/ra/counter-cert"


class IncompatibleVersion(CounterError):
    """A counter and a signing service that cannot work together; the message says which to
    upgrade."""

    code = "incompatible_version"
    zh = "版本不兼容：{detail_zh}"
    en = "incompatible versions: {detail_en}"


def version_json(app_version: str) -> bytes:
    return json.dumps(
        {"version": app_version, "protocol": PROTOCOL_VERSION, "min_protocol": MIN_PEER_PROTOCOL}
    ).encode("utf-8")


def check_peer_protocol(peer: int, peer_version: str, *, peer_is: str) -> None:
    """Raise :class:`IncompatibleVersion` when a peer speaking ``peer`` is too old for us.

    ``peer_is`` is "counter" or "service": the side the message tells to upgrade.
    """
    if peer >= MIN_PEER_PROTOCOL:
        return
    if peer_is == "service":
        raise IncompatibleVersion(
            detail_zh=f"签发服务为 {peer_version}（协议 {peer}），本柜台需要协议 ≥ "
            f"{MIN_PEER_PROTOCOL}：请先升级签发服务",
            detail_en=f"the signing service runs {peer_version} (protocol {peer}) and this "
            f"counter needs protocol {MIN_PEER_PROTOCOL} or later: upgrade the signing service "
            "first",
        )
    raise counter_too_old(peer, MIN_PEER_PROTOCOL)


def counter_too_old(speaks: int, needed: int) -> IncompatibleVersion:
    return IncompatibleVersion(
        detail_zh=f"柜台使用协议 {speaks}，签发服务需要协议 ≥ {needed}：请升级本柜台",
        detail_en=f"this counter speaks protocol {speaks} and the signing service needs "
        f"{needed} or later: upgrade counter-app on this counter",
    )


def incompatible_from_words(zh: str, en: str) -> IncompatibleVersion:
    """The service's own refusal, without its prefix repeated."""
    zh_prefix, en_prefix = (
        IncompatibleVersion.zh.split("{")[0],
        IncompatibleVersion.en.split("{")[0],
    )
    return IncompatibleVersion(
        detail_zh=zh.removeprefix(zh_prefix), detail_en=en.removeprefix(en_prefix)
    )


def parse_protocol(header: str | None) -> int | None:
    """The protocol a ``Counter-App-Protocol`` header names ("1" or "1; version=0.1.0")."""
    if header is None:
        return None
    head = header.split(";", 1)[0].strip()
    return int(head) if head.isdigit() and len(head) < 6 else 0
