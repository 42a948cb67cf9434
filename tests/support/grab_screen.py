"""Save what an X display shows as a PNG: ``python -m tests.support.grab_screen OUT.png``
with DISPLAY set (Qt's xcb platform grabs the root window)."""

from __future__ import annotations

import os
import sys

from PySide6.QtGui import QGuiApplication


def main() -> int:
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    app = QGuiApplication([sys.argv[0]])
    screen = app.primaryScreen()
    if screen is None:
        print("no screen", file=sys.stderr)
        return 1
    ok = screen.grabWindow(0).save(sys.argv[1])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
