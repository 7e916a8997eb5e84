"""The design day's discharge headroom (edge/heatpump/design_headroom.py, compressor_efficiency.py).

A cold R32 pump whose coldest days so far (-14 °C) leave its discharge 10 % of loss from the trip
is, on its design day (-24 °C: a colder evaporator, a higher pressure ratio), at the trip when
healthy: a 3.5 % loss, half the seen headroom's floor short, trips it there. The line along the
blocks' least loss-to-trip against the outdoor temperature, predicted at the design temperature,
names it; a design day no colder than the days seen changes nothing, and a healthy pump stays quiet.
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.edge.heatpump import compressor_efficiency as ce
from heatwatch.refrigerant import ISENTROPIC_EXPONENT
from heatwatch.units import DAY

K = ISENTROPIC_EXPONENT["R32"]


def _reading(rng: np.random.Generator, t_out: float, c: float, wear: float) -> tuple[float, ...]:
    """A steady reading at this outdoor temperature: the evaporator 10 K under it, a 33 bar condenser."""
    p_l = 4.0 * math.exp(0.04 * (t_out + 10.0)) + rng.normal(0, 0.03)
    p_h = 33.0 + rng.normal(0, 0.3)
    t_s = t_out - 8.0 + rng.normal(0, 0.3)
    hz = 60.0 - 2.0 * (t_out + 10.0) + rng.normal(0, 2)
    rise = (t_s + 273.15) * ((p_h / p_l) ** ((K - 1) / K) - 1)
    t_d = t_s + c * rise * (1 + wear) + rng.normal(0, 0.3)
    return t_s, t_d, p_h, p_l, hz, 0.3 * hz, t_out


def _run(design_c: float | None, wear: float = 0.0, days: float = 8.0) -> ce.CompressorEfficiency:
    """Days of -4..-14 °C a minute apart (a daily swing), learned over the first two; ``wear`` from day 6."""
    rng = np.random.default_rng(11)
    comp = ce.CompressorEfficiency("R32", 2 * DAY, design_c)
    for ts in np.arange(0.0, days * DAY, 60.0):
        t_out = -9.0 + 5.0 * math.sin(2 * math.pi * ts / DAY)
        comp.step(float(ts), *_reading(rng, t_out, 0.9, wear if ts >= 6 * DAY else 0.0))
    return comp


def _levels(comp: ce.CompressorEfficiency) -> dict[str, float]:
    return {name: s.level for name, s in comp.shifts().items()}


def test_a_loss_the_design_day_cannot_take_is_named() -> None:
    without, design = _run(None, 0.035), _run(-24.0, 0.035)
    assert without.headroom > 0.08  # the days seen: a 10 % loss to the trip, the floor 5 %
    assert _levels(without)["compression_loss"] < 1.0
    assert "design_discharge" not in _levels(without)
    pred, sd, slope = design.design.fit  # type: ignore[misc]
    assert abs(pred) < 0.03 and sd < 0.01 and slope > 0.005, design.design.fit  # at the trip on the design day
    assert design.judged_alarm_loss() == ce.MIN_HEADROOM_FLOOR
    lv = _levels(design)
    assert lv["compression_loss"] >= 1.0 and lv["design_discharge"] >= 1.0, lv


def test_a_design_day_no_colder_than_the_days_seen_changes_nothing() -> None:
    mild, without = _run(-8.0, 0.035), _run(None, 0.035)
    assert mild.judged_alarm_loss() == without.alarm_loss() == mild.alarm_loss()
    lv = _levels(mild)
    assert lv["compression_loss"] == _levels(without)["compression_loss"] < 1.0
    assert lv["design_discharge"] < 1.0


def test_a_healthy_pump_near_its_design_limit_stays_quiet() -> None:
    lv = _levels(_run(-24.0))
    assert abs(lv["compression_loss"]) < 0.5 and abs(lv["design_discharge"]) < 0.5, lv


def test_the_design_day_survives_a_restart() -> None:
    comp = _run(-24.0, 0.035)
    again = ce.CompressorEfficiency("R32", 2 * DAY, -24.0)
    again.load_state(comp.state())
    assert again.design.upper == comp.design.upper and again.judged_alarm_loss() == comp.judged_alarm_loss()
