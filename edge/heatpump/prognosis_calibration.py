"""Prognosis intervals that hold what they state: calibrated on simulated fleets.

The trend fits of :mod:`prognosis` give a date and a standard-error interval;
their errors are not Gaussian and not independent (a cold spell moves every
estimate of a week together), so a nominal interval held the trip in only
54-70 % of estimates on the fault scenarios. Split conformal prediction makes
the interval honest without a model of those errors: on fleets whose trip
times are known, take the ratio actual / predicted time to trip of every
estimate issued; its quantiles (in log2) turn a new estimate d into

    interval = [d * 2^q_low, d * 2^q_high]

which holds the trip in (high - low) of cases on pumps like the calibration
fleet's. The date itself stays the trend fit's: the median ratio (about 1.5 on the
simulator: its estimates come early) is reported, not applied, since it is as
much the simulator's weather as the method's, and applied it would date a clean
steady drift half as late again. The table is written by ``bench/prognosis_calibration.py`` from saved
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
            "lower_ts": now + days * 2.0 ** self.q_low * DAY,
            "upper_ts": now + days * 2.0 ** self.q_high * DAY,
        })


IDENTITY = Calibration(0.0, 0.0, 0.0, "none")
# fitted by bench/prognosis_calibration.py on the simulator's fault scenarios (bench/lead_time.py
# --save: fault_from_install, compressor wear and leak at a 5-minute poll; condenser and evaporator
# fouling, low water flow and both valve faults at 10 minutes), every estimate of the current agent
# for the right fault before its trip. Left one scenario out, the interval held 62-90 % of that
# scenario's trips (6 of 8 scenarios >= 75 %; the trend fit's own interval: 63-79 %). Wide:
# 2^-2.7 .. 2^3.4 of the estimate
CALIBRATION: Calibration | None = Calibration(
    median=0.536, q_low=-2.657, q_high=3.438,
    fitted_on="fault_from_install, fault_compressor_wear, fault_refrigerant_leak, fault_condenser_fouling, "
              "fault_eev_stuck_closed, fault_eev_stuck_open, fault_evaporator_fouling, fault_low_water_flow: "
              "789 estimates")
