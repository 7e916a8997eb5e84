"""A season's offset: re-fit only the level of each column's expectation, at a bounded pace.

A frozen detector keeps the expectation its training fortnight gave it. When the season turns, a
pump can sit a little off that expectation at every air (a fan coil working harder in November
than in late August at the same outdoor temperature): judged in full once a warm spell brings the
drivers back inside their training range, the offset is flagged (docs/generic-detector.md, "A
season's offset"). Re-fitting the whole detector on rows it judged calm learns a spread, threshold
and correlation too narrow (s-refit25); this module learns only the level.

* **the level, nothing else**: per column a slow mean of the expectation's raw miss (in the training
  sigma, each row clipped at ``clip``) over the rows judged; the training's scales, correlation and
  threshold stay as they are, so the spread judged can only be the training's;
* **only where the expectation is trusted**: a row whose drivers (or their lagged view) are beyond the
  training range is not learned from (there the allowance already shrinks the miss, and a fault that
  starts in the cold would be learned while nobody judges it in full); the mean is taken over at least
  half a time constant's rows, so a few trusted rows teach a small level;
* **a bounded pace**: the level in use moves toward that mean by at most ``pace`` sigma per day of
  rows learned from. A season moves a pump by a sigma or two over weeks, a fault (a fouled condenser's
  +4 K) in an hour;
* **a delay**: a row is learned from only once it is ``delay`` days old with no alarm since (an alarm drops
  the rows waiting). The pace alone is not enough: a +4 K step of 1.6 sigma that the frozen detector sees only
  at a score of 1.1 (fresh18 hp-000) is hidden by a level of 0.1-0.2 sigma learned on its first days;
* **never while something stands**: the caller learns only from blocks with no alarm, no change under
  way, no held level, no open envelope, and only from rows judged (not held, not out of envelope).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OffsetConfig:
    pace: float = 0.0  # sigma per day of learned rows the level may move (0: off, the training's expectation)
    days: float = 7.0  # the mean's time constant, in days of learned rows
    clip: float = 3.0  # each row's miss clipped at this many sigma (one wild row moves little)
    # learn from rows beyond the drivers' (or their lagged view's) range too, weighed by their shrink factor
    # squared. Off: only rows where the expectation is trusted. On, a fault that starts in the cold and
    # is shrunk there is learned as the season (fresh18 hp-000's +4 K never seen at 0.1 sigma a day)
    beyond: bool = False
    # a row is learned from only once it is this many days old with no alarm since: a fault the detector sees
    # within that time is never learned before its alarm (the alarm drops the rows waiting)
    delay: float = 7.0
    # the level follows the mean only where the mean is beyond this many sigma (soft threshold). Measured off:
    # 0.25 kept fresh18 hp-002's season (a level of 0.2-0.3 sigma is what its chinook needs) from being learned
    dead: float = 0.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.pace) and self.pace >= 0.0):
            raise ValueError(f"offset pace {self.pace}: 0 (off) or a positive number of sigma per day")
        if not (np.isfinite(self.days) and self.days > 0.0) or not self.clip > 0.0:
            raise ValueError("offset days and clip above 0")
        if not (np.isfinite(self.delay) and self.delay >= 0.0) or not (np.isfinite(self.dead) and self.dead >= 0.0):
            raise ValueError("offset delay and dead band at least 0")


class LevelOffset:
    """Per column the level the expectation is moved by, in the training sigma of each column."""

    def __init__(self, sigma: np.ndarray, per_day: float, cfg: OffsetConfig) -> None:
        if per_day <= 0:
            raise ValueError("a level offset needs dated rows (rows per day above 0)")
        self.sigma = np.asarray(sigma, dtype=np.float64)
        self.cfg = cfg
        self.per_day = float(per_day)
        self.tau = cfg.days * self.per_day  # rows
        self.level = np.zeros(len(self.sigma))  # in use, sigma
        self.s = np.zeros(len(self.sigma))  # decayed weighted sum of clipped misses
        self.w = np.zeros(len(self.sigma))  # ... and of their weights
        self.learned = 0  # rows learned from

    @property
    def raw(self) -> np.ndarray:
        """The level in the columns' own units (what the expectation is moved by)."""
        return self.level * self.sigma

    def target(self) -> np.ndarray:
        """The slow mean the level moves toward: shrunk toward 0 until half a time constant's weight is in,
        and by the dead band."""
        m = self.s / np.maximum(self.w, 0.5 * self.tau)
        return np.sign(m) * np.maximum(np.abs(m) - self.cfg.dead, 0.0)

    def learn(self, miss: np.ndarray, weight: np.ndarray) -> None:
        """Learn from judged rows: ``miss`` (n, F) the raw miss over sigma (NaN: missing), ``weight`` (n, F) in [0, 1]."""
        miss = np.asarray(miss, dtype=np.float64)
        if not len(miss):
            return
        decay = np.exp(-1.0 / self.tau)
        c = self.cfg.clip
        for z, w in zip(miss, np.asarray(weight, dtype=np.float64)):
            ok = np.isfinite(z) & np.isfinite(w)
            self.s = self.s * decay + np.where(ok, np.clip(np.where(ok, z, 0.0), -c, c) * np.where(ok, w, 0.0), 0.0)
            self.w = self.w * decay + np.where(ok, w, 0.0)
        step = self.cfg.pace * len(miss) / self.per_day
        self.level = self.level + np.clip(self.target() - self.level, -step, step)
        self.learned += len(miss)
