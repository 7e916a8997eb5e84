"""The tracker keeps, per hour, the residual and the compressor frequency at each target's worst
(highest) reading.

A fouled condenser trips on a hot-water peak held at the condensing limit by a frequency cut;
the hour's mean residual is made by its space-heating readings and its top frequency by the
run-up before the cut, so neither tells how much cut is left. Streaming (update) and batch
(update_rows, any chunking) must keep the very same hours, and a restart (state/load_state)
must keep them too.
"""

from __future__ import annotations

import json

import numpy as np

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.units import HOUR

P = TARGET_NAMES.index("p_high")
HZ = TARGET_NAMES.index("compressor_hz")


def _hour_with_a_held_peak(rng: np.random.Generator, start: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """60 readings: space heating at 58 Hz (p_high 20 bar, residual 0.5), then a hot-water peak
    the controller holds at 30 bar by cutting to 50 Hz (residual 3.0 there), one reading."""
    n = 60
    ts = start + 60.0 * np.arange(n)
    obs = rng.normal(0.0, 0.1, (n, len(TARGET_NAMES)))
    res = rng.normal(0.0, 0.1, (n, len(TARGET_NAMES)))
    obs[:, HZ] = 58.0
    obs[:, P] = 20.0 + rng.normal(0.0, 0.2, n)
    res[:, P] = 0.5
    k = int(rng.integers(5, 55))
    obs[k, P], obs[k, HZ], res[k, P] = 30.0, 50.0, 3.0
    obs[rng.random(obs.shape) < 0.03] = np.nan
    res[rng.random(res.shape) < 0.03] = np.nan
    obs[k, P], obs[k, HZ], res[k, P] = 30.0, 50.0, 3.0
    return ts, res, obs


def test_the_hour_keeps_the_residual_and_frequency_at_its_worst_reading_alike_streamed_or_batched() -> None:
    rng = np.random.default_rng(7)
    parts = [_hour_with_a_held_peak(rng, h * HOUR) for h in range(6)]
    ts, res, obs = (np.concatenate(a) for a in zip(*parts))
    streamed, batched, chunked = PrognosisTracker(), PrognosisTracker(), PrognosisTracker()
    for i in range(len(ts)):
        streamed.update(float(ts[i]), res[i], obs[i])
    batched.update_rows(ts, res, obs)
    for s in range(0, len(ts), 17):
        chunked.update_rows(ts[s:s + 17], res[s:s + 17], obs[s:s + 17])
    hours = list(streamed._hours)
    assert len(hours) == 5
    for _t, mean, hi, _lo, hi_res, hi_hz in hours:
        assert hi[P] == 30.0
        assert hi_res[P] == 3.0 and hi_hz[P] == 50.0  # the peak's, not the hour's mean (~0.5) or top (58 Hz)
        assert abs(mean[P] - 0.5) < 0.1
    text = json.dumps(streamed.state())
    assert json.dumps(batched.state()) == text == json.dumps(chunked.state())
    restarted = PrognosisTracker()
    restarted.load_state(json.loads(text))
    assert json.dumps(restarted.state()) == text
