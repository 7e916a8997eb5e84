"""The demo's fleet through the demo's agents, offline: what `heatwatch demo` would name, and when.

`heatwatch demo` plays `demo_fleet` from the wall clock's now (the weather keeps the scenario's
season; the hour of day follows the start) and its agents learn half a pump day
(`commissioning_days = 0.5`, `min_training_rows = 240`) with their [design] table from the data
sheet. This replays the same scenario, planned by the demo's own code at the start times given,
through pipelines configured the same way (batch: the same results as the streaming agent), and
prints per pump the fault, its onset and trip, and each fault the agent raised (pump days from the
start; lead = trip minus the first right raise). A demo run depends on the wall clock; this does
not, so a change can be compared on the same start times.

    python bench/demo_offline.py [--starts 2026-12-05T21:10,2026-12-05T23:20] [--days 5]
                                 [--devices hp-005,hp-013] [--stride 1] [--rules FILE]
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from heatwatch.demo.fleet_plan import plan, pump_designs, pump_refrigerants
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.sim.fleet import Fleet
from heatwatch.units import DAY

COMMISSIONING_DAYS = 0.5  # demo/command.py's DetectorSection
MIN_TRAINING_ROWS = 240


def run(start: float, days: float, devices: list[str] | None, stride: int = 1,
        rule_files: list[str] | None = None) -> list[dict]:
    """One demo start: per pump, its truth and what its agent raised (pump seconds from the start)."""
    with tempfile.TemporaryDirectory() as tmp:
        scen, _ = plan("demo_fleet", None, days * DAY / 1800.0 / 60.0 / 1.1, 1800.0, Path(tmp), now=start)
    designs, refrigerants = pump_designs(scen), pump_refrigerants(scen)
    fleet = Fleet(scen)
    t0 = scen.start_ts
    pipes = {d: PumpPipeline.with_config(d, HeatPumpDetectorConfig(
        commissioning_seconds=COMMISSIONING_DAYS * DAY, min_training_rows=MIN_TRAINING_ROWS,
        refrigerant=refrigerants[d], design=designs[d]), rule_files) for d in fleet.devices if not devices or d in devices}
    raised: dict[str, dict[str, float]] = {d: {} for d in pipes}
    for chunk in fleet.chunks(steps=1440):
        if chunk.ts[0] - t0 >= days * DAY:
            break
        for j, dev in enumerate(fleet.devices):
            if dev in pipes:
                _, events = pipes[dev].process_batch(chunk.ts[::stride], chunk.values[::stride, j, :])
                for ev in events:
                    if ev.kind.raises:
                        raised[dev].setdefault(ev.fault, ev.ts - t0)
    truth = {t.device: t for t in fleet.truth}
    out = []
    for d in pipes:
        t = truth.get(d)
        out.append({"device": d, "fault": t.fault if t else "",
                    "onset": None if t is None or t.onset_ts is None else t.onset_ts - t0,
                    "trip": None if t is None or t.trip_ts is None else t.trip_ts - t0, "raised": raised[d]})
    return out


def _days(s: float | None) -> str:
    return "-" if s is None else f"{s / DAY:+.2f} d"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", default="2026-12-05T21:10,2026-12-05T22:15,2026-12-05T23:20",
                    help="demo start times (UTC, comma-separated)")
    ap.add_argument("--days", type=float, default=5.0)
    ap.add_argument("--devices", default="", help="comma-separated (default: every pump)")
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--rules", default="", help="a rule file instead of the shipped rules (a comparison)")
    a = ap.parse_args()
    devices = [d for d in a.devices.split(",") if d] or None
    unwarned = named = false = 0
    for s in a.starts.split(","):
        start = datetime.fromisoformat(s).replace(tzinfo=timezone.utc).timestamp()
        print(f"start {s} UTC")
        for o in run(start, a.days, devices, a.stride, [a.rules] if a.rules else None):
            trip, fault = o["trip"], o["fault"]
            first = o["raised"].get(fault) if fault else None
            wrong = {f: v for f, v in o["raised"].items() if f != fault}
            lead = "" if trip is None or first is None else f" lead {(trip - first) / 3600.0:.1f} h"
            print(f"  {o['device']}: {fault or 'healthy':<18} onset {_days(o['onset']):>9} trip {_days(trip):>9}"
                  f" named {_days(first):>9}{lead}" + (f"  other: {', '.join(f'{f} {_days(v)}' for f, v in wrong.items())}"
                                                          if wrong else ""))
            if trip is not None and trip < a.days * DAY:
                named += first is not None and first < trip
                unwarned += first is None or first >= trip
            false += not fault and bool(o["raised"])
    print(f"trips named before: {named}, unwarned: {unwarned}, healthy pumps with a raise: {false}")


if __name__ == "__main__":
    main()
