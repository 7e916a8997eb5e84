"""Online adaptation with a bounded memory: follow a stream that drifts, re-learn after a lasting change.

:class:`HealthyBehaviourDetector` freezes what it learned. That is right when
the user says which rows are healthy (``--train-rows``): the reference is
healthy behaviour, and a pump that slowly wears should stay flagged. For a
stream learned from its own start (no one vouched for it) it is wrong twice:

* a lasting level shift (a new release, a re-routed load, a re-ranged sensor)
  is flagged for the rest of the stream, so an alarm carries no information
  after the first one;
* slow drift that is healthy (seasons, a growing user base) is flagged once it
  strays past the wander the warm-up showed.

:class:`AdaptiveDetector` wraps the detector and keeps the last ``memory``
rows (never more: bounded memory on a Pi). Two rules, both checked every
``check_every`` rows so that streaming and batch give the same results:

1. **Re-learn after a lasting change**: when the alarm has been on for
   ``relearn_after`` rows, the change is the new normal. The detector is
   re-fitted on the rows since the alarm began (at most ``memory``); the change
   was reported when it started, which is what an operator needs to know.
   ``relearn_after`` defaults to the warm-up length: a change that lasts as long
   as the window the detector trusted as normal is as normal as that window.
2. **Refresh for slow drift**: every ``refresh_every`` rows (default
   ``memory``) the detector is re-fitted on the remembered rows that were not
   in alarm, if there are at least a warm-up's worth. Each refit re-estimates
   scale, correlation, autocorrelation and the calibrated threshold, so the
   false-alarm rate the threshold states is the one on the recent past.

The score returned is calibrated: divided by the alarm threshold, so 1.0 is the
level a healthy row exceeds with the configured probability
(``ThresholdConfig.false_alarm_prob``, 1e-4 per row by default) whatever the
stream, the features and the refits.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

import numpy as np

from heatwatch.edge.generic_detector.given import DriverModel
from heatwatch.edge.generic_detector.healthy_behaviour import HealthyBehaviourConfig, HealthyBehaviourDetector


@dataclass
class AdaptConfig:
    enabled: bool = True  # False: learn once, then frozen (the reference the user vouched for)
    memory: int = 2000  # rows remembered (the bound on what a refit can see)
    relearn_after: int | None = None  # alarm rows that make a change lasting; None: the warm-up length
    refresh_every: int | None = None  # rows between refits on recent healthy rows; None: memory; 0: never
    check_every: int = 10  # the rules are checked every this many rows (stream and batch alike)


@dataclass
class AdaptiveResult:
    score: np.ndarray  # calibrated: 1.0 = the alarm threshold
    anomaly: np.ndarray
    warming_up: np.ndarray
    relearned: np.ndarray  # True on the row after which the detector was re-fitted


class AdaptiveDetector:
    """A :class:`HealthyBehaviourDetector` that re-learns from its last ``memory`` rows (see module doc).

    ``given``: indices of driver columns (given.py). The detector then scores the other
    columns' residuals from what the drivers explain, and every refit re-learns that
    relation too, from the same rows."""

    def __init__(self, config: HealthyBehaviourConfig | None = None, adapt: AdaptConfig | None = None,
                 given: list[int] | None = None) -> None:
        self.config = config or HealthyBehaviourConfig()
        self.adapt = adapt or AdaptConfig()
        a = self.adapt
        self.relearn_after = a.relearn_after if a.relearn_after is not None else self.config.warmup
        self.refresh_every = a.refresh_every if a.refresh_every is not None else a.memory
        if a.memory < 10 or self.relearn_after < 10 or a.check_every < 1 or self.config.warmup < 10:
            raise ValueError("memory, relearn_after and warmup >= 10 rows, check_every >= 1")
        self.given = list(given or [])
        self.driver = DriverModel(ewma_lambda=self.config.ewma_lambda) if self.given else None
        self.det = HealthyBehaviourDetector(replace(self.config, warmup=max(self.config.warmup, 10)))
        self.rows: deque[np.ndarray] = deque(maxlen=max(a.memory, self.config.warmup))
        self.alarmed: deque[bool] = deque(maxlen=max(a.memory, self.config.warmup))
        self.pending = 0  # warm-up rows collected before the first fit
        self.seen = 0  # rows seen in all
        self.alarm_run = 0  # consecutive alarmed rows up to now
        self.since_fit = 0
        self.relearns = 0
        self.refreshes = 0

    @property
    def fitted(self) -> bool:
        return self.det.fitted

    def targets(self, F: int) -> list[int]:
        """The columns that are scored (all but the drivers)."""
        return [j for j in range(F) if j not in self.given]

    def _features(self, X: np.ndarray) -> np.ndarray:
        if self.driver is None:
            return X
        return self.driver.residuals(X[:, self.given], X[:, self.targets(X.shape[1])])

    def fit(self, ts: np.ndarray | None, X: np.ndarray) -> None:
        """Learn from rows the user vouches for (they are remembered like any others)."""
        X = np.asarray(X, dtype=np.float64)
        self._refit(X)
        for x in X[-self.rows.maxlen:]:
            self.rows.append(x)
            self.alarmed.append(False)
        self.seen += len(X)

    def score(self, ts: np.ndarray | None, X: np.ndarray) -> AdaptiveResult:
        """Score rows at times ts (None: row numbers); the same results as row by row."""
        X = np.asarray(X, dtype=np.float64)
        n = len(X)
        ts = np.arange(self.seen, self.seen + n, dtype=np.float64) if ts is None else np.asarray(ts, dtype=np.float64)
        score = np.zeros(n)
        anomaly = np.zeros(n, dtype=bool)
        warm = np.zeros(n, dtype=bool)
        relearned = np.zeros(n, dtype=bool)
        ce = self.adapt.check_every
        i = 0
        while i < n:
            if not self.fitted:  # warm-up: remember, then learn from what was remembered
                take = X[i:i + self.config.warmup - self.pending]
                for x in take:
                    self.rows.append(x)
                    self.alarmed.append(False)
                self.pending += len(take)
                warm[i:i + len(take)] = True
                self.seen += len(take)
                i += len(take)
                if self.pending >= self.config.warmup:
                    self._refit(np.array(list(self.rows)[-self.pending:]))
                continue
            j = min(n, i + ce - (self.seen % ce))  # up to the next check
            res = self.det.score(ts[i:j], self._features(X[i:j]))
            score[i:j] = res.score / self.det.decision.on
            anomaly[i:j] = res.anomaly
            for x, a in zip(X[i:j], res.anomaly):
                self.rows.append(x)
                self.alarmed.append(bool(a))
            run = _trailing_true(res.anomaly)
            self.alarm_run = self.alarm_run + run if run == j - i else run
            self.seen += j - i
            self.since_fit += j - i
            if self.adapt.enabled and self.seen % ce == 0 and self._check():
                relearned[j - 1] = True
            i = j
        return AdaptiveResult(score, anomaly, warm, relearned)

    def update(self, ts: float, x: np.ndarray) -> tuple[float, bool]:
        """One row: (calibrated score, alarm)."""
        r = self.score(np.array([ts]), np.asarray(x, dtype=np.float64)[None, :])
        return float(r.score[0]), bool(r.anomaly[0])

    def _check(self) -> bool:
        """Apply the two rules at a check point; True when the detector was re-fitted."""
        if self.alarm_run >= self.relearn_after:
            k = min(self.alarm_run, len(self.rows))
            self._refit(np.array(list(self.rows)[-k:]))
            self.relearns += 1
            for i in range(len(self.alarmed) - k, len(self.alarmed)):
                self.alarmed[i] = False  # the rows are the new normal
            return True
        if self.refresh_every and self.since_fit >= self.refresh_every and self.alarm_run == 0:
            keep = np.array([x for x, a in zip(self.rows, self.alarmed) if not a])
            if len(keep) >= self.config.warmup:
                self._refit(keep)
                self.refreshes += 1
                return True
        return False

    def _refit(self, X: np.ndarray) -> None:
        if self.driver is not None:
            self.driver.fit(X[:, self.given], X[:, self.targets(X.shape[1])])
        self.det.fit(None, self._features(X))
        self.alarm_run = 0
        self.since_fit = 0


def _trailing_true(a: np.ndarray) -> int:
    """How many of the last entries of a boolean array are True in a row."""
    a = np.asarray(a, dtype=bool)
    if not a.size or not a[-1]:
        return 0
    false = np.flatnonzero(~a)
    return int(a.size - (false[-1] + 1)) if false.size else int(a.size)
