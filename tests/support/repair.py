"""A pump whose circulation pump is replaced by a weaker but healthy one: the old normal is gone.

One simulated pump (2-minute readings) runs healthy for five days; then the
technician fits a circulation pump that moves 30 % less water. That is the
pump's new normal (the flow switch is far below it), but a detector that
keeps the old healthy model reads it as low water flow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import parse_scenario

DAY = 86400.0
REPAIR_AFTER = 5 * DAY
NEW_FLOW = 0.7  # the new circulation pump's flow, as a fraction of the old one's
# a short commissioning so the test stays short: a day and a half, 600 steady minutes
CONFIG = HeatPumpDetectorConfig(commissioning_seconds=1.5 * DAY, min_training_rows=600)


@dataclass(frozen=True)
class Readings:
    ts: np.ndarray
    X: np.ndarray
    repair_ts: float  # the new circulation pump runs from here on

    @property
    def cut(self) -> int:
        """Index of the first reading with the new circulation pump."""
        return int(np.searchsorted(self.ts, self.repair_ts))


def repaired_pump(days: float = 10.0, device: str = "hp-000") -> Readings:
    scenario = parse_scenario({"name": "repair", "fleet": {"size": 1}, "climate": "stockholm",
                               "start": "2024-11-20", "duration": f"{days:g}d", "step": "60s", "seed": 5,
                               "refrigerant": "R32", "devices": {device: {}}})
    fleet = Fleet(scenario)
    repair_ts = fleet.start_ts + REPAIR_AFTER
    ts, X, replaced = [], [], False
    for chunk in fleet.chunks(steps=720):  # half days: the repair falls on a chunk boundary
        if not replaced and chunk.ts[0] >= repair_ts:
            fleet.params.v_nom[0] *= NEW_FLOW
            replaced = True
        ts.append(chunk.ts[::2])
        X.append(chunk.values[::2, 0, :])
    return Readings(np.concatenate(ts), np.concatenate(X), repair_ts)


def pipeline(device: str = "hp-000") -> PumpPipeline:
    return PumpPipeline.with_config(device, CONFIG)


def judge(pipe: PumpPipeline, ts: np.ndarray, X: np.ndarray):
    """Events of the readings, in batches as a replay gives them."""
    out = []
    for s in range(0, len(ts), 2000):
        out.extend(pipe.process_batch(ts[s:s + 2000], X[s:s + 2000])[1])
    return out
