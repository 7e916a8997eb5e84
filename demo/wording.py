"""How the demo says a pump's health and its predicted trip, so a person reads them at a glance.

The detector's score is 0 for a pump that behaves exactly as learned and
grows with the residuals (higher is worse, unbounded). Healthy pumps of the
demo fleet wander up to about 3 (p90 0.6-1.9 over their first days); pumps
with a raised fault sit at 8-28. The table turns it into a 0-100 health
index, 100 * exp(-score / 4) (healthy pumps stay above ~45, a raised fault
is near 10), beside a word; the word comes from what the agent concluded
(learning, fault, tripped), or "watch" when nothing is raised yet but the
index is low, so "good" never stands beside a raised fault and no colour
contradicts the word.
"""

from __future__ import annotations

import math

from heatwatch.units import DAY, HOUR

CAP_DAYS = 365.0  # the prognosis caps its interval here (edge/heatpump/prognosis.py)
SCALE = 4.0  # the score at which the index is 100/e (37)
WATCH_BELOW = 37  # an index this low with nothing raised: "watch"
LEGEND = ("health 0-100: 100 = behaves exactly as learned, healthy pumps stay above ~45; "
          "good | watch (below 37, nothing raised yet) | fault (raised by the agent) | tripped")


def health_index(score: float) -> int:
    if not math.isfinite(score):
        return 0
    return int(round(100 * math.exp(-max(score, 0.0) / SCALE)))


def health_word(*, ready: bool, readings: int, score: float, faults: int, tripped: bool) -> tuple[str, str]:
    """(the word, a rich style) for a pump."""
    if tripped:
        return "tripped", "bold red"
    if not ready:
        return f"learning ({readings} readings)", "dim"
    if faults:
        return "fault", "bold red"
    if health_index(score) < WATCH_BELOW:
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
    """'in 4.2 d (2.1-7.5 d)' from pump time ``now_ts``; an upper bound on the prognosis' one-year cap
    says so: 'in 4.2 d (2.1 d to > 1 y, capped)'."""
    if not all(math.isfinite(x) for x in (predicted_ts, lower_ts, upper_ts, now_ts)):
        return "-"
    ahead, low, high = ((t - now_ts) / DAY for t in (predicted_ts, lower_ts, upper_ts))
    capped = CAP_DAYS - 0.5
    if ahead >= capped:
        return "not within a year (capped)"
    if ahead <= 0:
        return "due now"
    if high >= capped:
        return f"in {ahead:.1f} d ({max(low, 0):.1f} d to > 1 y, capped)"
    return f"in {ahead:.1f} d ({max(low, 0):.1f}-{high:.1f} d)"
