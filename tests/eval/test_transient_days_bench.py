"""bench/transient_days.py: a fleet pump's steady worst, excursion and excess per day before its trip."""

import sys
from pathlib import Path

import numpy as np

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.units import DAY, HOUR

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import transient_days  # noqa: E402


def _pump(excursion: float, days: int = 6) -> dict:
    """A fleet pump as ``prognosis_fleets.py collect`` keeps it: steady discharge at 70 °C, once a day
    a passing reading ``excursion`` above it, the trip at the end."""
    j = TARGET_NAMES.index("t_discharge")
    tr = PrognosisTracker()
    for ts in np.arange(0.0, days * DAY, 300.0):
        residual = np.zeros(len(TARGET_NAMES))
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[j] = 70.0
        tr.update(float(ts), residual, observed)
        tr.update_peak(float(ts), observed)
        if ts % DAY == 6 * HOUR:  # a defrost's end
            spike = observed.copy()
            spike[j] += excursion
            tr.update_peak(float(ts) + 60.0, spike)
    return {"hours": [(t, m.tolist(), hi.tolist(), lo.tolist()) for t, m, hi, lo in tr._hours],
            "peaks": [(t, hi.tolist(), lo.tolist()) for t, hi, lo in tr._peaks], "trip_ts": days * DAY}


def test_each_day_carries_its_excursion_over_the_steady_worst():
    left, base, x, excess = transient_days.pump_days(_pump(12.0), "t_discharge")
    assert len(left) >= 4
    assert np.all(left > 0) and np.all(np.diff(left) < 0)  # days before the trip, nearest last
    assert np.allclose(base, 70.0) and np.allclose(excess, 0.0)
    assert np.allclose(x, 12.0)


def test_no_excursion_reads_zero():
    _, _, x, _ = transient_days.pump_days(_pump(0.0), "t_discharge")
    assert np.allclose(x, 0.0)
