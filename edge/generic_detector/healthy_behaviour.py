"""HealthyBehaviourDetector: learns healthy, scores how far each sample is from it.

Pipeline per sample x (F features); each step is its own module:

1. expected = an :class:`~heatwatch.edge.generic_detector.expectation.ExpectationModel` (the
   training median by default; a series whose features follow an operating
   point plugs in a model conditioned on it), residual r = x - expected.
2. z = (r - center) / (inflation * sigma(h)). center is the trimmed mean of
   the training residuals (an EWMA or CUSUM about anything but the mean drifts
   by itself, and the median of a quantized or skewed sensor is not its mean);
   sigma is the robust (MAD) scale, never below the sensor's quantization step
   nor below the trimmed standard deviation (the MAD of a sensor that sits on
   one quantization level most of the time collapses; robust.py), widened by
   the healthy wander the training window showed, extrapolated to h samples
   after training (wander.py). ``inflation`` (neff.py) widens it further by
   what estimating level and scale from the window's *effective* number of
   independent rows costs at the alarm level (Student-t predictive): slow
   features, seen only a few independent times, are judged accordingly.
   Missing features count as z = 0 (the sensor checks report them). For the
   accumulating statistics z is clipped at ±``clip`` (one wild sample cannot
   look like a persistent shift).
3. Components: ``residual`` max |z|; ``ewma`` the largest EWMA of z in its own
   long-run sigma (ewma.py); ``cusum`` a leaky two-sided CUSUM of z in long-run
   sigma (cusum.py); ``novelty`` Hotelling T² of z on a robust shrinkage
   correlation; ``mewma`` the same T² of the EWMA vector (novelty.py).
   "Long-run sigma": an autocorrelated feature wanders more than white noise,
   so its accumulated evidence is deflated by how much its EWMA spread
   exceeds the white-noise value.
4. Each component is divided by its healthy 99th percentile, measured out of
   sample (cross-fitted halves of the training window, scored with the full
   model's inflation) and never below what a Gaussian null with the learned
   correlation and each feature's autocorrelation time would give; the score is
   the largest of them, so it says which idea saw the sample. A separate
   :class:`~heatwatch.edge.generic_detector.threshold.AlarmDecision` (EVT tail threshold,
   persistence, hysteresis) turns it into 0/1.
5. Sensor checks run beside and are reported separately (sensor_flags.py).

Without a training window the first ``warmup`` samples are the training window
(scored 0, flagged ``warming_up``), then the model is frozen: the reference is
healthy behaviour, not whatever the machine did lately.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from heatwatch.edge.generic_detector.base import Stateful
from heatwatch.edge.generic_detector.cusum import cusum_block
from heatwatch.edge.generic_detector.ewma import ewma_block
from heatwatch.edge.generic_detector.expectation import ExpectationModel, MedianBaseline
from heatwatch.edge.generic_detector.neff import ar1_filter, autocorrelation_time, predictive_inflation
from heatwatch.edge.generic_detector.novelty import fit_precision, t2_contributions
from heatwatch.edge.generic_detector.result import BatchResult, HealthyBehaviourResult
from heatwatch.edge.generic_detector.robust import robust_location_scale, robust_quantile, trimmed_location_scale
from heatwatch.edge.generic_detector.sensor_flags import SensorFlagConfig, SensorFlags
from heatwatch.edge.generic_detector.threshold import AlarmDecision, ThresholdConfig
from heatwatch.edge.generic_detector.wander import WanderModel

COMPONENTS: tuple[str, ...] = ("residual", "ewma", "cusum", "novelty", "mewma")
MIN_CROSS_FIT_ROWS = 50  # per half; below that the threshold is calibrated in sample
NULL_ROWS, NULL_SEED = 4000, 20240601  # simulated healthy residuals that floor the calibration


@dataclass
class HealthyBehaviourConfig:
    warmup: int = 300  # samples learned from when no training window is given
    components: tuple[str, ...] = COMPONENTS
    clip: float = 5.0  # |z| cap for the accumulating statistics
    # |z| cap for the per-sample residual component: beyond ~100 sigma the number says
    # "far outside" and nothing more, and a bounded score keeps a burst from drowning
    # every later comparison (a byte counter's burst once scored ~1e9)
    z_cap: float = 100.0
    wander: bool = True  # widen each feature's sigma by its healthy wander since training (wander.py)
    max_horizon: float = 3600.0  # samples after which the wander allowance stops growing
    cross_fit: bool = True  # calibrate scales and threshold on held-out halves of the training window
    # EWMA weight of the newest sample (memory ~ 1/lambda). Both accumulators are designed for
    # the same shift, delta = 1 sigma: CUSUM k = delta / 2, and lambda ~ 0.1 is the EWMA's
    # optimal weight for a 1-sigma shift (Lucas & Saccucci 1990); a longer memory buys
    # sensitivity to smaller shifts with a slower onset and a longer tail after a fault ends.
    ewma_lambda: float = 0.1
    cusum_k: float = 0.5  # CUSUM allowance in long-run sigma (detects shifts > ~2k)
    # the CUSUM leaks with the EWMA's memory (1 / ewma_lambda samples): both forget a fault
    # that has ended within a few memories, so an alarm clears soon after the cause
    trim: float = 0.025  # center and scale floor: mean and std of the central 1 - 2 * trim of the residuals
    effective_n: bool = True  # widen each feature by its effective training rows (neff.py)
    norm_quantile: float = 0.99  # healthy quantile that each component is divided by
    # the correlation the MEWMA's T² is judged with: "rows", that of z (as T² of one row); "ewma", that of
    # the EWMA vector itself, learned on the training rows' EWMA. The EWMA keeps the slow part of the
    # residuals, and where that part moves several columns together (a building asking more of every
    # demand column at once) while their fast noise is independent, the rows' correlation calls a
    # common slow drift a broken correlation. Opt-in: on the weather bench it flags fewer healthy hours
    # and sees a condenser signature later or never, a contrast the rows' correlation weighs more
    # (docs/generic-detector.md, s-weather23)
    mewma_correlation: str = "rows"
    threshold: ThresholdConfig = field(default_factory=ThresholdConfig)
    sensor: SensorFlagConfig = field(default_factory=SensorFlagConfig)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "HealthyBehaviourConfig":
        d = dict(d)
        d["components"] = tuple(d["components"])
        d["threshold"] = ThresholdConfig(**d["threshold"])
        d["sensor"] = SensorFlagConfig(**d["sensor"])
        return cls(**d)


class HealthyBehaviourDetector:
    """Robust residuals + EWMA/CUSUM + T² novelty + sensor checks, with a learned alarm threshold."""

    def __init__(self, config: HealthyBehaviourConfig | None = None, model: ExpectationModel | None = None,
                 low: np.ndarray | None = None, high: np.ndarray | None = None) -> None:
        self.config = config or HealthyBehaviourConfig()
        if self.config.mewma_correlation not in ("rows", "ewma"):
            raise ValueError(f"mewma_correlation must be 'rows' or 'ewma', got {self.config.mewma_correlation!r}")
        unknown = set(self.config.components) - set(COMPONENTS)
        if unknown or not self.config.components:
            raise ValueError(f"components must be a non-empty subset of {COMPONENTS}, got {self.config.components}")
        self.model: ExpectationModel = model or MedianBaseline()
        self.sensor = SensorFlags(self.config.sensor, low, high)
        self.decision = AlarmDecision(self.config.threshold)
        self.wander = WanderModel(self.config.max_horizon)
        self.fitted = False
        self.min_scale: np.ndarray | None = None  # per feature the least sigma, from the caller (fit)
        self._buffer: list[np.ndarray] = []
        self._buffer_ts: list[float] = []
        self._cidx = [COMPONENTS.index(c) for c in self.config.components]

    # ---- learning -------------------------------------------------------------------------
    def fit(self, ts: np.ndarray | None, X: np.ndarray, min_scale: np.ndarray | None = None) -> BatchResult:
        """Learn healthy behaviour from X (rows assumed healthy, at times ts; None: row
        numbers); returns the in-sample results with ``anomaly`` all 0.

        ``min_scale`` (F,): the least sigma per feature, when X is derived from the readings
        (residuals of a driver model): the readings' own floors (their quantization step,
        ``scale_floor``) are not visible in what a fitted function leaves of them.

        The component scales and the alarm threshold are calibrated out of sample
        (``cross_fit``): a model learned on one half of the window scores the other
        half, both ways. In-sample scores flatter a model; how it does on healthy rows
        it has not seen (with the wander that comes with them) is what the field brings.
        """
        c = self.config
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or len(X) < 2:
            raise ValueError("fit(ts, X) needs X as a 2-D array with at least 2 rows")
        n, F = X.shape
        ts = _ts(ts, n)
        if min_scale is not None and np.shape(min_scale) != (F,):
            raise ValueError(f"min_scale needs one sigma per feature ({F}), got shape {np.shape(min_scale)}")
        self.min_scale = None if min_scale is None else np.asarray(min_scale, dtype=np.float64)
        self._learn(X)
        self.ref = np.ones(len(COMPONENTS))
        Z = self._z(X, X - self.model.expected(X))
        raw, extras = self._raw_block(X, Z)  # in-sample; leaves EWMA/CUSUM at the end of training
        calib = self._out_of_sample_raw(X) if c.cross_fit and n >= 2 * MIN_CROSS_FIT_ROWS else raw
        null = self._null_raw()
        # never below a typical healthy value of the component (|z| of 1 sigma, the CUSUM's own
        # allowance, T² at its null mean F): a component that sat at 0 on 99 % of the healthy
        # rows (a CUSUM whose z the effective-n inflation keeps below k) otherwise got a
        # reference of 1e-12, and its first small excursion scored 1e11
        typical = np.array([1.0, 1.0, c.cusum_k, float(F), float(F)])
        self.ref = np.array([max(robust_quantile(calib[:, j], c.norm_quantile),
                                 robust_quantile(null[:, j], c.norm_quantile), typical[j]) for j in range(len(COMPONENTS))])
        on_null = self.decision.fit(self._combine(null)[0])
        if self.decision.fit(self._combine(calib)[0]) < on_null:
            self.decision.on = on_null
        self.fitted = True
        self._buffer, self._buffer_ts = [], []
        res = self._assemble(X, ts, raw, extras, np.zeros((n, F), dtype=np.int64))
        res.anomaly[:] = False
        return res

    def _learn(self, X: np.ndarray, inflation: np.ndarray | None = None) -> None:
        """Fit every learned parameter from X and reset the running state to "just trained".

        ``inflation`` given (the cross-fitted halves): use it instead of estimating it, so
        the halves are scored the way the full model will score."""
        c = self.config
        n, F = X.shape
        self.n_features = F
        self.model.fit(X)
        R = X - self.model.expected(X)
        _, self.scale = robust_location_scale(R)
        self.center, spread_t = trimmed_location_scale(R, c.trim)
        self.scale = np.maximum(np.maximum(np.maximum(self.scale, resolution(R)), spread_t), scale_floor(X))
        if self.min_scale is not None:
            self.scale = np.maximum(self.scale, self.min_scale)
        self.wander.fit(R if c.wander else R[:0])
        self.inflation = np.ones(F)
        Z = self._z(X, R)
        # the correlation and the EWMA spread are properties of the standardized residuals,
        # learned before the inflation (which would otherwise cancel out of both)
        self.precision, self.shrinkage = fit_precision(Z)
        self._precisions: dict[tuple[str, float], np.ndarray] = {}
        lam = c.ewma_lambda
        Zc = np.clip(Z, -c.clip, c.clip)
        E = ewma_block(np.zeros(F), Zc, lam)
        skip = min(n // 2, int(np.ceil(1.0 / lam)))  # the EWMA's start-up transient
        _, spread = robust_location_scale(E[skip:])
        self.ewma_sigma = np.maximum(self._white, spread)  # >= white: slow wander inflates it
        # the EWMA vector's own correlation (mewma_correlation "ewma"): its rows are the EWMA in units of
        # its spread, autocorrelated over ~2 / lambda rows, which the shrinkage counts (ledoit_wolf)
        self.precision_e = fit_precision(E[skip:] / self.ewma_sigma)[0] \
            if c.mewma_correlation == "ewma" and n - skip > 2 else self.precision
        self.tau = autocorrelation_time(Zc)
        if inflation is not None:
            self.inflation = np.asarray(inflation, dtype=np.float64).copy()
        elif c.effective_n:
            # each feature's share of the alarm's false-alarm probability (the score is a max over them)
            self.inflation = predictive_inflation(n / self.tau, c.threshold.false_alarm_prob / F)
        self.sensor.fit(X)
        self._reset_dynamics()
        self.horizon = 0.0
        self._scales_at = np.nan

    def _null_raw(self) -> np.ndarray:
        """Component scores of simulated healthy residuals: Gaussian with the learned correlation
        and each feature's learned autocorrelation time (an AR(1) with the same tau, neff.py),
        standardized as real rows are (divided by the inflation).

        A few hundred training rows hold only a handful of independent EWMA/CUSUM
        excursions, so their quantiles can come out lower than the process itself
        would give. Scales and threshold never go below this null model's. White noise
        would be the wrong null for an autocorrelated feature: its EWMA and CUSUM
        wander further than white noise's, and a floor from white noise is no floor
        for them (fixed seed: both entry points and every restart compute the same)."""
        saved = (self.e, self.s_up, self.s_down)
        self._reset_dynamics()
        cov = np.linalg.pinv(self.precision)
        L = np.linalg.cholesky(cov + 1e-12 * np.eye(len(cov)))
        Z = np.random.default_rng(NULL_SEED).standard_normal((NULL_ROWS, self.n_features)) @ L.T
        Z = ar1_filter(Z, (self.tau - 1.0) / (self.tau + 1.0)) / self.inflation
        # with mewma_correlation "ewma" the null's EWMA is judged with the learned EWMA correlation too,
        # as every row is: the null is a healthy process the training rows are as compatible with (their
        # correlation row by row, each feature's memory), and the detector's own statistic on it is the
        # floor. Its contrasts, which a correlation of few independent EWMA excursions calls rare, keep
        # the reference where such a process would put it (judged by its own EWMA correlation instead,
        # fresh8's quarter-hours went 0 -> 1.94 % flagged: docs/generic-detector.md, s-weather23)
        raw = self._raw_block(Z, Z)[0]
        self.e, self.s_up, self.s_down = saved
        return raw

    def _out_of_sample_raw(self, X: np.ndarray) -> np.ndarray:
        """Raw component scores of each half of X under a model learned on the other half
        (the first half is scored backwards, so the horizon grows away from the model's rows).
        The halves keep the full model's inflation: they measure how the full model's
        scores behave on healthy rows it has not seen."""
        m = len(X) // 2
        parts = []
        for learn_rows, score_rows in ((X[:m], X[m:]), (X[m:], X[:m][::-1])):
            sub = HealthyBehaviourDetector(replace(self.config, cross_fit=False), model=copy.deepcopy(self.model))
            sub.min_scale = self.min_scale
            sub._learn(learn_rows, inflation=self.inflation)
            sub.ref = np.ones(len(COMPONENTS))
            h = np.arange(1, len(score_rows) + 1, dtype=np.float64)[:, None]
            Z = sub._z(score_rows, score_rows - sub.model.expected(score_rows), h)
            parts.append(sub._raw_block(score_rows, Z, h)[0])
        return np.vstack(parts)

    def _reset_dynamics(self) -> None:
        F = self.n_features
        self.e = np.zeros(F)
        self.s_up = np.zeros(F)
        self.s_down = np.zeros(F)
        self.eg: np.ndarray | None = None  # EWMA of the nuisance directions (score(..., G)), (F, k)

    # ---- the shared math ------------------------------------------------------------------
    def _z(self, X: np.ndarray, R: np.ndarray, h: np.ndarray | float = 0.0) -> np.ndarray:
        Z = (R - self.center) * (1.0 / (self.inflation * np.sqrt(self.scale**2 + self.wander.variance(h))))
        return np.where(np.isnan(Z), 0.0, Z)

    @property
    def _white(self) -> float:
        lam = self.config.ewma_lambda
        return float(np.sqrt(lam / (2.0 - lam)))

    def _ewma_sigma_at(self, h: np.ndarray | float) -> np.ndarray:
        """The healthy EWMA spread (z units) h samples after training.

        At h = 0 it is the training spread; as the wander allowance q h grows, the
        level deviation dominates the EWMA and its spread tends to 1 (z is already
        scaled by sigma(h)): (s0² sigma² + q h) / (sigma² + q h), square-rooted."""
        hq = self.wander.variance(h)
        s2 = self.scale**2
        return np.sqrt((self.ewma_sigma**2 * s2 + hq) / (s2 + hq))

    def _raw_block(self, X: np.ndarray, Z: np.ndarray, h: np.ndarray | float = 0.0,
                   G: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """All component scores (n, 5) and per-feature contributions; advances EWMA/CUSUM state.
        ``G`` (n, F, k), in z units: directions a healthy misfit may take; the MEWMA is judged
        after their EWMA is profiled out (:func:`profile_out`)."""
        c = self.config
        Zc = np.minimum(np.maximum(Z, -c.clip), c.clip)
        E = ewma_block(self.e, Zc, c.ewma_lambda)
        inv_e = 1.0 / self._ewma_sigma_at(h)
        U = E * inv_e
        Um = U
        if G is not None:
            n, F, k = G.shape
            if self.eg is None or self.eg.shape != (F, k):
                self.eg = np.zeros((F, k))
            EG = ewma_block(self.eg.reshape(-1), G.reshape(n, F * k), c.ewma_lambda).reshape(n, F, k)
            if n:
                self.eg = EG[-1].copy()
            Um = profile_out(U, EG * np.broadcast_to(inv_e, U.shape)[:, :, None], self._mewma_precisions(h, n))
        L = Zc * (self._white * inv_e)
        decay = 1.0 - c.ewma_lambda
        Sup = cusum_block(self.s_up, L - c.cusum_k, decay)
        Sdn = cusum_block(self.s_down, -(L + c.cusum_k), decay)
        if len(Z):
            self.e, self.s_up, self.s_down = E[-1].copy(), Sup[-1].copy(), Sdn[-1].copy()
        S = np.maximum(Sup, Sdn)
        Cn, Cm = self._t2(Zc, Um, h)
        A = np.minimum(np.abs(Z), c.z_cap)
        contrib = np.stack([A, np.abs(U), S, np.maximum(Cn, 0.0), np.maximum(Cm, 0.0)], axis=1)  # (n,5,F)
        raw = np.stack([A.max(axis=1), np.abs(U).max(axis=1), S.max(axis=1),
                        Cn.sum(axis=1), Cm.sum(axis=1)], axis=1)
        return raw, {"contrib": contrib, "Z": Z}

    def _precision_at(self, h: float, which: str = "rows") -> np.ndarray:
        """The precision of z at horizon grid point h: the training correlation C0 with each
        feature's wander allowance added as variance of its own.

        z divides each residual by its own sigma(h) = sqrt(sigma² + w(h)). Judged with C0,
        two features that moved together in training (a condensing temperature and the
        liquid line) stop looking correlated as soon as one of them gets a wander allowance
        and the other does not: their common drift, shrunk in one and not in the other,
        reads as a broken correlation and T² grows with every healthy week. The covariance
        the wander model itself implies is D C0 D + diag(w / sigma(h)²), D = sigma / sigma(h):
        the allowance is independent per feature and the correlation fades toward it."""
        key = (which, float(h))
        P = self._precisions.get(key)
        if P is None:
            w = self.wander.variance(key[1])
            base = self.precision_e if which == "ewma" else self.precision
            if not np.any(w > 0):
                P = base
            else:
                # the EWMA vector (which "ewma"): its healthy spread at training is ewma_sigma (z units)
                # around the fast part; the wander adds to it as a level deviation, independent per feature
                s2 = self.scale**2 * (self.ewma_sigma**2 if which == "ewma" else 1.0)
                d = np.sqrt(s2 / (s2 + w))
                C = np.linalg.pinv(base) * np.outer(d, d) + np.diag(w / (s2 + w))
                P = np.linalg.pinv(C)
            self._precisions[key] = P
        return P

    def _mewma_precisions(self, h: np.ndarray | float, n: int) -> np.ndarray:
        """(n, F, F) the precision each row's MEWMA is judged with (its horizon's grid point)."""
        g = np.broadcast_to(self.wander.grid(np.asarray(h, dtype=np.float64)).reshape(-1), (n,)) \
            if np.ndim(h) else np.full(n, float(self.wander.grid(h)))
        out = np.empty((n, self.n_features, self.n_features))
        for key in np.unique(g):
            out[g == key] = self._precision_at(float(key), self.config.mewma_correlation)
        return out

    def _t2(self, Zc: np.ndarray, U: np.ndarray, h: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """T² contributions of z and of the EWMA vector, each row with its horizon's precision."""
        g = np.broadcast_to(self.wander.grid(np.asarray(h, dtype=np.float64)).reshape(-1), (len(Zc),)) \
            if np.ndim(h) else np.full(len(Zc), float(self.wander.grid(h)))
        Cn, Cm = np.empty_like(Zc), np.empty_like(U)
        which = self.config.mewma_correlation
        for key in np.unique(g):
            rows = g == key
            Cn[rows] = t2_contributions(Zc[rows], self._precision_at(float(key)))
            Cm[rows] = t2_contributions(U[rows], self._precision_at(float(key), which))
        return Cn, Cm

    def _combine(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Normalized components (n, 5; unused ones 0), the score (max of used), the dominant index."""
        used = np.zeros(len(COMPONENTS), dtype=bool)
        used[self._cidx] = True
        N = raw * np.where(used, 1.0 / self.ref, 0.0)
        dom = np.argmax(N, axis=1)
        return N[np.arange(len(N)), dom], N, dom

    def _assemble(self, X: np.ndarray, ts: np.ndarray, raw: np.ndarray, extras: dict[str, np.ndarray],
                  flags: np.ndarray) -> BatchResult:
        score, N, dom = self._combine(raw)
        contrib = extras["contrib"][np.arange(len(X)), dom] * (1.0 / self.ref[dom])[:, None]
        alarm = np.zeros(len(X), dtype=bool)
        return BatchResult(ts=ts, score=score, anomaly=alarm, warming_up=np.zeros(len(X), dtype=bool),
                           components=N, component_names=COMPONENTS, dominant=dom, observed=X,
                           expected=self.model.expected(X), z=extras["Z"], contributions=contrib,
                           sensor_flags=flags)

    # ---- the two entry points -------------------------------------------------------------
    def score(self, ts: np.ndarray | None, X: np.ndarray, G: np.ndarray | None = None) -> BatchResult:
        """Vectorized scoring of many rows at times ts (None: row numbers, for series without
        a time column); same results and end state as update() row by row.

        ``G`` (n, F, k), in the units of X: per row k directions a healthy misfit may take (a
        driver model's sensitivity to its drivers: the machine behaves as if a driver read
        differently). The MEWMA is judged with their amounts profiled out (:func:`profile_out`).
        Only this block path takes it (update() judges without; a warm-up's rows have none)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"score(ts, X) needs X as a 2-D array (rows, features), got shape {X.shape}")
        ts = _ts(ts, len(X))
        parts: list[BatchResult] = []
        if not self.fitted:
            need = self.config.warmup - len(self._buffer)
            head = X[:need]
            self._buffer.extend(head)
            self._buffer_ts.extend(ts[:need])
            parts.append(_warming(head, ts[:need], X.shape[1]))
            X, ts = X[need:], ts[need:]
            if len(self._buffer) >= self.config.warmup:
                self.fit(np.array(self._buffer_ts), np.array(self._buffer))
        if len(X) and self.fitted:
            R = X - self.model.expected(X)
            h = self.horizon + np.arange(1, len(X) + 1, dtype=np.float64)[:, None]
            self.horizon += len(X)
            Z = self._z(X, R, h)
            flags = self.sensor.block(X)
            Gz = None
            if G is not None:
                Gz = np.asarray(G, dtype=np.float64)[-len(X):] \
                    * (1.0 / (self.inflation * np.sqrt(self.scale**2 + self.wander.variance(h))))[:, :, None]
                Gz = np.where(np.isfinite(Gz), Gz, 0.0)
            raw, extras = self._raw_block(X, Z, h, Gz)
            res = self._assemble(X, ts, raw, extras, flags)
            res.anomaly = self.decision.block(res.score)
            parts.append(res)
        parts = [p for p in parts if len(p)] or parts[:1]
        return BatchResult.concat(parts) if len(parts) > 1 else parts[0]

    def update(self, ts: float, x: np.ndarray) -> HealthyBehaviourResult:
        """Score one sample taken at ts; O(F²) arithmetic on small arrays, no history kept."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 1:
            raise ValueError(f"update(ts, x) needs x as one row of features, got shape {x.shape}")
        if not self.fitted:
            self._buffer.append(x)
            self._buffer_ts.append(ts)
            warm = _warming(x[None, :], np.array([ts]), len(x))[0]
            if len(self._buffer) >= self.config.warmup:
                self.fit(np.array(self._buffer_ts), np.array(self._buffer))
            return warm
        c = self.config
        exp = self.model.expected_one(x)
        self.horizon += 1.0
        if not self.horizon <= self._scales_at:  # the wander allowance moved to its next grid point
            self._refresh_scales(float(self.wander.grid(self.horizon)))
        z = (x - exp - self.center) * self._inv_s
        z[z != z] = 0.0
        zc = np.minimum(np.maximum(z, -c.clip), c.clip)
        self.e = self._keep * self.e + c.ewma_lambda * zc
        u = self.e * self._inv_e
        lr = zc * self._inv_long
        self.s_up = np.maximum(0.0, self._decay * self.s_up + (lr - c.cusum_k))
        self.s_down = np.maximum(0.0, self._decay * self.s_down - (lr + c.cusum_k))
        s = np.maximum(self.s_up, self.s_down)
        cn = zc * (zc @ self._prec)
        cm = u * (u @ self._prec_e)
        az, au = np.minimum(np.abs(z), c.z_cap), np.abs(u)
        n = np.array([az.max(), au.max(), s.max(), cn.sum(), cm.sum()]) * self._inv_ref
        dom = int(np.argmax(n))
        score = float(n[dom])
        flags = self.sensor.step(x)
        alarm = self.decision.step(score)
        return HealthyBehaviourResult(ts=float(ts), score=score, anomaly=alarm, warming_up=False,
                              components=dict(zip(COMPONENTS, n.tolist())), dominant=COMPONENTS[dom],
                              observed=x, expected=exp, z=z, contributions=_contribution(dom, az, au, s, cn, cm) * self._inv_ref[dom],
                              sensor_flags=flags)

    def _refresh_scales(self, h: float) -> None:
        """Per-feature reciprocals the streaming path multiplies by, at horizon grid point h."""
        hv = self.wander.variance(h)
        s2 = self.scale**2
        self._inv_s = 1.0 / (self.inflation * np.sqrt(s2 + hv))
        sig_e = np.sqrt((self.ewma_sigma**2 * s2 + hv) / (s2 + hv))
        self._inv_e = 1.0 / sig_e
        self._inv_long = self._white / sig_e
        self._keep = 1.0 - self.config.ewma_lambda
        self._decay = 1.0 - self.config.ewma_lambda
        used = np.zeros(len(COMPONENTS), dtype=bool)
        used[self._cidx] = True
        self._inv_ref = np.where(used, 1.0 / self.ref, 0.0)
        self._prec = self._precision_at(float(self.wander.grid(h)))
        self._prec_e = self._precision_at(float(self.wander.grid(h)), self.config.mewma_correlation)
        self._scales_at = h if h < self.wander.max_horizon else np.inf

    # ---- state ----------------------------------------------------------------------------
    _LEARNED = ("center", "scale", "inflation", "tau", "precision", "ewma_sigma", "ref", "e", "s_up", "s_down")

    def _parts(self) -> dict[str, Stateful]:
        """The pieces that keep their own state, by the name their state is nested under."""
        return {"model": self.model, "sensor": self.sensor, "decision": self.decision, "wander": self.wander}

    def state(self) -> dict:
        """Everything needed to resume, JSON-safe (base.py): the config, the learned
        parameters and the running statistics, or the warm-up rows seen so far."""
        st: dict = {"config": self.config.to_dict(), "fitted": self.fitted}
        if not self.fitted:
            st["buffer"] = np.array(self._buffer).tolist()
            st["buffer_ts"] = [float(t) for t in self._buffer_ts]
            return st
        st.update({k: getattr(self, k).tolist() for k in self._LEARNED})
        if self.config.mewma_correlation != "rows":
            st["precision_e"] = self.precision_e.tolist()
        if self.eg is not None:
            st["eg"] = self.eg.tolist()
        st["horizon"] = float(self.horizon)
        st.update({name: part.state() for name, part in self._parts().items()})
        return st

    def load_state(self, state: dict) -> None:
        """Resume from what :meth:`state` returned (the config is the constructor's: see :meth:`load`)."""
        self.fitted = bool(state["fitted"])
        if not self.fitted:
            self._buffer = list(np.array(state["buffer"], dtype=np.float64))
            self._buffer_ts = [float(t) for t in state["buffer_ts"]]
            return
        for k in self._LEARNED:
            setattr(self, k, np.array(state[k], dtype=np.float64))
        self.precision_e = np.array(state["precision_e"], dtype=np.float64) if "precision_e" in state else self.precision
        self.eg = np.array(state["eg"], dtype=np.float64) if "eg" in state else None
        self.horizon = float(state["horizon"])
        self.n_features = len(self.center)
        self._scales_at = np.nan
        self._precisions = {}
        for name, part in self._parts().items():
            part.load_state(state[name])

    def save(self, path: str | Path) -> None:
        """Write the state to a JSON file (atomic: temp file, then rename)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.state()))
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path, model: ExpectationModel | None = None) -> "HealthyBehaviourDetector":
        """A detector that resumes from the file :meth:`save` wrote (its config included)."""
        path = Path(path)
        try:
            state = json.loads(path.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a detector state file (the JSON that save() writes): {exc}") from None
        det = cls(HealthyBehaviourConfig.from_dict(state["config"]), model=model)
        det.load_state(state)
        return det


def profile_out(U: np.ndarray, V: np.ndarray, P: np.ndarray) -> np.ndarray:
    """(n, F) each row of U with its best fit on the directions V (n, F, k) removed in the metric P
    (n, F, F): U - V a, a = (V'PV)^-1 V'PU. T² of the result is the generalized likelihood ratio
    statistic with the amounts a unknown (a nuisance profiled out); directions of no length are
    left out. A residual vector along V costs nothing, one across it counts in full."""
    if V.shape[2] == 0:
        return U
    PV = np.einsum("nij,njk->nik", P, V)
    M = np.einsum("njk,njl->nkl", V, PV)
    b = np.einsum("njk,nj->nk", PV, U)
    tr = np.trace(M, axis1=1, axis2=2)
    ok = tr > 1e-12
    a = np.zeros(b.shape)
    if ok.any():
        k = M.shape[1]
        reg = 1e-9 * tr[ok, None, None] * np.eye(k)
        a[ok] = np.linalg.solve(M[ok] + reg, b[ok][:, :, None])[:, :, 0]
    return U - np.einsum("njk,nk->nj", V, a)


def _contribution(dom: int, az: np.ndarray, au: np.ndarray, s: np.ndarray, cn: np.ndarray,
                  cm: np.ndarray) -> np.ndarray:
    """Per-feature share of the dominant component (T² parts below 0 count as 0)."""
    return (az, au, s, np.maximum(cn, 0.0), np.maximum(cm, 0.0))[dom]


def resolution(R: np.ndarray) -> np.ndarray:
    """Per column the smallest step between distinct values: a quantized sensor's resolution.

    A one-step change of a sensor that reads in 1 l/min steps is never
    significant by itself, so no feature's sigma is allowed below its step
    (quantized columns often have MAD = 0)."""
    out = np.zeros(R.shape[1])
    for j in range(R.shape[1]):
        v = np.unique(R[:, j][np.isfinite(R[:, j])])
        if v.size > 1:
            out[j] = float(np.min(np.diff(v)))
    return out


def scale_floor(X: np.ndarray) -> np.ndarray:
    """Per column the least sigma a sensor can have: the unit of an integer column (a counter
    or a status reads in whole steps, so a step of one is never many sigma, even when the
    training rows never moved); a float column that never moved in training: 1e-3 of its
    level (a change of a thousandth of its reading is the least that can count); else 0
    (the learned scales hold).

    Without it a column that was constant while the detector learned gets the robust
    scale's last resort (1e-9 of its level) and its first change scores in the billions."""
    out = np.zeros(X.shape[1])
    for j in range(X.shape[1]):
        v = X[:, j][np.isfinite(X[:, j])]
        if v.size == 0:
            continue
        if np.all(v == np.round(v)):
            out[j] = 1.0
        elif np.all(v == v[0]):
            out[j] = 1e-3 * max(abs(float(v[0])), 1e-6)
    return out


def _ts(ts: np.ndarray | None, n: int) -> np.ndarray:
    """The rows' times: as given (one per row), or row numbers when there are none."""
    if ts is None:
        return np.arange(n, dtype=np.float64)
    ts = np.asarray(ts, dtype=np.float64)
    if ts.shape != (n,):
        raise ValueError(f"ts must hold one time per row ({n}), got shape {ts.shape} (the order is ts, X)")
    return ts


def _warming(X: np.ndarray, ts: np.ndarray, F: int) -> BatchResult:
    n = len(X)
    zf = np.zeros((n, F))
    return BatchResult(ts=np.asarray(ts, dtype=np.float64), score=np.zeros(n), anomaly=np.zeros(n, dtype=bool),
                       warming_up=np.ones(n, dtype=bool), components=np.zeros((n, len(COMPONENTS))),
                       component_names=COMPONENTS, dominant=np.full(n, -1), observed=np.asarray(X, dtype=np.float64).reshape(n, F),
                       expected=np.full((n, F), np.nan), z=zf, contributions=zf.copy(),
                       sensor_flags=np.zeros((n, F), dtype=np.int64))
