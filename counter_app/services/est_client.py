"""The counter's side of the shared signing service: :class:`ESTSigning`, a ``SigningClient``
over HTTPS with the counter's client certificate (EST, RFC 7030, plus ``/ra/status``; the wire
format is in ``services/est_wire.py``).

Configuration (option, then environment, then ``config.toml``):

- ``--ca-url`` / ``COUNTER_APP_CA_URL`` / ``ca_url``: e.g. ``https://ca.example:8443``
- ``COUNTER_APP_CA_CLIENT_CERT`` / ``ca_client_cert``: this counter's certificate (PEM)
- ``COUNTER_APP_CA_CLIENT_KEY`` / ``ca_client_key``: its key (PKCS#8 PEM, encrypted)
- ``COUNTER_APP_CA_TRUST`` / ``ca_trust``: the CA certificate(s) the service's TLS certificate
  must chain to (the ``ca.pem`` that ``counter-app est counter-cert`` writes)
- ``COUNTER_APP_CLIENT_KEY_PASSPHRASE``: the key's passphrase, from the environment or a prompt
  (passed in as a callable), never from argv or a file.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import ssl
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from counter_app import __version__
from counter_app.ca import (
    CertificateNotFound,
    CertificateRecord,
    IssuedCertificate,
    IssueRequest,
    RevocationReason,
)
from counter_app.ca.ocsp import serial_hex
from counter_app.config import Config
from counter_app.domain.errors import ConfigError, CounterError
from counter_app.services.est_wire import (
    COUNTER_CERT_PATH,
    EST_PREFIX,
    PKCS10_TYPE,
    PROTOCOL_VERSION,
    RA_HEADER,
    VERSION_HEADER,
    VERSION_PATH,
    RARequest,
    StatusRequest,
    check_peer_protocol,
    counter_too_old,
    encode_ra_request,
    encode_status_request,
    incompatible_from_words,
    record_from_json,
)
from counter_app.services.signing import CertificateRecords

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
KEY_PASSPHRASE_ENV = "COUNTER_APP_CLIENT_KEY_PASSPHRASE"


class SigningServiceUnavailable(CounterError):
    code = "signing_service_unavailable"
    zh = "无法连接签发服务 {url}：{detail}"
    en = "the signing service at {url} cannot be reached: {detail}"


class NoSharedRecords(CounterError):
    code = "no_shared_records"
    zh = "证书列表从与签发服务共享的数据库读取，本柜台没有该数据库"
    en = "the certificate list is read from the database shared with the signing service; this counter has none"


class SigningServiceRefused(CounterError):
    """The service said no; its own words (both languages) are the message."""

    code = "signing_service_refused"
    zh = "签发服务拒绝了请求（{status}）：{reason_zh}"
    en = "the signing service refused the request ({status}): {reason_en}"


class WrongClientKeyPassphrase(CounterError):
    code = "wrong_client_key_passphrase"
    zh = "柜台客户端证书私钥口令错误，或证书与私钥不匹配"
    en = "wrong passphrase for the counter's client key, or the key does not match its certificate"


@dataclass(frozen=True)
class ServiceVersion:
    version: str
    protocol: int
    min_protocol: int
    date: str | None  # the HTTP Date header: the service's clock, for the skew check


@dataclass(frozen=True)
class ESTSettings:
    url: str
    client_cert: Path
    client_key: Path
    trust: Path

    @classmethod
    def from_config(cls, config: Config, environ: Mapping[str, str] | None = None) -> ESTSettings:
        env = os.environ if environ is None else environ

        def path(env_name: str, key: str) -> Path:
            value = env.get(env_name) or config.extra.get(key)
            if not value:
                raise ConfigError(
                    detail=f"ca_url is set but {key} is not (set {env_name} or {key} in config.toml)"
                )
            return Path(str(value)).expanduser()

        assert config.ca_url is not None
        return cls(
            url=config.ca_url.rstrip("/"),
            client_cert=path("COUNTER_APP_CA_CLIENT_CERT", "ca_client_cert"),
            client_key=path("COUNTER_APP_CA_CLIENT_KEY", "ca_client_key"),
            trust=path("COUNTER_APP_CA_TRUST", "ca_trust"),
        )


def tls_context(settings: ESTSettings, passphrase: Callable[[], str]) -> ssl.SSLContext:
    """Verify the service against ``trust``; present this counter's certificate."""
    try:
        context = ssl.create_default_context(cafile=str(settings.trust))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(detail=f"{settings.trust}: {exc.__class__.__name__}") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(
            str(settings.client_cert), str(settings.client_key), password=passphrase
        )
    except ssl.SSLError:
        raise WrongClientKeyPassphrase() from None
    except OSError as exc:
        raise ConfigError(detail=f"client certificate or key: {exc.strerror}") from None
    return context


