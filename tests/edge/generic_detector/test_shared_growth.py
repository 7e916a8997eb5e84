"""Beyond the drivers' range, two columns that move together get the same extrapolation allowance (given.py).

What the drivers leave of a condensing temperature and its pressure is one unexplained process read
twice (their training residuals correlate ~0.9). Measured one column at a time, the growth of the
expectation's error beyond the range (kappa, ``DriverModel._edges``) can come out for one and not the
other; then, far beyond the range, one is shrunk and its partner is not, and the MEWMA reads their
common miss as a broken correlation for days (the weather bench's fresh33 hp-003, 24-h view 12-16 K
below its training range: t_cond 0.27 of its sigma per kelvin, p_high 0; 380 of 1104 healthy hours
flagged, 46 with the growth shared). With ``shared_kappa`` (opt-in: `heatwatch detect --shared-growth`)
each column's growth is at least each partner's times their residuals' correlation; a column that moves
with none keeps its own.
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector
from heatwatch.edge.generic_detector.given import DriverModel


def _pair(seed: int, n: int = 1300, tie: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """An air (5-21) and three columns: a response that bends toward the cold edge, a partner tied to
    its unexplained part (correlation ``tie``) whose own response is straight, and an independent one."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(5.0, 21.0, n)
    u = rng.normal(0.0, 0.5, n)  # what the drivers do not explain, shared by the pair
    bending = 2.0 * x + 0.3 * np.maximum(0.0, 9.0 - x) ** 2 + u
    partner = -1.0 * x + tie * u + np.sqrt(1.0 - tie**2) * rng.normal(0.0, 0.5, n)
    alone = 0.5 * x + rng.normal(0.0, 0.5, n)
    return x[:, None], np.column_stack([bending, partner, alone])


def _kz(m: DriverModel) -> np.ndarray:
    return np.asarray(m.edges[0]["kappa"]) / m.sigma  # (2, F) growth in each column's own sigma


def test_a_partner_gets_the_growth_its_correlation_carries() -> None:
    for seed in range(3):
        D, Y = _pair(seed)
        kz = _kz(DriverModel(shared_kappa=True).fit(D, Y))
        own = _kz(DriverModel().fit(D, Y))  # main and the default: each column on its own
        assert own[0, 0] > 0.3 and own[0, 1] < 0.1  # the cold side bends for one of the pair only
        rho = abs(np.corrcoef((Y[:, 0] - 2.0 * D[:, 0] - 0.3 * np.maximum(0.0, 9.0 - D[:, 0]) ** 2),
                              Y[:, 1] + D[:, 0])[0, 1])
        assert kz[0, 1] >= 0.8 * rho * kz[0, 0]
        assert kz[0, 0] == own[0, 0]  # the larger growth is kept as measured


def test_beyond_the_range_the_pair_is_shrunk_alike() -> None:
    """Far below the range (10-15 K) the pair's common miss, as the MEWMA sees it: on main the partner
    is judged in full while the bending column is shrunk, a contrast of several sigma."""
    for seed in range(3):
        D, Y = _pair(seed)
        m = DriverModel(shared_kappa=True).fit(D, Y)
        Dj = np.array([[-10.0], [-5.0]])
        s = m.shrink(Dj)
        assert np.all(s[:, 1] < 0.5)  # main: 1.0 (no growth measured for the partner)
        assert np.allclose(s[:, 1] / s[:, 0], 1.0, atol=0.35)


def test_a_column_that_moves_with_none_keeps_its_own_growth() -> None:
    for seed in range(3):
        D, Y = _pair(seed)
        kz = _kz(DriverModel(shared_kappa=True).fit(D, Y))
        own = _kz(DriverModel().fit(D, Y))
        assert kz[0, 2] <= own[0, 2] + 0.1 * kz[0, 0]  # its residuals' correlation with the pair is ~0
        Dj = np.array([[-10.0], [-5.0]])
        Yj = np.column_stack([np.zeros(2), np.zeros(2), 0.5 * Dj[:, 0] + 3.0])  # a 6-sigma shift on it
        now = DriverModel(shared_kappa=True).fit(D, Y).residuals(Dj, Yj)[:, 2]
        main = DriverModel().fit(D, Y).residuals(Dj, Yj)[:, 2]
        assert np.all(now >= 0.9 * main)  # judged as before


def test_the_shared_growth_survives_state() -> None:
    D, Y = _pair(1, n=600)
    m = DriverModel(shared_kappa=True).fit(D, Y)
    back = DriverModel()
    back.load_state(m.state())
    Dj = np.array([[-10.0], [30.0]])
    assert np.allclose(back.extrapolation_se(Dj), m.extrapolation_se(Dj))


def test_the_detector_passes_the_option_to_its_driver_models() -> None:
    assert AdaptiveDetector(adapt=AdaptConfig(shared_growth=True), given=[0])._new_driver_model().shared_kappa
    assert not AdaptiveDetector(adapt=AdaptConfig(), given=[0])._new_driver_model().shared_kappa
