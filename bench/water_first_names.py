"""Which water-side name each pump heard first, on bench/lead_time.py's saved outcomes (one code or two).

For every pump of the scenarios whose truth is on the water side (the flow meter drifting, a real loss of
water flow) or healthy: when `low_water_flow` was first raised and when the flow meter's own notice
(sensor_drift on flow_lpm), in days after onset; which came first (the first name); for a real low flow
its lead before the trip. Given a second file (main's outcomes of the same scenarios), each pump's line
shows both and the summary the checks of bench/heldout27_water.md:

* meters reading low named the meter first (no `low_water_flow` before the meter's notice), of those the
  other code named `low_water_flow` first;
* real low flows: first `low_water_flow` against the other code's (days later), lead before the trip;
* any raise on a healthy pump or a meter reading high that the other code has not.

    python bench/lead_time.py --stride 5 --save OUT.json SCENARIO ...
    python bench/water_first_names.py OUT.json [MAIN.json]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics

from heatwatch.sim.scenario import load_scenario
from heatwatch.units import DAY

_CHANNEL = re.compile(r"^Sensor drift \(([a-z_]+)\)")
INF = float("inf")
COMMISSIONED_S = 7 * DAY  # a drift from this day on began after the pump's own model (a week) was learned


def firsts(o: dict) -> tuple[float, float, list[tuple[str, str]]]:
    """(first low_water_flow raise ts, first flow_lpm notice ts, every raise as (kind, fault or channel))."""
    lwf = meter = INF
    raises = []
    for e in o["events"]:
        if e["kind"] not in ("fault", "sensor_fault"):
            continue
        m = _CHANNEL.match(e.get("explanation") or "")
        what = m.group(1) if e["fault"] == "sensor_drift" and m else e["fault"]
        raises.append((e["kind"], what))
        if e["kind"] == "fault" and e["fault"] == "low_water_flow":
            lwf = min(lwf, e["ts"])
        if e["kind"] == "sensor_fault" and what == "flow_lpm":
            meter = min(meter, e["ts"])
    return lwf, meter, raises


def truth(scenario, device: str) -> tuple[str, float, float]:
    """(what: 'healthy', 'low_water_flow', 'meter low', 'meter high' or another fault, rate, onset s)."""
    faults = scenario.devices[device].faults if device in scenario.devices else ()
    if not faults:
        return "healthy", 0.0, 0.0
    f = faults[0]
    if f.type == "sensor_drift" and f.channel == "flow_lpm":
        return ("meter low" if f.rate < 0 else "meter high"), f.rate, f.onset_s
    return (f.type if f.type == "low_water_flow" else f"{f.type}:{f.channel or ''}"), f.rate, f.onset_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("saved")
    ap.add_argument("other", nargs="?", help="main's outcomes of the same scenarios")
    opts = ap.parse_args()
    with open(opts.saved) as fh:
        runs = json.load(fh)
    others = {}
    if opts.other:
        with open(opts.other) as fh:
            others = json.load(fh)
    meters, other_wrong, delays, leads, new_raises = [], [], [], [], []

    def day(ts: float, base: float) -> str:
        return "   -  " if ts == INF else f"{(ts - base) / DAY:6.2f}"

    for name, outs in runs.items():
        sc = load_scenario(name)
        print(name.split("/")[-1])
        other_by = {o["device"]: o for o in others.get(name, [])}
        for o in outs:
            what, rate, onset = truth(sc, o["device"])
            if what not in ("healthy", "low_water_flow", "meter low", "meter high"):
                continue
            base = sc.start_ts + onset
            lwf, meter, raises = firsts(o)
            line = f"  {o['device']} {what:14s} {rate:+.2f}  lwf {day(lwf, base)} meter {day(meter, base)}"
            key = f"{name.split('/')[-1]}:{o['device']}"
            oo = other_by.get(o["device"])
            if oo is not None:
                olwf, ometer, oraises = firsts(oo)
                line += f" | other lwf {day(olwf, base)} meter {day(ometer, base)}"
                if what in ("healthy", "meter high"):
                    extra = sorted(set(raises) - set(oraises))
                    if extra:
                        new_raises.append(f"{key} {what}: {extra}")
            if what == "meter low":
                right = lwf == INF or meter < lwf
                line += "  first: " + ("meter" if right else "LOW_WATER_FLOW")
                if oo is not None and olwf < ometer:
                    other_wrong.append(key)
                    meters.append((key, right, onset >= COMMISSIONED_S))
            if what == "low_water_flow" and o.get("trip_ts"):
                lead = (o["trip_ts"] - lwf) / DAY if lwf < INF else None
                line += f"  trip {day(o['trip_ts'], base)} lead " + ("missed" if lead is None else f"{lead:.2f}")
                if lead is not None:
                    leads.append(lead)
            if what == "low_water_flow" and oo is not None:
                olwf = firsts(oo)[0]
                if olwf < INF:
                    delays.append((key, (lwf - olwf) / DAY if lwf < INF else INF))
                    line += f"  later by {delays[-1][1]:+.2f} d"
            print(line)
    if others:
        for after, when in ((True, "after commissioning"), (False, "from installation (the design band)")):
            these = [(k, r) for k, r, a in meters if a == after]
            right = [k for k, r in these if r]
            print(f"meters reading low {when} the other code named low_water_flow first: {len(these)}; named the "
                  f"meter first here: {len(right)}" + (f" ({100 * len(right) / len(these):.0f} %)" if these else ""))
            for k, r in these:
                if not r:
                    print(f"  still low_water_flow first: {k}")
        d = [x for _, x in delays]
        if d:
            print(f"real low flows the other code named: {len(d)}; named later here by (d): "
                  + " ".join(f"{x:+.2f}" for x in sorted(d)) + f"; median {statistics.median(d):+.2f}, max {max(d):+.2f}")
        print(f"raises on healthy pumps or meters reading high that the other code has not: {len(new_raises)}"
              + "".join(f"\n  {x}" for x in new_raises))


if __name__ == "__main__":
    main()
