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
   ``relearn_after`` rows, or is on now and has been on for most
   (``LASTING_SHARE``) of the at least ``relearn_after`` rows since the change
   began, the change is the new normal. (A new
   level that sits 3 sigma from the last one flickers: alarms of 20-270 rows
   with gaps between, none as long as the warm-up, and the stream stayed in
   alarm for half its rows, never re-learned.) The detector is
   re-fitted on the rows since the alarm began (at most ``memory``); the change
   was reported when it started, which is what an operator needs to know.
   ``relearn_after`` defaults to the warm-up length: a change that lasts as long
   as the window the detector trusted as normal is as normal as that window.
2. **Refresh for slow drift**: every ``refresh_every`` rows (default
   ``memory``) the detector is re-fitted on the remembered rows that were not
   in alarm, if there are at least a warm-up's worth. Each refit re-estimates
   scale, correlation, autocorrelation and the calibrated threshold, so the
   false-alarm rate the threshold states is the one on the recent past.

Learning online (no rows vouched for) four more views: a status column on a few
levels is also judged by how often it changes (:class:`FlapTest`); without
drivers, each channel that the others explain by how far it is from what they
predict (:class:`CrossModel`); a feature whose level wanders as a random walk
by its one-step innovations from a local level (:class:`LocalLevel`); and a
heavy-tailed feature by the windowed mean of its Huber-clipped values
(:class:`ShiftTest`).