class ESTSigning:
    """``SigningClient`` over EST to the shared signing service (共享签发服务)."""

    def __init__(
        self,
        settings: ESTSettings,
        passphrase: Callable[[], str],
        records: CertificateRecords | None = None,
    ) -> None:
        """``records`` reads the service's records in the database the counter shares with it
        (the documented deployment): EST itself answers no listing or look-up by application."""
        self._url = settings.url
        self._records = records
        # A new TLS connection per request: SoftHSM (and other PKCS#11 modules built on
        # OpenSSL) leave errors on the thread's OpenSSL error queue when a token is opened, and
        # a read on a kept-alive connection then fails with that stale error ("no such
        # engine"), whereas a handshake starts by clearing the queue. A counter makes a few
        # requests per service, so the extra handshakes cost nothing a clerk would notice.
        self._http = httpx.Client(
            base_url=settings.url,
            verify=tls_context(settings, passphrase),
            timeout=TIMEOUT,
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={VERSION_HEADER: f"{PROTOCOL_VERSION}; version={__version__}"},
        )

    def close(self) -> None:
        self._http.close()

    # Transport ------------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        log.debug("%s %s%s", method, self._url, path)
        try:
            response = self._http.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            # Includes TLS refusals (no or wrong client certificate) and time-outs.
            raise SigningServiceUnavailable(url=self._url, detail=_why(exc)) from None
        if response.status_code >= 400:
            raise _refusal(response)
        return response

    def handshake(self) -> ServiceVersion:
        """Ask the service its version (over the same mutual TLS) before any side effect.

        Raises :class:`IncompatibleVersion` when the service is too old for this counter (or, by
        its 426 answer, this counter too old for it), :class:`SigningServiceUnavailable` when it
        cannot be reached or the client certificate is refused.
        """
        response = self._send("GET", VERSION_PATH)
        try:
            data = response.json()
            version = ServiceVersion(str(data["version"]), int(data["protocol"]),
                                     int(data["min_protocol"]), response.headers.get("date"))  # fmt: skip
        except (ValueError, KeyError, TypeError):
            raise SigningServiceRefused(
                status=response.status_code,
                reason_zh="版本应答无法解析",
                reason_en="the version answer cannot be read",
            ) from None
        check_peer_protocol(version.protocol, version.version, peer_is="service")
        if version.min_protocol > PROTOCOL_VERSION:
            raise counter_too_old(PROTOCOL_VERSION, version.min_protocol)
        return version

    def renew_own_certificate(self, csr: x509.CertificateSigningRequest) -> x509.Certificate:
        """This counter's client certificate on the CSR's key (``services/counter_cert.py``)."""
        der = csr.public_bytes(serialization.Encoding.DER)
        response = self._send(
            "POST",
            COUNTER_CERT_PATH,
            content=base64.encodebytes(der),
            headers={"content-type": PKCS10_TYPE},
        )
        return _certs_only(response)[0]

    def preflight(self) -> None:
        """What the pipeline asks before a receipt: the service answers and speaks our protocol."""
        self.handshake()

    # SigningClient --------------------------------------------------------------------------

    def issue(self, request: IssueRequest) -> IssuedCertificate:
        der = request.csr.public_bytes(serialization.Encoding.DER)
        header = encode_ra_request(
            RARequest(
                subject=request.subject,
                profile=request.profile,
                application_id=request.application_id,
                operator=request.operator,
                csr_sha256=hashlib.sha256(der).hexdigest(),
                not_after=request.not_after,
            )
        )
        response = self._send(
            "POST",
            EST_PREFIX + "/simpleenroll",
            content=base64.encodebytes(der),
            headers={"content-type": PKCS10_TYPE, RA_HEADER: header},
        )
        cert = _certs_only(response)[0]
        return IssuedCertificate(
            serial_hex=serial_hex(cert.serial_number),
            certificate=cert,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            profile=request.profile,
        )

    def _status_call(self, request: StatusRequest) -> CertificateRecord:
        response = self._send(
            "POST",
            "/ra/status",
            content=encode_status_request(request),
            headers={"content-type": "application/json"},
        )
        return record_from_json(response.content)

    def status(self, serial_hex: str) -> CertificateRecord:
        return self._status_call(StatusRequest(serial_hex, "status", "-"))

    def serial_for_application(self, application_id: str) -> str | None:
        # The service answers no such question over EST: the journal records the serial as
        # soon as the answer arrives; a counter sharing the service's database reads it there.
        if self._records is None:
            return None
        return self._records.serial_for_application(application_id)

    def records(self, application_ids: Collection[str] | None = None) -> list[CertificateRecord]:
        if self._records is None:
            raise NoSharedRecords()
        return self._records.records(application_ids)

    def hold(self, serial_hex: str, *, operator: str) -> CertificateRecord:
        return self._status_call(StatusRequest(serial_hex, "hold", operator))

    def release(self, serial_hex: str, *, operator: str) -> CertificateRecord:
        return self._status_call(StatusRequest(serial_hex, "release", operator))

    def revoke(
        self, serial_hex: str, reason: RevocationReason, *, operator: str
    ) -> CertificateRecord:
        return self._status_call(StatusRequest(serial_hex, "revoke", operator, reason))

    def chain(self) -> list[x509.Certificate]:
        return _certs_only(self._send("GET", EST_PREFIX + "/cacerts"))


