"""Which water reading each sensor notice named, and when, on bench/lead_time.py's saved outcomes.

For every pump of the scenarios: its truth (a water thermistor or the flow meter drifting, which
way; a pump fault; healthy) and its sensor notices in order (the channel named, raised or cleared,
days after onset). Then the checks of bench/heldout24_water.md:

* named: each drift reading low on t_flow (t_return) whose delta-T notice was raised ends named
  t_flow (t_return): the condenser's witness (edge/heatpump/water_witness.py);
* wrong: a notice naming a thermistor other than the drifting one, or a thermistor on a flow-meter
  drift; any notice on a healthy pump; a sensor notice on a pump fault or the pump fault missed;
* flaps: the same notice (channel) raised twice on a pump, or delta-T raised again after the
  thermistor's notice.

    python bench/lead_time.py --stride 5 --save OUT.json SCENARIO ...
    python bench/water_names.py OUT.json
"""

from __future__ import annotations

import argparse
import json
import re

from heatwatch.sim.scenario import load_scenario
from heatwatch.units import DAY

_CHANNEL = re.compile(r"^Sensor drift \(([a-z_]+)\)")
WATER = ("t_flow", "t_return", "flow_lpm")


def _truth(scenario, device: str) -> tuple[str, str, float, float]:
    """(fault, channel, rate, onset s) of a device ('' for healthy)."""
    faults = scenario.devices[device].faults if device in scenario.devices else ()
    if not faults:
        return "", "", 0.0, 0.0
    f = faults[0]
    return f.type, f.channel or "", f.rate, f.onset_s


def check(outcomes: dict[str, list[dict]]) -> dict[str, list[str]]:
    """Scenario file -> saved outcomes: the lines printed, and the named / wrong / flaps found."""
    found: dict[str, list[str]] = {"named": [], "unnamed": [], "wrong": [], "flaps": []}
    for name, outs in outcomes.items():
        sc = load_scenario(name)
        print(name)
        for o in outs:
            dev = o["device"]
            fault, channel, rate, onset = _truth(sc, dev)
            base = sc.start_ts + onset
            notices = []  # (state, channel, day after onset)
            pump = []
            for e in o["events"]:
                m = _CHANNEL.match(e.get("explanation") or "")
                if e["fault"] == "sensor_drift" and m:
                    notices.append(("raised" if e["kind"] == "sensor_fault" else "cleared", m.group(1),
                                    (e["ts"] - base) / DAY))
                elif e["kind"] == "fault":
                    pump.append(e["fault"])
            what = f"{channel} {rate:+g}/d" if channel else (fault or "healthy")
            print(f"  {dev} {what:22s} " + " ".join(f"{s[0]}:{c}@{d:.1f}" for s, c, d in notices)
                  + (f"  pump faults: {', '.join(pump)}" if pump else ""))
            key = f"{name.split('/')[-1]}:{dev}"
            raised = [c for s, c, _ in notices if s == "raised"]
            if not fault:
                if notices or pump:
                    found["wrong"].append(f"{key} healthy: {raised} {pump}")
                continue
            if fault != "sensor_drift":
                if raised or fault not in pump:
                    found["wrong"].append(f"{key} {fault}: notices {raised}, pump faults {pump}")
                continue
            if channel in ("t_flow", "t_return"):
                other = "t_return" if channel == "t_flow" else "t_flow"
                if other in raised:
                    found["wrong"].append(f"{key} {what}: named {other}")
                if rate < 0 and raised:
                    # a reading low: heat floor (t_flow) or ceiling (t_return) on delta-T, then the thermistor
                    (found["named"] if channel in raised else found["unnamed"]).append(f"{key} {what}: {raised}")
            elif channel == "flow_lpm" and {"t_flow", "t_return"} & set(raised):
                found["wrong"].append(f"{key} {what}: named {raised}")
            for c in set(raised):
                if raised.count(c) > 1:
                    found["flaps"].append(f"{key}: {c} raised {raised.count(c)} times")
            if "delta_t" in raised and channel in raised and raised.index(channel) < len(raised) - 1 - \
                    raised[::-1].index("delta_t"):
                found["flaps"].append(f"{key}: delta_t raised again after {channel}")
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("saved", help="bench/lead_time.py --save output")
    opts = ap.parse_args()
    with open(opts.saved) as fh:
        found = check(json.load(fh))
    for k, v in found.items():
        print(f"{k}: {len(v)}" + "".join(f"\n  {x}" for x in v))


if __name__ == "__main__":
    main()