The score returned is calibrated: divided by the alarm threshold, so 1.0 is the
level a healthy row exceeds with the configured probability
(``ThresholdConfig.false_alarm_prob``, 1e-4 per row by default) whatever the
stream, the features and the refits.
"""

from __future__ import annotations


import math
import warnings
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from heatwatch.edge.generic_detector.aftermath import UNSEEN, Aftermath, DriverMemory
from heatwatch.edge.generic_detector.daily import has_daily_cycle, hour_terms, rows_per_day
from heatwatch.edge.generic_detector.given import MAX_LEVELS, DriverModel
from heatwatch.edge.generic_detector.lagged import LaggedDrivers
from heatwatch.edge.generic_detector.offset import LevelOffset, OffsetConfig
from heatwatch.edge.generic_detector.neff import autocorrelation_time
from heatwatch.edge.generic_detector.robust import robust_location_scale, student_t_isf
from heatwatch.edge.generic_detector.healthy_behaviour import (HealthyBehaviourConfig, HealthyBehaviourDetector,
                                                                resolution, scale_floor)


LASTING_SHARE = 0.5  # a change is lasting when the alarm held for most of its rows since it began
DEGENERATE = 1e-3  # a residual scale below this share of a flat column's step is no scale (flat_floor)


@dataclass
class AdaptConfig:
    enabled: bool = True  # False: learn once, then frozen (the reference the user vouched for)
    memory: int = 2000  # rows remembered (the bound on what a refit can see)
    relearn_after: int | None = None  # alarm rows that make a change lasting; None: the warm-up length
    refresh_every: int | None = None  # rows between refits on recent healthy rows; None: memory; 0: never
    check_every: int = 10  # the rules are checked every this many rows (stream and batch alike)
    seasonal: bool = False  # look for a cycle in the rows each fit learns from and condition on its phase
    daily: bool = True  # with dated rows: test for a 24-h cycle in what the drivers leave, condition on the hour
    daily_interact: bool = True  # ... and on the hour times each continuous driver (a setback that depends on weather)
    # learning online (enabled), without drivers: a status column on a few levels is also judged by how
    # often it changes (FlapTest: flapping between levels with the mean unchanged is no residual)
    flapping: bool = True
    # learning online, without drivers: each channel is also judged by what the other channels
    # predict of it (CrossModel), when they explain most of it
    cross: bool = True
    # after a driver was beyond its training range: let what it left relax, judge what grows (aftermath.py)
    aftermath: bool = True
    # learning online, without drivers: a feature whose level wanders as a random walk (a local level
    # predicts it better than a stationary AR(1) does) is judged by its one-step innovations (LocalLevel)
    level: bool = True
    # learning online, without drivers: a heavy-tailed feature is also judged by the mean of its
    # Huber-clipped values over a window (ShiftTest): a shift of a few sigma under t-like noise
    shift: bool = True
    # with a driver model: the detector learns its scales, correlation and references from
    # residuals each explained by a model fitted without their block of rows (crossfit_residuals).
    # Off by default: quieter on new weather spells, but slow faults are seen later (docs/generic-detector.md)
    crossfit: bool = False
    # with crossfit: the alarm threshold (a multiple of the references) from the in-sample residuals,
    # the scales, correlation and references from the crossfitted ones. The day-blocks' residuals come
    # from 14 models with a step at each day's edge; their calibration scores cluster by day, and the
    # threshold's upper confidence bound, which counts independent clusters, widens for that
    # construction, not for the field (docs/generic-detector.md, s-weather12). Off: both crossfitted
    crossfit_in_sample_threshold: bool = False
    # with dated rows: each continuous given driver's lagged view (its exponentially weighted mean over
    # this many hours, lagged.py) bounds where the expectation is trusted: a building's demand follows the air through its
    # thermal mass, not the hour's air; its allowance only on the columns that follow it (given.lag_followers),
    # so a fault on a column that follows the hour's air is seen as without it. 0: off
    lag_hours: float = 24.0
    # the lagged view's allowance: "column" shrinks each following column by its own extrapolation error;
    # "common" only the direction the followers' extrapolation errors took together (given.common_shrink),
    # leaving a contrast between them (a condensing temperature against its pressure) as it is. Opt-in:
    # it keeps the Oslo condenser fault's first day, but a new season's misfit is not one direction
    # and the weather bench's hourly parts flag more (docs/generic-detector.md, s-weather13)
    lag_allowance: str = "column"
    # beyond the drivers' own range, each column's extrapolation growth at least its tied partners' times their
    # residuals' correlation (given.DriverModel._shared_kappa). Opt-in: fewer healthy episodes in a cold
    # the training never held (fresh33 7 -> 2), but the Oslo pump's +2 K condenser fault in the long cold is
    # seen after 109 h instead of 19 (docs/generic-detector.md, s-episodes32)
    shared_growth: bool = False
    # with a driver model: the MEWMA is judged with "the machine behaves as if its drivers read a little
    # differently" profiled out (nuisance directions: the expectation's sensitivity to each continuous
    # given driver, healthy_behaviour.profile_out): a small drift the drivers explain is absorbed, one
    # across it (a condensing temperature leaving the rest) counts in full
    profile_drivers: bool = False
    # with a driver model: the MEWMA is judged with the direction of the expectation's own miss on the
    # recent rows it did not trust (beyond the drivers' or the lagged view's range, where the allowance
    # shrinks it) profiled out: a season's offset the training did not show, carried back inside the
    # range by a warm spell, costs nothing; a change across it counts in full (measured, not the default)
    profile_offset: bool = False
    # with a driver model and dated rows: each column's expectation level re-fitted on the rows judged, at a
    # bounded pace (offset.py); the training's scales, correlation and threshold kept. Off: pace 0
    offset: OffsetConfig = field(default_factory=OffsetConfig)


@dataclass
class AdaptiveResult:
    score: np.ndarray  # calibrated: 1.0 = the alarm threshold
    anomaly: np.ndarray
    warming_up: np.ndarray
    relearned: np.ndarray  # True on the row after which the detector was re-fitted
    # per row: 0 judged, 1 held past a stop (not judged), 2 a machine state the training never held at a low
    # expected load (not judged; aftermath.JUDGED / HELD / UNSEEN); None without an aftermath (no drivers)
    status: np.ndarray | None = None


class AdaptiveDetector:
    """A :class:`HealthyBehaviourDetector` that re-learns from its last ``memory`` rows (see module doc).

    ``given``: indices of driver columns (given.py). The detector then scores the other
    columns' residuals from what the drivers explain, and every refit re-learns that
    relation too, from the same rows. ``AdaptConfig.seasonal``: each fit also looks for
    a cycle in the rows it learns from (:func:`find_period`) and, when there is one,
    its phase (Fourier terms of the row number) is a driver too: a daily profile is
    expected, its absence or a spike outside it is not. ``AdaptConfig.daily`` (on): with
    dated rows, each fit on contiguous rows asks whether what the drivers leave repeats
    with the day (daily.py) and, when it does, the hour of the day and the hour times each
    continuous driver are drivers too (a night setback that deepens in mild weather)."""

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
        self.lagger: LaggedDrivers | None = None  # the given drivers' lagged views, carried across calls
        self.derived: list[int] = []  # columns appended to the rows: each given driver's lagged view
        self.lag_cols: list[int] = []  # ... those the last fit used (continuous drivers, dated rows)
        self.continuous: list[int] = []  # given columns with more than MAX_LEVELS values at the last fit
        self.driver: DriverModel | None = None
        self.period = 0.0  # rows per cycle found at the last fit (0: none)
        self.fit_rows = 0  # rows the last fit learned from
        self.daily = False  # a 24-h cycle was found at the last fit on contiguous rows (daily.py)
        self.interact: list[tuple[int, float, float]] = []  # (given column, centre, scale) the hour interacts with
        self.cross: CrossModel | None = None  # each channel from the others (None: not used)
        self.aftermath: Aftermath | None = None  # the envelope of an excursion beyond the drivers' range
        self.level: LocalLevel | None = None  # random-walk features as innovations (None: none)
        self.flap = FlapTest(self.config.ewma_lambda, self.config.threshold.false_alarm_prob)
        self.shift: ShiftTest | None = None  # heavy-tailed features' windowed robust mean (None: none)
        self.untrusted: deque[np.ndarray] = deque(maxlen=max(self.config.warmup, 10))  # raw misses, untrusted rows
        self.offset: LevelOffset | None = None  # each column's level learned on judged rows (offset.py; None: off)
        self.off_rows: list[tuple[np.ndarray, np.ndarray]] = []  # (misses, weights) since the last check point
        self.off_alarm = False  # ... and whether any of those rows alarmed
        self.off_wait: deque[tuple[int, np.ndarray, np.ndarray]] = deque()  # (rows seen, misses, weights) waiting
        self.det = HealthyBehaviourDetector(replace(self.config, warmup=max(self.config.warmup, 10)))
        self.rows: deque[np.ndarray] = deque(maxlen=max(a.memory, self.config.warmup))
        self.alarmed: deque[bool] = deque(maxlen=max(a.memory, self.config.warmup))
        self.pending = 0  # warm-up rows collected before the first fit
        self.seen = 0  # rows seen in all
        self.alarm_run = 0  # consecutive alarmed rows up to now
        self.change_age = 0  # rows since the current change began (its first alarm; 0: none under way)
        self.change_on = 0  # alarmed rows since then
        self.quiet = 0  # consecutive rows without alarm
        self.since_fit = 0
        self.relearns = 0
        self.refreshes = 0

    @property
    def fitted(self) -> bool:
        return self.det.fitted

    def targets(self, F: int) -> list[int]:
        """The columns that are scored (all but the drivers)."""
        return [j for j in range(F) if j not in self.given and j not in self.derived]

    def _with_lagged(self, ts: np.ndarray, X: np.ndarray) -> np.ndarray:
        """The rows with each given driver's lagged view appended (lagged.py); as they are without."""
        if not self.given or self.adapt.lag_hours <= 0:
            return X
        if self.lagger is None:
            self.lagger = LaggedDrivers(len(self.given), self.adapt.lag_hours * 3600.0)
            self.derived = list(range(X.shape[1], X.shape[1] + len(self.given)))
        return np.column_stack([X, self.lagger.apply(ts, X[:, self.given])])

    def _drivers(self, X: np.ndarray, idx: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """The given columns; the phase of the cycle as Fourier terms when there is one; the hour
        of the day (alone and times each continuous driver) when there is a daily cycle."""
        D = X[:, self.given]
        if self.period:
            D = np.column_stack([D, fourier(idx, self.period)])
        if self.daily:
            D = np.column_stack([D, hour_terms(ts, [(X[:, j] - c) / s for j, c, s in self.interact])])
        return D

    def _features(self, X: np.ndarray, idx: np.ndarray, ts: np.ndarray, judged: bool = False,
                  crossfit: bool = False) -> np.ndarray:
        """What the detector scores. ``judged``: the rows are the stream's next ones, scored in order
        (not a fit's rows): they carry the aftermath of an excursion beyond the drivers' range, and
        the local level's state moves on; a fit's rows are filtered from the level they start at.
        ``crossfit`` (a fit's rows): each block of rows is explained by a driver model fitted
        without it (:func:`crossfit_residuals`), as the rows to be judged will be."""
        if self.driver is None:
            B = X
        elif crossfit and self.adapt.crossfit:
            B = crossfit_residuals(self._new_driver_model,
                                   self._drivers(X, idx, ts), X[:, self.targets(X.shape[1])], self.driver,
                                   crossfit_folds(ts))
        else:
            B = self.driver.residuals(self._drivers(X, idx, ts), X[:, self.targets(X.shape[1])],
                                      self.aftermath if judged else None, ts, self._lagged(X),
                                      self.offset.raw if judged and self.offset is not None else None)
        B = B if self.cross is None else np.column_stack([B, self.cross.residuals(B)])
        if self.level is None:
            return B
        V, end = self.level.innovations(B, self.level.state if judged else None)
        if judged:
            self.level.state = end
        return V

    def _directions(self, X: np.ndarray, idx: np.ndarray, ts: np.ndarray) -> np.ndarray | None:
        """(n, F, k) per row how the scored residuals move per unit of each continuous given driver
        (the expectation's central difference, shrunk as the residuals are): the directions a
        healthy misfit takes when the machine answers its drivers as if they read differently
        (a building colder than the hour's air says). None without a driver model or such a driver."""
        cols = [j for j in self.given if j in self.continuous]
        if self.driver is None or not cols or self.cross is not None or self.level is not None:
            return None
        lag = self._lagged(X)
        D = self._drivers(X, idx, ts)
        shrink = self.driver.shrink(D, lag)
        out = np.zeros((len(X), len(self.targets(X.shape[1])), len(cols)))
        for k, j in enumerate(cols):
            up, down = X.copy(), X.copy()
            up[:, j] += 0.5
            down[:, j] -= 0.5
            out[:, :, k] = (self.driver.expected(self._drivers(up, idx, ts))
                            - self.driver.expected(self._drivers(down, idx, ts))) * shrink
        return out

    def _offset(self, X: np.ndarray, idx: np.ndarray, ts: np.ndarray, status: np.ndarray) -> np.ndarray | None:
        """(n, F, 1) per row the mean raw miss of the expectation on the last untrusted judged rows (a driver
        or its lagged view beyond its training range: the extrapolation allowance acts), shrunk as this
        row's residuals are; the rows of this block are added after (causal). None without a driver model, or before any such row."""
        if self.driver is None or self.cross is not None or self.level is not None:
            return None
        lag = self._lagged(X)
        D = self._drivers(X, idx, ts)
        shrink = self.driver.shrink(D, lag)
        raw = (X[:, self.targets(X.shape[1])] - self.driver.expected(D)) / self.driver.sigma
        out = None
        if self.untrusted:
            c = self.config.clip  # a column whose training sigma was all but 0 would set the direction alone
            m = np.nanmean(np.clip(np.array(self.untrusted), -c, c), axis=0)
            out = (np.nan_to_num(m)[None, :] * shrink)[:, :, None]
        far = np.any(self.driver.extrapolation_se(D, lag) > 0.0, axis=1)
        for r, f, st in zip(raw, far, status):
            if st == 0 and f and np.isfinite(r).all():
                self.untrusted.append(r)
        return out

    def fit(self, ts: np.ndarray | None, X: np.ndarray) -> None:
        """Learn from rows the user vouches for (they are remembered like any others)."""
        X = np.asarray(X, dtype=np.float64)
        idx = np.arange(self.seen, self.seen + len(X), dtype=np.float64)
        ts = idx if ts is None else np.asarray(ts, dtype=np.float64)
        X = self._with_lagged(ts, X)
        XI = np.column_stack([X, idx, ts])
        self._refit(XI, contiguous=True)
        for x in XI[-self.rows.maxlen:]:
            self.rows.append(x)
            self.alarmed.append(False)
        self.seen += len(X)

    def score(self, ts: np.ndarray | None, X: np.ndarray) -> AdaptiveResult:
        """Score rows at times ts (None: row numbers); the same results as row by row."""
        X = np.asarray(X, dtype=np.float64)
        n = len(X)
        ts = np.arange(self.seen, self.seen + n, dtype=np.float64) if ts is None else np.asarray(ts, dtype=np.float64)
        X = self._with_lagged(ts, X)
        score = np.zeros(n)
        anomaly = np.zeros(n, dtype=bool)
        warm = np.zeros(n, dtype=bool)
        relearned = np.zeros(n, dtype=bool)
        status = np.zeros(n, dtype=np.int8)
        ce = self.adapt.check_every
        XI = np.column_stack([X, np.arange(self.seen, self.seen + n, dtype=np.float64), ts])  # rows, index, time
        i = 0
        while i < n:
            if not self.fitted:  # warm-up: remember, then learn from what was remembered
                take = XI[i:i + self.config.warmup - self.pending]
                for x in take:
                    self.rows.append(x)
                    self.alarmed.append(False)
                self.pending += len(take)
                warm[i:i + len(take)] = True
                self.seen += len(take)
                i += len(take)
                if self.pending >= self.config.warmup:
                    self._refit(np.array(list(self.rows)[-self.pending:]), contiguous=True)
                continue
            j = min(n, i + ce - (self.seen % ce))  # up to the next check
            feats = self._features(X[i:j], XI[i:j, -2], ts[i:j], judged=True)
            if self.aftermath is not None and len(self.aftermath.last) == j - i:
                status[i:j] = self.aftermath.last
            G = self._directions(X[i:j], XI[i:j, -2], ts[i:j]) if self.adapt.profile_drivers else None
            if self.adapt.profile_offset:
                off = self._offset(X[i:j], XI[i:j, -2], ts[i:j], status[i:j])
                if off is not None:
                    G = off if G is None else np.concatenate([G, off], axis=2)
            # a row out of the envelope (a state the training never held, at rest, the load expected low) is
            # not scored at all: the detector's EWMA, CUSUM and alarm neither decay nor grow across it (held
            # at a level, a fault's build-up on the rows around a light hour of rest started over)
            keep = status[i:j] != UNSEEN
            if keep.all():
                res = self.det.score(ts[i:j], feats, G)
                score[i:j] = res.score / self.det.decision.on
                anomaly[i:j] = res.anomaly
            elif keep.any():
                res = self.det.score(ts[i:j][keep], feats[keep], None if G is None else G[keep])
                score[i:j][keep] = res.score / self.det.decision.on
                anomaly[i:j][keep] = res.anomaly
            if self.shift is not None:
                ss = self.shift.score(feats)
                score[i:j] = np.maximum(score[i:j], ss)
                anomaly[i:j] |= ss >= 1.0
            if self.flap.fitted:
                fs = self.flap.score(X[i:j][:, self.targets(X.shape[1])], XI[i:j, -2])
                score[i:j] = np.maximum(score[i:j], fs)
                anomaly[i:j] |= fs >= 1.0
            for x, a, k in zip(XI[i:j], anomaly[i:j], keep):
                self.rows.append(x)
                self.alarmed.append(bool(a) or not k)  # a row not judged is not one to re-learn from either
                if k:
                    self._track_change(bool(a))
            run = _trailing_true(anomaly[i:j][keep])
            self.alarm_run = self.alarm_run + run if run == int(keep.sum()) else run
            self.seen += j - i
            self._learn_offset(X[i:j], XI[i:j, -2], ts[i:j], status[i:j], anomaly[i:j])
            self.since_fit += j - i
            if self.aftermath is not None and self.seen % ce == 0:  # at checks only: rows and blocks alike
                self.aftermath.alarm = self.alarm_run > 0
            if self.adapt.enabled and self.seen % ce == 0 and self._check():
                relearned[j - 1] = True
            i = j
        return AdaptiveResult(score, anomaly, warm, relearned, status)

    def update(self, ts: float, x: np.ndarray) -> tuple[float, bool]:
        """One row: (calibrated score, alarm)."""
        r = self.score(np.array([ts]), np.asarray(x, dtype=np.float64)[None, :])
        return float(r.score[0]), bool(r.anomaly[0])

    def _learn_offset(self, X: np.ndarray, idx: np.ndarray, ts: np.ndarray, status: np.ndarray,
                      alarm: np.ndarray) -> None:
        """Collect a judged block's misses and, at a check point (rows and blocks alike), learn each column's
        level from the rows since the last one (offset.py): only their judged rows, and not at all when one
        of them alarmed, or a change is under way, or the aftermath holds a level or an envelope."""
        if self.offset is None or self.driver is None:
            return
        self.off_alarm |= bool(alarm.any())
        ok = status == 0
        if ok.any():
            Xk = X[ok]
            D = self._drivers(Xk, idx[ok], ts[ok])
            miss = (Xk[:, self.targets(Xk.shape[1])] - self.driver.expected(D)) / self.driver.sigma
            lag = self._lagged(Xk)
            w = self.driver.shrink(D, lag) ** 2
            if not self.offset.cfg.beyond:  # only rows where the expectation is trusted
                w = w * ~np.any(self.driver.extrapolation_se(D, lag) > 0.0, axis=1)[:, None]
            self.off_rows.append((miss, w))
        if self.seen % self.adapt.check_every:
            return
        am = self.aftermath
        stands = self.off_alarm or self.alarm_run or self.change_age \
            or (am is not None and (am.spell or am.outside or bool(np.any(am.env))))
        if self.off_alarm or self.alarm_run:
            self.off_wait.clear()  # rows before an alarm are not learned from
        elif self.off_rows and not stands:
            self.off_wait.append((self.seen, np.concatenate([m for m, _ in self.off_rows]),
                                  np.concatenate([w for _, w in self.off_rows])))
        self.off_rows, self.off_alarm = [], False
        if stands:
            return
        old = self.seen - self.offset.cfg.delay * self.offset.per_day
        ready = []
        while self.off_wait and self.off_wait[0][0] <= old:
            ready.append(self.off_wait.popleft())
        if ready:
            self.offset.learn(np.concatenate([m for _, m, _ in ready]), np.concatenate([w for _, _, w in ready]))

    def _track_change(self, alarm: bool) -> None:
        """A change begins with an alarm and is under way until the alarm has been quiet for as
        many rows as it was on since the change began (a continuous alarm is a change whose
        age is its run; a flickering one keeps its change under way)."""
        if alarm:
            self.change_age += 1
            self.change_on += 1
            self.quiet = 0
        elif self.change_age:
            self.change_age += 1
            self.quiet += 1
            if self.quiet >= self.change_on:
                self.change_age = self.change_on = self.quiet = 0

    def _check(self) -> bool:
        """Apply the two rules at a check point; True when the detector was re-fitted."""
        if self.alarm_run > 0 and self.change_age >= self.relearn_after \
                and self.change_on >= LASTING_SHARE * self.change_age:
            k = min(self.change_age, len(self.rows))  # the rows since the change began
            self._refit(np.array(list(self.rows)[-k:]), contiguous=True)
            self.relearns += 1
            for i in range(len(self.alarmed) - k, len(self.alarmed)):
                self.alarmed[i] = False  # the rows are the new normal
            return True
        if self.refresh_every and self.since_fit >= self._refresh_after() and self.alarm_run == 0:
            keep = np.array([x for x, a in zip(self.rows, self.alarmed) if not a])
            if len(keep) >= self.config.warmup:
                self._refit(keep)
                self.refreshes += 1
                return True
        return False

    def _refresh_after(self) -> int:
        """Rows until the next refresh: ``refresh_every``, but with a cycle found no more than
        the rows the last fit learned from. A period estimated from two cycles is ~0.5 % off,
        and extrapolated over three times as many rows the profile slides out of phase (a
        288-row day/night counter flagged at both its peak and its trough)."""
        if self.period and self.fit_rows:
            return min(self.refresh_every, max(self.fit_rows, self.config.warmup))
        return self.refresh_every

    def _refit(self, XI: np.ndarray, contiguous: bool = False) -> None:
        """Learn from remembered rows (their index and time in the last two columns). Whether
        there is a daily cycle is decided on ``contiguous`` rows only (a refresh leaves the
        alarmed rows out, and a lag in rows is then no lag in time): else the last answer holds."""
        X, idx, ts = XI[:, :-2], XI[:, -2], XI[:, -1]
        self.fit_rows = len(XI)
        T = X[:, self.targets(X.shape[1])]
        # a driver's lagged view only where it is one: dated rows (a time constant in hours) and a
        # continuous driver (a mode's or a flag's mean over a day is no building's memory)
        self.continuous = [j for j in self.given if np.unique(X[np.isfinite(X[:, j]), j]).size > MAX_LEVELS]
        self.lag_cols = [d for j, d in zip(self.given, self.derived) if j in self.continuous] if rows_per_day(ts) else []
        self.period = find_period(T, idx, self.period) if self.adapt.seasonal else 0.0
        if contiguous:
            self.daily = False
            if self.adapt.daily and rows_per_day(ts):
                self.driver = self._driver_model(X, idx, ts, T) if (self.given or self.period) else None
                # what the drivers leave, not the last fit's cross-channel or level views
                left = self.driver.residuals(self._drivers(X, idx, ts), T) if self.driver is not None else T
                self.daily = has_daily_cycle(left, ts)
        self.interact = [(j, *_centre_scale(X[:, j])) for j in self.given
                         if np.unique(X[np.isfinite(X[:, j]), j]).size > MAX_LEVELS] \
            if self.daily and self.adapt.daily_interact else []
        self.driver = self._driver_model(X, idx, ts, T) if (self.given or self.period or self.daily) else None
        self.aftermath = Aftermath(self.driver.sigma, self.config.ewma_lambda) \
            if self.adapt.aftermath and self.driver is not None and self.driver.edges else None
        if self.aftermath is not None and rows_per_day(ts):  # dated rows: the drivers' day-mean too
            self.aftermath.memory = DriverMemory.learn(self._drivers(X, idx, ts), ts,
                                                       [e["driver"] for e in self.driver.edges if not e.get("lagged")])
        self.cross = None
        kept, self.level = self.level, None
        R = self._features(X, idx, ts, crossfit=True)
        if self.adapt.enabled and self.adapt.cross and not self.given and R.shape[1] > 1:
            self.cross = CrossModel.fit(R)
            R = self._features(X, idx, ts, crossfit=True)
        if self.adapt.enabled and self.adapt.level and not self.given:
            # not on drivers' residuals either: there a residual that wanders is the expectation's
            # misfit in new weather or a slow fault (a leak), and its innovations would absorb both
            # the gain from contiguous rows only (a refresh leaves the alarmed rows out, and the
            # level jumps across the gaps): else the last one holds
            if contiguous:
                self.level = LocalLevel.fit(R)
            elif kept is not None and len(kept.gain) == R.shape[1]:
                self.level = LocalLevel(kept.gain, LocalLevel.starts(R), kept.limit)
            if self.level is not None:
                R, self.level.state = self.level.innovations(R)  # the stream goes on from the fit rows' end
        if self.adapt.enabled and self.adapt.flapping and not self.given:
            # not with drivers: how often a status changes follows them (defrosts come with frost),
            # and the fit rows' rate is no null in new weather
            self.flap.fit(T, idx)
        if self.adapt.enabled and self.adapt.shift and not self.given:
            # not on drivers' residuals: their mean carries the expectation's own bias in weather the
            # fit rows did not show (the residuals are shrunk for it, a window's mean of psi is not),
            # and with --adapt --given a healthy pump was flagged on 15.6 % of its 15-minute rows
            # which features are heavy-tailed is decided on contiguous rows only (a refresh's rows
            # have gaps, drift and missed anomalies that make tails of their own): else it is kept
            keep = None if contiguous else (self.shift.cols if self.shift is not None else np.zeros(0, dtype=int))
            self.shift = ShiftTest.fit(R, self.config.threshold.false_alarm_prob, keep)
        floor = None
        if self.driver is not None:
            floor = flat_floor(T, R[:, :T.shape[1]])
            floor = np.concatenate([floor, np.zeros(R.shape[1] - len(floor))])
        on = self._in_sample_threshold(X, idx, ts, floor) \
            if self.given and self.adapt.crossfit and self.adapt.crossfit_in_sample_threshold else None
        self.det.fit(None, R, min_scale=floor)
        if on is not None:
            self.det.decision.on = on
        self.alarm_run = 0
        self.since_fit = 0
        self.change_age = self.change_on = self.quiet = 0
        per_day = rows_per_day(ts)
        self.off_rows, self.off_alarm = [], False
        self.off_wait.clear()
        # a level is learned against this expectation: a new fit starts it over
        self.offset = LevelOffset(self.driver.sigma, per_day, self.adapt.offset) \
            if self.adapt.offset.pace > 0 and self.driver is not None and per_day and self.cross is None \
            and self.level is None else None

    def _in_sample_threshold(self, X: np.ndarray, idx: np.ndarray, ts: np.ndarray, floor: np.ndarray | None) -> float:
        """The alarm threshold a detector learns from the fit's in-sample residuals (crossfit_in_sample_threshold)."""
        R = self._features(X, idx, ts)  # with given drivers: no cross-channel or level view
        det = HealthyBehaviourDetector(replace(self.config, warmup=max(self.config.warmup, 10)))
        det.fit(None, R, min_scale=floor)
        return float(det.decision.on)

    def _new_driver_model(self) -> DriverModel:
        """An unfitted driver model as this detector configures them (the full fit and each crossfit block)."""
        return DriverModel(ewma_lambda=self.config.ewma_lambda, linear_from=len(self.given),
                           common_lag=self.adapt.lag_allowance == "common",
                           joint_lag=self.adapt.lag_allowance == "joint", shared_kappa=self.adapt.shared_growth)

    def _driver_model(self, X: np.ndarray, idx: np.ndarray, ts: np.ndarray, T: np.ndarray) -> DriverModel:
        return self._new_driver_model().fit(self._drivers(X, idx, ts), T, self._lagged(X))

    def _lagged(self, X: np.ndarray) -> np.ndarray | None:
        """The given drivers' lagged views the last fit uses (None: none)."""
        return X[:, self.lag_cols] if self.lag_cols else None


CROSSFIT_FOLDS = 5  # undated rows: contiguous blocks of a fit's rows, each explained by a model fitted on the others


def crossfit_folds(ts: np.ndarray) -> int:
    """Blocks for :func:`crossfit_residuals`: with dated rows one per day (the unit the daily
    driver repeats on; a fortnight gives 14 models each fitted on 13 days), else ``CROSSFIT_FOLDS``."""
    if rows_per_day(ts):
        return max(2, int(round((float(np.nanmax(ts)) - float(np.nanmin(ts))) / 86400.0)))
    return CROSSFIT_FOLDS


def crossfit_residuals(make: "Callable[[], DriverModel]", D: np.ndarray, T: np.ndarray,
                       full: DriverModel, folds: int = CROSSFIT_FOLDS) -> np.ndarray:
    """What the drivers leave of each row, each block of ``len(D) / folds`` contiguous rows
    explained by a driver model fitted on the other blocks (blocked cross-validation).

    The rows to be judged are explained by a model that never saw them; a fit's own rows by
    one that did. With a spline and a daily profile (30 coefficients and more) fitted to a
    fortnight whose rows are strongly autocorrelated (336 hourly rows: a few dozen independent
    ones), the in-sample residuals are the smaller and the smoother: the model has taken
    part of each weather spell's own misfit into its coefficients. A new spell's persistent
    misfit (a cold week whose building, cooled through, asks more than the fortnight's cold
    nights did at the same air) then reads as many sigma of EWMA. Blocks that follow each
    other show what a model misses on weather it did not see, as the field will. The model
    in use stays the one fitted on every row (``full``): a block's rows are too few for a
    model of their own (fewer than twice its coefficients per column), then the full model
    explains them."""
    n = len(D)
    out = full.residuals(D, T)
    if folds < 2 or n < folds * 2:
        return out
    cuts = np.linspace(0, n, folds + 1).round().astype(int)
    for a, b in zip(cuts[:-1], cuts[1:]):
        keep = np.ones(n, dtype=bool)
        keep[a:b] = False
        model = make().fit(D[keep], T[keep])
        fitted = np.any(model.W != 0.0, axis=0)  # a column with too few rows keeps the full model's residuals
        out[a:b, fitted] = model.residuals(D[a:b], T[a:b])[:, fitted]
    return out


MIN_EXPLAINED = 0.5  # a channel is judged by the others only where they explain most of its variance


class CrossModel:
    """Each channel as a linear function of the other channels, fitted on the rows a fit learns from.

    Channels driven by one slow common factor each wander over a wide range, and a channel
    that decouples (follows the factor with the opposite sign) stays inside its own range.
    Only the correlation can tell, and the T² of z sees a correlation shrunk hard: the
    factor moves slowly, the products z_i z_j are strongly autocorrelated, and the
    time-series shrinkage toward the identity (novelty.py) takes a 0.99 correlation to
    0.6. The residual of a regression on the other channels is the channel's own noise,
    and it is scored like any feature (level, EWMA, CUSUM, T²). Used for the channels the
    others explain most of (``MIN_EXPLAINED`` of the variance in the fit rows): elsewhere
    the residual is the column again and would only split the false-alarm budget."""

    def __init__(self, cols: np.ndarray, coef: np.ndarray, fill: np.ndarray) -> None:
        self.cols, self.coef, self.fill = cols, coef, fill  # coef (len(cols), 1 + F)

    @classmethod
    def fit(cls, B: np.ndarray) -> "CrossModel | None":
        ok = np.all(np.isfinite(B), axis=1)
        F = B.shape[1]
        fill = np.array([np.median(B[ok, j]) if ok.any() else 0.0 for j in range(F)])
        if ok.sum() < 4 * F + 10:
            return None
        Y = B[ok]
        cols, coefs = [], []
        for j in range(F):
            var = float(np.var(Y[:, j]))
            if var <= 0:
                continue
            A = np.column_stack([np.ones(len(Y)), np.delete(Y, j, axis=1)])
            c = np.linalg.lstsq(A, Y[:, j], rcond=None)[0]
            c = _instrumented(A, Y[:, j], c)
            if float(np.var(Y[:, j] - A @ c)) <= (1.0 - MIN_EXPLAINED) * var:
                cols.append(j)
                coefs.append(np.insert(c, j + 1, -1.0))  # residual = A c - y, as one product
        return cls(np.array(cols, dtype=int), np.array(coefs), fill) if cols else None

    def residuals(self, B: np.ndarray) -> np.ndarray:
        """(n, len(cols)): each modelled channel minus what the others predict (missing: the
        channel's own reading missing gives a missing residual; a missing predictor its median)."""
        filled = np.where(np.isfinite(B), B, self.fill)
        P = np.column_stack([np.ones(len(B)), filled]) @ self.coef.T
        return np.where(np.isfinite(B[:, self.cols]), -P, np.nan)


IV_LAG = 5  # rows between a regressor and its instrument (longer than a sensor noise's memory)
IV_F = 10.0  # a weak instrument below this first-stage F statistic (Staiger & Stock 1997)


def _instrumented(A: np.ndarray, y: np.ndarray, ols: np.ndarray) -> np.ndarray:
    """The least-squares coefficients of y on A (intercept first) with the slope along their
    prediction re-estimated by an instrumental variable: the prediction ``IV_LAG`` rows earlier.

    Least squares on noisy regressors is biased toward zero (errors in variables: the
    regressors' own noise counts as signal): a channel predicted from others that carry
    noise follows the common factor a few % too little, and when the factor leaves the
    range of the fit rows the residual drifts with it (correlated channels, seeds 200-209:
    the residual correlated 0.16-0.5 with the level, and the MEWMA of the residuals held
    alarms where nothing decoupled). A row's noise is unrelated to the factor some rows
    before, which a slow factor still carries, so the lagged prediction identifies the slope
    without the attenuation (Durbin 1954). Only the one slope along the prediction: the
    split among regressors that follow one factor (collinear) is not identified by lags.
    Where the prediction does not persist over the lag (a fast factor: a weak instrument,
    first-stage F below ``IV_F``) least squares is kept."""
    p = A[:, 1:] @ ols[1:]
    if len(y) < 10 * IV_LAG:
        return ols
    z, pc, yc = p[:-IV_LAG] - p[:-IV_LAG].mean(), p[IV_LAG:] - p[IV_LAG:].mean(), y[IV_LAG:] - y[IV_LAG:].mean()
    szp, szz, spp = float(z @ pc), float(z @ z), float(pc @ pc)
    if not (szz > 0 and spp > 0):
        return ols
    r2 = szp * szp / (szz * spp)  # the first stage: the prediction on its lagged self
    if r2 >= 1.0 or (len(z) - 2) * r2 / (1.0 - r2) < IV_F:
        return ols
    slope = float(z @ yc) / szp
    out = np.concatenate([[float(np.mean(y - slope * p))], slope * ols[1:]])
    return out


GAINS = np.geomspace(0.005, 0.5, 30)  # local-level gains tried (memory 2-200 rows)


class LocalLevel:
    """Features whose level wanders as a random walk, judged by their one-step innovations.

    A level that wanders as a random walk under measurement noise (a tank, a balance) strays
    further from any fixed reference the longer the stream runs; the wander allowance cannot
    see it in a warm-up where the walk moved less than the noise (its variogram test needs
    the growth to clear two standard errors), and the level leaves the reference a few
    hundred rows later: an alarm held until the re-learn, and the anomalies inside it missed.
    The local level model (x = level + noise, level a random walk) predicts the next row by
    an EWMA of the past ones with gain K (the steady-state Kalman gain, the ARIMA(0,1,1)
    forecast); K is chosen by the least one-step loss on the fit rows, a squared error bounded
    at ``ROBUST`` noise sigma (Huber), and an innovation moves the level by at most that much.
    A feature is judged by its innovations x - level only where that forecast beats a
    stationary AR(1) with a mean (fitted robustly; same number of parameters) by more than two
    standard errors of the loss difference (Diebold-Mariano): a stationary feature keeps its
    level view, so a shift that lasts stays visible until the re-learn. The gain is chosen on
    contiguous fit rows only (warm-up, re-learn); a refresh keeps it. A jump of a walking
    level shows as innovations that decay as (1 - K)^t: seen at once, absorbed after ~1/K rows."""

    def __init__(self, gain: np.ndarray, start: np.ndarray, limit: np.ndarray) -> None:
        self.gain = gain  # (F,) 0: the feature is kept as it is
        self.start = start  # the level at the first fit row
        self.limit = limit  # the most one innovation moves the level by, before the gain (ROBUST noise sigma)
        self.state = start.copy()  # the level after the last row scored

    @classmethod
    def fit(cls, R: np.ndarray) -> "LocalLevel | None":
        n, F = R.shape
        if n < 100:
            return None
        gain, start, limit = np.zeros(F), cls.starts(R), np.full(F, np.inf)
        for j in range(F):
            x = R[:, j]
            ok = np.isfinite(x)
            if ok.sum() < 100 or np.unique(x[ok]).size <= MAX_LEVELS:
                continue
            ar, sigma = _ar1_loss(x)
            if not sigma > 0:
                continue
            lim = ROBUST * sigma
            losses = [_level_loss(x, k, start[j], lim) for k in GAINS]
            best = int(np.argmin([np.nanmean(loss) for loss in losses]))
            if _beats(losses[best], ar):  # a walk, by the best gain; its gain by the one-SE rule
                k = _longest_memory_within_one_se(losses)
                gain[j], limit[j] = GAINS[k], lim
        return cls(gain, start, limit) if gain.any() else None

    @staticmethod
    def starts(R: np.ndarray) -> np.ndarray:
        """Per feature the level the filter starts at: the median of its first 20 readings."""
        out = np.zeros(R.shape[1])
        for j in range(R.shape[1]):
            x = R[np.isfinite(R[:, j]), j]
            out[j] = float(np.median(x[:20])) if x.size else 0.0
        return out

    def innovations(self, B: np.ndarray, level: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(rows with the walking features replaced by x - the level before the row, the level
        after the last row), from ``level`` (None: the level at the first fit row). A missing
        reading gives a missing innovation and leaves the level where it was; an innovation
        moves the level by at most ``limit`` times the gain (a burst or a glitch does not
        drag it along)."""
        m = (self.start if level is None else level).copy()
        V = B.copy()
        cols = np.flatnonzero(self.gain)
        K, lim = self.gain[cols], self.limit[cols]
        for t in range(len(B)):
            v = B[t, cols] - m[cols]
            V[t, cols] = v
            m[cols] += np.where(np.isfinite(v), K * np.clip(v, -lim, lim), 0.0)
        return V, m


ROBUST = 3.0  # innovations beyond this many robust noise sigma count as this many (Huber's bounded loss)


def _level_loss(x: np.ndarray, k: float, m: float, lim: float, skip: int = 20) -> np.ndarray:
    """Per row the bounded squared one-step error, min(e², lim²), of an EWMA forecast with gain
    k from level m (NaN before ``skip`` and where x is missing), the level moved by the bounded
    innovation."""
    e = np.full(len(x), np.nan)
    for t, v in enumerate(x):
        if v == v:
            e[t] = v - m
            m += k * min(max(e[t], -lim), lim)
    e[:skip] = np.nan
    return np.minimum(e**2, lim * lim)


def _ar1_loss(x: np.ndarray, skip: int = 20) -> tuple[np.ndarray, float]:
    """The same per-row bounded loss of an AR(1) with a mean, fitted robustly (rows from ``skip``
    whose previous row is there too), and its errors' robust sigma (the noise unit of both)."""
    a, b = x[:-1], x[1:]
    ok = np.isfinite(a) & np.isfinite(b)
    ok[:skip - 1] = False
    loss = np.full(len(x), np.nan)
    if ok.sum() < 10:
        return loss, 0.0
    A = np.column_stack([np.ones(int(ok.sum())), a[ok]])
    y = b[ok]
    w = np.ones(len(y))
    for _ in range(4):  # Huber's M-estimate by reweighting: bursts and glitches do not pull the fit
        c = np.linalg.lstsq(A * w[:, None], y * w, rcond=None)[0]
        e = y - A @ c
        sigma = 1.4826 * float(np.median(np.abs(e - np.median(e))))
        if not sigma > 0:
            break
        w = np.sqrt(np.minimum(1.0, ROBUST * sigma / np.maximum(np.abs(e), 1e-300)))
    loss[1:][ok] = np.minimum(e**2, (ROBUST * sigma) ** 2)
    return loss, sigma


def _longest_memory_within_one_se(losses: list[np.ndarray]) -> int:
    """The index of the smallest gain (``GAINS`` ascend: the longest memory) whose mean loss is
    within one standard error of the least (the one-standard-error rule of model selection,
    Breiman et al. 1984; Hastie, Tibshirani & Friedman 2009, 7.10). On a walking level the loss
    is flat over a decade of gains, and the few rows of a jump at the end of a re-learn's rows
    decided among them: a re-learn that began with a jump chose 0.19 where 0.05 fits the walk,
    and the level then followed the next jumps within a few rows (they were missed). The
    standard error is the one of the per-row loss difference to the best, its rows counted by
    their autocorrelation time."""
    means = np.array([np.nanmean(loss) for loss in losses])
    best = int(np.argmin(means))
    for k in range(best):
        d = losses[k] - losses[best]
        d = d[np.isfinite(d)]
        if d.size < 20:
            continue
        sd = float(np.std(d))
        tau = float(autocorrelation_time(d[:, None] - d.mean())[0]) if sd > 0 else 1.0
        if float(d.mean()) <= sd * np.sqrt(tau / d.size):
            return k
    return best


def _beats(a: np.ndarray, b: np.ndarray, z: float = 2.0) -> bool:
    """Whether forecast losses a are smaller than b by more than ``z`` standard errors (Diebold &
    Mariano 1995: the mean loss difference over its standard error, the rows counted by their
    autocorrelation time). A walk must show in the fit rows; a stationary feature, for which
    both forecasts tie up to chance, keeps its level view."""
    d = a - b
    d = d[np.isfinite(d)]
    if d.size < 20:
        return False
    sd = float(np.std(d))
    if not sd > 0:
        return False
    tau = float(autocorrelation_time(d[:, None] - d.mean())[0])
    return float(d.mean()) < -z * sd * np.sqrt(tau / d.size)


HUBER_C = 1.5  # ShiftTest: values clipped at this many robust sigma (Huber's psi)
SHIFT_WINDOW = 50  # ShiftTest: rows whose mean psi is tested
TAIL_SIGMA = 4.0  # a feature is heavy-tailed when its fit rows fall beyond this many robust sigma ...
TAIL_ROWS = 3  # ... at least this often (a Gaussian's 6e-5 a row gives 0.04 in 600 rows)


class ShiftTest:
    """A lasting shift of a heavy-tailed feature, by the mean of its Huber-clipped values over a window.

    The detector's residual, EWMA and CUSUM work in normal units: their references and the
    threshold come from a Gaussian null, and heavy tails (Student-t-like noise) widen all of
    them, so a shift of 3 robust sigma lasting hundreds of rows reached 0.86-0.91 of the
    threshold (the hard suite's heavy tails: 7-14 misses on the tuning seeds). Clipping
    inside the shared detector did not help (the Gaussian floors stay). Here a feature whose
    fit rows fall beyond ``TAIL_SIGMA`` robust sigma far more often than a Gaussian's is also
    judged on its own terms: psi = the value in robust sigma from the median, clipped at
    ``HUBER_C`` (Huber's M-estimator's psi: bounded, so the t tails do not carry the mean),
    averaged over the last ``SHIFT_WINDOW`` rows. Bounded values average to normal quickly;
    the null is the fit rows' mean of psi, its variance times their integrated
    autocorrelation time over the window (plus the fit mean's own error), and the threshold
    the Student-t quantile (fit rows' effective count) at the detector's false-alarm
    probability per row, two-sided, shared by the features tested. The score is |z| over
    that quantile: 1.0 at the threshold."""

    def __init__(self, cols: np.ndarray, med: np.ndarray, scale: np.ndarray, mu: np.ndarray, sd: np.ndarray,
                 start: np.ndarray) -> None:
        self.cols, self.med, self.scale, self.mu = cols, med, scale, mu
        self.sd = sd  # (len(cols), SHIFT_WINDOW + 1): the null sd of a mean over k rows, times the threshold
        self.recent: deque[np.ndarray] = deque(start, maxlen=SHIFT_WINDOW - 1)  # the last rows' psi

    @classmethod
    def fit(cls, R: np.ndarray, false_alarm_prob: float, keep: np.ndarray | None = None) -> "ShiftTest | None":
        """The heavy-tailed features of R and their null; ``keep``: these features, whatever their
        tails (a refresh re-estimates the null of the features chosen on contiguous rows)."""
        n = len(R)
        if n < 100 or (keep is not None and not keep.size):
            return None
        rows = []
        for j in (range(R.shape[1]) if keep is None else keep.tolist()):
            x = R[np.isfinite(R[:, j]), j]
            if x.size < 100 or np.unique(x).size <= MAX_LEVELS:
                continue
            med = float(np.median(x))
            scale = 1.4826 * float(np.median(np.abs(x - med)))
            if not scale > 0 or (keep is None and int(np.sum(np.abs(x - med) > TAIL_SIGMA * scale)) < TAIL_ROWS):
                continue
            psi = np.clip((x - med) / scale, -HUBER_C, HUBER_C)
            tau = float(autocorrelation_time(psi[:, None])[0])
            rows.append((j, med, scale, float(psi.mean()), float(psi.var()), tau, x.size))
        if not rows:
            return None
        alpha = false_alarm_prob / (2 * len(rows))
        cols = np.array([r[0] for r in rows], dtype=int)
        k = np.arange(SHIFT_WINDOW + 1, dtype=np.float64)
        k[0] = np.inf
        sd = np.array([np.sqrt(v * tau * (1.0 / k + 1.0 / m)) * student_t_isf(alpha, max(m / tau - 1.0, 2.0))
                       for _, _, _, _, v, tau, m in rows])
        med, scale, mu = (np.array([r[i] for r in rows]) for i in (1, 2, 3))
        psi = np.clip((R[:, cols] - med) / scale, -HUBER_C, HUBER_C)
        psi = np.where(np.isfinite(psi), psi, mu)
        return cls(cols, med, scale, mu, sd, psi[-(SHIFT_WINDOW - 1):])

    def score(self, B: np.ndarray) -> np.ndarray:
        """Per row the calibrated score (1.0 = the threshold) of the window ending there; the
        same row by row as in blocks. A missing value counts as the null mean."""
        psi = np.clip((B[:, self.cols] - self.med) / self.scale, -HUBER_C, HUBER_C)
        psi = np.where(np.isfinite(psi), psi, self.mu)
        past = np.array(self.recent, dtype=np.float64).reshape(-1, len(self.cols))
        allp = np.vstack([past, psi])
        csum = np.vstack([np.zeros((1, len(self.cols))), np.cumsum(allp, axis=0)])
        end = np.arange(len(past) + 1, len(allp) + 1)
        begin = np.maximum(end - SHIFT_WINDOW, 0)
        k = end - begin
        mean = (csum[end] - csum[begin]) / k[:, None]
        z = np.abs(mean - self.mu) / self.sd[:, k].T
        self.recent.extend(psi[-(SHIFT_WINDOW - 1):])
        return z.max(axis=1)


class FlapTest:
    """How often a status column on a few levels changes, against how often it did in the rows
    the detector learned from.

    A status that flaps between the levels either side of its usual one (2, 4, 2, 4 around 3)
    keeps its mean: the residual sees |z| = 1 (one step) on every row, the EWMA and CUSUM see
    nothing. The count of changes in the last ``window`` rows (the accumulators' memory,
    1 / lambda) is what moved. The null: the change rate p learned from contiguous rows (one
    change more than seen, so a status that never moved still has a rate), the changes
    arriving in pairs (a status leaves its level and comes back), the pairs a Poisson count of
    mean window p / 2. The score is log(tail) / log(alpha): 1.0 where the tail probability is
    the detector's false-alarm probability per row, shared by the columns tested."""

    def __init__(self, ewma_lambda: float, false_alarm_prob: float) -> None:
        self.window = max(2, int(round(1.0 / ewma_lambda)))
        self.alpha = false_alarm_prob
        self.cols = np.zeros(0, dtype=int)  # the status columns tested (indices into the targets)
        self.log_tail = np.zeros((0, 0))  # (changes in the window + 1, columns): log P(count >= k)
        self.recent: deque[np.ndarray] = deque(maxlen=self.window - 1)  # the last rows' changes
        self.last: np.ndarray | None = None  # the last row seen (the tested columns)
        self.last_idx = -2.0
        self.log_alpha = math.log(false_alarm_prob)

    @property
    def fitted(self) -> bool:
        return self.cols.size > 0

    def fit(self, T: np.ndarray, idx: np.ndarray) -> None:
        """Which columns are statuses (at most ``MAX_LEVELS`` distinct values) and their change rates."""
        cols = [j for j in range(T.shape[1])
                if 0 < np.unique(T[np.isfinite(T[:, j]), j]).size <= MAX_LEVELS]
        self.cols = np.array(cols, dtype=int)
        self.recent.clear()
        self.last, self.last_idx = None, -2.0
        if not cols:
            return
        S = T[:, self.cols]
        step = np.diff(idx) == 1.0
        pairs = int(step.sum())
        changed = _changes(S[:-1], S[1:]) & step[:, None]
        p = (changed.sum(axis=0) + 1.0) / (pairs + 1.0)
        alpha = self.alpha / len(cols)
        k = np.arange(self.window + 1)
        self.log_tail = np.array([[_log_poisson_tail(int(c) // 2, self.window * q / 2.0) for q in p] for c in k])
        self.log_alpha = math.log(alpha)
        self.last = S[-1].copy()
        self.last_idx = float(idx[-1])

    def score(self, T: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Per row the calibrated flapping score (1.0 = the threshold); the same row by row as in blocks."""
        S = T[:, self.cols]
        prev = np.vstack([self.last if self.last is not None else S[:1], S[:-1]])
        prev_idx = np.concatenate([[self.last_idx], idx[:-1]])
        ch = _changes(prev, S) & (idx - prev_idx == 1.0)[:, None]
        past = np.array(self.recent, dtype=bool).reshape(-1, len(self.cols))
        allc = np.vstack([past, ch]).astype(np.int64)
        csum = np.vstack([np.zeros((1, len(self.cols)), dtype=np.int64), np.cumsum(allc, axis=0)])
        end = np.arange(len(past) + 1, len(allc) + 1)
        count = csum[end] - csum[np.maximum(end - self.window, 0)]
        log_tail = np.take_along_axis(self.log_tail, count, axis=0)
        self.recent.extend(ch[-(self.window - 1):])
        self.last, self.last_idx = S[-1].copy(), float(idx[-1])
        return (log_tail / self.log_alpha).max(axis=1)


def _changes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where a status changed between two rows (a missing reading is no change)."""
    return (a != b) & np.isfinite(a) & np.isfinite(b)


def _log_poisson_tail(k: int, mu: float) -> float:
    """log P(N >= k), N Poisson of mean mu (summed upward from k: no cancellation in a tiny tail)."""
    if k <= 0:
        return 0.0
    log_pmf = -mu + k * math.log(mu) - math.lgamma(k + 1)
    total, term, i = 1.0, 1.0, k
    while term > 1e-17 * total:
        i += 1
        term *= mu / i
        total += term
    return min(0.0, log_pmf + math.log(total))


def flat_floor(T: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Per column the least sigma of a driver model's residuals R of the readings T: for a
    column flat in the rows (more than half of them at one value, MAD 0: a defrost share that
    sat at 0, a status) whose residuals have no spread to speak of (a robust scale below
    ``DEGENERATE`` of its step: the fit's rounding, not the sensor's noise), its own floors,
    the step between its values and the unit of an integer column
    (healthy_behaviour.scale_floor); 0 for the others, whose residuals carry a scale of their
    own (a quantized sensor's sub-step spread about a seasonal profile is kept, as before).

    A driver model fitted to a flat column leaves residuals of ~1e-10, and their spread is no
    sigma: a defrost share in steps of 1/15, 0 on all but 6 of 1344 training rows, got a sigma
    of 1e-9 and the first defrosts of winter scored 10^7 (bench/weather_bench.py, part fresh3)."""
    T = np.where(np.isfinite(T), np.asarray(T, dtype=np.float64), np.nan)
    with warnings.catch_warnings():  # an all-missing column has no median: it is not flat
        warnings.simplefilter("ignore", RuntimeWarning)
        mad = np.nanmedian(np.abs(T - np.nanmedian(T, axis=0)), axis=0)
    floor = np.maximum(resolution(T), scale_floor(T))
    _, spread = robust_location_scale(R)
    degenerate = np.isfinite(mad) & (mad == 0.0) & (spread < DEGENERATE * floor)
    return np.where(degenerate, floor, 0.0)


def _centre_scale(x: np.ndarray) -> tuple[float, float]:
    """Median and robust scale of a driver (the hour's interaction term is in these units)."""
    x = x[np.isfinite(x)]
    if not x.size:
        return 0.0, 1.0
    scale = float(robust_location_scale(x[:, None])[1][0])
    return float(np.median(x)), scale if scale > 0 else 1.0


HARMONICS = 3  # Fourier terms per cycle: a daily profile with a morning and an evening peak
MIN_CYCLES = 2  # a period is looked for only if the rows hold at least this many cycles
MIN_ACF = 0.3  # ... and accepted when the autocorrelation at one cycle is at least this


def fourier(idx: np.ndarray, period: float, harmonics: int = HARMONICS) -> np.ndarray:
    """(n, 2K) sin/cos of the phase of row ``idx`` in a cycle of ``period`` rows."""
    w = 2.0 * np.pi * np.asarray(idx, dtype=np.float64)[:, None] * np.arange(1, harmonics + 1) / period
    return np.column_stack([np.sin(w), np.cos(w)])


def find_period(T: np.ndarray, idx: np.ndarray | None = None, near: float = 0.0) -> float:
    """The length of a cycle the rows repeat, in rows (0: none).

    Per column, the autocorrelation of the linearly detrended values; a cycle is the
    lag of its first peak after the first zero crossing that reaches MIN_ACF (an AR
    process that only decays has none; a later, higher peak is a multiple of the cycle:
    :func:`_first_peak`), accepted when the rows hold at least MIN_CYCLES of it. The
    column with the strongest peak decides, and the period is refined by least squares
    on the rows' own indices (``idx``; rows may have gaps). Rows with gaps (a refresh skips alarmed rows) cannot give an autocorrelation:
    then the period found before (``near``) is only refined."""
    n = len(T)
    t = np.arange(n, dtype=np.float64) if idx is None else np.asarray(idx, dtype=np.float64)
    contiguous = n > 1 and bool(np.all(np.diff(t) == 1.0))
    best, period, column = MIN_ACF, 0.0, -1
    for j in range(T.shape[1]):
        y = T[:, j]
        ok = np.isfinite(y)
        if ok.sum() < 4 * MIN_CYCLES or np.all(y[ok] == y[ok][0]):
            continue
        y = np.where(ok, y, np.nanmean(y))
        y = y - np.polyval(np.polyfit(t, y, 1), t)
        if not contiguous:
            if near:
                return _refine(y, t, near)
            return 0.0
        f = np.fft.rfft(_rank_scores(y), 2 * n)
        acf = np.fft.irfft(f * np.conj(f))[:n // MIN_CYCLES + 1]
        if acf[0] <= 0:
            continue
        acf = acf / acf[0] * n / (n - np.arange(len(acf)))  # unbiased: each lag by its own overlap
        below = np.flatnonzero(acf < 0)
        if not below.size:
            continue
        lag = _first_peak(acf, int(below[0]))
        if lag >= 4 and acf[lag] > best:
            best, period, column = float(acf[lag]), float(lag), j
    if column < 0:
        return 0.0
    y = np.where(np.isfinite(T[:, column]), T[:, column], np.nanmean(T[:, column]))
    return _refine(y - np.polyval(np.polyfit(t, y, 1), t), t, period)


def _first_peak(acf: np.ndarray, start: int) -> int:
    """The lag of the first autocorrelation peak past ``start`` (the first zero crossing) that
    reaches ``MIN_ACF``: the cycle's own length, not a multiple of it (0: none).

    A cycle's autocorrelation peaks again at every multiple of its length, and where its
    amplitude drifts a later peak can stand higher than the first (a 103-row cycle whose
    swing grows by a quarter over five cycles peaked highest at 410 rows, then 775). Three
    harmonics of such a "period" cannot draw the cycle, which is left in the residuals and
    widens their scale: the trending cycles' anomalies were missed. The first peak is the
    first local maximum after the autocorrelation rises through MIN_ACF."""
    up = np.flatnonzero(acf[start:] >= MIN_ACF)
    if not up.size:
        return 0
    lag = start + int(up[0])
    while lag + 1 < len(acf) and acf[lag + 1] >= acf[lag]:
        lag += 1
    return lag


def _rank_scores(y: np.ndarray) -> np.ndarray:
    """Centred ranks in (-0.5, 0.5), ties at their mean rank: the autocorrelation of these
    (Spearman's) cannot be made by a handful of bursts. In a counter with heavy-tailed
    bursts the sample autocorrelation is that of its few largest values, and two bursts a
    lag apart give a "cycle" of that lag (141-1023 rows in Poisson counters)."""
    _, inv, cnt = np.unique(y, return_inverse=True, return_counts=True)
    mid = np.cumsum(cnt) - (cnt - 1) / 2.0 - 1.0  # 0-based mean rank of each distinct value
    return (mid[inv] + 0.5) / len(y) - 0.5


def _refine(y: np.ndarray, t: np.ndarray, guess: float) -> float:
    """The period near ``guess`` (-20 % to +25 %, then to 0.01 %) whose Fourier profile explains
    most of y: an autocorrelation peak from a few cycles sits a few rows off the true period,
    and a profile that slides by a fraction of a row per cycle is out of phase a few thousand
    rows later. The trend is fitted with the profile, not removed before it: a straight
    line fitted alone to two cycles and a bit takes part of the cycle with it, and the
    period then bends to fit the ramp (a 288-row cycle came out at 276-282 from 600 rows,
    and the profile drifted out of phase)."""
    tc = t - t.mean()

    def sse(p: float) -> float:
        B = np.column_stack([np.ones(len(t)), tc, fourier(t, p)])
        coef = np.linalg.lstsq(B, y, rcond=None)[0]
        return float(np.sum((y - B @ coef) ** 2))
    grid = guess * np.geomspace(0.8, 1.25, 224)  # 0.2 % steps
    p = float(grid[int(np.argmin([sse(g) for g in grid]))])
    fine = p * np.linspace(0.997, 1.003, 61)  # 0.01 % steps
    return float(fine[int(np.argmin([sse(g) for g in fine]))])


def _trailing_true(a: np.ndarray) -> int:
    """How many of the last entries of a boolean array are True in a row."""
    a = np.asarray(a, dtype=bool)
    if not a.size or not a[-1]:
        return 0
    false = np.flatnonzero(~a)
    return int(a.size - (false[-1] + 1)) if false.size else int(a.size)
