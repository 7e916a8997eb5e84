"""The decision: a threshold from the healthy score distribution, hysteresis and persistence.

Kept apart from the scores so any detector can use it (River's shape). The
alarm threshold comes from the training scores: by default the level a
healthy score exceeds with probability 1e-4 per sample, extrapolated from an
exponential fit to the healthy tail (:func:`evt_threshold`); or, simpler, a
high quantile times a margin. In-sample scores are optimistic and healthy
operation wanders beyond the window it was learned from, and false alarms
cost more than a late alarm: both err on the high side. The tail's scale is
taken at an upper confidence bound (``confidence``) that counts the tail's
*independent* excursions (:func:`extremal_index`), not its rows: a score
with memory (an EWMA) crosses the tail quantile in clusters, and a threshold
extrapolated from two clusters is a guess that holds for the whole judged
series when the model is frozen.
An alarm is raised only after ``min_on`` consecutive samples above the
threshold (a single blip never pages a technician) and cleared only after
``min_off`` consecutive samples below ``hysteresis`` x threshold (no flapping);
with ``release="clusters"`` after as many as the healthy score's own excursions
stay quiet inside themselves (:func:`release_rows`), at most ``min_off``: a score
with memory (the MEWMA) has carried its evidence away by the time it falls, and
10 more rows held it 9 hours past the evidence on hourly rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heatwatch.edge.generic_detector.robust import chi2_quantile, robust_quantile
from heatwatch.runs import run_lengths


@dataclass
class ThresholdConfig:
    method: str = "evt"  # "evt": extrapolated tail; "quantile": quantile x margin
    quantile: float = 0.99  # quantile method: this healthy quantile ...
    margin: float = 1.5  # ... times this margin
    tail_quantile: float = 0.9  # evt: the tail starts at this healthy quantile ...
    false_alarm_prob: float = 1e-4  # ... and is extrapolated to this per-sample exceedance probability
    # evt: the tail's scale at this one-sided upper confidence bound, from the tail's independent
    # excursions (0.5: the point estimate; `heatwatch detect` states 0.95 for a frozen model)
    confidence: float = 0.5
    hysteresis: float = 0.8
    min_on: int = 5
    min_off: int = 10
    # "fixed": clear after min_off quiet rows. "clusters": after as many quiet rows as the healthy
    # score's own excursions hold between their exceedances (:func:`release_rows`), never more than
    # min_off: an excursion that has been quiet longer than a healthy one ever is inside itself is over
    release: str = "fixed"


def extremal_index(exceeds: np.ndarray) -> float:
    """The share of a series' exceedances that start an independent cluster, in (0, 1].

    Ferro & Segers' (2003) intervals estimator from the gaps between exceedances,
    with nothing to tune (no run length to choose, as runs declustering needs): 1 for
    exceedances that come alone, 1 / (mean cluster size) for a score with memory
    (an EWMA stays above its tail quantile for ~1/lambda rows at a time)."""
    gaps = np.diff(np.flatnonzero(exceeds)).astype(np.float64)
    if gaps.size < 2:
        return 1.0
    if gaps.max() <= 2.0:
        theta = 2.0 * gaps.sum() ** 2 / (gaps.size * float(np.sum(gaps**2)))
    else:
        theta = 2.0 * float(np.sum(gaps - 1.0)) ** 2 / (gaps.size * float(np.sum((gaps - 1.0) * (gaps - 2.0))))
    return float(min(1.0, theta))


def release_rows(scores: np.ndarray, tail_quantile: float, longest: int) -> int:
    """The quiet rows that end an excursion of this score, from its healthy tail's clusters (1..longest).

    Runs declustering with the run length the data imply (Ferro & Segers 2003, section 5): of
    the N exceedances of the ``tail_quantile``, theta N start a cluster (:func:`extremal_index`),
    so the theta N - 1 longest gaps between exceedances separate clusters and every shorter gap
    lies inside one. The longest gap inside a cluster, r rows (r - 1 quiet rows between two
    exceedances), is as long as a healthy excursion stays quiet and still goes on; r quiet rows
    end it. A score with memory (the MEWMA, an EWMA) crosses in nearly unbroken runs and gets a
    few rows (hourly weather pumps: 1-2 on most, up to 6); a per-row score whose excursions
    flicker gets a longer release. Fewer than three
    exceedances say nothing about the clusters: ``longest``."""
    v = np.asarray(scores, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return longest
    above = v > float(np.quantile(v, tail_quantile))
    gaps = np.sort(np.diff(np.flatnonzero(above)))[::-1]
    if gaps.size < 2:
        return longest
    clusters = max(1, int(round(extremal_index(above) * int(above.sum()))))
    r = int(gaps[clusters - 1]) if clusters - 1 < gaps.size else 1
    return int(min(max(r, 1), longest))


def evt_threshold(scores: np.ndarray, tail_quantile: float, prob: float, confidence: float = 0.5) -> float:
    """The score exceeded with probability ``prob``, from an exponential fit to the healthy tail.

    Peaks over threshold (as in SPOT, Siffer et al. 2017): above u = the
    ``tail_quantile`` the excesses of a light-tailed score are close to
    exponential with mean beta (estimated robustly by the median excess / ln 2),
    so P(s > u + y) = (1 - tail_quantile) exp(-y / beta). A few hundred training
    rows cannot show a 1e-4 quantile; the tail fit extrapolates to it instead
    of guessing a margin.

    ``confidence`` > 0.5: beta at that one-sided upper bound, 2 k beta / chi2(2 k) at
    1 - confidence, with k the excesses' independent clusters (:func:`extremal_index`
    times their number): the exponential mean's exact interval for k independent
    excesses. The extrapolation multiplies beta by ln(1000); an error in beta moves
    the threshold by as much, and on SKAB's 400 training rows one run's tail rested
    on 2 clusters (its threshold fell inside its healthy wander: 110 false rows).
    """
    v = np.asarray(scores, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.inf
    u = float(np.quantile(v, tail_quantile))
    above = v > u
    excess = v[above] - u
    if excess.size == 0:
        return u if u > 0 else 1e-12
    beta = float(np.median(excess)) / np.log(2.0)
    if confidence > 0.5:
        dof = max(2, int(round(2.0 * extremal_index(above) * excess.size)))
        beta *= dof / chi2_quantile(1.0 - confidence, dof)
    return u + beta * np.log((1.0 - tail_quantile) / prob)


class AlarmDecision:
    """Score -> 0/1 alarm with a learned threshold, hysteresis and minimum persistence."""

    def __init__(self, config: ThresholdConfig | None = None) -> None:
        self.config = config or ThresholdConfig()
        self.on = np.inf
        self.min_off = self.config.min_off  # quiet rows that clear an alarm (release "clusters": learned at fit)
        self.reset_state()

    def fit(self, train_scores: np.ndarray) -> float:
        """Set the threshold from healthy scores; returns it."""
        c = self.config
        if c.method == "evt":
            self.on = evt_threshold(train_scores, c.tail_quantile, c.false_alarm_prob, c.confidence)
        elif c.method == "quantile":
            self.on = robust_quantile(train_scores, c.quantile) * c.margin
        else:
            raise ValueError(f"unknown threshold method {c.method!r}")
        self.on = max(self.on, 1e-12)
        if c.release == "clusters":
            self.min_off = release_rows(train_scores, c.tail_quantile, c.min_off)
        elif c.release == "fixed":
            self.min_off = c.min_off
        else:
            raise ValueError(f"unknown release {c.release!r}")
        self.reset_state()
        return self.on

    @property
    def off(self) -> float:
        return self.on * self.config.hysteresis

    def reset_state(self) -> None:
        self.alarm = False
        self.run_above = 0
        self.run_below = 0

    def step(self, score: float) -> bool:
        c = self.config
        self.run_above = self.run_above + 1 if score > self.on else 0
        self.run_below = self.run_below + 1 if score < self.off else 0
        if self.run_above >= c.min_on:
            self.alarm = True
        elif self.run_below >= self.min_off:
            self.alarm = False
        return self.alarm

    def block(self, scores: np.ndarray) -> np.ndarray:
        """Alarms for an array of scores, identical to :meth:`step` in a loop.

        "above" and "below" exclude each other, so the alarm at t is whichever
        of the two persistence conditions held most recently.
        """
        c = self.config
        scores = np.asarray(scores, dtype=np.float64)
        n = len(scores)
        if n == 0:
            return np.zeros(0, dtype=bool)
        ra = run_lengths(scores > self.on, self.run_above)
        rb = run_lengths(scores < self.off, self.run_below)
        idx = np.arange(n)
        ev_on = np.maximum.accumulate(np.where(ra >= c.min_on, idx, -1))
        ev_off = np.maximum.accumulate(np.where(rb >= self.min_off, idx, -1))
        alarm = np.where(ev_on > ev_off, True, np.where(ev_off > ev_on, False, self.alarm))
        self.run_above, self.run_below, self.alarm = int(ra[-1]), int(rb[-1]), bool(alarm[-1])
        return alarm

    def state(self) -> dict:
        """Threshold and persistence counters, JSON-safe (base.py)."""
        return {"on": float(self.on), "min_off": int(self.min_off), "alarm": bool(self.alarm),
                "run_above": int(self.run_above), "run_below": int(self.run_below)}

    def load_state(self, state: dict) -> None:
        self.on = float(state["on"])
        self.min_off = int(state.get("min_off", self.config.min_off))  # states saved before the release was learned
        self.alarm = bool(state["alarm"])
        self.run_above = int(state["run_above"])
        self.run_below = int(state["run_below"])
