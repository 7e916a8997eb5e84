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

from heatwatch.edge.heatpump.operating_point import FEATURE_NAMES


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
        return f @ self.coef

    def to_dict(self) -> dict:
        return {"coef": self.coef.tolist(), "residual_scale": self.residual_scale.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "HealthyModel":
        return cls(np.asarray(d["coef"], dtype=float), np.asarray(d["residual_scale"], dtype=float))


def robust_sigma(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """1.4826 x median absolute deviation: sigma of the healthy bulk, not of the outliers."""
    med = np.nanmedian(x, axis=axis, keepdims=True)
    return 1.4826 * np.nanmedian(np.abs(x - med), axis=axis)


def fit(F: np.ndarray, Y: np.ndarray, ridge: float = 1e-2) -> HealthyModel:
    """Ridge fit of every target on the features; NaN cells are left out per target.

    One robust reweighting pass: rows with residuals beyond 4 sigma (a sensor
    glitch in the commissioning week) get no say in the final fit.
    """
    n_f, n_t = F.shape[1], Y.shape[1]
    coef = np.zeros((n_f, n_t))
    scale = np.zeros(n_t)
    for j, target in enumerate(TARGETS):
        cols = list(range(n_f)) if target.uses_frequency else _HZ_FEATURES
        ok = ~np.isnan(Y[:, j]) & ~np.isnan(F[:, cols]).any(axis=1)
        if ok.sum() < 10 * len(cols):
            coef[:, j] = np.nan  # not enough data: this target stays unmonitored
            scale[j] = np.nan
            continue
        A, y = F[ok][:, cols], Y[ok, j]
        w = np.ones(len(y))
        for _ in range(2):
            Aw = A * w[:, None]
            beta = np.linalg.solve(Aw.T @ A + ridge * len(y) * np.eye(len(cols)) * _ridge_mask(cols), Aw.T @ y)
            r = y - A @ beta
            s = max(float(robust_sigma(r)), 1e-9)
            w = (np.abs(r) <= 4 * s).astype(float)
            if w.sum() < 2 * len(cols):  # a target the commissioning never moved (one compressor speed):
                w = np.ones(len(y))  # its residuals are rounding noise around s's floor; keep every row
        coef[cols, j] = beta
        scale[j] = s
    return HealthyModel(coef, scale)


def _ridge_mask(cols: list[int]) -> np.ndarray:
    """Do not shrink the intercept."""
    return np.diag([0.0 if c == 0 else 1.0 for c in cols])
