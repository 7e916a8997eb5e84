"""A trip date for a fault raised before the pump has a healthy model of its own.

The prognosis (prognosis.py) trends each indicator's hourly excess over the healthy model, and that
history is fed only while a model judges the pump. A pump faulty from installation is often named
before it has one: by the physics prior's bands (a design band: the flow below its design flow), or
by its own first days right after its commissioning window was handed to them (own_start.py,
held_window.py). Its tracker then holds no hours, or a few, and the raise went out without a date,
though the window's readings, days of them, were at hand.

Both date it against the pump's own first days, in a blank copy of the pump's tracker fed the window's
readings (the pump's own history is left as it is):

- **handed to its own start** (the detector's ``_start_own``): the window's readings against the very
  model that judges the pump from then on (:func:`scratch_date`), until the pump's own history, which
  begins at the handover, can date the fault itself (PumpPipeline._predict). Fed into that history
  instead, the later dates read from it held the trip less often (bench/heldout39_raisedate.md);
- **a window just learned as healthy** (no fleet; a fault from installation can hide in it: a
  low flow named hours after the fit, bench/scenarios/heldout36b_commission_bordeaux_r32.yaml hp-009):
  the window's readings against the model learned from them, the same way; the fault's growth
  through the window is its trend;
- **named by the prior, no model yet**: the window's readings so far against a model of its first
  days (own_start.first_days_model: the readings taken back to the first day by their own growth)
  (:func:`window_date`). A fault from installation starts small and grows; what it grew since the
  first day is its excess, trended to the trip limits as any other excess. Made again at each refresh
  while no model exists, the window growing.

The interval is the calibration table's, as for every date (prognosis_calibration); the date's horizon
is drawn toward the fault's own age, not the fleets' typical horizon (_dated_from_its_age).
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.contract import Prognosis
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES, HealthyModel
from heatwatch.edge.heatpump.own_start import first_days_model
from heatwatch.edge.heatpump.prognosis_calibration import horizon_at_least
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.units import DAY

_I_FLOW = TARGET_NAMES.index("flow_lpm")
# a window of fewer days is not dated: the trend needs two days of at least 12 hours (prognosis.MIN_DAYS)
MIN_WINDOW_DAYS = 2.0
AGE_HORIZON = True  # False: the fleets' typical horizon, as before (_dated_from_its_age; bench comparisons)


def feed_window(tracker: PrognosisTracker, T: np.ndarray, F: np.ndarray, Y: np.ndarray, model: HealthyModel) -> int:
    """The window's steady readings (times T, features F, targets Y, in time order) into ``tracker``: each
    reading's excess over ``model`` and its targets, as the pipeline feeds a judged reading. Returns the
    readings fed (0: an empty window)."""
    if not len(T):
        return 0
    T = np.asarray(T, dtype=float)
    Y = np.asarray(Y, dtype=float)
    R = Y - model.predict(np.asarray(F, dtype=float))
    tracker.update_rows(T, R, Y)
    tracker.update_peak_rows(T, Y)
    return len(T)


def scratch_date(tracker: PrognosisTracker, fault: str, now: float, T: np.ndarray, F: np.ndarray, Y: np.ndarray,
                 model: HealthyModel) -> Prognosis | None:
    """The trip date of ``fault`` from the window's readings against ``model`` (the pump's own start), in a
    blank copy of ``tracker``: the date of a pump just handed to its own start, whose history is hours."""
    scratch = tracker.blank_copy()
    # the flow switch from the flow of the model now judging (the pump's own, as its own fit sets it): without
    # it a low flow is dated by its late indicators alone (heldout38_priorleak_vienna_r290 hp-008: 100 d, trip 24)
    scratch.set_flow_limit(float(model.coef[0, _I_FLOW]))
    feed_window(scratch, T, F, Y, model)
    return _dated_from_its_age(scratch, fault, now, T)


def window_date(tracker: PrognosisTracker, fault: str, now: float, T: np.ndarray, F: np.ndarray, Y: np.ndarray,
                ridge: float) -> Prognosis | None:
    """The trip date of ``fault`` from the window's readings before ``now``, against the pump's first days
    (module doc), in a blank copy of ``tracker`` (the pump's own is left as it is); None when the window is
    too short or no indicator trends toward its limit."""
    T = np.asarray(T, dtype=float)
    keep = T < now
    if keep.sum() < 2 or T[keep][-1] - T[keep][0] < MIN_WINDOW_DAYS * DAY:
        return None
    T, F, Y = T[keep], np.asarray(F, dtype=float)[keep], np.asarray(Y, dtype=float)[keep]
    first = first_days_model(T, F, Y, ridge)
    if first is None:
        return None
    return scratch_date(tracker, fault, now, T, F, Y, first[0])  # its flow switch: the flow it had when first watched


def _dated_from_its_age(scratch: PrognosisTracker, fault: str, now: float, T: np.ndarray) -> Prognosis | None:
    """The scratch tracker's date, its horizon recalibrated toward the fault's own age rather than the
    calibration fleets' typical horizon (prognosis_calibration.horizon_at_least).

    The recalibration draws a raw date beyond the pivot (2^3.16: nine days) toward it by a slope of 0.33,
    the regression to the mean of the fleets' estimates, most of them made days from a trip. A fault
    present from installation that needed the whole window (2-5 weeks) to grow into an alarm is still
    weeks from its trip: drawn toward nine days, a raw 40 days became 15, and the window's dates came
    2-5 times early on trips 25-40 days away (bench/heldout39_raisedate.md). Its own horizon is of the
    order of its age, the days since the window's first reading (installation, or a repair): the
    pivot is that age, never below the fleets' (a young fault keeps the table as it is). The slope,
    the interval and the band lifts are the table's."""
    age_days = (now - float(T[0])) / DAY if len(T) else 0.0
    if age_days > 0.0 and AGE_HORIZON:
        scratch.calibration = horizon_at_least(scratch.calibration, math.log2(age_days))
    return scratch.predict(fault, now)
