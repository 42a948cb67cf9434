"""`make demo`: build (once) a demo profile with synthetic patients and show what it holds.

Until the workstation UI exists this prints the profile's contents; it uses the same services
the UI will use. Run as ``python -m clinic_app.demo --profile DIR`` with CLINIC_PASSPHRASE set.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from clinic_app import config
from clinic_app.demo_data import generate
from clinic_app.errors import ClinicError
from clinic_app.records.patient import display_name, latin_name, resident_id_of
from clinic_app.records.vitals import VITALS, flag_of
from clinic_app.services import patients, schedule
from local_store.store import Store

DEMO_USER = "demo.doctor"


def run(profile: Path, count: int) -> None:
    passphrase = config.setting("passphrase")
    if not passphrase:
        raise ClinicError("Set CLINIC_PASSPHRASE for the demo profile.")
    if not Store.exists(profile):
        store, recovery = Store.create(profile, DEMO_USER, passphrase)
        print(f"Created demo profile at {profile}")
        print(f"Recovery key (shown once): {recovery}")
        summary = generate(store, count)
        print(f"Generated {summary.patients} patients, {summary.records} records.")
    else:
        store = Store.unlock(profile, DEMO_USER, passphrase)
    try:
        patients.reindex_if_needed(store)
        print(f"\nProfile {profile} · schema {store.schema} · user {store.user}")
        for rtype, n in store.counts().items():
            print(f"  {rtype:<24}{n:>8}")
        print(f"  {'changes waiting to sync':<24}{store.pending_count():>8}")
        print("\nSearch 'wang' (pinyin prefix):")
        found = patients.search(store, "wang", limit=5)
        for p in found:
            print(f"  {display_name(p):<8} {latin_name(p):<18} {p.get('birthDate', '')}"
                  f"  {resident_id_of(p) or '-'}")  # fmt: skip
        if found:
            chart = patients.open_chart(store, found[0]["id"])
            print(f"\nChart of {display_name(chart.patient)}: "
                  f"{len(chart.of('Encounter'))} visits, "
                  f"{len(chart.active('Condition'))} active conditions")  # fmt: skip
            for key in ("systolic", "diastolic", "glucose_mmol"):
                series = chart.vitals(key)[-6:]
                if series:
                    values = "  ".join(
                        f"{o['valueQuantity']['value']}{'*' if flag_of(o) else ''}" for o in series
                    )
                    print(f"  {VITALS[key].display:<38} {values}  ({VITALS[key].unit_label})")
        due = schedule.reminders(store, date.today())
        print(f"\nFollow-ups due or overdue: {len(due)}")
        report = store.verify_audit()
        print(f"Audit chain: {'intact' if report.ok else 'BROKEN'} ({report.entries} entries)")
        print(f"Database integrity: {', '.join(store.integrity_check())}")
    finally:
        store.lock()


def main() -> int:
    parser = argparse.ArgumentParser(description="Build and show the demo profile.")
    parser.add_argument("--profile", default=".demo/profile")
    parser.add_argument("--patients", type=int, default=300)
    args = parser.parse_args()
    try:
        run(Path(args.profile), args.patients)
    except ClinicError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
