"""Outdoor weather for a fleet: season, day and night, multi-day swings, humidity.

Temperature = monthly climate normal (smoothly interpolated) + a diurnal cycle
(coldest before dawn, warmest mid-afternoon) + a regional AR(1) anomaly with a
~3-day memory (cold spells, mild spells) + a faster AR(1) (hours) + a small
per-site offset and a per-site AR(1). Relative humidity follows the same
processes, high at night and in winter. The AR processes are stepped on hourly
knots and interpolated, so they are cheap, deterministic per seed and
independent of how the run is cut into chunks.

``season_shift_s`` plays another time of year at these timestamps: the normals
(and the winter's wider swings) are those ``season_shift_s`` later, the day and
night those of the timestamps' own local hours (the demo: January's weather on
the day it runs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heatwatch.units import DAY, HOUR


@dataclass(frozen=True)
class ClimatePreset:
    """A climate's numbers: a named preset below, or a scenario's own (scenario_climate.py)."""

    monthly_c: tuple[float, ...]  # mean air temperature Jan..Dec
    diurnal_amp_c: tuple[float, float]  # half day-night range in (winter, summer)
    anomaly_sigma_c: tuple[float, float]  # std of the multi-day anomaly (winter, summer)
    monthly_rh: tuple[float, ...]  # mean relative humidity Jan..Dec, %
    utc_offset_h: float
    design_c: float  # design outdoor temperature: the houses' pumps are sized for it
    name: str = ""  # a scenario's own climate: its label ("" = none given)


# Monthly normals: SMHI Stockholm-Bromma, met.no Oslo-Blindern, ARPA Milano-Brera (1991-2020, rounded).
CLIMATE_PRESETS: dict[str, ClimatePreset] = {
    "stockholm": ClimatePreset(
        (-1.5, -1.7, 1.2, 5.9, 11.2, 15.6, 18.4, 17.2, 12.8, 7.4, 3.4, 0.2), (2.5, 5.0), (4.8, 2.5),
        (86, 83, 76, 68, 64, 66, 69, 73, 79, 84, 88, 88), 1.0, -18.0),
    "oslo": ClimatePreset(
        (-3.7, -3.6, 0.1, 4.9, 10.6, 14.6, 17.3, 16.1, 11.6, 6.1, 1.3, -2.6), (2.5, 5.5), (5.5, 2.5),
        (82, 79, 72, 64, 62, 65, 69, 73, 78, 82, 85, 84), 1.0, -20.0),
    "milan": ClimatePreset(
        (3.0, 5.0, 9.5, 13.3, 17.8, 22.1, 24.7, 24.1, 19.6, 14.3, 8.4, 3.8), (3.5, 5.5), (2.8, 2.0),
        (86, 78, 72, 72, 70, 68, 66, 69, 72, 80, 87, 88), 1.0, -5.0),
}


def resolve_climate(climate: str | ClimatePreset) -> ClimatePreset:
    """A preset's name or a climate's numbers -> the numbers."""
    return climate if isinstance(climate, ClimatePreset) else CLIMATE_PRESETS[climate]

_TAU_SLOW_H, _TAU_FAST_H, _TAU_SITE_H = 72.0, 8.0, 18.0


def _month_position(ts: np.ndarray) -> np.ndarray:
    """Fractional month index (0 = mid-January) for unix seconds."""
    ts64 = ts.astype("datetime64[s]")
    year_start = ts64.astype("datetime64[Y]")
    doy = (ts64 - year_start).astype(np.float64) / DAY
    year_len = np.where(((year_start.astype(int) + 1970) % 4) == 0, 366.0, 365.0)
    return doy / year_len * 12.0 - 0.5


def _seasonal(values: tuple[float, ...], m: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    # periodic linear interpolation between mid-month points
    return np.interp(m, np.arange(-1, 13), np.concatenate([v[-1:], v, v[:1]]))


class Weather:
    """Stateful generator: call :meth:`sample` with successive, increasing time vectors."""

    def __init__(self, climate: str | ClimatePreset, n_devices: int, rng: np.random.Generator, start_ts: float,
                 season_shift_s: float = 0.0):
        self.preset = resolve_climate(climate)
        self.season_shift_s = season_shift_s
        self.n = n_devices
        self.rng = rng
        self.site_offset = rng.normal(0.0, 0.8, n_devices)  # urban heat island, altitude, exposure
        self.site_rh_offset = rng.normal(0.0, 3.0, n_devices)
        self.knot0 = np.floor(start_ts / HOUR) * HOUR
        self._knots: list[np.ndarray] = []  # rows: [slow, fast, rh, site_1..site_n]
        self._state = np.concatenate([rng.normal(0.0, 1.0, 3), rng.normal(0.0, 1.0, n_devices)])
        self._phi = np.concatenate([
            np.exp(-1.0 / np.array([_TAU_SLOW_H, _TAU_FAST_H, 24.0])),
            np.full(n_devices, np.exp(-1.0 / _TAU_SITE_H)),
        ])
        self._innov = np.sqrt(1.0 - self._phi**2)
        self._first_knot = 0  # index of self._knots[0]
        self._knots.append(self._state.copy())

    def _knots_until(self, k_last: int) -> None:
        while self._first_knot + len(self._knots) - 1 < k_last:
            eps = self.rng.standard_normal(self._state.shape[0])
            self._state = self._phi * self._state + self._innov * eps
            self._knots.append(self._state.copy())

    def sample(self, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(T_outdoor °C, RH %) each of shape (len(ts), n_devices)."""
        k = (ts - self.knot0) / HOUR
        k_lo = int(np.floor(k[0]))
        k_hi = int(np.floor(k[-1])) + 1
        self._knots_until(k_hi)
        # drop knots we will never need again (times only move forward)
        drop = k_lo - self._first_knot
        if drop > 0:
            del self._knots[:drop]
            self._first_knot += drop
        arr = np.asarray(self._knots)  # (n_knots, 3 + n)
        idx = k - self._first_knot
        i0 = np.floor(idx).astype(int)
        w = (idx - i0)[:, None]
        ar = arr[i0] * (1.0 - w) + arr[np.minimum(i0 + 1, len(arr) - 1)] * w

        p = self.preset
        m = _month_position(ts + self.season_shift_s if self.season_shift_s else ts)
        winter = 0.5 * (1.0 + np.cos((m + 0.5) / 12.0 * 2 * np.pi))  # 1 mid-Jan, 0 mid-Jul
        mean = _seasonal(p.monthly_c, m)
        amp = p.diurnal_amp_c[1] + (p.diurnal_amp_c[0] - p.diurnal_amp_c[1]) * winter
        sig = p.anomaly_sigma_c[1] + (p.anomaly_sigma_c[0] - p.anomaly_sigma_c[1]) * winter
        local_h = ((ts / HOUR) + p.utc_offset_h) % 24.0
        diurnal = np.sin((local_h - 9.0) / 24.0 * 2 * np.pi)  # min ~03:00, max ~15:00
        regional = mean + amp * diurnal + sig * ar[:, 0] + 1.2 * ar[:, 1]
        t_out = regional[:, None] + self.site_offset[None, :] + 0.6 * ar[:, 3:]
        rh_mean = _seasonal(p.monthly_rh, m)
        rh = (rh_mean - 9.0 * (1.0 - 0.5 * winter) * diurnal + 7.0 * ar[:, 2])[:, None] + self.site_rh_offset[None, :]
        rh = rh - 1.5 * 0.6 * ar[:, 3:]  # a locally warmer air mass is a bit drier
        return t_out, np.clip(rh, 35.0, 100.0)
