"""Thermal inertia: pipes, sensor wells and pressure equalization as first-order lags.

The refrigerant cycle gives steady states; a real reading approaches its steady
state with a time constant. It is short while the compressor runs (refrigerant
and water flowing: 0.7-3 min) and long when it stops (the discharge line cools
over ~20 min, water in the unit over ~8 min, the pressures equalize over ~2).
So a start shows the discharge temperature climbing for minutes, and a stop
shows it falling slowly, as in a real pump's log.
"""

from __future__ import annotations

import numpy as np

# channels with thermal inertia: (time constant running, time constant stopped) in minutes
LAGGED = ("t_flow", "t_return", "t_discharge", "t_suction", "t_evap", "t_cond", "t_liquid", "p_high", "p_low")
_TAU_ON = np.array([1.5, 2.0, 3.0, 1.0, 1.0, 1.0, 1.5, 0.7, 0.7])
_TAU_OFF = np.array([8.0, 8.0, 20.0, 5.0, 4.0, 4.0, 5.0, 2.0, 2.0])

_ALPHA: dict[float, np.ndarray] = {}


def _lag_alpha(dt: float) -> np.ndarray:
    """Per lagged channel (rows), the step weight 1 - exp(-dt/tau) stopped (column 0) and running (column 1)."""
    a = _ALPHA.get(dt)
    if a is None:
        a = _ALPHA[dt] = np.stack([1.0 - np.exp(-dt / (_TAU_OFF * 60.0)), 1.0 - np.exp(-dt / (_TAU_ON * 60.0))], axis=1)
    return a


def lag(values: np.ndarray, running: np.ndarray, start: np.ndarray | None, dt: float,
        alpha: np.ndarray) -> np.ndarray:
    """Lag ``values`` ((LAGGED, n, D) steady states) in place; return the lagged values at the end ((LAGGED, D)).

    x_t = x_{t-1} + alpha (u_t - x_t-1), alpha by channel and by ``running`` ((n, D) bool)
    at each step; ``start``: the lagged values before the chunk (None: start at the first
    steady state). ``alpha``: a (LAGGED, n, D) work array the caller keeps.
    """
    n = values.shape[1]
    np.take(_lag_alpha(dt), running.view(np.uint8), axis=1, out=alpha)
    x = values[:, 0].copy() if start is None else start
    tmp = np.empty_like(x)
    sub, mul, add = np.subtract, np.multiply, np.add
    for i in range(n):  # x += alpha * (u - x), the lagged value replacing the target in u
        ui = values[:, i]
        sub(ui, x, tmp)
        mul(tmp, alpha[:, i], tmp)
        add(x, tmp, ui)
        x = ui
    return x.copy()
