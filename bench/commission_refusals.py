"""Why a no-fleet commissioning run came out as it did: per pump, when its first window closed, and at
each commissioning decision the refusals so far and the channel that grew most in own alarm levels
(detector.own_growth: through the window, on a branch with the trailing test the larger of that and
its last 14 days). Replays as bench/lead_time.py does (chunks of four days, stride 5, no fleet prior),
the first 50 days. Used after the run of bench/heldout36b_commission.md.

    python bench/commission_refusals.py SCENARIO
"""
from __future__ import annotations

import sys
import numpy as np
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.eval.fleet_prior import scenario_design_c, with_design
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario
from heatwatch.units import DAY

sc = load_scenario(sys.argv[1])
fleet = Fleet(sc)
pipes = [PumpPipeline.with_config(d, with_design(HeatPumpDetectorConfig(refrigerant=sc.refrigerant),
         float(fleet.params.q_nom[j]), scenario_design_c(sc))) for j, d in enumerate(fleet.devices)]
t0 = sc.start_ts
first = {d: None for d in fleet.devices}
seen = {d: [] for d in fleet.devices}
for chunk in fleet.chunks(steps=1440 * 4):
    ts = chunk.ts[::5]
    if ts[0] - t0 > 50 * DAY:
        break
    for j, d in enumerate(fleet.devices):
        det = pipes[j].detector
        before = (det.postponed_fits, id(getattr(det, "own_growth", None)))
        res, _ = pipes[j].process_batch(ts, chunk.values[::5, j, :])
        g = getattr(det, "own_growth", None)
        if g and (det.postponed_fits, id(g)) != before:
            top = max(g.items(), key=lambda kv: abs(kv[1]))
            seen[d].append(f"d{(ts[-1]-t0)/DAY:.0f}:refusals={det.postponed_fits} top={top[0]} {top[1]:+.2f}")
        r = np.flatnonzero(res.ready)
        if first[d] is None and len(r):
            first[d] = (res.ts[r[0]] - t0) / DAY
truth = {t.device: f"{t.fault} onset {(t.onset_ts-t0)/DAY:.0f}" for t in fleet.truth}
for d in fleet.devices:
    print(d, truth.get(d, "healthy"), "ready", "open" if first[d] is None else f"{first[d]:.1f}", "|", "; ".join(seen[d]))
