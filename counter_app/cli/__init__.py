"""The ``counter-app`` console script: the same verbs as the GUI, headless.

Errors become words in exactly one place, :func:`main`: a refused input prints one line to
stderr and exits non-zero; a bug prints one line and the path of the log with the traceback.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from counter_app.cli.context import AppContext
from counter_app.config import Config, load_config
from counter_app.domain.errors import CounterError
from counter_app.filemodes import FILE_MODE, permission_problems, set_private_umask

EXIT_REFUSED = 2
EXIT_BUG = 70


# Which module holds each top-level verb. A verb's module (and what it imports: reportlab, the
# EST server, the GUI…) loads only when that verb is named, so `counter-app token status` does not
# pay for the printing stack. This is click's documented lazy-loading pattern ("Lazily loading
# subcommands" in click's docs); click has no ready-made class for it. ``ops`` adds verbs to the
# ``ca`` and ``est`` groups and ``counter`` adds ``token unlock``, so those load them too.
VERB_MODULES: dict[str, tuple[str, ...]] = {
    "init": ("admin",), "operator": ("admin",), "audit": ("admin",),
    "demo": ("demo",), "gui": ("gui",),
    "ca": ("ca", "ops"), "serve": ("ca",),
    "token": ("token", "counter"),
    "add-item": ("counter",), "application": ("counter",), "cert": ("counter",),
    "change": ("counter",), "enroll": ("counter",), "policy": ("counter",),
    "recover": ("counter",), "reissue": ("counter",), "renew": ("counter",),
    "print": ("documents",),
    "est": ("est", "ops"),
    "day": ("backoffice",), "notify": ("backoffice",), "report": ("backoffice",),
    "stock": ("backoffice",),
    "backup": ("ops",), "doctor": ("ops",), "downgrade": ("ops",), "restore": ("ops",),
    "upgrade": ("ops",),
    "kmc": ("kmc",),
}  # fmt: skip


class LazyVerbs(click.Group):
    """The root group: each verb's module is imported (and registers its verbs) on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded: set[str] = set()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(VERB_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for module in VERB_MODULES.get(cmd_name, ()):
            self.load(module)
        return super().get_command(ctx, cmd_name)

    def load(self, module: str) -> None:
        if module not in self._loaded:
            self._loaded.add(module)
            importlib.import_module(f"counter_app.cli.{module}").register(self)


@click.group(cls=LazyVerbs, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data directory (default: the platform's user data dir, or COUNTER_APP_DATA_DIR).",
)
@click.option("--db-url", default=None, help="SQLAlchemy database URL (or COUNTER_APP_DB_URL).")
@click.option("--lang", default=None, help="Message language: zh_CN (default) or en.")
@click.option(
    "--ca-url", default=None, help="Shared signing service (EST) URL (or COUNTER_APP_CA_URL)."
)
@click.option("-v", "--verbose", count=True, help="More log output on stderr (never secrets).")
@click.pass_context
def cli(
    ctx: click.Context,
    data_dir: Path | None,
    db_url: str | None,
    lang: str | None,
    ca_url: str | None,
    verbose: int,
) -> None:
    """counter-app: the RA front counter (数字证书注册中心柜台)."""
    logging.basicConfig(
        level=logging.WARNING - 10 * min(verbose, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    config = load_config(data_dir=data_dir, db_url=db_url, lang=lang, ca_url=ca_url)
    _warn_if_open(config)
    ctx.obj = AppContext(config)
    ctx.call_on_close(ctx.obj.close)


def _warn_if_open(config: Config) -> None:
    """One line on stderr for each private file or directory that others could read."""
    for problem in permission_problems(config.data_dir, sqlite=config.db_is_default_sqlite):
        click.echo(problem.message(config.lang), err=True)


def _lang_from_argv(argv: list[str]) -> str:
    import os

    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return os.environ.get("COUNTER_APP_LANG", "zh_CN")


def _data_dir_from_argv(argv: list[str]) -> Path | None:
    for i, arg in enumerate(argv):
        if arg == "--data-dir" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith("--data-dir="):
            return Path(arg.split("=", 1)[1])
    return None


def write_bug_report(exc: BaseException, data_dir: Path | None) -> Path | None:
    """The traceback, private (0600), in the data dir; never under a fixed name in /tmp.

    A traceback may show subscriber data, so it goes where that data already lives. Without a
    data dir (not yet initialised) a file of a fresh, unguessable name is made instead.
    """
    text = "".join(traceback.format_exception(exc)).encode("utf-8")
    try:
        if data_dir is not None and data_dir.is_dir():
            path = data_dir / "error.log"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        else:
            import tempfile

            fd, name = tempfile.mkstemp(prefix="counter-app-error-", suffix=".log")
            path = Path(name)
        with os.fdopen(fd, "wb") as fh:
            fh.write(text)
        return path
    except OSError:
        return None


def _bug_report_dir(argv: list[str]) -> Path | None:
    try:
        return load_config(data_dir=_data_dir_from_argv(argv)).data_dir
    except CounterError:
        return None


def main(argv: list[str] | None = None) -> int:
    set_private_umask()
    args = sys.argv[1:] if argv is None else argv
    lang = _lang_from_argv(args)
    try:
        code = cli.main(args=args, prog_name="counter-app", standalone_mode=False)
    except CounterError as exc:
        prefix = "错误：" if lang.lower().startswith("zh") else "error: "
        click.echo(prefix + exc.message(lang), err=True)
        return EXIT_REFUSED
    except click.exceptions.Abort:
        click.echo("aborted" if not lang.startswith("zh") else "已取消", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        where = write_bug_report(exc, _bug_report_dir(args))
        click.echo(f"internal error: {type(exc).__name__}: {exc} (details: {where})", err=True)
        return EXIT_BUG
    # With standalone_mode off, click returns a requested exit code instead of raising Exit.
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
