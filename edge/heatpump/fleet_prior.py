"""The detector's side of a fleet prior (heatwatch.fleet_prior): judging a pump not yet learned
against the healthy pumps of its make, and refusing a commissioning window that disagrees.

A pump that is faulty from installation teaches its commissioning window a faulty
"normal"; the generic physics bands (prior.py) only catch faults far outside what any
pump does. Until the pump's own model exists the detector judges it with the fleet's
model and the fleet's alarm levels, widened by how much healthy pumps of that fleet
differ from each other; and when its own window ends, a window that disagrees with the
fleet beyond that spread is refused rather than learned as healthy (``FleetJudge.admit``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from heatwatch.edge.heatpump.healthy_model import MIN_SHIFT, TARGET_NAMES, HealthyModel
from heatwatch.edge.heatpump.medians import nanmedian_columns
from heatwatch.edge.heatpump.operating_point import FEATURE_NAMES
from heatwatch.fleet_prior import MAX_POINTS, SPREAD_Z, Commissioned, FleetPrior, FleetPriorError

ENVELOPE_FEATURES = ("t_outdoor", "t_flow", "compressor_hz")  # the detector's learned_envelope columns
_ENV = [FEATURE_NAMES.index(n) for n in ENVELOPE_FEATURES]
MIN_JUDGED_ROWS = 300  # steady minutes inside the fleet's range needed to refuse a window on its fit
OWN_NOTE = "own start"  # FleetPrior.note's first words for a prior of the pump's own first days (own_start.py)


def is_own(prior: FleetPrior) -> bool:
    """Is this prior the pump's own first days (own_start.start_prior), not a fleet's?"""
    return prior.members == 1 and prior.note.startswith(OWN_NOTE)


def growth_through(T: np.ndarray, F: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Per target: how much the window's readings changed from its first reading to its last at
    fixed operating points (the time term of a least-squares fit on the operating-point features
    and time; NaN where a target has too few readings). A healthy pump does not change within its
    first weeks; one faulty from installation does, at every operating point (a leak keeps opening
    the valve at the same weather and flow temperature), while an error of the fleet's model at
    points it knows less well follows the weather, which the features hold."""
    span = float(T[-1] - T[0]) if len(T) else 0.0
    out = np.full(Y.shape[1], np.nan)
    if span <= 0.0:
        return out
    A = np.column_stack([F, (T - T[0]) / span])
    known = ~np.isnan(A).any(axis=1)
    last: tuple[np.ndarray, np.ndarray] | None = None  # the last target's rows and A's rows there
    for j in range(Y.shape[1]):
        ok = ~np.isnan(Y[:, j]) & known
        if ok.sum() < 10 * A.shape[1]:
            continue
        if last is None or not np.array_equal(last[0], ok):  # most targets share their rows: A[ok] once
            last = (ok, A[ok])
        beta, *_ = np.linalg.lstsq(last[1], Y[ok, j], rcond=None)
        out[j] = beta[-1]
    return out


def commissioned(model: HealthyModel, alarm: np.ndarray, envelope: np.ndarray | None,
                 points: np.ndarray) -> Commissioned:
    """What the agent publishes of its own learned model (``points``: its window's operating points)."""
    if len(points) > MAX_POINTS:
        points = points[np.linspace(0, len(points) - 1, MAX_POINTS).round().astype(int)]
    return Commissioned(TARGET_NAMES, FEATURE_NAMES, model.coef, model.residual_scale, alarm, ENVELOPE_FEATURES,
                        envelope, points)


