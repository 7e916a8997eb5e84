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


def _envelope_by_hand(pts: list[tuple[float, float]], at: float, trims: int) -> tuple[float, float, float]:
    """The envelope line as written out in numpy: least squares, slope not negative, refitted on the
    points at or below it while 3 or more are."""
    P = np.array(pts)
    for trim in range(trims + 1):
        x, y = P[:, 0], P[:, 1]
        xm, ym = x.mean(), y.mean()
        sxx = float(((x - xm) ** 2).sum())
        slope = max(float(((x - xm) * (y - ym)).sum()) / sxx, 0.0) if sxx > 0 else 0.0
        below = P[y - ym - slope * (x - xm) <= 0.0]
        if trim == trims or len(below) < 3:
            break
        P = below
    x, y = P[:, 0], P[:, 1]
    s2 = float(((y - ym - slope * (x - xm)) ** 2).sum()) / max(len(P) - 2, 1)
    sd = math.sqrt(s2 * (1 + 1 / len(P) + ((at - xm) ** 2 / sxx if sxx > 0 else 0.0)))
    return ym + slope * (at - xm), sd, slope


def test_the_compiled_envelope_line_is_the_line_written_out() -> None:
    from heatwatch.edge.heatpump.batch_kernels import envelope_line

    rng = np.random.default_rng(4)
    for n in (8, 30, 120):
        t = rng.uniform(-20.0, 10.0, n)
        least = 0.02 + 0.006 * (t + 20.0) + rng.exponential(0.05, n)  # the hot hours' envelope and mild blocks
        got = envelope_line(t, least, -24.0, 2)
        np.testing.assert_allclose(got, _envelope_by_hand(list(zip(t, least)), -24.0, 2), rtol=1e-9, atol=1e-12)
        # it found the envelope: falling into the cold, under the points' mean line there (-0.004 + 0.05)
        assert got[2] > 0.003 and got[0] < 0.046
    flat = envelope_line(np.zeros(10), np.linspace(0.1, 0.2, 10), -24.0, 2)  # one temperature: no slope
    assert flat[2] == 0.0 and math.isfinite(flat[1])


def test_the_last_thirty_days_of_blocks_are_kept_in_order_across_a_restart() -> None:
    from heatwatch.edge.heatpump.design_headroom import MAX_BLOCKS, DesignHeadroom

    d = DesignHeadroom(115.0, -24.0, 6 * 3600.0, 300.0, 8.0)
    for b in range(MAX_BLOCKS + 10):
        d._push(-float(b % 20), 0.01 * b)
    d._refit()
    assert len(d.blocks) == MAX_BLOCKS and d.blocks[0] == (-10.0, 0.1) and d.blocks[-1][1] == 0.01 * (MAX_BLOCKS + 9)
    again = DesignHeadroom(115.0, -24.0, 6 * 3600.0, 300.0, 8.0)
    again.load_state(d.state())
    assert again.blocks == d.blocks and again.upper == d.upper and math.isfinite(d.upper)
