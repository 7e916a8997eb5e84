"""Conditioning on drivers: model each scored column as a function of the columns the user names.

A machine's readings follow what drives it: a heat pump's flow temperature,
power and pressures follow the outdoor temperature, a pump's current follows
its set speed. Scored against a fixed healthy level, a cold week looks like a
fault. ``heatwatch detect --given t_outdoor`` instead learns, on the healthy
rows, what each other column reads *given* the drivers, and the detector
scores the residuals: what the drivers do not explain.

The model per target column is additive in the drivers and robust:

* a driver with many distinct values enters as a piecewise-linear spline
  (hinges at its training quartiles): a smooth but not
  straight response, linear beyond the training range (the defensible
  extrapolation: the last slope seen, not a constant and not a polynomial);
* a driver with few distinct values (a mode, a defrost flag) enters as one
  indicator per level (a binned expectation); a level not seen in training
  counts as the baseline level;
* fitted by Huber IRLS (c = 1.345, 95 % efficiency at the normal) with a
  small ridge, so a fault that slipped into the training rows is down-weighted
  instead of bending the fit; NaN rows are left out per column.

A row whose drivers are missing is expected to read the target's median.
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.generic_detector.neff import autocorrelation_time
from heatwatch.edge.generic_detector.robust import robust_location_scale

KNOTS = 3  # hinges per continuous driver: the quartiles (each end slope rests on a quarter of the rows)
MAX_LEVELS = 12  # a driver with at most this many distinct values is categorical


class DriverModel:
    """What each target column reads given the driver columns; ``residuals`` is what is scored."""

    def __init__(self, knots: int = KNOTS, huber_c: float = 1.345, ridge: float = 1e-6, iterations: int = 20,
                 ewma_lambda: float = 0.1, linear_from: int | None = None) -> None:
        self.linear_from = linear_from  # drivers from this index on enter linearly (e.g. Fourier terms)
        self.bias_weight = (2.0 - ewma_lambda) / ewma_lambda
        self.knots = knots
        self.huber_c = huber_c
        self.ridge = ridge
        self.iterations = iterations
        self.spec: list[dict] = []
        self.W = np.zeros((0, 0))
        self.loc = np.zeros(0)

    # ---- the basis ------------------------------------------------------------------------
    def _learn_basis(self, D: np.ndarray) -> None:
        self.spec = []
        for j in range(D.shape[1]):
            d = D[:, j][np.isfinite(D[:, j])]
            levels = np.unique(d)
            if self.linear_from is not None and j >= self.linear_from:
                self.spec.append({"kind": "linear"})
            elif levels.size <= 1:
                self.spec.append({"kind": "none"})
            elif levels.size <= MAX_LEVELS:
                self.spec.append({"kind": "levels", "levels": levels[1:].tolist()})  # first level = baseline
            else:
                q = np.quantile(d, np.arange(1, self.knots + 1) / (self.knots + 1))
                self.spec.append({"kind": "spline", "knots": np.unique(q).tolist(),
                                  "centre": float(np.median(d)), "scale": float(robust_location_scale(d[:, None])[1][0])})

    def basis(self, D: np.ndarray) -> np.ndarray:
        """(n, k) drivers -> (n, m) design matrix: an intercept, then each driver's columns."""
        cols = [np.ones(len(D))]
        for j, s in enumerate(self.spec):
            u = D[:, j]
            if s["kind"] == "linear":
                cols.append(u)
            elif s["kind"] == "levels":
                cols.extend((u == lv).astype(np.float64) for lv in s["levels"])
            elif s["kind"] == "spline":
                x = (u - s["centre"]) / s["scale"]
                cols.append(x)
                cols.extend(np.maximum(0.0, x - (k - s["centre"]) / s["scale"]) for k in s["knots"])
        B = np.column_stack(cols)
        return np.where(np.isfinite(B), B, 0.0)

    # ---- fitting ----------------------------------------------------------------------------
    def fit(self, D: np.ndarray, Y: np.ndarray) -> "DriverModel":
        """Learn on healthy rows: D (n, k) drivers, Y (n, F) targets."""
        D = np.asarray(D, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        self.loc, _ = robust_location_scale(Y)
        self._learn_basis(D)
        B = self.basis(D)
        ok_d = np.all(np.isfinite(D), axis=1)
        m, F = B.shape[1], Y.shape[1]
        self.W = np.zeros((m, F))
        self.cov = np.zeros((F, m, m))  # per target the coefficients' covariance
        self.sigma = np.ones(F)
        for f in range(F):
            ok = ok_d & np.isfinite(Y[:, f])
            if ok.sum() < 2 * m:
                continue  # too few rows to condition on: the median stands
            self.W[:, f], self.cov[f], self.sigma[f] = self._huber(B[ok], Y[ok, f] - self.loc[f])
        return self

    def _huber(self, B: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Coefficients, their covariance s² (B'WB)^-1 (the weighted least squares one at the
        final weights) and the residuals' robust scale s."""
        eye = self.ridge * len(B) * np.eye(B.shape[1])
        eye[0, 0] = 0.0  # the intercept is not shrunk
        w = np.ones(len(B))
        coef = np.zeros(B.shape[1])
        for _ in range(self.iterations):
            BW = B * w[:, None]
            new = np.linalg.lstsq(B.T @ BW + eye, BW.T @ y, rcond=None)[0]
            r = y - B @ new
            _, s = robust_location_scale(r[:, None])
            a = np.abs(r) / (self.huber_c * s[0])
            w = np.where(a <= 1.0, 1.0, 1.0 / np.maximum(a, 1e-12))
            done = np.allclose(new, coef, rtol=1e-6, atol=1e-9)
            coef = new
            if done:
                break
        r = y - B @ coef
        s = float(robust_location_scale(r[:, None])[1][0])
        # the rows of a time series are not independent: the residuals' integrated
        # autocorrelation time tau says how many rows make one independent observation,
        # and the coefficients are only as certain as n / tau rows make them (neff.py)
        tau = float(autocorrelation_time(np.clip(r / max(s, 1e-12), -5.0, 5.0)[:, None])[0])
        cov = tau * s**2 * np.linalg.pinv(B.T @ (B * w[:, None]) + eye)
        return coef, cov, s

    # ---- use --------------------------------------------------------------------------------
    def expected(self, D: np.ndarray) -> np.ndarray:
        """(n, F) what each target should read given the drivers (the median where they are missing)."""
        D = np.asarray(D, dtype=np.float64)
        out = self.loc + self.basis(D) @ self.W
        return np.where(np.all(np.isfinite(D), axis=1)[:, None], out, self.loc)

    def prediction_se(self, D: np.ndarray) -> np.ndarray:
        """(n, F) the standard error of :meth:`expected`: small among the training rows, growing
        with the distance beyond them (an extrapolated slope is only as good as the rows
        it was fitted on)."""
        B = self.basis(np.asarray(D, dtype=np.float64))
        var = np.einsum("ni,fij,nj->nf", B, self.cov, B)
        return np.sqrt(np.maximum(var, 0.0))

    def residuals(self, D: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """What the drivers do not explain, in the units of the training residuals.

        A residual whose expectation is uncertain (drivers beyond the training range) is
        shrunk by s / sqrt(s² + w se²). The error of an expectation is a bias shared by
        every row at those drivers: noise averages out of the detector's EWMA (its
        variance is lambda / (2 - lambda) of one row's), the bias does not, so it is
        weighed w = (2 - lambda) / lambda times (19 at lambda = 0.1): the EWMA's spread
        learned on the training rows then holds where the drivers were not seen."""
        r = np.asarray(Y, dtype=np.float64) - self.expected(D)
        se = self.prediction_se(D)
        return r * (self.sigma / np.sqrt(self.sigma**2 + self.bias_weight * se**2))

    def state(self) -> dict:
        return {"spec": self.spec, "W": self.W.tolist(), "loc": self.loc.tolist(), "cov": self.cov.tolist(),
                "sigma": self.sigma.tolist()}

    def load_state(self, state: dict) -> None:
        self.spec = state["spec"]
        self.W = np.array(state["W"], dtype=np.float64)
        self.loc = np.array(state["loc"], dtype=np.float64)
        self.cov = np.array(state["cov"], dtype=np.float64)
        self.sigma = np.array(state["sigma"], dtype=np.float64)
