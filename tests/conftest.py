"""Session-wide test settings: a cheap Argon2id for the profiles the tests make, and the markers
that split ``make unit`` into a parallel run and a serial one.

Every profile a test creates costs Argon2id derivations with the production parameters (64 MiB,
3 passes: about 0.2-0.3 s each, several per test, and some tests unlock hundreds of times). The
tests check what the key slots do, not how costly they are, so profiles made in the test process
get cheap parameters (``CHEAP_KDF``): ``KdfParams.fresh`` is patched here, not in the product,
and the parameters stay stored in each slot as usual (unlock reads them from there). Tests marked
``real_kdf`` keep the production parameters (they time an unlock or a passphrase change, or check
the parameters themselves). Processes a test starts (the demo, central, a built bundle) and the
checked-in profile fixtures use the production parameters.

``make unit`` runs the tests not marked ``serial`` on several pytest-xdist workers, then the
``serial`` ones alone: tests that measure real-time behaviour (frame rates, latency, event loop
stalls, timings against a bound) and would see the other workers' load as a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from local_store.keyslots import KdfParams

# Argon2id's smallest sensible cost: the same code path (Argon2id, salt, parameters in the slot).
CHEAP_KDF = {"memory_kib": 64, "iterations": 1, "lanes": 1}

_production_fresh = KdfParams.__dict__["fresh"]  # the classmethod itself


def _cheap_fresh(cls: type[KdfParams]) -> KdfParams:
    return cls(salt=os.urandom(16), **CHEAP_KDF)


@pytest.fixture(scope="session", autouse=True)
def _cheap_kdf() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(KdfParams, "fresh", classmethod(_cheap_fresh))
        yield


@pytest.fixture(autouse=True)
def _real_kdf_when_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("real_kdf") is not None:
        monkeypatch.setattr(KdfParams, "fresh", _production_fresh)


# Run alone (`make unit`'s second run), by path or node id prefix: what these measure in real
# time (frame rates, freezes, audio gaps, one-way delays, event-loop stalls, a timing ratio) is
# what the load of other workers would change. The rest run on several workers at once, each in
# its own tmp_path, on free ports, with its own PostgreSQL cluster and uniquely named network
# namespaces (tests/support/).
SERIAL = (
    "tests/e2e/test_call_",  # real peers over the link emulator (issue 6's thresholds)
    "tests/media/test_link_emulator.py",  # delays, rates and gaps measured from outside
    "tests/media/test_quality_loss.py",  # two peer connections: video keeps moving, recovery
    "tests/media/test_quality_ramp.py",  # >= 28 fps within 3 s of the first frame
    "tests/ui/test_event_loop_stalls.py",  # no stall above 100 ms
    "tests/local_store/test_keys.py::test_change_passphrase_cost_does_not_depend_on_data_size",
    "tests/local_store/test_crash_kill.py",  # kills a writer within 1.5 s of its start
    "tests/e2e/test_desk_browser_call.py",  # a browser and our peer: fps both ways
    "tests/e2e/test_central_instances.py",  # a call across two central instances
    "tests/ui/test_consult_room.py",  # a real call: audio stops within 0.5 s of mute
    "tests/ui/test_chart_screen.py::test_five_years_of_vitals_render_without_stalling_the_loop",
)


# ``--dist loadgroup``: each test module runs on one worker, so its module-scoped fixtures (a
# central process, a PostgreSQL cluster) are built once and tests that read what earlier ones in
# the module left (test_hostile_http's log after the storm) see it. Modules sharing one thing
# on disk share a group: the Linux bundle's module fixture and the installers' README both build
# into build/installer and dist/installer (installers/linux/build.py).
GROUPS = {
    "tests/installers/test_linux_bundle.py": "installer-build",
    "tests/test_readme.py": "installer-build",
}


@pytest.hookimpl(tryfirst=True)  # before `-m` selects on the marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(SERIAL):
            item.add_marker(pytest.mark.serial)
        module = item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(GROUPS.get(module, module)))


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadgroup`` with a crash recovery that does not hang (xdist_crash_safe)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from tests.support.xdist_crash_safe import CrashSafeLoadGroupScheduling

    return CrashSafeLoadGroupScheduling(config, log)  # type: ignore[arg-type]
