"""What the detector says about a sample, and how it explains itself as Findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from heatwatch.edge.generic_detector.sensor_flags import flag_text
from heatwatch.contract import Finding

# detector component -> heatwatch.contract.Finding kind, and what it means
COMPONENT_KIND: dict[str, str] = {"residual": "residual", "ewma": "cusum", "cusum": "cusum",
                                  "novelty": "novelty", "mewma": "novelty"}
COMPONENT_TEXT: dict[str, str] = {
    "residual": "reads away from its healthy value",
    "ewma": "has shifted persistently (EWMA)",
    "cusum": "has drifted persistently (CUSUM)",
    "novelty": "breaks the healthy relation between features (T²)",
    "mewma": "persistently breaks the healthy relation between features (MEWMA T²)",
}


@dataclass
class HealthyBehaviourResult:
    """One sample, explained. ``score`` is in units of the calibrated component scale
    (about 1 = the 99th percentile of healthy); ``anomaly`` is the thresholded decision."""

    ts: float
    score: float
    anomaly: bool
    warming_up: bool
    components: dict[str, float]  # normalized score of each component
    dominant: str  # component that set the score
    observed: np.ndarray  # (F,)
    expected: np.ndarray  # (F,)
    z: np.ndarray  # residual in robust sigmas
    contributions: np.ndarray  # (F,) share of each feature in the dominant component
    sensor_flags: np.ndarray  # (F,) bit masks, see sensor_flags

    def top_features(self, k: int = 3, min_share: float = 0.1) -> list[int]:
        """Up to k features contributing most to the score, largest first; features with
        less than ``min_share`` of the total are left out (they are not the explanation)."""
        total = float(self.contributions.sum())
        order = np.argsort(-self.contributions, kind="stable")
        return [int(i) for i in order[:k] if total > 0 and self.contributions[i] >= min_share * total]

    def findings(self, names: Sequence[str], k: int = 3) -> list[Finding]:
        """The evidence for this sample: process findings (if anomalous) and sensor findings."""
        out: list[Finding] = []
        if self.anomaly:
            kind = COMPONENT_KIND[self.dominant]
            top = self.top_features(k)
            for i in top:
                out.append(Finding(
                    kind=kind, channels=[names[i]], expected=_f(self.expected[i]),
                    observed=_f(self.observed[i]), score=float(self.score),
                    message=(f"{names[i]} {COMPONENT_TEXT[self.dominant]}: observed "
                             f"{self.observed[i]:.4g}, expected {self.expected[i]:.4g} "
                             f"({self.z[i]:+.1f} sigma, {100 * self.contributions[i] / max(self.contributions.sum(), 1e-12):.0f} % of the score)"),
                ))
        for i in np.flatnonzero(self.sensor_flags):
            out.append(Finding(
                kind="sensor", channels=[names[i]], expected=_f(self.expected[i]),
                observed=_f(self.observed[i]), score=float(self.sensor_flags[i]),
                message=f"sensor {names[i]}: {flag_text(int(self.sensor_flags[i]))}",
            ))
        return out


def _f(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


@dataclass
class BatchResult:
    """The same fields as HealthyBehaviourResult for n samples, as arrays (rows = samples)."""

    ts: np.ndarray
    score: np.ndarray
    anomaly: np.ndarray
    warming_up: np.ndarray
    components: np.ndarray  # (n, C)
    component_names: tuple[str, ...]
    dominant: np.ndarray  # (n,) index into component_names, -1 while warming up
    observed: np.ndarray
    expected: np.ndarray
    z: np.ndarray
    contributions: np.ndarray
    sensor_flags: np.ndarray

    def __len__(self) -> int:
        return len(self.score)

    def __getitem__(self, i: int) -> HealthyBehaviourResult:
        d = int(self.dominant[i])
        return HealthyBehaviourResult(
            ts=float(self.ts[i]), score=float(self.score[i]), anomaly=bool(self.anomaly[i]),
            warming_up=bool(self.warming_up[i]),
            components=dict(zip(self.component_names, map(float, self.components[i]))),
            dominant=self.component_names[d] if d >= 0 else "",
            observed=self.observed[i], expected=self.expected[i], z=self.z[i],
            contributions=self.contributions[i], sensor_flags=self.sensor_flags[i],
        )

    @staticmethod
    def concat(parts: Sequence["BatchResult"]) -> "BatchResult":
        first = parts[0]
        fields = {k: np.concatenate([getattr(p, k) for p in parts])
                  for k in ("ts", "score", "anomaly", "warming_up", "components", "dominant", "observed",
                            "expected", "z", "contributions", "sensor_flags")}
        return BatchResult(component_names=first.component_names, **fields)
