"""bench/evap_index_trace.py: the per-day helpers behind the fouling index's trace."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import evap_index_trace as trace  # noqa: E402

from heatwatch.edge.heatpump.prognosis_evap_chain import daily_fouling  # noqa: E402
from heatwatch.units import DAY, HOUR  # noqa: E402


def test_daily_means_groups_by_utc_day_and_honours_the_mask():
    ts = np.array([0.0, HOUR, DAY + HOUR, DAY + 2 * HOUR, 3 * DAY])
    x = np.array([1.0, 3.0, 10.0, np.nan, 7.0])
    mask = np.array([True, True, True, True, False])
    assert trace.daily_means(ts, x) == {0: 2.0, 1: 10.0, 3: 7.0}
    assert trace.daily_means(ts, x, mask) == {0: 2.0, 1: 10.0}
    with pytest.raises(ValueError, match="shape"):
        trace.daily_means(ts, x[:3])


def test_approach_factor_frost_alone_and_fouling_widen_the_approach():
    assert trace.approach_factor(0.0, 0.0) == pytest.approx(1.0)
    assert trace.approach_factor(0.0, 1.0) == pytest.approx(1.35)
    sev = np.linspace(0.0, 1.0, 11)
    f = trace.approach_factor(sev, np.full_like(sev, 0.5))
    assert np.all(np.diff(f) > 0)


def test_daily_index_parts_gives_daily_fouling_its_c():
    rng = np.random.default_rng(3)
    t = np.arange(5 * 24) * HOUR + 0.5 * HOUR
    n, ch = len(t), 3
    M = rng.normal(0.5, 0.3, (n, ch))
    healthy = rng.uniform(0.5, 7.0, n)  # some hours under MIN_APPROACH_K, left out by both
    HI = M + healthy[:, None] + 1.0
    LO = M + healthy[:, None] - 1.0
    M[:, 1] = M[:, 1] + np.where(t // DAY == 2, 2.0, 0.0)
    HI[:, 1], LO[:, 1] = M[:, 1] + healthy + 1.0, M[:, 1] + healthy - 1.0
    parts = trace.daily_index_parts((t, M, HI, LO), 1)
    _, c, by_day = daily_fouling((t, M, HI, LO), 1, t[-1])
    assert sorted(parts) == sorted(by_day)
    for d, (r, h, cd) in parts.items():
        assert cd == pytest.approx(by_day[d])
        assert cd == pytest.approx(r / h)
    assert parts[2][0] > parts[1][0] + 1.5  # the day with the excess reads it in kelvin
