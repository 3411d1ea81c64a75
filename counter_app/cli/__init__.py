"""The ``counter-app`` console script: the same verbs as the GUI, headless.

Errors become words in exactly one place, :func:`main`: a refused input prints one line to
stderr and exits non-zero; a bug prints one line and the path of the log with the traceback.
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

import click

from counter_app.cli.context import AppContext
from counter_app.config import load_config
from counter_app.domain.errors import CounterError

EXIT_REFUSED = 2
EXIT_BUG = 70


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    ctx.obj = AppContext(config)
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    # Each group of verbs lives in its own module; importing them here keeps click in cli/ only.
    from counter_app.cli import admin, demo

    admin.register(cli)
    demo.register(cli)
    from counter_app.cli import gui

    gui.register(cli)
    from counter_app.cli import ca

    ca.register(cli)
    from counter_app.cli import token

    token.register(cli)
    from counter_app.cli import counter

    counter.register(cli)
    from counter_app.cli import documents

    documents.register(cli)
    from counter_app.cli import est

    est.register(cli)


_register()


def _lang_from_argv(argv: list[str]) -> str:
    import os

    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return os.environ.get("COUNTER_APP_LANG", "zh_CN")


def _write_bug_report(exc: BaseException) -> Path | None:
    try:
        import tempfile

        path = Path(tempfile.gettempdir()) / "counter-app-error.log"
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        return path
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
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
        where = _write_bug_report(exc)
        click.echo(f"internal error: {type(exc).__name__}: {exc} (details: {where})", err=True)
        return EXIT_BUG
    # With standalone_mode off, click returns a requested exit code instead of raising Exit.
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
