"""Beyond a driver's training range the expectation's error is measured, not assumed straight (given.py).

The weather bench's Milan pump, trained on 5.5-21 °C, read 5 K off on its
suction at 0 °C through a straight extrapolation (10 sigma): its response
bends toward the frost line, and it had begun to bend inside the training
rows. Refitting without the outer tenth of the range and predicting it
shows how fast the shape goes wrong; that growth is carried beyond the range.
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.generic_detector.given import DriverModel


def _rows(seed: int, lo: float, hi: float, n: int, bend: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(lo, hi, n)
    y = 2.0 * x + bend * np.maximum(0.0, 9.0 - x) ** 2 + rng.normal(0.0, 0.5, n)
    return x[:, None], y[:, None]


def test_a_response_that_bends_toward_the_edge_is_not_judged_by_its_straight_extrapolation() -> None:
    for seed in range(3):
        D, Y = _rows(seed, 5.0, 21.0, 1300, bend=0.3)
        m = DriverModel().fit(D, Y)
        Dj, Yj = _rows(100 + seed, -1.0, 2.0, 200, bend=0.3)  # 3-6 K beyond the coldest training row
        raw = (Yj - m.expected(Dj))[:, 0] / m.sigma[0]
        shrunk = m.residuals(Dj, Yj)[:, 0] / m.sigma[0]
        assert np.median(np.abs(raw)) > 10.0  # main: scored as ~10-20 sigma (its shrinkage only counts the slope's error)
        assert np.median(np.abs(shrunk)) < 1.5
        assert np.asarray(m.edges[0]["kappa"])[0, 0] > 0.5  # the cold side bends; the warm side does not
        assert np.asarray(m.edges[0]["kappa"])[1, 0] < 0.1


def test_a_straight_response_keeps_its_sensitivity_beyond_the_range() -> None:
    for seed in range(3):
        D, Y = _rows(seed, 5.0, 21.0, 1300, bend=0.0)
        m = DriverModel().fit(D, Y)
        Dj = np.array([[0.0], [2.0]])
        assert np.all(m.extrapolation_se(Dj)[:, 0] < 0.3 * m.sigma[0])
        Yj = 2.0 * Dj + 3.0  # a 6-sigma shift 3-5 K beyond the range
        now = m.residuals(Dj, Yj)[:, 0]
        m.edges = []  # the model without the allowance (main)
        assert np.all(now >= 0.95 * m.residuals(Dj, Yj)[:, 0])
        assert np.all(now / m.sigma[0] > 3.0)


def test_the_allowance_survives_state() -> None:
    D, Y = _rows(1, 5.0, 21.0, 600, bend=0.3)
    m = DriverModel().fit(D, Y)
    back = DriverModel()
    back.load_state(m.state())
    Dj = np.array([[0.0], [30.0]])
    assert np.allclose(back.extrapolation_se(Dj), m.extrapolation_se(Dj))
