"""This pump's own healthy behaviour: each monitored channel as a function of
the operating point, learned by ridge regression in the commissioning window.

Why linear in a few operating-point features: the relations that matter
(pressures, approaches, current, discharge temperature against outdoor
temperature, flow temperature and frequency) are smooth and nearly linear
over the heating envelope, a 7x7 solve fits on a Raspberry Pi, and it
extrapolates gently into colder weeks than the commissioning week saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heatwatch.edge.heatpump import batch_kernels
from heatwatch.edge.heatpump.batch_kernels import njit
from heatwatch.edge.heatpump.operating_point import FEATURE_NAMES
from heatwatch.edge.heatpump.medians import robust_sigma_1d


@dataclass(frozen=True)
class Target:
    """A monitored channel and the smallest drift of it that matters physically."""

    name: str
    min_shift: float  # in the channel's unit: below this no technician would act
    uses_frequency: bool = True  # compressor_hz cannot be explained by itself


# min_shift: sensor resolution x a few, and what a service manual calls a real change
TARGETS: tuple[Target, ...] = (
    Target("superheat", 1.5),
    Target("subcooling", 1.5),
    Target("t_discharge", 5.0),
    Target("discharge_superheat", 5.0),
    Target("p_low", 0.4),
    Target("p_high", 1.0),
    Target("evap_approach", 1.5),
    Target("cond_approach", 1.0),
    Target("compressor_a", 0.6),
    Target("power_w", 200.0),
    Target("eev_pct", 5.0),
    Target("fan_rpm", 60.0),
    Target("flow_lpm", 1.5),
    Target("delta_t", 1.0),
    Target("cop", 0.3),
    Target("compressor_hz", 8.0, uses_frequency=False),
    Target("t_suction", 1.5),
    Target("t_evap", 1.5),
    Target("t_cond", 1.5),
    Target("t_liquid", 1.5),
    Target("t_return", 1.5),
    Target("cond_sat_gap", 1.0),
    Target("evap_sat_gap", 1.0),
)
TARGET_NAMES: tuple[str, ...] = tuple(t.name for t in TARGETS)
MIN_SHIFT = np.array([t.min_shift for t in TARGETS])
_HZ_FEATURES = [i for i, f in enumerate(FEATURE_NAMES) if "hz" not in f]


@dataclass
class HealthyModel:
    """Coefficients (n_features, n_targets); ``predict`` gives expected values."""

    coef: np.ndarray
    residual_scale: np.ndarray  # robust sigma of the training residuals per target

    def predict(self, f: np.ndarray) -> np.ndarray:
        """Expected targets for feature rows (..., n_features) -> (..., n_targets): summed
        elementwise in a fixed order, so one reading and a replayed chunk get the same digits
        (a matrix product's blocking would not; the envelope's refits predict mid-chunk). A chunk's
        rows in one compiled pass (predict_rows: the same products and sums), else numpy's."""
        if batch_kernels.AVAILABLE and f.ndim == 2 and len(f) > 1 and f.dtype == np.float64 \
                and self.coef.dtype == np.float64:
            return predict_rows(f, self.coef)
        return self.predict_numpy(f)

    def predict_numpy(self, f: np.ndarray) -> np.ndarray:
        """``predict`` in numpy passes: the reference for predict_rows, and the path without numba."""
        out = f[..., 0, None] * self.coef[0]
        term = np.empty_like(out)  # each product and sum in place: the same operations, no new arrays
        for k in range(1, self.coef.shape[0]):
            np.multiply(f[..., k, None], self.coef[k], out=term)
            out += term
        return out

    def to_dict(self) -> dict:
        return {"coef": self.coef.tolist(), "residual_scale": self.residual_scale.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "HealthyModel":
        return cls(np.asarray(d["coef"], dtype=float), np.asarray(d["residual_scale"], dtype=float))


@njit(cache=True)
def predict_rows(F, coef):
    """HealthyModel.predict of rows F (n, n_f): per element the first product, then each next one
    added in feature order, as the numpy passes do (no fused multiply-add: numba's default), so the
    same digits; a NaN's sign may differ where both terms of a sum are NaN (the vectorized loop adds
    them in either order), as numpy's one-row and chunk passes differ there."""
    n, n_f = F.shape
    n_t = coef.shape[1]
    out = np.empty((n, n_t))
    for i in range(n):  # each element's products and sums in feature order; across targets independent
        f = F[i, 0]
        for j in range(n_t):
            out[i, j] = f * coef[0, j]
        for k in range(1, n_f):
            f = F[i, k]
            for j in range(n_t):
                out[i, j] = out[i, j] + f * coef[k, j]
    return out


def robust_sigma(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """1.4826 x median absolute deviation: sigma of the healthy bulk, not of the outliers."""
    med = np.nanmedian(x, axis=axis, keepdims=True)
    return 1.4826 * np.nanmedian(np.abs(x - med), axis=axis)


@dataclass
class NormalEquations:
    """Per target the weighted sums a ridge fit solves, in the full feature space (zeros where a
    target does not use a feature): gram (n_t, n_f, n_f), moment (n_t, n_f), rows (n_t). Sums of
    rows can be added to and scaled, so a model can be refitted without keeping its rows
    (heatpump/envelope.py)."""

    gram: np.ndarray
    moment: np.ndarray
    rows: np.ndarray
    residual_scale: np.ndarray

    def zeros_like(self) -> "NormalEquations":
        return NormalEquations(np.zeros_like(self.gram), np.zeros_like(self.moment), np.zeros_like(self.rows),
                               self.residual_scale)

    def add(self, F: np.ndarray, Y: np.ndarray) -> None:
        """Add rows (F without NaN) with weight one, per target where its value is known."""
        for j in range(len(TARGETS)):
            ok = ~np.isnan(Y[:, j])
            Fj = F[ok]
            self.gram[j] = self.gram[j] + Fj.T @ Fj
            self.moment[j] = self.moment[j] + Fj.T @ Y[ok, j]
            self.rows[j] = self.rows[j] + float(len(Fj))

    def scale(self, s: float) -> None:
        self.gram, self.moment, self.rows = self.gram * s, self.moment * s, self.rows * s

    def state(self) -> dict:
        return {"gram": self.gram.tolist(), "moment": self.moment.tolist(), "rows": self.rows.tolist(),
                "residual_scale": [None if v != v else float(v) for v in self.residual_scale]}

    @classmethod
    def from_state(cls, d: dict) -> "NormalEquations":
        return cls(np.asarray(d["gram"], dtype=float), np.asarray(d["moment"], dtype=float),
                   np.asarray(d["rows"], dtype=float),
                   np.array([np.nan if v is None else v for v in d["residual_scale"]], dtype=float))


def solve(base: NormalEquations, extra: NormalEquations, ridge: float = 1e-2) -> HealthyModel:
    """The ridge fit of base's rows and extra's together (``fit``'s coefficients for base alone).
    A target base does not monitor (no rows) stays unmonitored."""
    n_t, n_f = base.moment.shape
    coef = np.zeros((n_f, n_t))
    for j, target in enumerate(TARGETS):
        if base.rows[j] <= 0:
            coef[:, j] = np.nan
            continue
        cols = list(range(n_f)) if target.uses_frequency else _HZ_FEATURES
        ix = np.ix_(cols, cols)
        n = base.rows[j] + extra.rows[j]
        G = base.gram[j][ix] + extra.gram[j][ix] if extra.rows[j] > 0 else base.gram[j][ix]
        b = base.moment[j][cols] + extra.moment[j][cols] if extra.rows[j] > 0 else base.moment[j][cols]
        coef[cols, j] = np.linalg.solve(G + ridge * n * np.eye(len(cols)) * _ridge_mask(cols), b)
    return HealthyModel(coef, base.residual_scale)


def fit(F: np.ndarray, Y: np.ndarray, ridge: float = 1e-2) -> HealthyModel:
    """Ridge fit of every target on the features; NaN cells are left out per target.

    One robust reweighting pass: rows with residuals beyond 4 sigma (a sensor
    glitch in the commissioning week) get no say in the final fit.
    """
    return fit_equations(F, Y, ridge)[0]


def fit_equations(F: np.ndarray, Y: np.ndarray, ridge: float = 1e-2) -> tuple[HealthyModel, NormalEquations]:
    """``fit`` and the normal equations its coefficients solve (for a later refit, ``solve``).

    The targets whose known rows are the same rows (in a commissioning window every target but
    compressor_hz, and compressor_hz on its own features) share the first pass's matrix, its
    products and its ridge: computed once from the same arrays, the same digits. A pass whose
    weights stay all ones repeats the pass before it exactly, and is not run again."""
    n_f, n_t = F.shape[1], Y.shape[1]
    coef = np.zeros((n_f, n_t))
    scale = np.zeros(n_t)
    eq = NormalEquations(np.zeros((n_t, n_f, n_f)), np.zeros((n_t, n_f)), np.zeros(n_t), scale)
    known: dict[bool, np.ndarray] = {}  # uses_frequency -> the rows whose features it uses are known
    # uses_frequency -> (its rows, A, A with unit weights, their gram, its solve's matrix) of the last target
    shared: dict[bool, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
    for j, target in enumerate(TARGETS):
        cols = list(range(n_f)) if target.uses_frequency else _HZ_FEATURES
        if target.uses_frequency not in known:
            known[target.uses_frequency] = ~np.isnan(F[:, cols]).any(axis=1)
        ok = ~np.isnan(Y[:, j]) & known[target.uses_frequency]
        if ok.sum() < 10 * len(cols):
            coef[:, j] = np.nan  # not enough data: this target stays unmonitored
            scale[j] = np.nan
            continue
        y = Y[ok, j]
        last = shared.get(target.uses_frequency)
        if last is not None and np.array_equal(last[0], ok):
            _, A, Aw1, G1, M1 = last
        else:
            A = F[ok][:, cols]  # (its memory order is the matrix products' digits: not F[:, cols][ok])
            Aw1 = A * np.ones(len(y))[:, None]
            G1 = Aw1.T @ A
            M1 = G1 + ridge * len(y) * np.eye(len(cols)) * _ridge_mask(cols)
            shared[target.uses_frequency] = (ok, A, Aw1, G1, M1)
        w = None
        for _ in range(2):
            if w is None:  # the first pass: unit weights
                G, b = G1, Aw1.T @ y
                beta = np.linalg.solve(M1, b)
            else:
                Aw = A * w[:, None]
                G, b = Aw.T @ A, Aw.T @ y
                beta = np.linalg.solve(G + ridge * len(y) * np.eye(len(cols)) * _ridge_mask(cols), b)
            r = y - A @ beta
            s = max(float(robust_sigma_1d(r)), 1e-9)  # robust_sigma's digits (medians.py)
            w = (np.abs(r) <= 4 * s).astype(float)
            if w.sum() < 2 * len(cols):  # a target the commissioning never moved (one compressor speed):
                w = np.ones(len(y))  # its residuals are rounding noise around s's floor; keep every row
            if w.all():  # unit weights again: the next pass would repeat this one's numbers
                break
        coef[cols, j] = beta
        scale[j] = s
        eq.gram[j][np.ix_(cols, cols)] = G
        eq.moment[j][cols] = b
        eq.rows[j] = float(len(y))
    return HealthyModel(coef, scale), eq


def _ridge_mask(cols: list[int]) -> np.ndarray:
    """Do not shrink the intercept."""
    return np.diag([0.0 if c == 0 else 1.0 for c in cols])
