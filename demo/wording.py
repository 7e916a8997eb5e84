"""How the demo says a pump's health and its predicted trip, so a person reads them at a glance.

The detector's score is 0 for a pump that behaves as learned and 1 at the
alarm level (it may go far beyond). The table shows a 0-100 health index
(100 = as learned, 0 = at or past the alarm level) beside a word; the word
comes from what the agent concluded, not from the raw score, so "good" is
never shown beside a raised fault and no colour contradicts the word.
"""

from __future__ import annotations

import math

from heatwatch.units import DAY, HOUR

CAP_DAYS = 365.0  # the prognosis caps its interval here (edge/heatpump/prognosis.py)
LEGEND = ("health: 100 = behaves as learned, 0 = at the alarm level; "
          "good / watch (drifting, nothing raised) / fault (raised) / tripped")


def health_index(score: float) -> int:
    if not math.isfinite(score):
        return 0
    return int(round(100 * (1 - min(max(score, 0.0), 1.0))))


def health_word(*, ready: bool, readings: int, score: float, faults: int, tripped: bool) -> tuple[str, str]:
    """(the word, a rich style) for a pump."""
    if tripped:
        return "tripped", "bold red"
    if not ready:
        return f"learning ({readings} readings)", "dim"
    if faults:
        return "fault", "bold red"
    if score >= 0.5:
        return "watch", "yellow"
    return "good", "green"


def duration(seconds: float) -> str:
    """4.2 d, 7.5 h, 35 min."""
    if seconds >= DAY:
        return f"{seconds / DAY:.1f} d"
    if seconds >= HOUR:
        return f"{seconds / HOUR:.1f} h"
    return f"{max(seconds, 0) / 60:.0f} min"


def predicted_trip(predicted_ts: float, lower_ts: float, upper_ts: float, now_ts: float) -> str:
    """'in 4.2 d (2.1-7.5 d)' from pump time ``now_ts``; a bound on the cap says '> 1 y'."""
    if not all(math.isfinite(x) for x in (predicted_ts, lower_ts, upper_ts, now_ts)):
        return "-"
    ahead, low, high = ((t - now_ts) / DAY for t in (predicted_ts, lower_ts, upper_ts))
    if ahead <= 0:
        return "due now"

    def days(x: float) -> str:
        return "> 1 y (cap)" if x >= CAP_DAYS - 0.5 else f"{max(x, 0):.1f}"

    if ahead >= CAP_DAYS - 0.5:
        return "not within a year (cap)"
    return f"in {ahead:.1f} d ({days(low)}-{days(high)}{'' if high >= CAP_DAYS - 0.5 else ' d'})"
