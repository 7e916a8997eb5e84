"""Readings -> telemetry intervals -> the outbox."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heatwatch.edge.aggregate import TelemetryAggregator
from heatwatch.edge.outbox import Outbox
from heatwatch.channels import CHANNEL_NAMES, DERIVED_NAMES, INDEX
from heatwatch.contract import Telemetry


def reading(t_flow: float, p_high: float = 20.0) -> np.ndarray:
    v = np.full(len(CHANNEL_NAMES), 1.0)
    v[INDEX["t_flow"]] = t_flow
    v[INDEX["p_high"]] = p_high
    return v


def derived(**values: float) -> np.ndarray:
    d = np.full(len(DERIVED_NAMES), np.nan)
    for name, v in values.items():
        d[DERIVED_NAMES.index(name)] = v
    return d


def test_intervals_on_reading_time_with_nan_excluded_and_health_max(tmp_path):
    agg = TelemetryAggregator("hp-1", interval=60.0)
    # simulated time: 5 s readings, starting mid-interval; wall time plays no part
    assert agg.add(1_000_030.0, reading(40.0), derived(superheat=5.0), score=0.2) is None
    assert agg.add(1_000_035.0, reading(44.0, p_high=float("nan")), derived(superheat=7.0), score=0.9) is None
    assert agg.add(1_000_040.0, reading(42.0, p_high=float("inf")), derived(cop=float("inf")), score=0.1) is None
    body = agg.add(1_000_085.0, reading(50.0), score=0.0)  # first reading of the next interval
    assert body is not None
    t = Telemetry.model_validate(dict(body, seq=0))
    assert (t.ts_start, t.ts_end, t.n, t.health) == (1_000_020.0, 1_000_080.0, 3, 0.9)  # aligned to 60 s
    tf = t.channels["t_flow"]
    assert (tf.mean, tf.min, tf.max, tf.n) == (42.0, 40.0, 44.0, 3)
    ph = t.channels["p_high"]
    assert (ph.mean, ph.n) == (20.0, 1)  # NaN and inf are missing, not values
    assert t.channels["superheat"].mean == 6.0 and t.channels["superheat"].n == 2
    assert "cop" not in t.channels  # derived channels nobody supplied stay off the wire
    assert agg.counters.non_finite == 2

    last = agg.flush()
    assert last is not None and last["n"] == 1 and last["channels"]["t_flow"]["mean"] == 50.0
    assert agg.flush() is None

    ob = Outbox(tmp_path / "o.db")
    assert [ob.put_telemetry(body), ob.put_telemetry(last)] == [0, 1]


def test_bad_readings_are_counted_not_raised():
    agg = TelemetryAggregator("hp-1", interval=60.0)
    assert agg.add(120.0, reading(1.0)) is None
    assert agg.add(130.0, [1.0, 2.0]) is None  # wrong vector length
    assert agg.add(130.0, reading(1.0), [1.0, 2.0]) is None  # wrong derived vector length
    assert agg.add(125.0, reading(3.0), score=float("nan")) is None
    assert (agg.counters.rejected, agg.counters.readings) == (2, 2)
    body = agg.flush()
    assert body["channels"]["t_flow"]["mean"] == 2.0 and body["health"] is None
    all_nan = TelemetryAggregator("hp-1")
    all_nan.add(0.0, np.full(len(CHANNEL_NAMES), np.nan))
    empty = all_nan.flush()
    assert empty["n"] == 1 and empty["channels"]["t_flow"] == {"n": 0}
    with pytest.raises(ValueError, match="interval"):
        TelemetryAggregator("hp-1", interval=0)
    assert not math.isnan(body["ts_start"])
