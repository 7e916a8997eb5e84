"""process_batch's shortcuts say what the code they replace says, to the last bit (speed round 7)."""

from __future__ import annotations

import math

import numpy as np

from heatwatch.channels import CHANNEL_NAMES, INDEX
from heatwatch.edge.heatpump.batch_kernels import clock_rows
from heatwatch.edge.heatpump.detector import HeatPumpDetector, targets_from
from heatwatch.edge.heatpump.healthy_model import HealthyModel
from heatwatch.edge.heatpump.sensor_offset import SENSOR_STEPS
from heatwatch.edge.heatpump.offset_kernel import copies_t_sat as _copies_t_sat
from heatwatch.edge.pipeline import _next_false


def _clock_loop(ts: list[float], last: float, period: float) -> tuple[list[int], float]:
    """PumpPipeline._after's clock, reading by reading."""
    out = []
    for i, t in enumerate(ts):
        if t - last >= period:
            last = t
            out.append(i)
    return out, last


def test_clock_rows_is_the_reading_by_reading_clock() -> None:
    rng = np.random.default_rng(3)
    for poll in (60.0, 299.9999999, 300.0, 301.0, 21600.0):
        ts = np.cumsum(rng.choice([poll, poll / 3, 0.1 + poll], size=2000)) + 1e9 / 7
        for last in (-math.inf, float(ts[0]) - 300.0, float(ts[5])):
            rows, end = clock_rows(ts, last, 300.0)
            want, want_end = _clock_loop(ts.tolist(), last, 300.0)
            assert rows.tolist() == want and end == want_end


def test_next_false() -> None:
    mask = np.array([True, True, False, True, False, False, True])
    assert _next_false(mask).tolist() == [2, 2, 2, 4, 4, 5, 7]


def test_copies_saturation_is_every_copys_own() -> None:
    rng = np.random.default_rng(1)
    steps = np.array(list(SENSOR_STEPS.values()))
    cols = np.array([INDEX[c] for c in SENSOR_STEPS])
    for ref in ("R32", "R290"):
        SX = rng.normal(10, 15, (400, len(CHANNEL_NAMES)))
        SX[:, INDEX["p_high"]] = rng.uniform(-2, 60, 400)  # non-positive, off-table and table pressures
        SX[:, INDEX["p_low"]] = rng.uniform(-1, 12, 400)
        SX[rng.random(SX.shape) < 0.1] = np.nan
        Xp = np.repeat(SX[:, None, :], len(steps) + 1, axis=1)
        Xp[:, np.arange(1, len(steps) + 1), cols] += steps
        flat = Xp.reshape(-1, len(CHANNEL_NAMES))
        sat = tuple(_copies_t_sat(SX, Xp, INDEX[p], ref).reshape(-1) for p in ("p_high", "p_low"))
        assert targets_from(flat, ref, sat).tobytes() == targets_from(flat, ref).tobytes()


def test_models_at_is_model_at() -> None:
    det = HeatPumpDetector()
    models = [HealthyModel(np.full((7, 23), float(k)), np.ones(23)) for k in range(4)]
    det.model = models[-1]
    det._models = [(-math.inf, models[0]), (100.0, models[1]), (100.0, models[2]), (250.0, models[3])]
    ts = np.array([-5.0, 99.9, 100.0, 180.0, 250.0, 1e6, np.nan])
    assert [id(m) for m in det.models_at(ts)] == [id(det.model_at(float(t))) for t in ts]
    det._models = [(300.0, models[0]), (100.0, models[1])]  # not in time order: the scan itself
    assert [id(m) for m in det.models_at(ts)] == [id(det.model_at(float(t))) for t in ts]


def test_predict_in_place_is_the_sum_of_products() -> None:
    rng = np.random.default_rng(0)
    coef = rng.normal(0, 3, (7, 23))
    coef[:, 4] = np.nan
    model = HealthyModel(coef, np.ones(23))
    for shape in ((7,), (300, 7), (20, 16, 7)):
        f = rng.normal(0, 2, shape)
        f[rng.random(shape) < 0.05] = np.nan
        want = f[..., 0, None] * coef[0]
        for k in range(1, 7):
            want = want + f[..., k, None] * coef[k]
        assert model.predict(f).tobytes() == want.tobytes()


def test_rows_union_is_union1d() -> None:
    from heatwatch.edge.pipeline import _rows_union

    rng = np.random.default_rng(8)
    for n in (1, 2, 17, 2016, 8640):
        for _ in range(20):
            parts = [np.unique(rng.integers(0, n, rng.integers(0, n + 1))) for _ in range(2)]
            extra = rng.integers(0, n, rng.integers(0, 3)).astype(np.int64)  # trips, a verdict: unsorted, repeated
            want = np.union1d(np.union1d(*parts), extra)
            got = _rows_union(n, *parts, extra)
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
    assert _rows_union(5, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)).tolist() == []


def test_hits_by_row_are_the_hit_by_hit_lists() -> None:
    from heatwatch.edge.pipeline import _hits_by_row, _hits_by_row_reference

    rng = np.random.default_rng(12)
    rules = [object() for _ in range(9)]
    for n, p, dtype in ((0, 0.5, np.int64), (1, 0.5, np.int64), (400, 0.05, np.int64), (2000, 0.6, np.int64),
                        (300, 0.3, np.float64)):
        match = rng.random((n, len(rules))) < p
        if n:
            match[::7] = match[n // 2]  # a fault matching the same rules row after row
        sup = rng.integers(0, 4, (n, len(rules))).astype(dtype)
        at, hits = _hits_by_row(match, sup, rules)
        want_at, want = _hits_by_row_reference(match, sup, rules)
        assert at.tolist() == want_at.tolist()
        assert [[(rules.index(r), m, type(m)) for r, m in h] for h in hits] == \
            [[(rules.index(r), m, type(m)) for r, m in h] for h in want]
        assert all(a is b for h, w in zip(hits, want) for (a, _), (b, _) in zip(h, w))
