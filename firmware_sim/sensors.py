"""What the controller's sensors report: noise, resolution, and sensor faults.

Resolutions follow real controllers (docs/heatpump.md): water temperatures in
0.1 °C, refrigerant-side and outdoor temperatures in 0.5-1 °C, current in
0.1 A, power in 100 W steps. Sensor faults change only the reported value of
one channel, never the physics: drift (an offset growing at ``rate`` units per
day), stuck (the value at onset, forever), noise (extra Gaussian noise of σ =
``rate``) and dropout (a fraction ``rate`` of readings lost: NaN, and for
temperatures now and then the -200 °C an open-circuit NTC reads as).
"""

from __future__ import annotations

import numpy as np

from heatwatch.channels import BY_NAME, CHANNEL_NAMES
from heatwatch.units import DAY

# channel: (noise sigma, resolution)
SENSOR_SPEC: dict[str, tuple[float, float]] = {
    "t_outdoor": (0.15, 0.5),
    "t_flow": (0.08, 0.1),
    "t_return": (0.08, 0.1),
    "t_dhw": (0.2, 0.5),
    "t_indoor": (0.05, 0.1),
    "t_discharge": (0.4, 1.0),
    "t_suction": (0.2, 0.5),
    "t_evap": (0.2, 0.5),
    "t_cond": (0.15, 0.5),
    "t_liquid": (0.15, 0.5),
    "p_high": (0.06, 0.1),
    "p_low": (0.03, 0.1),
    "compressor_hz": (0.0, 1.0),
    "compressor_a": (0.05, 0.1),
    "power_w": (25.0, 100.0),
    "flow_lpm": (0.15, 0.1),
    "fan_rpm": (5.0, 10.0),
    "eev_pct": (0.0, 0.5),
    "defrost": (0.0, 1.0),
    "mode": (0.0, 1.0),
    "error_code": (0.0, 1.0),
}
OPEN_CIRCUIT_C = -200.0

SIGMA = np.array([SENSOR_SPEC[c][0] for c in CHANNEL_NAMES])
SIGMA32 = SIGMA.astype(np.float32)
QUANTUM = np.array([SENSOR_SPEC[c][1] for c in CHANNEL_NAMES])
INV_QUANTUM = 1.0 / QUANTUM
LOW = np.array([BY_NAME[c].low for c in CHANNEL_NAMES])
HIGH = np.array([BY_NAME[c].high for c in CHANNEL_NAMES])
# channels clipped at 0, as runs [lo, hi) (elsewhere the lower bound is -inf: max(x, -inf) == x)
_NONNEG_RUNS = [(int(r[0]), int(r[-1]) + 1) for r in np.split(np.nonzero(LOW >= 0)[0], np.nonzero(np.diff(np.nonzero(LOW >= 0)[0]) > 1)[0] + 1)]
REPORT_BLOCK = 1 << 17  # values per block (all channels of a few time steps)


NOISE_ROWS = 262_147  # prime: a table of Gaussian noise rows, consumed in (step, device) order


