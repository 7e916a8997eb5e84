"""sensor_offset.best_offsets leaves each offset's ``predicted`` to be made when the rules read it
(_PredictedOnRead): not made before, and once read the very dict the eager code made (the same
channels in the same order, each level the same float, NaN kept, 0.0 and -0.0 left out), kept in
the instance; an offset made with its dict (the agent's, a test's) keeps it as given. The events a
replay makes with them: tests/edge/heatpump/test_batch_kernels.py, bench/replay_events.py."""

from __future__ import annotations

import pickle
from itertools import compress

import numpy as np

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.sensor_offset import SENSOR_STEPS, SensorOffset, best_offsets

NS, NT = len(SENSOR_STEPS), len(TARGET_NAMES)


def _rows(seed: int, m: int = 400):
    rng = np.random.default_rng(seed)
    R = rng.normal(0, 3, (m, NT))
    R[rng.random(R.shape) < 0.1] = np.nan
    sig = rng.normal(0, 2, (m, NS, NT))
    sig[rng.random(sig.shape) < 0.5] = 0.0  # parts of exactly 0.0 and -0.0: not predicted
    sig[rng.random(sig.shape) < 0.05] = np.nan
    present = rng.random((m, NS)) < 0.8
    sig[~present] = np.nan
    return R, rng.uniform(0.2, 4.0, NT), present, sig


def _eager(so: SensorOffset, R: np.ndarray, alarm: np.ndarray, sig: np.ndarray, i: int) -> dict[str, float]:
    """The predicted dict as best_offsets made it for every row before: the chosen sensor's parts."""
    b = R[i] / alarm
    ok = np.isfinite(b)
    b = np.where(ok, b, 0.0)
    k = list(SENSOR_STEPS).index(so.channel)
    a = np.where(ok & np.isfinite(sig[i, k]), sig[i, k] / alarm, 0.0)
    p = (a * so.offset).tolist()
    return dict(compress(zip(TARGET_NAMES, p), p))


def test_predicted_is_made_on_read_and_is_the_eager_dict() -> None:
    R, alarm, present, sig = _rows(11)
    with np.errstate(invalid="ignore"):
        out = best_offsets(R, alarm, present, sig, TARGET_NAMES)
    made = [(i, so) for i, so in enumerate(out) if so is not None]
    assert len(made) > 300
    for _, so in made:
        assert "predicted" not in vars(so), "made before the rules read it"
    for i, so in made:
        got = so.predicted
        assert vars(so)["predicted"] is got and so.predicted is got, "made once, then the instance's own"
        want = _eager(so, R, alarm, sig, i)
        assert list(got) == list(want)
        assert [repr(v) for v in got.values()] == [repr(v) for v in want.values()]
        assert 0 < len(got) < NT, "the parts of 0.0 left out"


def test_an_offset_read_late_equals_one_made_with_its_dict() -> None:
    R, alarm, present, sig = _rows(12, 60)
    with np.errstate(invalid="ignore"):
        lazy = [so for so in best_offsets(R, alarm, present, sig, TARGET_NAMES) if so is not None]
    again = pickle.loads(pickle.dumps(lazy))  # unread: still made on read after a copy
    for so, cp in zip(lazy, again):
        eager = SensorOffset(so.channel, so.offset, so.explained, so.level, dict(so.predicted))
        assert so == eager and cp == eager and repr(cp) == repr(eager)
    given = SensorOffset("t_flow", 1.5, 0.95, 2.0, {"t_flow": 2.0})
    assert given.predicted == {"t_flow": 2.0} and vars(given)["predicted"] is given.predicted
