"""Quantities derived from raw channels: superheat, subcooling, ΔT, heat, COP.

Vectorized: pass arrays (any shape, one per channel) or scalars. Used by the
edge agent on each reading and by tests that check the simulator's physics.
``derive_row`` is one reading in plain floats (the agent's reading by reading): the same
digits as the arrays, at a fraction of their per-call cost.
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.channels import DERIVED_NAMES, INDEX, WATER_KW_PER_LPM_K
from heatwatch.refrigerant import t_sat, t_sat_scalar


def derive(values: dict[str, np.ndarray | float], refrigerant: str = "R32",
           sat: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Derived channels from a mapping of canonical channel -> values. ``sat``: the condensing and
    evaporating saturation temperatures, t_sat of p_high and p_low, when the caller already has them
    (copies of a reading that differ in other sensors share them: t_sat works element by element)."""
    get = lambda name: np.asarray(values[name], dtype=float)  # noqa: E731
    # each saturation temperature once (a log and a table lookup per element: most of the cost here)
    if sat is None:
        sat = (t_sat(get("p_high"), refrigerant), t_sat(get("p_low"), refrigerant))
    t_cond_sat, t_evap_sat = sat
    superheat = get("t_suction") - t_evap_sat
    subcooling = t_cond_sat - get("t_liquid")
    delta_t = get("t_flow") - get("t_return")
    heat_kw = WATER_KW_PER_LPM_K * get("flow_lpm") * delta_t
    power_kw = get("power_w") / 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        # COP only means something while the compressor runs with real input power
        cop = np.where(power_kw > 0.2, heat_kw / np.where(power_kw > 0.2, power_kw, 1.0), np.nan)
    evap_approach = get("t_outdoor") - get("t_evap")
    cond_approach = get("t_cond") - get("t_flow")
    discharge_superheat = get("t_discharge") - t_cond_sat
    cond_sat_gap = get("t_cond") - t_cond_sat
    evap_sat_gap = get("t_evap") - t_evap_sat
    return dict(zip(DERIVED_NAMES, (superheat, subcooling, delta_t, heat_kw, cop, evap_approach,
                                    cond_approach, discharge_superheat, cond_sat_gap, evap_sat_gap)))


def derive_matrix(x: np.ndarray, refrigerant: str = "R32", sat: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Rows of canonical channel vectors (..., n_channels) -> (..., n_derived) (``sat``: see derive)."""
    cols = {name: x[..., i] for name, i in INDEX.items()}
    d = derive(cols, refrigerant, sat)
    out = np.empty(np.shape(x)[:-1] + (len(DERIVED_NAMES),))
    for k, name in enumerate(DERIVED_NAMES):  # np.stack's copies, without its concatenation of views
        out[..., k] = d[name]
    return out


_I = {name: INDEX[name] for name in ("t_suction", "p_low", "p_high", "t_liquid", "t_flow", "t_return", "flow_lpm",
                                     "power_w", "t_outdoor", "t_evap", "t_cond", "t_discharge")}


def derive_row(x: list[float], refrigerant: str = "R32") -> list[float]:
    """``derive`` of one reading (canonical channel values as floats) in DERIVED_NAMES order: the
    same IEEE operations in the same order as the arrays (t_sat_scalar for the saturation)."""
    i = _I
    t_low, t_high = t_sat_scalar(x[i["p_low"]], refrigerant), t_sat_scalar(x[i["p_high"]], refrigerant)
    delta_t = x[i["t_flow"]] - x[i["t_return"]]
    heat_kw = WATER_KW_PER_LPM_K * x[i["flow_lpm"]] * delta_t
    power_kw = x[i["power_w"]] / 1000.0
    cop = heat_kw / power_kw if power_kw > 0.2 else math.nan
    return [x[i["t_suction"]] - t_low, t_high - x[i["t_liquid"]], delta_t, heat_kw, cop,
            x[i["t_outdoor"]] - x[i["t_evap"]], x[i["t_cond"]] - x[i["t_flow"]], x[i["t_discharge"]] - t_high,
            x[i["t_cond"]] - t_high, x[i["t_evap"]] - t_low]
