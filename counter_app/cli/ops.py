"""Verbs for running an installation for years: ``doctor``, ``backup``, ``restore``,
``upgrade`` and ``downgrade`` (docs/operations.md).
"""

from __future__ import annotations

import json

import click

from counter_app.cli.admin import pass_app
from counter_app.cli.context import AppContext

LEVEL_WORDS = {"ok": ("正常", "ok"), "warn": ("警告", "WARN"), "error": ("错误", "ERROR")}


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of lines.")
@pass_app
def doctor_cmd(app: AppContext, as_json: bool) -> None:
    """Check the installation as configured: one line per check, exit 1 on any error."""
    from counter_app.services.doctor import has_errors, run_checks

    app.checkpoint_on_close = False  # a check signs nothing
    findings = run_checks(app.config)
    failed = has_errors(findings)
    if as_json:
        click.echo(
            json.dumps(
                {"ok": not failed, "checks": [f.to_json(app.lang) for f in findings]},
                ensure_ascii=False,
            )
        )
    else:
        zh = app.lang.lower().startswith("zh")
        for f in findings:
            word = LEVEL_WORDS[f.level.value][0 if zh else 1]
            click.echo(f"{word:<5} {f.check}: {f.message(app.lang)}")
    if failed:
        raise click.exceptions.Exit(1)


def register(group: click.Group) -> None:
    group.add_command(doctor_cmd)
