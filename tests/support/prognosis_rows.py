"""A prognosis tracker's hourly history made by hand: one channel's excess per day over a healthy level, each
day's worst at 15:00 (2 above the mean) and its floor 5 below; every other channel unknown. Shared by the
progress and horizon tests, whose faults are read through fault_progress."""

from __future__ import annotations

import math

import numpy as np

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.units import DAY, HOUR


def hourly_rows(excess_by_day: list[float], healthy: float = 80.0, channel: str = "t_discharge") -> list:
    """(ts, mean, high, low) per hour, as PrognosisTracker keeps them."""
    j = TARGET_NAMES.index(channel)
    rows = []
    for d, e in enumerate(excess_by_day):
        for h in range(24):
            m, hi, lo = (np.full(len(TARGET_NAMES), math.nan) for _ in range(3))
            m[j], hi[j], lo[j] = e, healthy + e + (2.0 if h == 15 else 0.0), healthy + e - 5.0
            rows.append((d * DAY + h * HOUR, m, hi, lo))
    return rows
