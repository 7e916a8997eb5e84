"""A driver's lagged view: what a slow system (a building) feels of a fast driver (the hour's air).

A building's heat demand follows the outdoor air filtered by its thermal mass
(a time constant of hours to days), not the hour's air. Trained on an autumn
fortnight whose cold hours were nights after mild afternoons, a heat pump's
power at 4 °C is that of a warm building; in November 4 °C is the day's mean
and the building has cooled through, and the pump draws 1.5-2x as much at the
same hourly air (``bench/weather_bench.py`` fresh6, fresh7: radiator pumps).
Binned by the air's exponentially weighted mean instead, the training and the
judged weeks agree where both have rows.

:class:`LaggedDrivers` keeps, per driver, the exponentially weighted mean of
its past values over the rows' *times* (not row counts: irregular steps and
gaps weigh by the time that passed), with a normalising weight, so a short
history (the first rows, a restart after a long gap) is the plain mean of what
was seen instead of leaning on a start value:

    S <- S exp(-dt / tau) + x,   W <- W exp(-dt / tau) + 1,   lagged = S / W

Causal and stateful: the same values row by row and in blocks. A missing value
decays the history without adding to it.
"""

from __future__ import annotations

import numpy as np


class LaggedDrivers:
    """Per column, the exponentially weighted mean over time of its values so far (module doc)."""

    def __init__(self, k: int, tau: float) -> None:
        if tau <= 0:
            raise ValueError("tau must be positive (seconds)")
        self.tau = float(tau)
        self.S = np.zeros(k)
        self.W = np.zeros(k)
        self.t: float | None = None  # time of the last row seen

    def apply(self, ts: np.ndarray, V: np.ndarray) -> np.ndarray:
        """(n, k) lagged values of the rows ``V`` (n, k) at times ``ts`` (increasing), the state moving on.
        NaN where a column has no finite value yet."""
        ts = np.asarray(ts, dtype=np.float64)
        V = np.asarray(V, dtype=np.float64)
        out = np.empty_like(V)
        S, W, tau = self.S, self.W, self.tau
        t = self.t if self.t is not None else (float(ts[0]) if len(ts) else None)
        for i in range(len(V)):
            ti = float(ts[i])
            if np.isfinite(ti) and t is not None and np.isfinite(t):
                decay = np.exp(-max(ti - t, 0.0) / tau)  # a repeated or backward time: no decay
                S = S * decay
                W = W * decay
                t = ti
            elif np.isfinite(ti):
                t = ti
            v = V[i]
            ok = np.isfinite(v)
            S = np.where(ok, S + np.where(ok, v, 0.0), S)
            W = np.where(ok, W + 1.0, W)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[i] = np.where(W > 0, S / np.where(W > 0, W, 1.0), np.nan)
        self.S, self.W, self.t = S, W, t
        return out
