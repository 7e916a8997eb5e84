"""compression_loss's floor follows the pump's discharge headroom (edge/heatpump/compressor_efficiency.py).

An R32 pump whose cold hours run the discharge a few kelvin below its 115 °C trip trips on a loss
of 4-9 %, below the 5 % floor a loss had to pass to count. The loss that takes the discharge to
the trip on the pump's own hours is (T_trip - T_s)/(healthy rise) - 1; half of it is the floor.
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.heatpump import compressor_efficiency as ce
from heatwatch.refrigerant import ISENTROPIC_EXPONENT
from heatwatch.units import DAY

K = ISENTROPIC_EXPONENT["R32"]


def _run(c: float, *, worn_from: float = np.inf, wear: float = 0.0, drift_from: float = np.inf,
         drift_k: float = 0.0) -> ce.CompressorEfficiency:
    """Four days of cold running, a minute apart: two learned over 30-37 bar and 40-80 Hz, then inside
    that (a 36/4 bar lift at -15 °C suction); the discharge rise c times the isentropic one, (1 + wear)
    after worn_from, + drift_k read after drift_from."""
    rng = np.random.default_rng(5)
    comp = ce.CompressorEfficiency("R32", 2 * DAY)
    for ts in np.arange(0.0, 4 * DAY, 60.0):
        learning = ts < 2 * DAY
        p_h = rng.uniform(30.0, 37.0) if learning else 36.0 + rng.normal(0, 0.3)
        hz = rng.uniform(40.0, 80.0) if learning else 60.0 + rng.normal(0, 3)
        p_l, t_s = 4.0 + rng.normal(0, 0.05), -15.0 + rng.normal(0, 0.3)
        rise = (t_s + 273.15) * ((p_h / p_l) ** ((K - 1) / K) - 1)
        t_d = t_s + c * rise * (1 + (wear if ts >= worn_from else 0.0)) + rng.normal(0, 0.3)
        t_d += drift_k if ts >= drift_from else 0.0
        comp.step(float(ts), t_s, t_d, p_h, p_l, hz, 0.3 * hz)
    return comp


def _loss_level(comp: ce.CompressorEfficiency) -> float:
    return comp.shifts()["compression_loss"].level


def test_a_loss_that_would_eat_a_small_headroom_counts() -> None:
    """Discharge near 108 °C (a loss of ~6 % trips it): a 3.5 % loss reaches the alarm (it was 0.7 of it)."""
    hot = _run(0.896, worn_from=3 * DAY, wear=0.035)
    assert _loss_level(hot) >= 1.0, _loss_level(hot)
    assert 0.04 < hot.headroom < 0.08, hot.headroom
    assert hot.alarm_loss() < 0.04


def test_a_pump_with_room_keeps_the_five_percent_floor() -> None:
    """Discharge near 88 °C (a loss of ~27 % trips it): the same 3.5 % loss stays below the alarm."""
    cool = _run(0.75, worn_from=3 * DAY, wear=0.035)
    assert cool.headroom > 0.15
    assert cool.alarm_loss() == ce.MIN_REL_SHIFT[0]
    assert 0.5 < _loss_level(cool) < 1.0


def test_a_drifting_discharge_thermistor_does_not_shrink_the_headroom() -> None:
    """A thermistor reading 3 K high shifts the measure, which the healthy rise divides out again."""
    clean, drifting = _run(0.896), _run(0.896, drift_from=3 * DAY, drift_k=3.0)
    assert abs(drifting.headroom - clean.headroom) < 0.005, (clean.headroom, drifting.headroom)
    assert _loss_level(drifting) < 1.0
