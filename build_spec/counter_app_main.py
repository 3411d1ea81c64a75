"""Entry point of the PyInstaller build: the same ``counter-app`` CLI (``gui`` opens the window)."""

import sys

from counter_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
