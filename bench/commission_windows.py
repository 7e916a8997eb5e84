"""When each pump's first commissioning window closed (the day its healthy model began judging).

Replays every pump of a scenario as bench/lead_time.py does (chunks of four days, its stride, no fleet
prior) and prints the day of the first judged reading per pump. Used on a HEALTHY-ONLY copy of a
held-out file to check, without looking at any fault outcome, that its windows are long enough for
faults to begin inside them (bench/heldout36b_commission.md).

    python bench/commission_windows.py [--stride 5] [--days 40] SCENARIO
"""

from __future__ import annotations

import argparse

import numpy as np

from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.eval.fleet_prior import scenario_design_c, with_design
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario
from heatwatch.units import DAY


def window_ends(name: str, stride: int = 5, days: float = 40.0) -> dict[str, float | None]:
    """Device -> day its first window closed (None: still open after ``days``)."""
    out: dict[str, float | None] = {}
    for scenario in load_scenario(name).site_scenarios():
        fleet = Fleet(scenario)
        pipes = [PumpPipeline.with_config(d, with_design(HeatPumpDetectorConfig(refrigerant=scenario.refrigerant),
                                                         float(fleet.params.q_nom[j]), scenario_design_c(scenario)))
                 for j, d in enumerate(fleet.devices)]
        t0 = scenario.start_ts
        ends: dict[str, float | None] = {d: None for d in fleet.devices}
        for chunk in fleet.chunks(steps=1440 * 4):
            ts = chunk.ts[::stride]
            if ts[0] - t0 >= days * DAY or all(v is not None for v in ends.values()):
                break
            for j, d in enumerate(fleet.devices):
                if ends[d] is not None:
                    continue
                res, _ = pipes[j].process_batch(ts, chunk.values[::stride, j, :])
                ready = np.flatnonzero(res.ready)
                if len(ready):
                    ends[d] = float((res.ts[ready[0]] - t0) / DAY)
        out.update(ends)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("--stride", type=int, default=5)
    ap.add_argument("--days", type=float, default=40.0)
    a = ap.parse_args()
    for d, end in window_ends(a.scenario, a.stride, a.days).items():
        print(f"{d}  {'open' if end is None else f'{end:6.2f}'}")


if __name__ == "__main__":
    main()
