"""The ``gui`` verb: open the counter's window (login first)."""

from __future__ import annotations

import click

from counter_app.cli.context import AppContext
from counter_app.cli.options import pass_app


@click.command("gui")
@click.option(
    "--lang",
    "gui_lang",
    default=None,
    help="Window language: zh_CN (default) or en; otherwise the group's --lang or config lang.",
)
@pass_app
def gui_cmd(app: AppContext, gui_lang: str | None) -> None:
    """Open the counter GUI (operator sign-in, then the services)."""
    # Qt is imported only here, so the other verbs start without it.
    from counter_app.gui.app import check_display, run

    check_display()
    code = run(app.config, lang=gui_lang or app.config.lang)
    if code:
        raise click.exceptions.Exit(code)


def register(group: click.Group) -> None:
    group.add_command(gui_cmd)
