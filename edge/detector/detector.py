"""HealthyBehaviourDetector: learns healthy, scores how far each sample is from it.

Pipeline per sample x (F features):

1. expected = an :class:`~edge.detector.expectation.ExpectationModel` (the
   training median by default; a heat pump plugs in a model conditioned on its
   operating point), residual r = x - expected.
2. z = (r - median) / robust sigma of the training residuals (MAD); missing
   features count as z = 0 and are reported by the sensor checks. For the
   accumulating statistics z is clipped at ±``clip`` (Huber idea: one wild
   sample cannot look like a persistent shift).
3. Components, each a module: ``residual`` max |z|; ``ewma`` the largest EWMA
   of z in its own long-run sigma; ``cusum`` a leaky two-sided CUSUM of z in
   long-run sigma; ``novelty`` Hotelling T² of z on a robust shrinkage
   correlation; ``mewma`` the same T² of the EWMA vector (persistent
   correlation breaks). "Long-run sigma": an autocorrelated feature wanders
   more than white noise would, so its accumulated evidence is deflated by how
   much its training EWMA spread exceeds the white-noise value.
4. Each component is divided by its own healthy 99th percentile, the score is
   the largest of them (so the score says which idea saw the sample), and a
   separate :class:`~edge.detector.threshold.AlarmDecision` turns it into 0/1.
5. Sensor checks run beside and are reported separately.

Without a training window the first ``warmup`` samples are the training window
(scored 0, flagged ``warming_up``), then the model is frozen: the reference is
healthy behaviour, not whatever the machine does lately.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from edge.detector.cusum import cusum_block
from edge.detector.ewma import ewma_block
from edge.detector.expectation import ExpectationModel, MedianBaseline
from edge.detector.novelty import fit_precision, t2_contributions
from edge.detector.result import BatchResult, DetectorResult
from edge.detector.robust import robust_location_scale, robust_quantile
from edge.detector.sensor_checks import SensorCheckConfig, SensorChecks
from edge.detector.threshold import AlarmDecision, ThresholdConfig

COMPONENTS: tuple[str, ...] = ("residual", "ewma", "cusum", "novelty", "mewma")


@dataclass
class DetectorConfig:
    warmup: int = 300  # samples learned from when no training window is given
    components: tuple[str, ...] = COMPONENTS
    clip: float = 5.0  # |z| cap for the accumulating statistics
    ewma_lambda: float = 0.05  # EWMA weight of the newest sample (memory ~ 1/lambda)
    cusum_k: float = 0.5  # CUSUM allowance in long-run sigma (detects shifts > ~2k)
    cusum_memory: float = 200.0  # leak: CUSUM forgets evidence older than ~this many samples
    norm_quantile: float = 0.99  # healthy quantile that each component is divided by
    threshold: ThresholdConfig = field(default_factory=ThresholdConfig)
    sensor: SensorCheckConfig = field(default_factory=SensorCheckConfig)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "DetectorConfig":
        d = json.loads(text)
        d["components"] = tuple(d["components"])
        d["threshold"] = ThresholdConfig(**d["threshold"])
        d["sensor"] = SensorCheckConfig(**d["sensor"])
        return cls(**d)


class HealthyBehaviourDetector:
    """Robust residuals + EWMA/CUSUM + T² novelty + sensor checks, with a learned alarm threshold."""

    def __init__(self, config: DetectorConfig | None = None, model: ExpectationModel | None = None,
                 low: np.ndarray | None = None, high: np.ndarray | None = None) -> None:
        self.config = config or DetectorConfig()
        unknown = set(self.config.components) - set(COMPONENTS)
        if unknown or not self.config.components:
            raise ValueError(f"components must be a non-empty subset of {COMPONENTS}, got {self.config.components}")
        self.model: ExpectationModel = model or MedianBaseline()
        self.sensor = SensorChecks(self.config.sensor, low, high)
        self.decision = AlarmDecision(self.config.threshold)
        self.fitted = False
        self._buffer: list[np.ndarray] = []
        self._buffer_ts: list[float] = []
        self._cidx = [COMPONENTS.index(c) for c in self.config.components]

    # ---- learning -------------------------------------------------------------------------
    def fit(self, X: np.ndarray, ts: np.ndarray | None = None) -> BatchResult:
        """Learn healthy behaviour from X (rows assumed healthy); returns the in-sample
        results with ``anomaly`` all 0 (the scores show how the threshold was set)."""
        c = self.config
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or len(X) < 2:
            raise ValueError("fit needs a 2-D array with at least 2 rows")
        n, F = X.shape
        self.n_features = F
        self.model.fit(X)
        R = X - self.model.expected(X)
        self.center, self.scale = robust_location_scale(R)
        Z = self._z(X, R)
        self.precision, self.shrinkage = fit_precision(Z)
        Zc = np.clip(Z, -c.clip, c.clip)
        lam = c.ewma_lambda
        white = np.sqrt(lam / (2.0 - lam))
        E = ewma_block(np.zeros(F), Zc, lam)
        skip = min(n // 2, int(np.ceil(1.0 / lam)))  # the EWMA's start-up transient
        _, spread = robust_location_scale(E[skip:])
        self.ewma_sigma = np.maximum(white, spread)
        self.long_run = self.ewma_sigma / white  # >= 1: how much slower than white noise it wanders
        self.sensor.fit(X)
        self._reset_dynamics()
        self.ref = np.ones(len(COMPONENTS))
        raw, extras = self._raw_block(X, Z)
        self.ref = np.array([max(robust_quantile(raw[:, j], c.norm_quantile), 1e-12) for j in range(raw.shape[1])])
        self.decision.fit(self._combine(raw)[0])
        self.fitted = True
        self._buffer, self._buffer_ts = [], []
        res = self._assemble(X, _ts(ts, n), raw, extras, np.zeros((n, F), dtype=np.int64))
        res.anomaly[:] = False
        return res

    def _reset_dynamics(self) -> None:
        F = self.n_features
        self.e = np.zeros(F)
        self.s_up = np.zeros(F)
        self.s_down = np.zeros(F)

    # ---- the shared math ------------------------------------------------------------------
    def _z(self, X: np.ndarray, R: np.ndarray) -> np.ndarray:
        Z = (R - self.center) / self.scale
        return np.where(np.isnan(Z), 0.0, Z)

    def _raw_block(self, X: np.ndarray, Z: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """All component scores (n, 5) and per-feature contributions; advances EWMA/CUSUM state."""
        c = self.config
        Zc = np.clip(Z, -c.clip, c.clip)
        E = ewma_block(self.e, Zc, c.ewma_lambda)
        U = E / self.ewma_sigma
        L = Zc / self.long_run
        decay = 1.0 - 1.0 / c.cusum_memory
        Sup = cusum_block(self.s_up, L - c.cusum_k, decay)
        Sdn = cusum_block(self.s_down, -L - c.cusum_k, decay)
        if len(Z):
            self.e, self.s_up, self.s_down = E[-1].copy(), Sup[-1].copy(), Sdn[-1].copy()
        S = np.maximum(Sup, Sdn)
        Cn = t2_contributions(Zc, self.precision)
        Cm = t2_contributions(U, self.precision)
        contrib = np.stack([np.abs(Z), np.abs(U), S, np.maximum(Cn, 0.0), np.maximum(Cm, 0.0)], axis=1)  # (n,5,F)
        raw = np.stack([np.abs(Z).max(axis=1), np.abs(U).max(axis=1), S.max(axis=1),
                        Cn.sum(axis=1), Cm.sum(axis=1)], axis=1)
        return raw, {"contrib": contrib, "Z": Z}

    def _combine(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Normalized components (n, 5; unused ones 0), the score (max of used), the dominant index."""
        N = raw / self.ref
        used = np.full(len(COMPONENTS), False)
        used[self._cidx] = True
        N = np.where(used, N, 0.0)
        dom = np.argmax(np.where(used, N, -np.inf), axis=1)
        return N.max(axis=1), N, dom

    def _assemble(self, X: np.ndarray, ts: np.ndarray, raw: np.ndarray, extras: dict[str, np.ndarray],
                  flags: np.ndarray) -> BatchResult:
        score, N, dom = self._combine(raw)
        contrib = extras["contrib"][np.arange(len(X)), dom] / self.ref[dom][:, None]
        alarm = np.zeros(len(X), dtype=bool)
        return BatchResult(ts=ts, score=score, anomaly=alarm, warming_up=np.zeros(len(X), dtype=bool),
                           components=N, component_names=COMPONENTS, dominant=dom, observed=X,
                           expected=self.model.expected(X), z=extras["Z"], contributions=contrib,
                           sensor_flags=flags)

    # ---- the two entry points -------------------------------------------------------------
    def score(self, X: np.ndarray, ts: np.ndarray | None = None) -> BatchResult:
        """Vectorized scoring of many rows; same results and end state as update() row by row."""
        X = np.asarray(X, dtype=np.float64)
        ts = _ts(ts, len(X))
        parts: list[BatchResult] = []
        if not self.fitted:
            need = self.config.warmup - len(self._buffer)
            head = X[:need]
            self._buffer.extend(head)
            self._buffer_ts.extend(ts[:need])
            parts.append(_warming(head, ts[:need], self.n_features_hint(X)))
            X, ts = X[need:], ts[need:]
            if len(self._buffer) >= self.config.warmup:
                self.fit(np.array(self._buffer))
        if len(X) and self.fitted:
            R = X - self.model.expected(X)
            Z = self._z(X, R)
            flags = self.sensor.block(X)
            raw, extras = self._raw_block(X, Z)
            res = self._assemble(X, ts, raw, extras, flags)
            res.anomaly = self.decision.block(res.score)
            parts.append(res)
        parts = [p for p in parts if len(p)] or parts[:1]
        return BatchResult.concat(parts) if len(parts) > 1 else parts[0]

    def n_features_hint(self, X: np.ndarray) -> int:
        return X.shape[1] if X.ndim == 2 else len(X)

    def update(self, x: np.ndarray, ts: float = np.nan) -> DetectorResult:
        """Score one sample; O(F²) arithmetic on small arrays, no history kept."""
        x = np.asarray(x, dtype=np.float64)
        if not self.fitted:
            self._buffer.append(x)
            self._buffer_ts.append(ts)
            warm = _warming(x[None, :], np.array([ts]), len(x))[0]
            if len(self._buffer) >= self.config.warmup:
                self.fit(np.array(self._buffer))
            return warm
        c = self.config
        exp = self.model.expected_one(x)
        z = (x - exp - self.center) / self.scale
        z[np.isnan(z)] = 0.0
        zc = np.clip(z, -c.clip, c.clip)
        lam = c.ewma_lambda
        self.e = (1.0 - lam) * self.e + lam * zc
        u = self.e / self.ewma_sigma
        lr = zc / self.long_run
        decay = 1.0 - 1.0 / c.cusum_memory
        self.s_up = np.maximum(0.0, decay * self.s_up + (lr - c.cusum_k))
        self.s_down = np.maximum(0.0, decay * self.s_down + (-lr - c.cusum_k))
        s = np.maximum(self.s_up, self.s_down)
        cn = zc * (zc @ self.precision)
        cm = u * (u @ self.precision)
        az, au = np.abs(z), np.abs(u)
        raw = np.array([az.max(), au.max(), s.max(), cn.sum(), cm.sum()])
        n = raw / self.ref
        for j in range(len(COMPONENTS)):
            if j not in self._cidx:
                n[j] = 0.0
        dom = max(self._cidx, key=lambda j: (n[j], -j))
        contrib = (az, au, s, np.maximum(cn, 0.0), np.maximum(cm, 0.0))[dom] / self.ref[dom]
        score = float(n[dom])
        flags = self.sensor.step(x)
        alarm = self.decision.step(score)
        return DetectorResult(ts=float(ts), score=score, anomaly=alarm, warming_up=False,
                              components=dict(zip(COMPONENTS, map(float, n))), dominant=COMPONENTS[dom],
                              observed=x, expected=exp, z=z, contributions=contrib, sensor_flags=flags)

    # ---- state ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything needed to resume: learned parameters and the running statistics."""
        st: dict[str, np.ndarray] = {"config": np.asarray(self.config.to_json()), "fitted": np.asarray(self.fitted)}
        if not self.fitted:
            st["buffer"] = np.array(self._buffer)
            st["buffer_ts"] = np.array(self._buffer_ts)
            return st
        for k in ("center", "scale", "precision", "ewma_sigma", "long_run", "ref", "e", "s_up", "s_down"):
            st[k] = np.asarray(getattr(self, k))
        for prefix, part in (("model.", self.model), ("sensor.", self.sensor), ("decision.", self.decision)):
            st.update({prefix + k: v for k, v in part.state_dict().items()})
        return st

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.fitted = bool(state["fitted"])
        if not self.fitted:
            self._buffer = list(np.asarray(state["buffer"]))
            self._buffer_ts = list(np.asarray(state["buffer_ts"]))
            return
        for k in ("center", "scale", "precision", "ewma_sigma", "long_run", "ref", "e", "s_up", "s_down"):
            setattr(self, k, np.array(state[k], dtype=np.float64))
        self.n_features = len(self.center)
        for prefix, part in (("model.", self.model), ("sensor.", self.sensor), ("decision.", self.decision)):
            part.load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)})

    def save(self, path: str | Path) -> None:
        """Write the state to an .npz file (atomic: temp file, then rename)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, **self.state_dict())
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path, model: ExpectationModel | None = None) -> "HealthyBehaviourDetector":
        with np.load(path, allow_pickle=False) as f:
            state = {k: f[k] for k in f.files}
        det = cls(DetectorConfig.from_json(str(state["config"])), model=model)
        det.load_state_dict(state)
        return det


def _ts(ts: np.ndarray | None, n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64) if ts is None else np.asarray(ts, dtype=np.float64)


def _warming(X: np.ndarray, ts: np.ndarray, F: int) -> BatchResult:
    n = len(X)
    zf = np.zeros((n, F))
    return BatchResult(ts=np.asarray(ts, dtype=np.float64), score=np.zeros(n), anomaly=np.zeros(n, dtype=bool),
                       warming_up=np.ones(n, dtype=bool), components=np.zeros((n, len(COMPONENTS))),
                       component_names=COMPONENTS, dominant=np.full(n, -1), observed=np.asarray(X, dtype=np.float64).reshape(n, F),
                       expected=np.full((n, F), np.nan), z=zf, contributions=zf.copy(),
                       sensor_flags=np.zeros((n, F), dtype=np.int64))
