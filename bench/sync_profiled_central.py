"""Run ``clinic-central`` with cProfile in every thread (the event loop, the database pool and
the validation executor), for ``python -m bench.sync --profile DIR``.

    python -m bench.sync_profiled_central OUT.prof serve --db URL --port N

On a clean exit (SIGTERM) the merged profile is written to OUT.prof and a summary to OUT.txt.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import threading
from pathlib import Path

_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()
_original_run = threading.Thread.run


def _profiled_run(self: threading.Thread) -> None:
    prof = cProfile.Profile()
    with _lock:
        _profiles.append(prof)
    prof.enable()
    try:
        _original_run(self)
    finally:
        prof.disable()


def main() -> int:
    out = Path(sys.argv[1])
    threading.Thread.run = _profiled_run  # type: ignore[method-assign]
    from central.cli import main as central_main

    prof = cProfile.Profile()
    prof.enable()
    try:
        code = central_main(sys.argv[2:])
    finally:
        prof.disable()
        with _lock:
            stats = pstats.Stats(prof)
            for p in _profiles:
                p.create_stats()
                if p.stats:  # type: ignore[attr-defined]
                    stats.add(p)
        stats.dump_stats(out)
        with open(out.with_suffix(".txt"), "w") as fh:
            pstats.Stats(str(out), stream=fh).sort_stats("tottime").print_stats(40)
            pstats.Stats(str(out), stream=fh).sort_stats("cumulative").print_stats(60)
    return code


if __name__ == "__main__":
    sys.exit(main())
