"""A daily cycle as a known driver: found in the data's own autocorrelation at 24 h, not assumed.

Machines run on clocks: a heat pump's night setback lowers its flow temperature
from 22:00 to 06:00, a building's ventilation follows office hours. Scored
against the weather alone, every night of a milder week reads as a fault: the
setback's drop in demand is larger when the weather asks for less, and the
training fortnight only showed it in the cold.

Whether the rows follow the clock is a question for the rows. What the given
drivers leave unexplained (or, without drivers, the detrended values) is
tested per column: a daily cycle makes the autocorrelation at one day a peak
above the one at half a day, where a process that only decays (weather's
inertia, a slow AR) has it the other way round. The difference counts when it
exceeds ``Z`` standard errors, each lag's error by Bartlett's formula
(1 + 2 sum of the squared autocorrelations below the lag) / n, so a strongly
autocorrelated column, and a fit on few days, need a clearer peak.

When there is one, the hour of the day enters the driver model (given.py) as
Fourier terms (``HARMONICS`` per day: periods of 24 h down to 4 h, a setback's step
within an hour or two), and each continuous given driver times them: the
setback's effect may depend on the weather, and the coefficients of that
product are as uncertain as the rows that showed it (given.py shrinks a
residual by its prediction's standard error beyond them).
"""

from __future__ import annotations

import numpy as np

DAY = 86400.0  # seconds
HARMONICS = 6
MIN_DAYS = 3  # fewer days cannot show a 24-h autocorrelation worth a test
MIN_ROWS_PER_DAY = 6  # a cycle needs rows within the day (4-hourly at the coarsest)
Z = 3.0  # standard errors the 24-h peak must stand above the 12-h lag (a few columns tested at once)


def rows_per_day(ts: np.ndarray) -> int:
    """Rows in 24 h from the median step (0 when the times are no dates or too few days)."""
    ts = np.asarray(ts, dtype=np.float64)
    if ts.size < 2 or not np.all(np.isfinite(ts)):
        return 0
    step = float(np.median(np.diff(ts)))
    if step <= 0:
        return 0
    lag = int(round(DAY / step))
    if lag < MIN_ROWS_PER_DAY or ts[-1] - ts[0] < MIN_DAYS * DAY or ts.size < MIN_DAYS * lag:
        return 0
    return lag


def daily_evidence(R: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Per column, (acf(24 h) - acf(12 h)) in standard errors (Bartlett); NaN where not testable."""
    R = np.atleast_2d(np.asarray(R, dtype=np.float64).T).T
    lag = rows_per_day(ts)
    out = np.full(R.shape[1], np.nan)
    if not lag:
        return out
    n = len(R)
    t = np.arange(n, dtype=np.float64)
    for j in range(R.shape[1]):
        y = R[:, j]
        ok = np.isfinite(y)
        if ok.sum() < MIN_DAYS * lag or np.all(y[ok] == y[ok][0]):
            continue
        y = np.where(ok, y, np.nanmean(y))
        y = y - np.polyval(np.polyfit(t, y, 1), t)
        f = np.fft.rfft(y, 2 * n)
        acf = np.fft.irfft(f * np.conj(f))[:lag + 1]
        if acf[0] <= 0:
            continue
        acf = acf / acf[0]
        half = lag // 2
        var = lambda k: (1.0 + 2.0 * np.sum(acf[1:k] ** 2)) / n  # noqa: E731 (Bartlett)
        out[j] = (acf[lag] - acf[half]) / np.sqrt(var(lag) + var(half))
    return out


def has_daily_cycle(R: np.ndarray, ts: np.ndarray) -> bool:
    """True when some column's 24-h autocorrelation peak stands ``Z`` errors above its 12-h lag."""
    ev = daily_evidence(R, ts)
    return bool(np.any(ev[np.isfinite(ev)] > Z))


def hour_terms(ts: np.ndarray, drivers: list[np.ndarray] | None = None, harmonics: int = HARMONICS) -> np.ndarray:
    """(n, 2K (1 + len(drivers))): sin/cos of the hour of the day, then each driver times them
    (a missing driver value leaves its products at 0: the plain daily profile)."""
    w = 2.0 * np.pi * (np.asarray(ts, dtype=np.float64)[:, None] % DAY) / DAY * np.arange(1, harmonics + 1)
    H = np.column_stack([np.sin(w), np.cos(w)])
    cols = [H] + [H * np.where(np.isfinite(d), d, 0.0)[:, None] for d in (drivers or [])]
    return np.column_stack(cols)