def _certs_only(response: httpx.Response) -> list[x509.Certificate]:
    try:
        der = base64.b64decode(b"".join(response.content.split()), validate=True)
        certs = pkcs7.load_der_pkcs7_certificates(der)
    except ValueError:
        raise SigningServiceRefused(
            status=response.status_code,
            reason_zh="应答不是 PKCS#7 证书",
            reason_en="the answer is not a PKCS#7 certs-only message",
        ) from None
    if not certs:
        raise SigningServiceRefused(
            status=response.status_code, reason_zh="应答中没有证书", reason_en="no certificate"
        )
    return certs


def _refusal(response: httpx.Response) -> CounterError:
    try:
        data = response.json()
        code, zh, en = data["code"], data["zh"], data["en"]
    except (ValueError, KeyError, TypeError):
        text = response.text.strip()[:200] or response.reason_phrase
        return SigningServiceRefused(status=response.status_code, reason_zh=text, reason_en=text)
    if code == "incompatible_version":
        return incompatible_from_words(str(zh), str(en))
    if code == "certificate_not_found":
        # Services treat an unknown serial the same whichever signing module answered.
        return CertificateNotFound(serial=str(en).rsplit(" ", 1)[-1])
    return SigningServiceRefused(status=response.status_code, reason_zh=zh, reason_en=en)


def _why(exc: httpx.HTTPError) -> str:
    cause = exc.__context__ or exc.__cause__
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(cause, ssl.SSLError) or "SSL" in str(exc) or "TLS" in str(exc):
        return f"TLS handshake failed ({str(exc)[:120]})"
    # The messages end in sentences of their own; ours add the full stop.
    return str(exc)[:160].rstrip(".") or type(exc).__name__
