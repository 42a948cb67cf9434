"""Entry point of the bundled ``clinic-app`` program (what PyInstaller freezes)."""

from __future__ import annotations

import multiprocessing
import sys

from clinic_app.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # Windows/macOS: a frozen child process must not rerun main
    sys.exit(main())
