"""A worn compressor's discharge fed to a PrognosisTracker, five-minutely, for the wear tests
(test_prognosis_wear_line, test_prognosis_wear_stage): the day's worst hour (06:00) 80 °C healthy, 60 °C else,
the compressor at 50 Hz; ``held``: two evening hours of the day before the last at the derate (109.5 °C)."""
from __future__ import annotations

from typing import Callable

import numpy as np

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.units import DAY, HOUR

T_DISCHARGE = TARGET_NAMES.index("t_discharge")
COMPRESSOR_HZ = TARGET_NAMES.index("compressor_hz")


def feed_worn(tracker: PrognosisTracker, excess_k: Callable[[float], float], days: int, seed: int,
              held: bool = False) -> PrognosisTracker:
    """``tracker`` fed ``days`` days of a discharge whose excess on day d is ``excess_k(d)`` K (plus 0.3 K noise)."""
    rng = np.random.default_rng(seed)
    for ts in np.arange(0.0, days * DAY, 300.0):
        d = ts / DAY
        residual = np.zeros(len(TARGET_NAMES))
        residual[T_DISCHARGE] = excess_k(d) + rng.normal(0.0, 0.3)
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[T_DISCHARGE] = (80.0 if 6 * HOUR <= ts % DAY < 7 * HOUR else 60.0) + residual[T_DISCHARGE]
        if held and int(d) == days - 2 and 18 * HOUR <= ts % DAY < 20 * HOUR:
            observed[T_DISCHARGE] = 109.5
        observed[COMPRESSOR_HZ] = 50.0
        tracker.update(float(ts), residual, observed)
    return tracker
