"""The console script's root group loads a verb's module only when the verb is named; the map it
loads from must name every verb the modules register, and each where it is registered."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

import counter_app.cli as cli_package
from counter_app.cli import VERB_MODULES


def _registered_by_each_module() -> dict[str, str]:
    """Top-level verb → the module whose ``register`` adds it, found by registering each module
    of ``counter_app.cli`` on a scratch group."""
    where: dict[str, str] = {}
    for info in pkgutil.iter_modules(cli_package.__path__):
        module = importlib.import_module(f"counter_app.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is None or info.name == "custody":  # custody registers under `ca`
            continue
        scratch = click.Group()
        register(scratch)
        for verb in scratch.commands:
            where[verb] = info.name
    return where


def test_every_registered_verb_is_in_the_lazy_map_with_its_module() -> None:
    where = _registered_by_each_module()
    assert set(VERB_MODULES) == set(where)
    for verb, module in where.items():
        assert module in VERB_MODULES[verb], verb


@pytest.mark.parametrize(
    ("verb", "subcommand"),
    [
        ("token", "unlock"),
        ("ca", "renew-responder"),
        ("ca", "custody"),
        ("est", "renew-counter-cert"),
    ],
)
def test_a_verb_named_alone_has_the_subcommands_other_modules_add(
    verb: str, subcommand: str
) -> None:
    # A fresh process: only what naming the verb loads is there.
    exe = Path(sys.executable).with_name("counter-app")
    shown = subprocess.run([str(exe), verb, "--help"], capture_output=True, text=True, check=True)
    assert f"  {subcommand} " in shown.stdout
