"""Run the EST app on uvicorn over TLS that demands a client certificate from each counter.

The TLS layer does the refusing: ``CERT_REQUIRED`` against the counter-client CA, so a peer
without a certificate from that CA never gets an HTTP request through. uvicorn does not pass the
peer certificate to the app, so a thin subclass of its httptools protocol puts the verified
certificate into the scope as the ASGI TLS extension (``scope["extensions"]["tls"]``), which the
app uses to name the counter in the audit log.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from counter_app.domain.errors import ConfigError
from counter_app.server.est import ESTApp
from counter_app.server.run import bind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TLSSettings:
    cert: Path  # the service's certificate (serverAuth), chain after it if any
    key: Path  # its key, PKCS#8, encrypted at rest
    client_ca: Path  # the counter-client CA: only counters it certified get in
    key_passphrase: str | None = None


class ClientCertProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus the verified client certificate in each scope."""

    _peer: dict[str, Any] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if der:
            cert = x509.load_der_x509_certificate(der)
            self._peer = {
                "client_cert_chain": [cert.public_bytes(serialization.Encoding.PEM).decode()],
                "client_cert_name": cert.subject.rfc4514_string(),
                "client_cert_error": None,
                "server_cert": None,
                "tls_version": None,
                "cipher_suite": None,
            }

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._peer is not None:
            self.scope["extensions"] = {"tls": self._peer}  # type: ignore[dict-item]


def check_tls(tls: TLSSettings) -> None:
    """Load the certificate, key and client CA once up front, so a mistake is one clear line."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(str(tls.cert), str(tls.key), password=tls.key_passphrase or "")
    except ssl.SSLError:
        raise ConfigError(
            detail="the TLS key does not open with that passphrase or does not match --tls-cert"
        ) from None
    try:
        context.load_verify_locations(cafile=str(tls.client_ca))
    except (OSError, ssl.SSLError):
        raise ConfigError(detail=f"cannot read the client CA {tls.client_ca}") from None


def serve_est(
    app: ESTApp,
    host: str,
    port: int,
    tls: TLSSettings,
    *,
    on_ready: Callable[[str], None] | None = None,
    access_log: bool = False,
) -> None:
    check_tls(tls)
    sock = bind(host, port, 256, blocking=True)
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        access_log=access_log,
        http=ClientCertProtocol,
        loop="auto",
        timeout_keep_alive=5,
        timeout_graceful_shutdown=5,  # idle keep-alive counters must not hold a restart
        ssl_certfile=str(tls.cert),
        ssl_keyfile=str(tls.key),
        ssl_keyfile_password=tls.key_passphrase,
        ssl_cert_reqs=ssl.CERT_REQUIRED,
        ssl_ca_certs=str(tls.client_ca),
        # A few slow or broken clients must not exhaust the service.
        limit_concurrency=256,
        h11_max_incomplete_event_size=16 * 1024,
    )
    if access_log:  # uvicorn set its access logger to log_level: one line a request after all
        logging.getLogger("uvicorn.access").setLevel(logging.INFO)
    if on_ready is not None:
        on_ready(f"https://{host}:{sock.getsockname()[1]}")
    uvicorn.Server(config).run(sockets=[sock])