class SensorModel:
    def __init__(self, fleet, rng: np.random.Generator):
        self.fleet = fleet
        self.rng = rng
        # Drawing 21 Gaussians per pump per step dominates the run time, so draw a table once
        # (already scaled by each channel's sigma) and read it in (step, device) order: the
        # noise depends only on the absolute step, never on how the run is cut into chunks.
        table = rng.standard_normal((NOISE_ROWS, len(CHANNEL_NAMES)), dtype=np.float32) * SIGMA32
        # kept channel-major (C, NOISE_ROWS) and as float64 (exactly the float32 numbers) for fast adds
        self.table_t = table.T.astype(np.float64, order="C")
        self._scratch: np.ndarray | None = None  # (C, n, D) work array, reused chunk after chunk
        self.row0 = int(rng.integers(NOISE_ROWS))
        self.faults = fleet.sensor_faults
        self.fault_rngs = [np.random.default_rng(np.random.SeedSequence([fleet.scenario.seed, 3, k]))
                           for k in range(len(self.faults))]
        self.stuck_value: dict[int, float] = {}

    def report(self, steps: np.ndarray, ts: np.ndarray, truth) -> np.ndarray:
        """Noise + quantization + sensor faults on the true values: one contiguous (n, D) array per channel.

        Returns a new (n, D, C) array; ``truth`` is left as it is. Works on blocks of a few
        time steps (all channels) that stay in cache, the same arithmetic per value as on the
        whole (n, D, C) array at once.
        """
        C = len(truth)
        n, D = truth[0].shape
        rb = max(1, min(n, REPORT_BLOCK // (C * D)))  # time steps per block
        if self._scratch is None or self._scratch.size < C * rb * D:
            self._scratch = np.empty(C * rb * D)
        values = np.empty((n, D, C))
        el = steps * self.fleet.step_seconds
        # sensor faults: their random numbers and offsets for the whole chunk
        fx = []
        for k, (d, ftype, c, onset, rate) in enumerate(self.faults):
            frng = self.fault_rngs[k]
            uz = frng.random((n, 2))
            u = uz[:, 0]
            z = np.sqrt(-2.0 * np.log1p(-uz[:, 1])) * np.cos(2 * np.pi * ((uz[:, 0] * 7.0) % 1.0))  # Box-Muller
            active = el >= onset
            if ftype == "sensor_drift":
                fx.append((k, d, c, "add", np.where(active, (el - onset) / DAY * rate, 0.0), None))
            elif ftype == "sensor_noise":
                fx.append((k, d, c, "add", np.where(active, z * rate, 0.0), None))
            elif ftype == "sensor_stuck":
                fx.append((k, d, c, "stuck", active, None))
            elif ftype == "sensor_dropout":
                is_temp = CHANNEL_NAMES[c].startswith("t_")
                fx.append((k, d, c, "drop", active & (u < rate), np.where(is_temp & (z > 0.8), OPEN_CIRCUIT_C, np.nan)))
        r_first = (self.row0 + int(steps[0]) * D) % NOISE_ROWS
        for b0 in range(0, n, rb):
            b1 = min(n, b0 + rb)
            m = (b1 - b0) * D
            x = self._scratch[:C * m].reshape(C, b1 - b0, D)
            xf = x.reshape(C, m)
            r0 = (r_first + b0 * D) % NOISE_ROWS
            k = 0  # noise rows r0, r0 + 1, ... wrapping around the end of the table
            while k < m:
                j = min(m - k, NOISE_ROWS - r0)
                for c in range(C):
                    np.add(truth[c].reshape(-1)[b0 * D + k:b0 * D + k + j], self.table_t[c, r0:r0 + j], out=xf[c, k:k + j])
                k, r0 = k + j, 0
            # physical channels stay physical (a flow meter does not read -0.1 l/min)
            for lo, hi in _NONNEG_RUNS:
                np.maximum(x[lo:hi], 0.0, out=x[lo:hi])
            for k, d, c, kind, a, _ in fx:
                if kind == "add":
                    x[c, :, d] = x[c, :, d] + a[b0:b1]
                elif kind == "stuck":
                    act = a[b0:b1]
                    if k not in self.stuck_value and act.any():
                        self.stuck_value[k] = float(np.round(x[c, np.argmax(act), d] / QUANTUM[c]) * QUANTUM[c])
                    if k in self.stuck_value:
                        x[c, :, d] = np.where(act, self.stuck_value[k], x[c, :, d])
            x *= INV_QUANTUM[:, None, None]
            np.round(x, out=x)
            x *= QUANTUM[:, None, None]
            for k, d, c, kind, a, sentinel in fx:
                if kind == "drop":
                    x[c, :, d] = np.where(a[b0:b1], sentinel[b0:b1], x[c, :, d])
            values[b0:b1] = x.transpose(1, 2, 0)
        return values
