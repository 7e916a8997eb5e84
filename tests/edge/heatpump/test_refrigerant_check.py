"""A wrong refrigerant in edge.toml is found from the saturation relations within the first day.

Judged as R32, a propane pump's 12 bar high side reads as 11 °C condensing under a 33 °C
flow; the agent must say so (an agent event, no ticket) instead of learning nonsense as
healthy. Configured right, or with one drifting transducer, it says nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.contract import EventKind
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.heatpump.refrigerant_check import judge, misfits
from heatwatch.edge.pipeline import REFRIGERANT_MISMATCH, PumpPipeline
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import parse_scenario
from heatwatch.channels import INDEX
from heatwatch.units import DAY


@pytest.fixture(scope="module")
def first_day():
    """Two days of two pumps per refrigerant, a 2-minute poll."""
    out = {}
    for refrigerant in ("R32", "R290"):
        fleet = Fleet(parse_scenario({"fleet": {"size": 2}, "climate": "oslo", "start": "2025-01-10",
                                      "duration": "2d", "seed": 3, "refrigerant": refrigerant}))
        chunks = list(fleet.chunks(1440))
        out[refrigerant] = (np.concatenate([c.ts for c in chunks])[::2],
                            np.concatenate([c.values for c in chunks])[::2])
    return out


def _mismatch_events(ts, X, configured):
    pipe = PumpPipeline.with_config("hp-000", HeatPumpDetectorConfig(refrigerant=configured))
    _, events = pipe.process_batch(ts, X)
    return [e for e in events if e.fault == REFRIGERANT_MISMATCH]


@pytest.mark.parametrize("actual,configured", [("R290", "R32"), ("R32", "R290")])
def test_a_pump_on_another_refrigerant_is_told_within_the_first_day(first_day, actual, configured):
    ts, X = first_day[actual]
    for j in range(X.shape[1]):
        events = _mismatch_events(ts, X[:, j, :], configured)
        assert len(events) == 1, events
        ev = events[0]
        assert ev.kind is EventKind.AGENT and ev.ts - ts[0] < DAY
        assert f"fit {actual}" in ev.explanation and configured in ev.explanation


def test_the_right_refrigerant_says_nothing(first_day):
    for refrigerant in ("R32", "R290"):
        ts, X = first_day[refrigerant]
        for j in range(X.shape[1]):
            assert _mismatch_events(ts, X[:, j, :], refrigerant) == []


def test_one_drifting_transducer_is_not_a_wrong_refrigerant(first_day):
    ts, X = first_day["R32"]
    X = X[:, 0, :].copy()
    X[:, INDEX["p_low"]] += 1.5  # reads 1.5 bar high: only the low side leaves the curve
    cols = [INDEX[c] for c in ("t_cond", "p_high", "t_evap", "p_low", "t_flow", "t_outdoor")]
    steady = X[:, INDEX["compressor_hz"]] > 0
    rows = X[steady][:, cols]
    hi, lo = misfits(rows, "R32")
    assert hi < 1.5 and lo > 3.0
    assert judge(rows, "R32") is None
