"""Where secrets come from when nobody is at a terminal: the environment or systemd credentials.

A service started by systemd with ``LoadCredential=COUNTER_APP_CA_PASSPHRASE:/etc/...`` finds the
secret in a file of that name under ``$CREDENTIALS_DIRECTORY`` (a private, memory-backed
directory only the service can read), so the secret never sits in the process environment
(``/proc/PID/environ``) or in a unit file. The variable wins when both are set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

CREDENTIALS_DIRECTORY = "CREDENTIALS_DIRECTORY"


def secret_value(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The secret called ``name`` (an environment variable name), or None when it is not given."""
    env = os.environ if environ is None else environ
    value = env.get(name)
    if value:
        return value
    directory = env.get(CREDENTIALS_DIRECTORY)
    if not directory:
        return None
    try:
        text = (Path(directory) / name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    # A credential file written with echo ends in a newline that is not part of the secret.
    return text.rstrip("\r\n") or None


def secret_present(name: str, environ: Mapping[str, str] | None = None) -> bool:
    return secret_value(name, environ) is not None
