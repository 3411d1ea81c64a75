"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), on a port the OS hands out."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Inbox:
    """Every message the server accepted, parsed, with its envelope recipients."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


class _OSPortController(Controller):
    """aiosmtpd's controller on a socket bound to port 0 first: the OS picks a free port."""

    def __init__(self, handler: Any, **smtp: Any) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        super().__init__(handler, hostname="127.0.0.1", port=self._sock.getsockname()[1], **smtp)

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


@dataclass
class SMTPServer:
    inbox: Inbox
    port: int
    scheme: str = "smtp"
    # The CA file a client must trust for STARTTLS (the server's self-signed certificate).
    cafile: Path | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    inbox = Inbox()
    controller = _OSPortController(inbox)
    controller.start()
    try:
        yield SMTPServer(inbox, controller.port)
    finally:
        controller.stop()


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    from tests.conftest import write_cert_and_key

    return write_cert_and_key(cert, key, tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem")


@pytest.fixture
def smtp_tls_server(tmp_path: Path) -> Iterator[SMTPServer]:
    """The same server demanding STARTTLS before any mail (a self-signed certificate)."""
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = _OSPortController(inbox, tls_context=context, require_starttls=True)
    controller.start()
    try:
        yield SMTPServer(inbox, controller.port, "smtp+starttls", cert)
    finally:
        controller.stop()
