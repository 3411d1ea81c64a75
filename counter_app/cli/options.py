"""What several verbs take the same way, declared once: the app context, the file parameters, and
the options more than one verb has (``--out FILE``, ``--identity``, ``--issuer N``), and how a
verb checks and writes its ``--out`` file.

A verb's option is part of the CLI's contract, so a shared one keeps its name, type and help
wherever it stands; only the words that differ from verb to verb are arguments here.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from counter_app.cli.context import AppContext, OutputNotWritable

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


def check_out(out: Path) -> None:
    """Before the work: ``--out``'s folder exists and ``out`` is not a folder."""
    parent = out.parent
    if not parent.is_dir():
        raise OutputNotWritable(
            path=str(out), reason_zh=f"目录 {parent} 不存在", reason_en=f"no directory {parent}"
        )
    if out.is_dir():
        raise OutputNotWritable(
            path=str(out), reason_zh="这是一个目录", reason_en="it is a directory"
        )


def check_export_out(fmt: str, out: Path | None, *binary: str) -> None:
    """Before anything is read: a ``binary`` format needs ``--out``, and a given one must be
    writable, so a refusal comes before the work and its audit event."""
    if out is None and fmt in binary:
        raise click.UsageError(f"--format {fmt} needs --out FILE")
    if out is not None:
        check_out(out)


def deliver(out: Path | None, data: bytes) -> None:
    """Write ``data`` to ``out`` and print the path; without ``--out``, print the text itself."""
    if out is None:
        click.echo(data.decode("utf-8-sig"), nl=False)
        return
    write_out(out, data)
    click.echo(str(out))


def write_out(out: Path, data: bytes) -> None:
    """``data`` to ``out`` through a temporary file beside it, so ``out`` is whole or untouched."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as exc:
        raise OutputNotWritable(
            path=str(out), reason_zh=exc.strerror or str(exc), reason_en=exc.strerror or str(exc)
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputNotWritable(
            path=str(out), reason_zh=exc.strerror or str(exc), reason_en=exc.strerror or str(exc)
        ) from None
