"""How long a finding stands after the notice that explains it better, on bench/lead_time.py's saved outcomes.

Rules yield (rules/heatpump.yaml `yields_to`): low_water_flow to the flow meter's notice
(flow_meter_reads_low: sensor_drift on flow_lpm), the compressor-wear rules to the discharge
thermistor's (discharge_sensor_high: sensor_drift without a channel). For every pump of the
scenarios, each time the better notice is raised while the yielding fault stands: how long the
yielding fault stood on after it (until its fault_cleared, or the run's end), and whether the pump's
truth is the yielding fault (then it was RIGHT, and its clear within an hour of the other's raise is
a right finding withdrawn by a wrong notice). Works on any code's outcomes (main's clears by
clear_after, a branch's withdrawals name the better notice: EXPLAINED_BY).

    python bench/lead_time.py --stride 5 --save OUT.json SCENARIO ...
    python bench/withdrawn.py OUT.json [BASE.json]
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass

from heatwatch.sim.scenario import load_scenario
from heatwatch.units import DAY

_CHANNEL = re.compile(r"^Sensor drift \(([a-z_]+)\)")
# yielding fault -> the sensor_drift channel of the notice it yields to (None: no channel)
BETTER = {"low_water_flow": "flow_lpm", "compressor_wear": None}
WITHDRAWN_WITHIN_S = 3600.0


@dataclass
class Stand:
    scenario: str
    device: str
    truth: str  # the fault the scenario gave the pump ('' healthy; sensor_drift:<channel>)
    fault: str  # the yielding fault that stood
    better_ts: float  # the better notice raised, the yielding fault standing
    cleared_ts: float | None  # the yielding fault's clear after it (None: stood to the run's end)
    end_ts: float

    @property
    def days(self) -> float:
        return ((self.cleared_ts if self.cleared_ts is not None else self.end_ts) - self.better_ts) / DAY

    @property
    def right(self) -> bool:
        return self.truth == self.fault

    @property
    def withdrawn(self) -> bool:
        return self.cleared_ts is not None and self.cleared_ts - self.better_ts <= WITHDRAWN_WITHIN_S


def _notice_channel(e: dict) -> str | None | bool:
    """A sensor_drift notice's channel (None: one without); False: not a sensor_drift notice."""
    if e["fault"] != "sensor_drift" or e["kind"] != "sensor_fault":
        return False
    m = _CHANNEL.match(e.get("explanation") or "")
    return m.group(1) if m else None


def stands(outcomes: dict[str, list[dict]]) -> list[Stand]:
    out = []
    for name, outs in outcomes.items():
        sc = load_scenario(name)
        end = sc.start_ts + sc.duration_s
        for o in outs:
            faults = sc.devices[o["device"]].faults if o["device"] in sc.devices else ()
            truth = "" if not faults else (faults[0].type + (f":{faults[0].channel}" if faults[0].channel else ""))
            standing: dict[str, float] = {}  # yielding fault -> raised ts
            open_: list[Stand] = []
            for e in sorted(o["events"], key=lambda e: e["ts"]):
                if e["kind"] == "fault" and e["fault"] in BETTER:
                    standing.setdefault(e["fault"], e["ts"])
                elif e["kind"] == "fault_cleared" and e["fault"] in standing:
                    del standing[e["fault"]]
                    for s in open_:
                        if s.fault == e["fault"] and s.cleared_ts is None:
                            s.cleared_ts = e["ts"]
                else:
                    ch = _notice_channel(e)
                    if ch is False:
                        continue
                    for fault in standing:
                        if BETTER[fault] == ch and not any(s.fault == fault and s.cleared_ts is None for s in open_):
                            s = Stand(name.split("/")[-1], o["device"], truth, fault, e["ts"], None, end)
                            open_.append(s)
                            out.append(s)
    return out


def summary(found: list[Stand], label: str) -> None:
    wrong = [s for s in found if not s.right]
    right = [s for s in found if s.right]
    days = sorted(s.days for s in wrong)
    print(f"{label}: {len(wrong)} wrong findings standing when the better notice came", end="")
    if days:
        within = sum(d <= 1.0 for d in days)
        print(f"; stood on {days[len(days) // 2]:.1f} d (median), max {days[-1]:.1f} d, "
              f"<= 1 d in {within} of {len(days)} ({within / len(days):.0%})")
    else:
        print()
    print(f"{label}: {len(right)} right findings standing when a (wrong) better notice came, "
          f"{sum(s.withdrawn for s in right)} withdrawn")
    for s in found:
        flag = "RIGHT " if s.right else ""
        print(f"  {s.scenario}:{s.device} truth={s.truth or 'healthy'} {flag}{s.fault} stood "
              f"{s.days:.2f} d after the better notice" + (" (to the end)" if s.cleared_ts is None else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("saved", nargs="+", help="bench/lead_time.py --save outputs (e.g. the branch's, then main's)")
    opts = ap.parse_args()
    for path in opts.saved:
        with open(path) as fh:
            summary(stands(json.load(fh)), path)


if __name__ == "__main__":
    main()
