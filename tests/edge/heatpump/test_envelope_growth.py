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
    assert pipe.detector.outside_envelope > 0, "readings beyond what the model can defend were not judged"


def test_a_leak_developing_in_january_is_still_named_before_it_trips(october) -> None:
    """The same pump, the same days, a leak from January 4th that trips ten days later."""
    _, raised, _, _ = _raised_in_january(october, LEAK)
    assert "refrigerant_leak" in raised, raised
    assert raised["refrigerant_leak"] - LEAK_ONSET_DAYS < 7.0, raised  # named 5.8 days after onset


def _commissioned(rng: np.random.Generator, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows of a mild commissioning (low frequency) and targets linear in them plus noise."""
    t_out = rng.uniform(0.8, 1.8, n)
    t_flow = rng.uniform(-0.8, -0.6, n)
    hz = rng.uniform(-1.0, -0.9, n)
    F = np.column_stack([np.ones(n), t_out, t_flow, hz, t_out * hz, hz * hz, np.zeros(n)])
    Y = F @ rng.normal(0.0, 1.0, (F.shape[1], len(TARGET_NAMES))) + rng.normal(0.0, 0.05, (n, len(TARGET_NAMES)))
    return F, Y


def test_a_refit_from_the_commissioning_sums_alone_is_the_fit() -> None:
    F, Y = _commissioned(np.random.default_rng(1))
    Y[::7, 3] = np.nan  # a target with gaps keeps its own rows
    model, eq = fit_equations(F, Y)
    np.testing.assert_array_equal(solve(eq, eq.zeros_like()).coef, model.coef)


def test_a_healthy_block_beyond_the_commissioning_is_learned_and_a_troubled_one_is_not() -> None:
    rng = np.random.default_rng(2)
    F, Y = _commissioned(rng)
    _, eq = fit_equations(F, Y)
    g = GrowingEnvelope(eq, F, 1e-2)
    cold = F[:40].copy()
    cold[:, 3] = 0.3  # 59 Hz
    cold[:, 4], cold[:, 5] = cold[:, 1] * 0.3, 0.09
    assert not g.defended(cold).any(), "far beyond the commissioning's frequencies"
    steady = np.ones(len(cold), dtype=bool)

    def block(k: int, worst: float) -> object:
        refit = g.close(k)
        g.observe(cold, Y[:40], steady, steady, np.full(len(cold), worst))
        return refit

    assert block(10, 0.9) is None  # the first block seen
    assert block(11, 0.2) is None  # the one before was near an alarm: nothing pending
    assert block(12, 0.2) is None  # block 11 closed healthy: pending until the next closes healthy too
    assert block(13, 0.7) is not None  # block 12 closed healthy: block 11's cold rows learned
    assert g.refits == 1
    assert block(14, 0.2) is None  # block 13 was near an alarm: its rows (and 12's) are dropped
    assert not g.defended(cold).all(), "40 rows at a new point weigh less than the commissioning's 600"
    k = 15
    while not g.defended(cold).all() and k < 40:  # healthy blocks there: learned until as well known
        block(k, 0.2)
        k += 1
    assert g.defended(cold).all() and g.refits > 2, (k, g.refits)
    assert float(np.max(leverage(g.M, F))) <= envelope.LEVERAGE_GATE * g.h_ref, "the commissioning's points still are"
    again = GrowingEnvelope.from_state(g.state())
    np.testing.assert_array_equal(again.model().coef, g.model().coef)
