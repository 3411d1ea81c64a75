"""Which token driver the services use: PKCS#11 by default, SKF where configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from counter_app.config import load_config
from counter_app.domain.errors import ConfigError
from counter_app.services.context import ServiceContext
from counter_app.services.tokens import PKCS11Tokens
from counter_app.token.skf import SKFTokens


def _ctx(tmp_path: Path, toml: str, environ: dict[str, str] | None = None) -> ServiceContext:
    (tmp_path / "config.toml").write_text(toml, encoding="utf-8")
    config = load_config(data_dir=tmp_path, environ=environ or {})
    return ServiceContext(config=config, store=None, signing_factory=lambda: None)  # type: ignore[arg-type,return-value]


def test_pkcs11_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COUNTER_APP_TOKEN_DRIVER", raising=False)
    assert isinstance(_ctx(tmp_path, "").tokens, PKCS11Tokens)


def test_skf_with_its_library_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COUNTER_APP_TOKEN_DRIVER", raising=False)
    monkeypatch.delenv("COUNTER_APP_SKF_MODULE", raising=False)
    tokens = _ctx(
        tmp_path, 'token_driver = "skf"\nskf_module = "/opt/gm3000/libgm3000.so"\n'
    ).tokens
    assert isinstance(tokens, SKFTokens)
    assert (tokens.module, tokens.application) == ("/opt/gm3000/libgm3000.so", "COUNTER_APP")


def test_skf_without_a_library_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COUNTER_APP_SKF_MODULE", raising=False)
    monkeypatch.setenv("COUNTER_APP_TOKEN_DRIVER", "skf")
    with pytest.raises(ConfigError):
        _ = _ctx(tmp_path, "").tokens
