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