class FleetJudge:
    """A fleet prior as the detector uses it: its model, alarm levels and range, and the admission of
    this pump's own commissioning window."""

    def __init__(self, prior: FleetPrior) -> None:
        if prior.targets != TARGET_NAMES or prior.features != FEATURE_NAMES or \
                prior.envelope_features != ENVELOPE_FEATURES:
            raise FleetPriorError("its channels or features are not this agent's")
        self.prior = prior
        self.own = is_own(prior)  # the pump's own first days (own_start.py), not a fleet
        self.model = HealthyModel(prior.coef, prior.residual_scale)
        self.alarm, self.envelope = prior.alarm, prior.envelope
        # a single pump's own level (the members' own alarm, before the spread between pumps widened
        # it; never below the detector's floors): what a change within one pump is judged against
        with np.errstate(invalid="ignore"):
            self.own_alarm = np.maximum(np.sqrt(np.maximum(prior.alarm ** 2 - (SPREAD_Z * prior.spread) ** 2, 0.0)),
                                        MIN_SHIFT)
        self.refused_windows = 0  # commissioning windows that disagreed with the fleet
        self.last_refusal: dict[str, float] = {}  # channel -> level of the disagreement, last refusal
        self.refused_for_growth = False  # the last refusal: the pump changed through its window (own levels)
        # an own start that a fleet handed the pump to (detector._judge_by_own_start): that fleet's prior,
        # kept so a fleet's prior arriving again (the gateway's, a file's at a restart) does not undo it
        self.refused_by: FleetPrior | None = None
        self._handover: np.ndarray | None = None  # see take_handover

    def disagreement(self, own: HealthyModel, F: np.ndarray) -> np.ndarray:
        """Per target: the median over the window's rows (inside the fleet's range) of own minus
        fleet prediction, in the fleet's alarm units; NaN where either does not monitor it or too
        few rows lie inside the fleet's range."""
        return self._offset(own, F) / self.alarm

    def _offset(self, own: HealthyModel, F: np.ndarray) -> np.ndarray:
        """disagreement() in the channels' own units."""
        rows = F
        if self.envelope is not None:
            G = F[:, _ENV]
            rows = F[np.all((G >= self.envelope[0]) & (G <= self.envelope[1]), axis=1)]
        if len(rows) < MIN_JUDGED_ROWS:
            return np.full(len(TARGET_NAMES), np.nan)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an unmonitored channel: all NaN
            return nanmedian_columns(own.predict(rows) - self.model.predict(rows))  # np.nanmedian's (medians.py)

    def hand_over(self, offset: np.ndarray) -> None:
        """The next take_handover's offset: this judge's model minus the one it replaced (a fleet
        replaced by the pump's own start, detector._judge_by_own_start)."""
        self._handover = offset

    def take_handover(self) -> np.ndarray | None:
        """Once, after a window was admitted: own minus fleet prediction per target (the channels'
        units; NaN where not both judge it). Residuals against the fleet less this are residuals
        against the pump's own model, so a history kept of them (the prognosis's) goes on
        without a step where the judge changed."""
        out, self._handover = self._handover, None
        return out

    def admit(self, own: HealthyModel, F: np.ndarray, current: np.ndarray | None = None,
              growth: np.ndarray | None = None) -> bool:
        """Is this commissioning window a healthy pump of the fleet? Counted and explained when not.

        Refused when its own fit departs from the fleet's by a level of 1 or more (median over the
        window), or when the persistent shift against the fleet stands at 1 or more at its end
        (``current``, in alarm units): a fault from installation grows through the window, and
        what the pump does at its end is what a fit would call healthy from then on; or when the
        pump changed through the window by a level of 1 or more at fixed operating points
        (``growth``, growth_through, in the channels' units, judged against a single pump's own
        level: a change within one pump holds no difference between pumps): a fault that began
        small, inside the spread between healthy pumps, is told by its growth."""
        offset = self._offset(own, F)
        d = offset / self.alarm
        self.refused_for_growth = growth is not None and bool(np.nanmax(np.abs(growth / self.own_alarm), initial=0.0) >= 1.0)
        for more in (current, None if growth is None else growth / self.own_alarm):
            if more is not None:
                d = np.where(np.abs(np.nan_to_num(more)) > np.abs(np.nan_to_num(d)), more, d)
        far = {name: float(d[j]) for j, name in enumerate(TARGET_NAMES) if not math.isnan(d[j]) and abs(d[j]) >= 1.0}
        if not far:
            self._handover = offset
            return True
        self.refused_windows += 1
        self.last_refusal = far
        return False

    def state(self) -> dict:
        return {"prior": self.prior.to_dict(), "refused_windows": self.refused_windows,
                "last_refusal": self.last_refusal,
                "refused_by": None if self.refused_by is None else self.refused_by.to_dict()}

    @classmethod
    def from_state(cls, d: dict) -> "FleetJudge":
        judge = cls(FleetPrior.from_dict(d["prior"]))
        judge.refused_windows = int(d.get("refused_windows", 0))
        judge.last_refusal = {str(k): float(v) for k, v in (d.get("last_refusal") or {}).items()}
        if d.get("refused_by"):
            judge.refused_by = FleetPrior.from_dict(d["refused_by"])
        return judge
