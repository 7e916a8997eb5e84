"""Saturation properties of the refrigerants heat pumps use, from tables.

A table with log-pressure interpolation is accurate to well under 0.1 K
between the points and costs microseconds on a Raspberry Pi; no property
library is needed on the edge. Both the simulator and the agent use it, so
they agree on what a pressure means.
"""

from __future__ import annotations

import math

import numpy as np

_T_C = np.array([-40.0, -30, -20, -10, -5, 0, 5, 10, 20, 30, 40, 45, 50, 55, 60, 65, 70])
# bar absolute. R32/R290 as in docs/heatpump.md, ends extended from the
# Clausius-Clapeyron fit of the neighbouring points.
_P_BAR = {
    "R32": np.array([1.77, 2.73, 4.06, 5.83, 6.91, 8.13, 9.51, 11.07, 14.75, 19.28,
                     24.78, 27.95, 31.41, 35.20, 39.33, 43.84, 48.70]),
    "R290": np.array([1.11, 1.68, 2.45, 3.45, 4.06, 4.74, 5.51, 6.37, 8.36, 10.79,
                      13.69, 15.34, 17.13, 19.07, 21.17, 23.43, 25.90]),
}
_LOG_P = {name: np.log(p) for name, p in _P_BAR.items()}
# the exponent n of an isentropic compression's temperature rise, T_is = T_s (p_h/p_l)^((n-1)/n),
# fitted to the refrigerant's isentropes between -25..+10 °C evaporating and 30..60 °C condensing:
# R32 ~1.24 (a hot discharge: why R32 compressors inject vapour or liquid), propane ~1.18
# (R290 runs some 20 K cooler at the same lift)
ISENTROPIC_EXPONENT: dict[str, float] = {"R32": 1.24, "R290": 1.18}
REFRIGERANTS: tuple[str, ...] = tuple(_P_BAR)


def isentropic_discharge(t_suction_c, p_high, p_low, refrigerant: str = "R32"):
    """Discharge temperature (°C) of an ideal (isentropic) compression from suction at ``t_suction_c``.

    A real compressor's discharge lies above it by its losses: (T_d - T_s) ≈ (T_is - T_s) x c / η_is,
    with c < 1 the share of the loss heat the gas keeps (the rest leaves through the shell).
    """
    _check(refrigerant)
    k = ISENTROPIC_EXPONENT[refrigerant]
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.asarray(t_suction_c, dtype=float) + 273.15) * (np.asarray(p_high, dtype=float)
                                                                 / np.asarray(p_low, dtype=float)) ** ((k - 1.0) / k) - 273.15


def _check(refrigerant: str) -> None:
    if refrigerant not in _P_BAR:
        raise ValueError(f"unknown refrigerant {refrigerant!r}; known: {', '.join(REFRIGERANTS)}")


def p_sat(t_c, refrigerant: str = "R32"):
    """Saturation pressure (bar abs) at temperature ``t_c`` (°C); arrays welcome."""
    _check(refrigerant)
    out = np.exp(_extrap(t_c, _T_C, _LOG_P[refrigerant]))
    return out if np.ndim(out) else float(out)


def t_sat(p_bar, refrigerant: str = "R32"):
    """Saturation temperature (°C) at pressure ``p_bar`` (bar abs); arrays welcome.

    Non-positive pressures give NaN (a broken transducer, not a temperature).
    """
    _check(refrigerant)
    p = np.asarray(p_bar, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.where(p > 0, np.log(np.where(p > 0, p, 1.0)), np.nan)
    out = _extrap(logp, _LOG_P[refrigerant], _T_C)
    return out


def t_sat_scalar(p_bar: float, refrigerant: str = "R32") -> float:
    """:func:`t_sat` of one pressure as a Python float: the same digits (the log and the table
    lookup are numpy's own, the extrapolation the same IEEE operations in the same order), without
    the half-dozen array passes that are most of one reading's cost on the agent."""
    lp, tc, lo_slope, hi_slope = _scalar_table(refrigerant)
    if not p_bar > 0:  # NaN or a broken transducer
        return math.nan
    x = float(np.log(p_bar))
    if x < lp[0]:
        return tc[0] + (x - lp[0]) * lo_slope[0] / lo_slope[1]
    if x > lp[-1]:
        return tc[-1] + (x - lp[-1]) * hi_slope[0] / hi_slope[1]
    return float(np.interp(x, _LOG_P[refrigerant], _T_C))


_SCALAR_TABLES: dict[str, tuple[list[float], list[float], tuple[float, float], tuple[float, float]]] = {}


def _scalar_table(refrigerant: str):
    """(log-pressures, temperatures, (dT, dlogp) of the first and the last table step) as floats."""
    t = _SCALAR_TABLES.get(refrigerant)
    if t is None:
        _check(refrigerant)
        lp, tc = _LOG_P[refrigerant].tolist(), _T_C.tolist()
        t = _SCALAR_TABLES[refrigerant] = (lp, tc, (tc[1] - tc[0], lp[1] - lp[0]), (tc[-1] - tc[-2], lp[-1] - lp[-2]))
    return t


def p_sat_array(t_c, refrigerant: str = "R32"):
    """:func:`p_sat` for whole arrays: the same numbers, faster when every value is inside the table.

    Inside the table (and without NaN) ``p_sat`` is exactly ``exp(interp(t))``, so the
    extrapolation and NaN passes are skipped there; anything else takes :func:`p_sat`.
    A simulator computing a fleet's refrigerant cycle calls this millions of times a second.
    """
    if isinstance(t_c, np.ndarray) and t_c.ndim and t_c.size and t_c.dtype == np.float64:
        if t_c.min() >= _T_C[0] and t_c.max() <= _T_C[-1]:  # False for NaN: the general path
            _check(refrigerant)
            y = np.interp(t_c, _T_C, _LOG_P[refrigerant])
            return np.exp(y, out=y)
    return p_sat(t_c, refrigerant)


def t_sat_array(p_bar, refrigerant: str = "R32"):
    """:func:`t_sat` for whole arrays: the same numbers, faster for positive pressures inside the table."""
    if isinstance(p_bar, np.ndarray) and p_bar.ndim and p_bar.size and p_bar.dtype == np.float64 and p_bar.min() > 0:
        _check(refrigerant)
        lp = _LOG_P[refrigerant]
        logp = np.log(p_bar)
        if logp.min() >= lp[0] and logp.max() <= lp[-1]:
            return np.interp(logp, lp, _T_C)
    return t_sat(p_bar, refrigerant)


def _extrap(x, xp: np.ndarray, fp: np.ndarray):
    """np.interp with linear extrapolation past both ends (NaN stays NaN)."""
    x = np.asarray(x, dtype=float)
    y = np.interp(x, xp, fp)
    lo, hi = x < xp[0], x > xp[-1]
    if np.any(lo) or np.any(hi):
        y = np.where(lo, fp[0] + (x - xp[0]) * (fp[1] - fp[0]) / (xp[1] - xp[0]), y)
        y = np.where(hi, fp[-1] + (x - xp[-1]) * (fp[-1] - fp[-2]) / (xp[-1] - xp[-2]), y)
    y = np.where(np.isnan(x), np.nan, y)
    return y if y.ndim else float(y)
