"""A chunk's derived channels, monitored targets and operating-point features in one compiled pass.

HeatPumpDetector.score derives them with numpy passes over a chunk's columns (derive_matrix: some
thirty strided column operations, then a gather of the targets; features: another dozen), a few
hundred microseconds a chunk of a season's replay, most of it per-call overhead. ``chunk_columns``
computes each element with the same IEEE operations in the same order in one pass over the rows
(no fused multiply-add, no reassociation: numba's default), so the same digits
(tests/edge/heatpump/test_columns_kernel.py). The saturation temperatures stay numpy's (t_sat: its
log and its table lookup; t_sat_array, its numbers by fewer passes), computed as derive computes them, and are
passed in.
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.channels import DERIVED_NAMES, INDEX, MODE_DHW, WATER_KW_PER_LPM_K
from heatwatch.edge.heatpump.batch_kernels import AVAILABLE, njit
from heatwatch.edge.heatpump.operating_point import FEATURE_NAMES
from heatwatch.refrigerant import t_sat_array

# the raw channels derive reads, in this order (derived.derive)
_RAW = np.array([INDEX[n] for n in ("t_suction", "t_liquid", "t_flow", "t_return", "flow_lpm", "power_w",
                                    "t_outdoor", "t_evap", "t_cond", "t_discharge", "compressor_hz", "mode")])
_P_HIGH, _P_LOW = INDEX["p_high"], INDEX["p_low"]
assert DERIVED_NAMES == ("superheat", "subcooling", "delta_t", "heat_kw", "cop", "evap_approach", "cond_approach",
                         "discharge_superheat", "cond_sat_gap", "evap_sat_gap")
assert FEATURE_NAMES == ("bias", "t_outdoor", "t_flow", "compressor_hz", "t_outdoor*hz", "hz^2", "dhw")


@njit(cache=True, error_model="numpy")
def columns_rows(X, t_cond_sat, t_evap_sat, raw, raw_t, raw_i, der_t, der_i, water, dhw_mode, D, Y, F):
    """Per row of X: D its derived channels (derived.derive's operations), Y its targets (raw_t <- X's
    raw_i, der_t <- D's der_i), F its features (operating_point.features)."""
    n = X.shape[0]
    for i in range(n):
        t_suction, t_liquid, t_flow, t_return = X[i, raw[0]], X[i, raw[1]], X[i, raw[2]], X[i, raw[3]]
        flow, power_w, t_outdoor, t_evap = X[i, raw[4]], X[i, raw[5]], X[i, raw[6]], X[i, raw[7]]
        t_cond, t_discharge, hz_raw, mode = X[i, raw[8]], X[i, raw[9]], X[i, raw[10]], X[i, raw[11]]
        tc, te = t_cond_sat[i], t_evap_sat[i]
        delta_t = t_flow - t_return
        heat_kw = water * flow * delta_t
        power_kw = power_w / 1000.0
        D[i, 0] = t_suction - te
        D[i, 1] = tc - t_liquid
        D[i, 2] = delta_t
        D[i, 3] = heat_kw
        D[i, 4] = heat_kw / power_kw if power_kw > 0.2 else math.nan  # COP only while it runs with real power
        D[i, 5] = t_outdoor - t_evap
        D[i, 6] = t_cond - t_flow
        D[i, 7] = t_discharge - tc
        D[i, 8] = t_cond - tc
        D[i, 9] = t_evap - te
        for q in range(len(raw_t)):
            Y[i, raw_t[q]] = X[i, raw_i[q]]
        for q in range(len(der_t)):
            Y[i, der_t[q]] = D[i, der_i[q]]
        t_out = t_outdoor / 10.0
        hz = (hz_raw - 50.0) / 30.0
        F[i, 0] = 1.0
        F[i, 1] = t_out
        F[i, 2] = (t_flow - 35.0) / 10.0
        F[i, 3] = hz
        F[i, 4] = t_out * hz
        F[i, 5] = hz * hz
        F[i, 6] = 1.0 if mode == dhw_mode else 0.0


def chunk_columns(X: np.ndarray, refrigerant: str, targets: tuple[np.ndarray, ...]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(derived channels, targets, features) of rows X, as derived_and_targets and features give them;
    ``targets``: (target columns from raw channels, those channels, target columns from derived ones,
    those), the detector's. None without numba (or for anything but rows of float64): the caller
    takes the numpy passes."""
    if not AVAILABLE or X.ndim != 2 or X.dtype != np.float64 or len(X) < 2:
        return None
    raw_t, raw_i, der_t, der_i = targets
    n = len(X)
    D = np.empty((n, len(DERIVED_NAMES)))
    Y = np.empty((n, len(raw_t) + len(der_t)))
    F = np.empty((n, len(FEATURE_NAMES)))
    # t_sat_array: t_sat's numbers to the bit, its log and lookup alone where every pressure is inside the table
    columns_rows(X, t_sat_array(X[:, _P_HIGH], refrigerant), t_sat_array(X[:, _P_LOW], refrigerant), _RAW, raw_t, raw_i,
                 der_t, der_i, WATER_KW_PER_LPM_K, float(MODE_DHW), D, Y, F)
    return D, Y, F
