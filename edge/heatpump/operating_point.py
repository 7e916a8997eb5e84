"""When a heat pump's readings can be compared with its healthy model, and at
which operating point.

Transients are not faults: defrost, the minutes after a defrost and after a
compressor start, and any trip are left out (docs/heatpump.md, "What the
literature says"). What remains is compared at the same outdoor temperature,
flow temperature, compressor frequency and mode.
"""

from __future__ import annotations

import numpy as np

from heatwatch.channels import INDEX, MODE_DHW, MODE_HEATING

MIN_RUNNING_HZ = 15.0
SETTLE_SECONDS = 10 * 60.0

_I_HZ, _I_DEF, _I_MODE, _I_ERR = INDEX["compressor_hz"], INDEX["defrost"], INDEX["mode"], INDEX["error_code"]
_I_TOUT, _I_TFLOW = INDEX["t_outdoor"], INDEX["t_flow"]

FEATURE_NAMES = ("bias", "t_outdoor", "t_flow", "compressor_hz", "t_outdoor*hz", "hz^2", "dhw")


def unsteady(x: np.ndarray) -> np.ndarray:
    """Rows (..., n_channels) in a transient: off, defrosting, tripped, unknown mode."""
    hz, defrost, mode, err = x[..., _I_HZ], x[..., _I_DEF], x[..., _I_MODE], x[..., _I_ERR]
    running = (hz >= MIN_RUNNING_HZ) & ((mode == MODE_HEATING) | (mode == MODE_DHW))
    return ~running | (defrost > 0.5) | (err > 0) | np.isnan(hz)


class SteadyStateGate:
    """Streaming: is this reading steady, i.e. SETTLE_SECONDS after the last transient?

    A change of mode (space heating <-> hot water) is a transient too: the
    flow temperature and pressures swing for minutes after it.
    """

    def __init__(self, settle_seconds: float = SETTLE_SECONDS):
        self.settle = settle_seconds
        self.last_transient_ts = -np.inf
        self.last_mode = np.nan

    def update(self, ts: float, x: np.ndarray) -> bool:
        mode = float(x[_I_MODE])
        switched = mode != self.last_mode
        self.last_mode = mode
        if bool(unsteady(x)) or switched:
            self.last_transient_ts = ts
            return False
        return ts - self.last_transient_ts >= self.settle

    def batch(self, ts: np.ndarray, X: np.ndarray) -> np.ndarray:
        """The same decision for a whole array; continues from and updates the state."""
        mode = X[:, _I_MODE]
        previous = np.concatenate([[self.last_mode], mode[:-1]])
        if len(mode):
            self.last_mode = float(mode[-1])
        bad = unsteady(X) | (mode != previous)
        marks = np.where(bad, ts, -np.inf)
        last = np.maximum.accumulate(np.concatenate([[self.last_transient_ts], marks]))[1:]
        if len(ts):
            self.last_transient_ts = float(last[-1])
        return ~bad & (ts - last >= self.settle)


def features(x: np.ndarray) -> np.ndarray:
    """Operating-point features for rows (..., n_channels) -> (..., len(FEATURE_NAMES)).

    Scaled to O(1) so ridge regularization treats them alike.
    """
    t_out = x[..., _I_TOUT] / 10.0
    t_flow = (x[..., _I_TFLOW] - 35.0) / 10.0
    hz = (x[..., _I_HZ] - 50.0) / 30.0
    dhw = (x[..., _I_MODE] == MODE_DHW).astype(float)
    return np.stack([np.ones_like(t_out), t_out, t_flow, hz, t_out * hz, hz * hz, dhw], axis=-1)


def features_row(x: list[float]) -> list[float]:
    """``features`` of one reading (channel values as floats): the same digits, in plain floats."""
    t_out = x[_I_TOUT] / 10.0
    hz = (x[_I_HZ] - 50.0) / 30.0
    return [1.0, t_out, (x[_I_TFLOW] - 35.0) / 10.0, hz, t_out * hz, hz * hz, 1.0 if x[_I_MODE] == MODE_DHW else 0.0]
