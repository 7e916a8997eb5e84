"""Prognosis dates and intervals that hold what they state: calibrated on simulated fleets.

The first-passage estimate of :mod:`prognosis` has a bias per fault that physics explains
but a trend cannot see (a leak's discharge runs away once its valve stands open, so its
excess grows faster on the worst hours than on average; a stuck-open valve's superheat
floor is grazed long before it is held for five minutes), and a scatter that no model of
its errors describes (a cold spell moves every estimate of a week together). Split
conformal prediction handles both without such a model: on fleets whose trip times are
known, take log2(actual / predicted time to trip) of every estimate issued; per fault, its
median moves the date and its quantiles give

    date = d * 2^median,  interval = [d * 2^q_low, d * 2^q_high]

which holds the trip in (high - low) of cases on pumps like the calibration fleets'. Faults
with few estimates are shrunk toward the pooled table (a weighted mean of the two, the
fault's weight n / (n + PRIOR_N)).

The table is written by ``bench/prognosis_calibration.py`` from fleets of
``bench/prognosis_fleets.py`` run with calibration seeds (1000-1999), in several climates,
both refrigerants and fault growth laws other than the simulator's steady one (s**0.6 ..
s**2), so the table is not the simulator's growth law; the figures quoted are judged on
evaluation seeds (2000-2999) it never saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from heatwatch.contract import Prognosis
from heatwatch.units import DAY

# the share of trips the stated interval is meant to hold
COVERAGE = 0.8
PRIOR_N = 100  # estimates a fault's own quantiles weigh as much as the pooled ones at


@dataclass(frozen=True)
class Calibration:
    """Quantiles of log2(actual / predicted time to trip) on a calibration fleet."""

    median: float
    q_low: float  # the (1 - COVERAGE)/2 quantile
    q_high: float  # the (1 + COVERAGE)/2 quantile
    fitted_on: str = ""
    n: int = 0

    def apply(self, p: Prognosis, now: float) -> Prognosis:
        days = max(p.predicted_trip_ts - now, 0.0) / DAY
        if days <= 0.0:  # already at the limit: nothing to scale
            return p
        return p.model_copy(update={
            "predicted_trip_ts": now + days * 2.0 ** self.median * DAY,
            "lower_ts": now + days * 2.0 ** self.q_low * DAY,
            "upper_ts": now + days * 2.0 ** self.q_high * DAY,
        })

    def shrunk_toward(self, pooled: Calibration) -> Calibration:
        w = self.n / (self.n + PRIOR_N)
        mix = lambda a, b: w * a + (1.0 - w) * b  # noqa: E731
        return Calibration(mix(self.median, pooled.median), mix(self.q_low, pooled.q_low),
                           mix(self.q_high, pooled.q_high), self.fitted_on, self.n)


@dataclass(frozen=True)
class CalibrationTable:
    """A pooled calibration and one per fault (already shrunk toward the pooled one)."""

    pooled: Calibration
    per_fault: dict[str, Calibration] = field(default_factory=dict)
    fitted_on: str = ""

    def for_fault(self, fault: str) -> Calibration:
        return self.per_fault.get(fault, self.pooled)

    def apply(self, p: Prognosis, now: float, fault: str = "") -> Prognosis:
        return self.for_fault(fault).apply(p, now)


IDENTITY = Calibration(0.0, 0.0, 0.0, "none")
# written by bench/prognosis_calibration.py (see there) on calibration-seed fleets
CALIBRATION: CalibrationTable | None = CalibrationTable(
    pooled=Calibration(0.366, -2.127, 1.716, n=272),
    per_fault={
        "compressor_wear": Calibration(0.224, -2.232, 1.571, n=5),
        "condenser_fouling": Calibration(0.566, -1.839, 1.768, n=81),
        "eev_stuck_closed": Calibration(0.228, -2.034, 1.443, n=27),
        "eev_stuck_open": Calibration(0.273, -2.080, 1.630, n=26),
        "evaporator_fouling": Calibration(0.449, -1.772, 1.770, n=27),
        "low_water_flow": Calibration(0.463, -1.393, 1.718, n=72),
        "refrigerant_leak": Calibration(-0.166, -2.569, 1.524, n=34),
    },
    fitted_on="fleets 1001 stockholm R32 growth s^1.0: 272 estimates")
