"""Synthetic data for the store benchmark: patients, vitals and realistic patient-search queries.

The records are generated once, written to an NDJSON file (resource, patient link and search
terms per line), and streamed back in batches, so the plain and the encrypted store receive the
very same records without holding half a million resources in memory.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from clinic_app.demo_data import DOCTORS, _patient
from clinic_app.records.common import Resource
from clinic_app.records.patient import phone_of, resident_id_of
from clinic_app.records.vitals import vital_observation
from clinic_app.services.writes import item
from local_store.store import WriteItem

# One visit's vitals, in the order a clinician records them.
VISIT_KEYS = ("systolic", "diastolic", "heart_rate", "temperature", "weight", "glucose_mmol")


@dataclass
class Dataset:
    """Where the generated records are, and what the benchmark needs to know about them."""

    path: Path
    patients: int = 0
    observations: int = 0
    ids: list[tuple[str, str]] = field(default_factory=list)  # (rtype, id) of every record
    samples: list[Resource] = field(default_factory=list)  # patients to build queries from
    seconds: float = 0.0
    terms_seconds: float = 0.0  # building WriteItems (pinyin search terms) for the patients
    terms_per_patient: float = 0.0

    @property
    def total(self) -> int:
        return self.patients + self.observations


def _rand_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _vitals(rng: random.Random, hypertensive: bool) -> dict[str, float]:
    sbp = min(230.0, max(95.0, rng.gauss(150 if hypertensive else 124, 12)))
    return {
        "systolic": round(sbp),
        "diastolic": round(min(sbp - 25, max(55, sbp * 0.62 + rng.gauss(0, 4)))),
        "heart_rate": round(min(150, max(45, rng.gauss(76, 9)))),
        "temperature": round(min(40.5, max(35.0, rng.gauss(36.6, 0.3))), 1),
        "weight": round(max(35.0, rng.gauss(62, 9)), 1),
        "glucose_mmol": round(min(25.0, max(3.2, rng.gauss(6.0, 1.5))), 1),
    }


def _observations(rng: random.Random, pid: str, count: int, now: datetime) -> Iterator[Resource]:
    """``count`` vitals of one patient, grouped in visits spread over the last five years."""
    hypertensive = rng.random() < 0.45
    made = 0
    while made < count:
        when = now - timedelta(days=rng.randint(0, 5 * 365), hours=rng.randint(0, 9))
        encounter = _rand_uuid(rng)
        doctor = rng.choice(DOCTORS)
        values = _vitals(rng, hypertensive)
        for key in VISIT_KEYS:
            if made >= count:
                return
            yield vital_observation(
                key,
                values[key],
                patient_id=pid,
                effective=when,
                encounter_id=encounter,
                performer=doctor,
            )
            made += 1


def _line(it: WriteItem) -> str:
    doc = {"r": it.resource, "p": it.patient_id, "t": it.terms}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def generate(
    path: Path, patients: int, observations: int, seed: int, samples: int = 600
) -> Dataset:
    """Write ``patients`` Patients, then ``observations`` vitals spread over them, to ``path``.

    Patients come first (as a clinic's register would be loaded), then the vitals, which are
    shuffled across patients in chunks so the insert order is not one patient at a time.
    """
    rng = random.Random(seed)
    today = date.today()
    now = datetime.now().astimezone()
    data = Dataset(Path(path))
    started = time.perf_counter()
    pids: list[str] = []
    with open(path, "w", encoding="utf-8") as out:
        for n in range(patients):
            res = _patient(rng, today).to_fhir()
            t0 = time.perf_counter()
            it = item(res)  # the real path: patient link + pinyin/ID/phone search terms
            data.terms_seconds += time.perf_counter() - t0
            out.write(_line(it))
            pids.append(res["id"])
            data.ids.append(("Patient", res["id"]))
            if len(data.samples) < samples:
                data.samples.append(res)
            elif rng.random() < samples / (n + 1):
                data.samples[rng.randrange(samples)] = res
        data.patients = patients
        # Spread the observations: each patient gets a random share (at least one if possible).
        counts = [0] * patients
        for _ in range(observations):
            counts[rng.randrange(patients)] += 1
        order = list(range(patients))
        rng.shuffle(order)
        for idx in order:
            if not counts[idx]:
                continue
            for obs in _observations(rng, pids[idx], counts[idx], now):
                out.write(_line(item(obs)))
                data.ids.append(("Observation", obs["id"]))
                data.observations += 1
    data.seconds = time.perf_counter() - started
    data.terms_per_patient = data.terms_seconds / max(patients, 1)
    return data


def batches(path: Path, size: int) -> Iterator[tuple[str, list[str]]]:
    """(resource type, lines) from the NDJSON file, ``size`` at most; a batch holds one type."""
    batch: list[str] = []
    rtype = ""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            kind = line[line.index('"resourceType":"') + 16 :].split('"', 1)[0]
            if batch and (len(batch) >= size or kind != rtype):
                yield rtype, batch
                batch = []
            rtype = kind
            batch.append(line)
    if batch:
        yield rtype, batch


def items(lines: list[str]) -> list[WriteItem]:
    """Fresh WriteItems from a batch's lines (put_many changes the resources it writes)."""
    out = []
    for line in lines:
        doc: dict[str, Any] = json.loads(line)
        out.append(WriteItem(doc["r"], doc["p"], doc["t"]))
    return out


# ---------------------------------------------------------------------------- queries --
FIXED_QUERIES = [
    ("pinyin surname", "wang"),
    ("pinyin prefix", "zh"),
    ("pinyin + initial", "li x"),
    ("han surname", "王"),
    ("han prefix", "张小"),
    ("pinyin prefix", "l"),
    ("pinyin surname", "zhang"),
    ("pinyin + initial", "wang x"),
    ("han surname", "李"),
    ("phone prefix", "138"),
    ("id prefix", "5306"),
]


def _names(res: Resource) -> tuple[dict[str, Any], dict[str, Any] | None]:
    names = res.get("name") or [{}]
    official = next((n for n in names if n.get("use") == "official"), names[0])
    usual = next((n for n in names if n.get("use") == "usual"), None)
    return official, usual


def _query_for(rng: random.Random, res: Resource) -> tuple[str, str] | None:
    official, usual = _names(res)
    family = str(official.get("family", ""))
    given = " ".join(official.get("given", []))
    kinds = ["pinyin surname", "pinyin prefix", "pinyin + initial", "pinyin full",
             "han surname", "han prefix", "han full", "initials", "id prefix", "phone prefix",
             "latin"]  # fmt: skip
    kind = rng.choice(kinds)
    if usual is None:  # an English name: only Latin words, phone
        kind = rng.choice(["latin", "latin", "phone prefix"])
    lat_f = str((usual or {}).get("family", "")).lower()
    lat_g = "".join((usual or {}).get("given", [])).lower()
    rid = resident_id_of(res) or ""
    phone = phone_of(res) or ""
    if kind == "pinyin surname" and lat_f:
        return kind, lat_f
    if kind == "pinyin prefix" and lat_f:
        return kind, lat_f[: rng.randint(1, max(1, min(3, len(lat_f))))]
    if kind == "pinyin + initial" and lat_f and lat_g:
        return kind, f"{lat_f} {lat_g[: rng.choice((1, 1, 2))]}"
    if kind == "pinyin full" and lat_f and lat_g:
        full = lat_f + lat_g
        return kind, full[: rng.randint(len(lat_f) + 1, len(full))]
    if kind == "han surname" and family:
        return kind, family
    if kind == "han prefix" and family and given:
        return kind, family + given[:1]
    if kind == "han full" and family and given:
        return kind, family + given
    if kind == "initials" and lat_f and lat_g:
        return kind, lat_f[0] + lat_g[0]
    if kind == "id prefix" and rid:
        return kind, rid[: rng.choice((4, 6, 6, 10, 14))]
    if kind == "phone prefix" and phone:
        return kind, phone[: rng.choice((3, 5, 7, 11))]
    if kind == "latin" and usual is not None and lat_f and lat_g:
        return kind, f"{lat_f} {lat_g}"
    if kind == "latin":
        word = (family if rng.random() < 0.5 else given).lower() or family.lower()
        return kind, word[: rng.randint(2, max(2, len(word)))]
    return None


def queries(samples: list[Resource], count: int, seed: int) -> list[tuple[str, str]]:
    """(kind, text) pairs: the fixed examples, then queries drawn from real patients' data."""
    rng = random.Random(seed + 1)
    out = list(FIXED_QUERIES)
    while len(out) < count and samples:
        q = _query_for(rng, rng.choice(samples))
        if q is not None:
            out.append(q)
    return out[:count]
