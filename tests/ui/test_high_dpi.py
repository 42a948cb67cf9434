"""High-DPI screens: at a device pixel ratio of 2 the screens render at twice the pixels with
the same layout (Qt scales; nothing of ours is drawn at a fixed pixel size). Run in a child
process, since the scale factor is fixed when the QApplication starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import json, sys, tempfile
    from pathlib import Path
    from concurrent.futures import ThreadPoolExecutor
    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv[:1])
    from local_store.store import Store
    from ui.setup_screen import SetupScreen
    from ui.unlock_screen import UnlockScreen
    out = {"dpr": app.devicePixelRatio()}
    with tempfile.TemporaryDirectory() as tmp:
        pool = ThreadPoolExecutor(1)
        setup = SetupScreen(Path(tmp) / "new", pool)
        store, _ = Store.create(Path(tmp) / "p", "dr.li", "passphrase-123")
        store.lock()
        unlock = UnlockScreen(Path(tmp) / "p", pool)
        for name, w in (("setup", setup), ("unlock", unlock)):
            w.resize(900, 600)
            w.show()
            app.processEvents()
            shot = w.grab()
            button = w.findChild(type(unlock.button))
            out[name] = {
                "pixels": [shot.width(), shot.height()],
                "logical": [w.width(), w.height()],
                "pixmap_dpr": shot.devicePixelRatio(),
                "button_height": button.height() if button else 0,
            }
        pool.shutdown()
    print(json.dumps(out))
    """
)


def render(scale: str) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": scale}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_screens_render_at_twice_the_pixels_with_the_same_layout():
    one, two = render("1"), render("2")
    assert two["dpr"] == 2.0
    for name in ("setup", "unlock"):
        assert two[name]["logical"] == one[name]["logical"]
        assert two[name]["pixels"] == [2 * v for v in one[name]["logical"]]
        assert two[name]["pixmap_dpr"] == 2.0
        # widgets keep their logical size (text is not squeezed into a fixed pixel box)
        assert two[name]["button_height"] == one[name]["button_height"] > 0
