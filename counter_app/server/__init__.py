"""The HTTP face of the signing module: chain, CRL, OCSP (RFC 6960) and a health check."""

from counter_app.server.app import OCSPApp, create_app
from counter_app.server.run import serve

__all__ = ["OCSPApp", "create_app", "serve"]
