"""The compressor's efficiency reference outside what its baseline saw.

A pump commissioned in mild weather runs at its lowest frequency and a low pressure ratio;
on the first cold day it runs three times faster. Its baseline cannot say how the measures
move with frequency, so a slope learned from those days must not be extrapolated as if it
were known: the prediction's uncertainty grows with the distance (and is judged with it),
and the healthy cold days are learned (the envelope grows).
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.edge.heatpump import compressor_efficiency as ce
from heatwatch.refrigerant import ISENTROPIC_EXPONENT
from heatwatch.units import DAY

K = ISENTROPIC_EXPONENT["R32"]


def reading(rng, hz: float, p_l: float, p_h: float, lag: float = 0.0, wear: float = 0.0) -> tuple[float, ...]:
    """(t_s, t_d, p_h, p_l, hz, amps) of a compressor whose true efficiency does not depend on the
    operating point; the discharge thermistor reads 1.5 K low (its own offset, or the line's heat
    loss: over a small rise a larger share) and ``lag`` K lower still while the discharge line
    warms through after the frequency rose: the kind of quirks mild days teach."""
    t_s = 5.0 + rng.normal(0, 0.2)
    grow = (p_h / p_l) ** ((K - 1) / K)
    rise = (t_s + 273.15) * (grow - 1.0)
    t_d = t_s + 0.95 * (1 + wear) * rise - 1.5 - lag + rng.normal(0, 0.4)
    amps = 0.1 * (1 + 0.5 * wear) * hz * p_l * (grow - 1.0) * (1 + rng.normal(0, 0.01))
    return t_s, t_d, p_h, p_l, hz, amps


def mild(rng, t):
    """October: the lowest frequency most of the time, a little more on cool evenings, in short
    runs whose discharge line has not warmed through."""
    cool = 0.5 + 0.5 * math.sin(2 * math.pi * t / DAY)
    hz = 20.0 if cool < 0.7 else 20.0 + 60.0 * (cool - 0.7)
    return hz, 9.5 - 1.0 * cool, 19.0 + 1.0 * cool, 0.15 * (hz - 20.0)


def cold(rng, t):
    """A cold spell: 55-65 Hz, a pressure ratio of four and more."""
    cool = 0.5 + 0.5 * math.sin(2 * math.pi * t / DAY)
    return 55.0 + 10.0 * cool, 6.0 - 0.5 * cool, 25.0 + 1.0 * cool, 0.0


def run(comp, rng, t0, days, where, wear=0.0, step=300.0):
    worst = 0.0
    t = t0
    while t < t0 + days * DAY:
        comp.step(t, *reading(rng, *where(rng, t), wear=wear))
        snap = comp.snapshot()
        if snap and t > t0 + ce.TAU_SECONDS:
            worst = max(worst, max(lv for _, lv, _, _ in snap))
        t += step
    return worst, t


def test_a_cold_spell_after_a_mild_commissioning_is_not_wear_and_is_learned():
    rng = np.random.default_rng(3)
    comp = ce.CompressorEfficiency("R32")
    _, t = run(comp, rng, 0.0, 10, mild)
    assert comp.ready
    refits = comp.refits
    worst, t = run(comp, rng, t, 10, cold)
    assert worst < 1.0, f"a healthy compressor in its first cold spell reached level {worst:.2f}"
    assert comp.refits > refits and comp.learned[0], "the cold days, judged healthy, are learned"
    # what was learned is now known: the uncertainty of a cold reading's prediction has shrunk
    v = np.array(comp.cov[0])
    x = np.array([1.0, math.log(25.5 / 5.75), 60.0 / 60.0])
    learned_sd = math.sqrt(x @ v @ x)
    fresh = ce.CompressorEfficiency("R32")
    run(fresh, np.random.default_rng(3), 0.0, 10, mild)
    assert learned_sd < 0.5 * math.sqrt(x @ np.array(fresh.cov[0]) @ x)


def test_wear_is_still_named_at_learned_operating_points():
    rng = np.random.default_rng(4)
    comp = ce.CompressorEfficiency("R32")
    _, t = run(comp, rng, 0.0, 10, mild)
    _, t = run(comp, rng, t, 10, cold)
    learned = len(comp.learned[0])
    # 8 % less efficient, in the same cold weather: the shift is judged, not learned away
    worst, t = run(comp, rng, t, 3, cold, wear=0.08)
    assert worst >= 1.0, f"an 8 % efficiency loss reached level {worst:.2f}"
    assert len(comp.learned[0]) == learned, "blocks inside the learned envelope are never learned"


def test_the_state_keeps_what_was_learned():
    rng = np.random.default_rng(5)
    comp = ce.CompressorEfficiency("R32")
    _, t = run(comp, rng, 0.0, 10, mild)
    _, t = run(comp, rng, t, 4, cold)
    again = ce.CompressorEfficiency("R32")
    again.load_state(comp.state())
    assert again.learned == comp.learned and again.refits == comp.refits
    for a, b in zip(again.cov, comp.cov):
        np.testing.assert_allclose(a, b)
    r1, r2 = np.random.default_rng(6), np.random.default_rng(6)
    for k in range(200):
        x1, x2 = reading(r1, *cold(r1, t + k * 300)), reading(r2, *cold(r2, t + k * 300))
        comp.step(t + k * 300, *x1)
        again.step(t + k * 300, *x2)
    assert comp.snapshot() == again.snapshot()
