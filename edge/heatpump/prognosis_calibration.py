"""Prognosis intervals that hold what they state: calibrated on simulated fleets.

The trend fits of :mod:`prognosis` give a date and a standard-error interval;
their errors are not Gaussian and not independent (a cold spell moves every
estimate of a week together), so a nominal interval held the trip in only
54-70 % of estimates on the fault scenarios. Split conformal prediction makes
the interval honest without a model of those errors: on fleets whose trip
times are known, take the ratio actual / predicted time to trip of every
estimate issued; its quantiles (in log2) turn a new estimate d into

    predicted = d * 2^median,   interval = [d * 2^q_low, d * 2^q_high]

which holds the trip in (high - low) of cases on pumps like the calibration
fleet's. The table is written by ``bench/prognosis_calibration.py`` from saved
bench outcomes (``bench/lead_time.py --save``); the fleet it was fitted on is
named with it. Ratios are pooled over faults: a few hundred estimates from a
dozen pumps do not support a table per fault.
"""

from __future__ import annotations

from dataclasses import dataclass

from heatwatch.contract import Prognosis
from heatwatch.units import DAY

# the share of trips the stated interval is meant to hold
COVERAGE = 0.8


@dataclass(frozen=True)
class Calibration:
    """Quantiles of log2(actual / predicted time to trip) on a calibration fleet."""

    median: float
    q_low: float  # the (1 - COVERAGE)/2 quantile
    q_high: float  # the (1 + COVERAGE)/2 quantile
    fitted_on: str = ""

    def apply(self, p: Prognosis, now: float) -> Prognosis:
        days = max(p.predicted_trip_ts - now, 0.0) / DAY
        if days <= 0.0:  # already at the limit: nothing to scale
            return p
        return p.model_copy(update={
            "predicted_trip_ts": now + days * 2.0 ** self.median * DAY,
            "lower_ts": now + days * 2.0 ** self.q_low * DAY,
            "upper_ts": now + days * 2.0 ** self.q_high * DAY,
        })


IDENTITY = Calibration(0.0, 0.0, 0.0, "none")
# fitted by bench/prognosis_calibration.py (see its docstring for the command and the fleet)
CALIBRATION: Calibration | None = None
