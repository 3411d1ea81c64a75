"""What several verbs take the same way, declared once: the app context, the file parameters, and
the options more than one verb has (``--out FILE``, ``--identity``, ``--issuer N``).

A verb's option is part of the CLI's contract, so a shared one keeps its name, type and help
wherever it stands; only the words that differ from verb to verb are arguments here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from counter_app.cli.context import AppContext

F = TypeVar("F", bound=Callable[..., Any])

pass_app = click.make_pass_decorator(AppContext)

# A file that must exist, and a file path that may not exist yet (a verb reading one reports
# itself that it cannot; a verb writing one checks its folder when it writes). Never a directory.
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
FILE_PATH = click.Path(dir_okay=False, path_type=Path)

# The document number the subscriber shows, where a verb may be done without it.
identity_option = click.option(
    "--identity", default=None, help="ID number or USCC shown by the subscriber."
)


def out_option(help: str | None = None, *, required: bool = False) -> Callable[[F], F]:
    """``--out FILE``: the file a verb writes; without ``required`` it may be left out (None)."""
    if required:
        return click.option("--out", type=FILE_PATH, required=True, help=help)
    return click.option("--out", type=FILE_PATH, default=None, help=help)


def issuer_option(what: str) -> Callable[[F], F]:
    """``--issuer N``: which issuing CA's ``what`` a verb works on (``ca issuers`` lists them)."""
    return click.option(
        "--issuer",
        type=click.IntRange(1),
        default=None,
        help=f"The issuing CA whose {what} (see `ca issuers`; default: the active one).",
    )
