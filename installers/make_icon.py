"""Render ``clinic-app.svg`` to ``clinic-app.png`` (256 px) with Qt's SVG renderer, and wrap
that PNG as ``clinic-app.ico`` (Windows) and ``clinic-app.icns`` (macOS): both formats may hold
a PNG as is, so no image library is needed on any build machine.

    QT_QPA_PLATFORM=offscreen .venv/bin/python installers/make_icon.py

The outputs are committed; run this again only after changing the SVG.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(HERE / "clinic-app.svg"))
    image = QImage(256, 256, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    out = HERE / "clinic-app.png"
    if not image.save(str(out)):
        print(f"could not write {out}", file=sys.stderr)
        return 1
    png = out.read_bytes()
    # ICO: ICONDIR (reserved, type 1, one image) + ICONDIRENTRY (0 = 256 px) + the PNG.
    ico = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(png), 22)
    (HERE / "clinic-app.ico").write_bytes(ico + png)
    # ICNS: "icns" + total length, then one "ic08" (256x256 PNG) element.
    element = b"ic08" + struct.pack(">I", 8 + len(png)) + png
    (HERE / "clinic-app.icns").write_bytes(b"icns" + struct.pack(">I", 8 + len(element)) + element)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
