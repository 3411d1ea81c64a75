"""What every counter service is handed: the store, the signing module, the token module and
the RA's configured tables (fees, agreement versions, application items).

Built once per front end (CLI command, GUI session); nothing here is global.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from counter_app.ca.profiles import Profile, load_profiles
from counter_app.config import Config, read_toml, resource_path
from counter_app.domain.agreement import AgreementVersion, parse_agreement_file_name
from counter_app.domain.applications import ApplicationItem, parse_application_items
from counter_app.domain.errors import ConfigError
from counter_app.domain.fees import FeeTable
from counter_app.services.signing import SigningClient
from counter_app.services.tokens import PKCS11Tokens, TokenAccess
from counter_app.store.db import Store

log = logging.getLogger(__name__)

# Test-only: a real subprocess can be killed at a step boundary to prove recovery. The variable
# names the step after whose commit the process ends at once (os._exit: no clean-up runs).
CRASH_HOOK_ENV = "COUNTER_APP_TEST_CRASH_AFTER"
# Test-only: the process stops after the named step, creates the file PAUSE_FILE_ENV names and
# waits until the test deletes it (the test takes the database away meanwhile).
PAUSE_HOOK_ENV = "COUNTER_APP_TEST_PAUSE_AFTER"
PAUSE_FILE_ENV = "COUNTER_APP_TEST_PAUSE_FILE"


def _configured_tokens(config: Config) -> TokenAccess:
    """PKCS#11 by default; a GM/T 0016 (SKF) library where ``token_driver = "skf"`` (or
    COUNTER_APP_TOKEN_DRIVER=skf) and ``skf_module`` name one (docs/skf.md)."""
    from counter_app.token.skf import configured_application, configured_driver

    driver, skf_module = configured_driver(config.extra)
    if driver == "pkcs11":
        return PKCS11Tokens(config.pkcs11_module)
    if driver != "skf" or not skf_module:
        raise ConfigError(
            detail=f"token_driver {driver!r}: use pkcs11, or skf with skf_module naming its library"
        )
    from counter_app.token.skf import SKFTokens

    return SKFTokens(skf_module, configured_application(config.extra))


@dataclass
class ServiceContext:
    config: Config
    store: Store
    signing_factory: Callable[[], SigningClient]
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    # The subscriber tokens (the PKCS#11 module by default; a fake in the logic tests).
    token_access: TokenAccess | None = None

    @property
    def tokens(self) -> TokenAccess:
        if self.token_access is None:
            self.token_access = _configured_tokens(self.config)
        return self.token_access

    @cached_property
    def signing(self) -> SigningClient:
        return self.signing_factory()

    @property
    def pkcs11_module(self) -> str:
        return self.config.pkcs11_module

    @cached_property
    def fee_table(self) -> FeeTable:
        return FeeTable.from_mapping(read_toml(self.fees_path))

    @property
    def fees_path(self) -> Path:
        """The fee table: ``fees = "..."`` in config.toml, or the one shipped."""
        return Path(str(self.config.extra.get("fees") or resource_path("fees.toml")))

    def __post_init__(self) -> None:
        # The counter's events go to its own audit chain (store/audit.py).
        if isinstance(self.store, Store):
            self.store.use_chain(self.counter)

    @cached_property
    def counter(self) -> str:
        """This counter's name (柜台) for the day's books and its audit chain:
        ``COUNTER_APP_COUNTER``, or ``counter = "..."`` in config.toml, or ``main``."""
        from counter_app.domain.daybook import configured_counter

        return configured_counter(self.config.extra)

    @cached_property
    def time_zone(self) -> ZoneInfo:
        """The RA's time zone: business days run midnight to midnight there (``time_zone`` in
        config.toml; Asia/Shanghai by default)."""
        from counter_app.domain.daybook import time_zone

        value = self.config.extra.get("time_zone")
        return time_zone(str(value) if value else None)

    @cached_property
    def agreements(self) -> dict[str, AgreementVersion]:
        """Agreement texts by version, exactly as shipped (the hash covers these bytes)."""
        folder = resource_path("agreements")
        texts = {}
        for path in sorted(folder.glob("v*.txt")):
            version, lang = parse_agreement_file_name(path.name)
            if lang == "zh":
                texts[version] = AgreementVersion.from_bytes(version, path.read_bytes(), lang)
        if not texts:
            raise ConfigError(detail=f"no agreement texts in {folder}")
        return texts

    @cached_property
    def profiles(self) -> dict[str, Profile]:
        """The certificate profiles, to check a subject before anything is written."""
        path = self.config.extra.get("profiles") or resource_path("profiles.toml")
        return load_profiles(Path(str(path)))

    @cached_property
    def application_items(self) -> dict[str, ApplicationItem]:
        return parse_application_items(read_toml(resource_path("application_items.toml")))

    def step_done(self, step: str) -> None:
        """Called after each journaled step is committed; the test hook may end the process."""
        if os.environ.get(CRASH_HOOK_ENV) == step:
            log.warning("test hook: ending the process after step %s", step)
            os._exit(86)
        if os.environ.get(PAUSE_HOOK_ENV) == step:
            _pause(Path(os.environ[PAUSE_FILE_ENV]))


def _pause(marker: Path, limit_s: float = 120.0) -> None:
    marker.touch()
    deadline = time.monotonic() + limit_s
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
