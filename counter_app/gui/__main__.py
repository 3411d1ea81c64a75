"""``counter-app-gui`` / ``python -m counter_app.gui``: the counter window, started directly.

The same window as ``counter-app gui``, without the command line's verbs: nothing but Qt, the
configuration and the sign-in dialog is loaded before the window shows (the store and the
services load in a worker behind it). Installed as a *GUI script*, so on Windows it starts
without a console window. Options: ``--data-dir``, ``--db-url``, ``--lang`` (as for the CLI).
"""

from __future__ import annotations

import argparse
import sys

from counter_app.config import load_config
from counter_app.domain.errors import CounterError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="counter-app-gui", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--db-url", default=None)
    parser.add_argument("--lang", default=None, help="zh_CN (default) or en")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        config = load_config(data_dir=args.data_dir, db_url=args.db_url, lang=args.lang)
        from counter_app.filemodes import set_private_umask
        from counter_app.gui.app import run

        set_private_umask()
        return run(config, lang=args.lang or config.lang)
    except CounterError as exc:
        lang = args.lang or "zh_CN"
        prefix = "错误：" if lang.lower().startswith("zh") else "error: "
        print(prefix + exc.message(lang), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
