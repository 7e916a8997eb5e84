"""The operating envelope grows (edge/heatpump/envelope.py).

A pump commissioned in a mild October ran its heating at the compressor's lowest speed; in
January it runs at 40-50 Hz, where its ridge model can only extrapolate along what its hot-water
runs showed. There the model's prediction is not defended (its leverage is far beyond the
commissioning's): such readings are not judged, a healthy pump is no leak, and a leak on the same
pump is still named before it trips. The growth itself: healthy blocks' new operating points are
learned from sums (no rows kept), a block near an alarm is not.
"""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.channels import INDEX
from heatwatch.edge.heatpump import envelope
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.heatpump.envelope import GrowingEnvelope, leverage
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES, fit_equations, solve
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import parse_scenario
from heatwatch.units import DAY

PUMP = "hp-001"
LEAK_ONSET_DAYS = 1.0
LEAK = [{"type": "refrigerant_leak", "onset": "1d", "time_to_trip": "10d"}]


def _readings(start: str, duration: str, stride: int, faults: list[dict] | None = None):
    devices = {PUMP: {"faults": faults}} if faults else {}
    sc = parse_scenario({"fleet": {"size": 4}, "climate": "milan", "start": start, "duration": duration,
                         "seed": 4, "devices": devices})
    fleet = Fleet(sc)
    chunks = list(fleet.chunks(1440))
    j = fleet.devices.index(PUMP)
    return np.concatenate([c.ts for c in chunks])[::stride], np.concatenate([c.values for c in chunks])[::stride, j]


@pytest.fixture(scope="module")
def october():
    """One October week (300 steady minutes suffice to learn), a 2-minute poll."""
    return _readings("2024-10-01", "8d", 2)


def _raised_in_january(october, faults: list[dict] | None) -> tuple[PumpPipeline, dict[str, float], float, float]:
    pipe = PumpPipeline.with_config(PUMP, HeatPumpDetectorConfig(min_training_rows=300))
    pipe.process_batch(*october)
    assert pipe.detector.ready, "the model was learned in the October week"
    mild_hz = float(np.nanpercentile(october[1][:, INDEX["compressor_hz"]], 90))
    ts, X = _readings("2025-01-03", "12d", 5, faults)
    raised: dict[str, float] = {}
    for k in range(0, len(ts), 2000):
        for e in pipe.process_batch(ts[k:k + 2000], X[k:k + 2000])[1]:
            if e.kind.raises:
                raised.setdefault(e.fault, (e.ts - ts[0]) / DAY)
    hz = X[:, INDEX["compressor_hz"]]
    return pipe, raised, mild_hz, float(np.nanmedian(hz[hz > 0]))


def test_a_healthy_pump_commissioned_in_october_is_no_leak_in_january(october) -> None:
    pipe, raised, mild_hz, cold_hz = _raised_in_january(october, None)
    assert cold_hz > mild_hz + 10, "January runs the compressor well beyond most of the October week"
    assert "refrigerant_leak" not in raised, raised  # main (a box envelope): raised 3.9 days into them
    growth = pipe.detector.growth
    assert growth is not None
    print("refits", growth.refits, "outside", pipe.detector.outside_envelope)


def test_a_leak_developing_in_january_is_still_named_before_it_trips(october) -> None:
    """The same pump, the same days, a leak from January 4th that trips ten days later."""
    _, raised, _, _ = _raised_in_january(october, LEAK)
    assert "refrigerant_leak" in raised, raised
    assert raised["refrigerant_leak"] - LEAK_ONSET_DAYS < 7.0, raised  # named 5.8 days after onset


