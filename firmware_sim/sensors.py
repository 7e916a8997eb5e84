"""What the controller's sensors report: noise, resolution, and sensor faults.

Resolutions follow real controllers (HEATPUMP.md): water temperatures in
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

from firmware_sim.scenario import DAY

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


NOISE_ROWS = 262_147  # prime: a table of Gaussian noise rows, consumed in (step, device) order


class SensorModel:
    def __init__(self, fleet, rng: np.random.Generator):
        self.fleet = fleet
        self.rng = rng
        # Drawing 21 Gaussians per pump per step dominates the run time, so draw a table once
        # (already scaled by each channel's sigma) and read it in (step, device) order: the
        # noise depends only on the absolute step, never on how the run is cut into chunks.
        self.table = rng.standard_normal((NOISE_ROWS, len(CHANNEL_NAMES)), dtype=np.float32) * SIGMA32
        self.row0 = int(rng.integers(NOISE_ROWS))
        self.faults = fleet.sensor_faults
        self.fault_rngs = [np.random.default_rng(np.random.SeedSequence([fleet.scenario.seed, 3, k]))
                           for k in range(len(self.faults))]
        self.stuck_value: dict[int, float] = {}

    def report(self, steps: np.ndarray, ts: np.ndarray, truth: np.ndarray) -> np.ndarray:
        """Noise + quantization + sensor faults on a (n, D, C) array of true values (modified in place)."""
        n, D, C = truth.shape
        r0 = (self.row0 + int(steps[0]) * D) % NOISE_ROWS
        rows = n * D
        if r0 + rows <= NOISE_ROWS:
            noise = self.table[r0:r0 + rows]
        else:
            noise = self.table[(r0 + np.arange(rows)) % NOISE_ROWS]
        x = truth
        x += noise.reshape(n, D, C)
        # physical channels stay physical (a flow meter does not read -0.1 l/min)
        np.maximum(x, np.where(LOW >= 0, 0.0, -np.inf), out=x)
        el = steps * self.fleet.step_seconds
        dropped = []
        for k, (d, ftype, c, onset, rate) in enumerate(self.faults):
            frng = self.fault_rngs[k]
            uz = frng.random((n, 2))
            u = uz[:, 0]
            z = np.sqrt(-2.0 * np.log1p(-uz[:, 1])) * np.cos(2 * np.pi * ((uz[:, 0] * 7.0) % 1.0))  # Box-Muller
            active = el >= onset
            col = x[:, d, c]
            if ftype == "sensor_drift":
                col = col + np.where(active, (el - onset) / DAY * rate, 0.0)
            elif ftype == "sensor_noise":
                col = col + np.where(active, z * rate, 0.0)
            elif ftype == "sensor_stuck":
                if k not in self.stuck_value and active.any():
                    self.stuck_value[k] = float(np.round(col[np.argmax(active)] / QUANTUM[c]) * QUANTUM[c])
                if k in self.stuck_value:
                    col = np.where(active, self.stuck_value[k], col)
            elif ftype == "sensor_dropout":
                lost = active & (u < rate)
                dropped.append((d, c, lost, z))
            x[:, d, c] = col
        x *= INV_QUANTUM
        np.round(x, out=x)
        x *= QUANTUM
        for d, c, lost, z in dropped:
            is_temp = CHANNEL_NAMES[c].startswith("t_")
            sentinel = np.where(is_temp & (z > 0.8), OPEN_CIRCUIT_C, np.nan)
            x[:, d, c] = np.where(lost, sentinel, x[:, d, c])
        return x
