"""medians.py gives np.nanmedian's and robust_sigma's digits, bit for bit (the sign of a zero too),
on the columns a fit takes its medians of and on the awkward ones: NaN, all NaN, inf, ties of
0.0 and -0.0, huge values, either side of nanmedian's 600-row switch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from heatwatch.edge.heatpump import compressor_efficiency, fleet_prior, healthy_model, persistent_shift
from heatwatch.edge.heatpump.healthy_model import robust_sigma
from heatwatch.edge.heatpump.medians import median_1d, nanmedian_columns, robust_sigma_1d

# The columns are awkward on purpose (all NaN, inf - inf, values near the largest float): numpy's own
# medians warn on them as the helpers do; the digits are what is compared.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

ROWS = (1, 2, 3, 4, 7, 298, 299, 599, 600, 601, 1001, 2016)


def _bits(x) -> np.ndarray:
    """Bit patterns, every NaN as one."""
    a = np.array(x, dtype=np.float64).reshape(-1)
    return np.where(np.isnan(a), -1, a.view(np.int64))


def _column(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    x = rng.normal(0.0, 10.0 ** rng.uniform(-8, 8), n)
    if kind == "rounded":  # many ties, zeros of both signs among them
        x = np.round(rng.normal(0.0, 2.0, n))
        x[rng.random(n) < 0.5] *= -1.0
    elif kind == "zeros":
        x = rng.choice([0.0, -0.0, 1.5, -2.5], n, p=[0.4, 0.4, 0.1, 0.1])
    elif kind == "inf":
        x[rng.random(n) < 0.3] = rng.choice([np.inf, -np.inf])
    elif kind == "huge":
        x = rng.choice([1.7e308, -1.7e308, 1.0], n, p=[0.45, 0.1, 0.45])
    if kind != "all_nan":
        x[rng.random(n) < rng.choice([0.0, 0.1, 0.6])] = np.nan
    else:
        x[:] = np.nan
    return x


KINDS = ("normal", "rounded", "zeros", "inf", "huge", "all_nan")


@pytest.mark.parametrize("n", ROWS)
def test_nanmedian_columns_is_nanmedians_digits(n: int) -> None:
    rng = np.random.default_rng(n)
    for _ in range(40):
        A = np.column_stack([_column(rng, n, k) for k in rng.choice(KINDS, 5)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = np.nanmedian(A, axis=0)
        np.testing.assert_array_equal(_bits(nanmedian_columns(A)), _bits(want))


@pytest.mark.parametrize("n", ROWS)
def test_robust_sigma_1d_is_robust_sigmas_digits(n: int) -> None:
    rng = np.random.default_rng(100 + n)
    for kind in KINDS * 8:
        x = _column(rng, n, kind)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = robust_sigma(x)
        assert _bits(robust_sigma_1d(x)) == _bits(want), (kind, robust_sigma_1d(x), want)


@pytest.mark.parametrize("n", (0,) + ROWS)
def test_median_1d_is_np_medians_value(n: int) -> None:
    """np.median's value, bit for bit but for a zero's sign (its callers read it through abs, a
    square or |v - median|); with NaN, NaN."""
    rng = np.random.default_rng(200 + n)
    for kind in KINDS * 8:
        x = _column(rng, n, kind)
        if kind == "normal":
            x = x[~np.isnan(x)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = float(np.median(x))
        got = median_1d(x)
        assert _bits(abs(got)) == _bits(abs(want)) and (got == want or got != got), (kind, got, want)


def _nanmedian(A: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(A, axis=0)


def test_the_fit_the_alarm_and_the_admission_are_what_numpys_medians_made(monkeypatch) -> None:
    """A commissioning window's fit, alarm levels, growth and disagreement with a fleet, bit for
    bit what they were with np.nanmedian (the callers' old medians, patched back in)."""
    rng = np.random.default_rng(5)
    n, n_t = 1500, len(healthy_model.TARGET_NAMES)
    T = np.cumsum(rng.uniform(50.0, 400.0, n))
    F = np.column_stack([np.ones(n), rng.normal(0, 1, (n, 5)), (rng.random(n) < 0.2).astype(float)])
    Y = F @ rng.normal(0, 3, (F.shape[1], n_t)) + rng.standard_t(3, (n, n_t)) * rng.uniform(0.01, 2, n_t)
    Y[rng.random((n, n_t)) < 0.05] = np.nan
    Y[:, 3] = np.round(Y[:, 3])  # ties
    Y[:, 5] = np.nan  # a channel the pump does not report
    fleet = fleet_prior.FleetJudge.__new__(fleet_prior.FleetJudge)
    fleet.envelope, fleet.model = None, healthy_model.HealthyModel(rng.normal(0, 3, (F.shape[1], n_t)), np.ones(n_t))

    def run():
        model, eq = healthy_model.fit_equations(F, Y)
        alarm = persistent_shift.calibrate_alarm(T, Y - model.predict(F), 6 * 3600.0, 5.0, healthy_model.MIN_SHIFT)
        return [model.coef, model.residual_scale, eq.gram, eq.moment, alarm, fleet_prior.growth_through(T, F, Y),
                fleet._offset(model, F)]

    new = run()
    monkeypatch.setattr(healthy_model, "robust_sigma_1d", robust_sigma)
    monkeypatch.setattr(persistent_shift, "nanmedian_columns", _nanmedian)
    monkeypatch.setattr(fleet_prior, "nanmedian_columns", _nanmedian)
    for a, b in zip(new, run(), strict=True):
        np.testing.assert_array_equal(_bits(a), _bits(b))


def test_the_compressors_block_fit_is_what_np_median_made(monkeypatch) -> None:
    """compressor_efficiency.fit_blocks (every refit of the compressor's reference) bit for bit
    what it was with np.median, on blocks with ties, glitches and NaN."""
    rng = np.random.default_rng(9)
    cases = []
    for n in (3, 4, 5, 8, 31, 64, 200):
        B = np.column_stack([rng.normal(1.0, 0.2, n), rng.uniform(0.3, 1.2, n), rng.normal(0.9, 0.05, n)])
        if n > 5:
            B[rng.integers(0, n), 2] *= 3.0  # a glitch
            B[: n // 3, 2] = np.round(B[: n // 3, 2], 1)  # ties
        cases.append(B)
    cases.append(np.where(rng.random((10, 3)) < 0.1, np.nan, rng.normal(1.0, 0.1, (10, 3))))

    def run():
        return [compressor_efficiency.fit_blocks(B, 0.3) for B in cases]

    new = run()
    monkeypatch.setattr(compressor_efficiency, "median_1d", lambda x: float(np.median(x)))
    for a, b in zip(new, run(), strict=True):
        for u, v in zip(a, b, strict=True):
            np.testing.assert_array_equal(_bits(u), _bits(v))
