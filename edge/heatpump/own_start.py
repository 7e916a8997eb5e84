"""Without a fleet: a commissioning window in which the pump changed is not learned as healthy.

A pump faulty from installation teaches its window a faulty "normal". With no fleet to compare
it with, what is left is the pump against itself: a healthy pump does not change within its first
weeks at fixed operating points, while a fault present from installation grows at every one of
them (a leak keeps opening the valve at the same weather and flow temperature). So when the
window falls due, its growth (the time term of a least-squares fit on the operating-point features,
the weather's curvature and time, fleet_prior.growth_through) is judged against the pump's own level: the alarm level
calibrated, as for any learned model, from the window's own residuals at fixed operating points
(its readings less the operating-point fit with time; a 6-hour shift series, so their
autocorrelation is counted; never below the channel's physical floor). A growth of one such level
or more refuses the window. The pump is then judged against what it was at the window's start: the
window's readings taken back to its first day by their own growth and fitted as any healthy model,
with those own levels, until a later window agrees with it (``FleetJudge`` does the rest, as for a
fleet whose spread is nil).
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.edge.heatpump import healthy_model
from heatwatch.edge.heatpump.fleet_prior import ENVELOPE_FEATURES, OWN_NOTE, growth_through
from heatwatch.edge.heatpump.healthy_model import MIN_SHIFT, TARGET_NAMES
from heatwatch.edge.heatpump.operating_point import FEATURE_NAMES
from heatwatch.edge.heatpump.persistent_shift import calibrate_alarm
from heatwatch.fleet_prior import FleetPrior

DAY = 86400.0
# a window shorter than this is not judged by its growth: weather comes in spells of several days
# (a humid, frosty week lowers a healthy pump's COP at the same outdoor temperature), and a week
# holds one or two of them, which a trend through it cannot be told from. Measured at a 5-minute
# poll on 7-day windows: a Stockholm leak from installation grew at most 0.69 of its own levels,
# its site's healthy pumps up to 0.89; a healthy pump of fault_refrigerant_leak (1-minute poll,
# November) 2.2 on its COP in its first week. On the 18-28-day windows of a 5-minute poll: leaks
# 1.19-1.97, 197 healthy pumps at most 0.70
MIN_SPAN_DAYS = 14.0
# units for the explanation (the channels' own); absent: K
_UNITS = {"p_low": " bar", "p_high": " bar", "compressor_a": " A", "power_w": " W", "eev_pct": " %",
          "fan_rpm": " rpm", "flow_lpm": " l/min", "cop": "", "compressor_hz": " Hz"}


def with_curvature(F: np.ndarray) -> np.ndarray:
    """The operating-point features and the weather's curvature (outdoor and flow temperature squared
    and their product), for the growth test only. The evaporating side and the COP bend with the
    weather (saturation pressure is convex in temperature, frost builds below a few degrees), which
    the healthy model's features hold only in a straight line; in a cooling autumn the bend the line
    misses grows with time and reads as growth on healthy pumps (Oslo, p_low and COP, up to 0.85 of
    an own level; 0.70 with the bend held, a leak's valve the same 1.97)."""
    to, tf = F[:, FEATURE_NAMES.index("t_outdoor")], F[:, FEATURE_NAMES.index("t_flow")]
    return np.column_stack([F, to * to, tf * tf, to * tf])


def window_growth(T: np.ndarray, F: np.ndarray, Y: np.ndarray) -> np.ndarray | None:
    """The growth through a window as start_prior judges it (the weather's curvature held), or None for
    a window too short to be judged by its growth (MIN_SPAN_DAYS): FleetJudge.admit's ``growth`` for a
    later window of a pump judged by its own start."""
    if len(T) == 0 or T[-1] - T[0] < MIN_SPAN_DAYS * DAY:
        return None
    return growth_through(T, with_curvature(F), Y)


def first_days_model(T: np.ndarray, F: np.ndarray, Y: np.ndarray,
                     ridge: float) -> tuple[healthy_model.HealthyModel, np.ndarray, np.ndarray] | None:
    """(the model of the window's first days, per target its growth through the window, the readings
    taken back to the first day) or None for a window without a span or a growth term. The pump as it
    was when first watched: what start_prior judges against, and what a fault raised before any model
    is dated against (start_history.window_date)."""
    span = float(T[-1] - T[0]) if len(T) else 0.0
    if span <= 0.0:
        return None
    growth = growth_through(T, with_curvature(F), Y)
    if np.isnan(growth).all():
        return None
    s = (T - T[0]) / span
    # readings taken back to the window's first day by their own growth (a channel without a growth
    # term, too few readings, keeps its readings)
    Y0 = Y - s[:, None] * np.nan_to_num(growth)[None, :]
    model, _ = healthy_model.fit_equations(F, Y0, ridge)
    return model, growth, Y0


def start_prior(T: np.ndarray, F: np.ndarray, Y: np.ndarray, tau_seconds: float, alarm_k: float,
                envelope: np.ndarray, ridge: float,
                min_span_days: float = MIN_SPAN_DAYS) -> tuple[FleetPrior | None, dict[str, float]]:
    """(the window's start as a prior, channel -> growth in own levels) when the pump changed through
    its window by one of its own levels or more on any channel and the window spans ``min_span_days``;
    (None, those levels) otherwise. A window a fleet already refused for its growth needs no span
    (FleetJudge.refused_for_growth): its members' levels, not one window's, judged the growth."""
    span = float(T[-1] - T[0]) if len(T) else 0.0
    first = first_days_model(T, F, Y, ridge)
    if first is None:
        return None, {}
    model, growth, Y0 = first
    alarm = calibrate_alarm(T, Y0 - model.predict(F), tau_seconds, alarm_k, MIN_SHIFT)
    with np.errstate(invalid="ignore"):
        level = growth / alarm
    grew = {name: float(level[j]) for j, name in enumerate(TARGET_NAMES) if not math.isnan(level[j])}
    far = sorted((n for n, v in grew.items() if abs(v) >= 1.0), key=lambda n: -abs(grew[n]))
    if not far or span < min_span_days * DAY:
        return None, grew
    days = span / DAY
    parts = [f"{n} {'+' if growth[TARGET_NAMES.index(n)] > 0 else ''}"
             f"{growth[TARGET_NAMES.index(n)]:.{2 if n in ('p_low', 'p_high', 'cop') else 1}f}"
             f"{_UNITS.get(n, ' K')}, {abs(grew[n]):.1f} of its own alarm levels" for n in far[:3]]
    note = (f"{OWN_NOTE}: through its {days:.0f}-day commissioning window it changed at fixed operating "
            f"points as a healthy pump does not ({'; '.join(parts)}), so that window was not learned as healthy")
    prior = FleetPrior(TARGET_NAMES, FEATURE_NAMES, model.coef, model.residual_scale, alarm,
                       np.zeros(len(TARGET_NAMES)), ENVELOPE_FEATURES, envelope, 1, None, note[:300])
    return prior, grew
