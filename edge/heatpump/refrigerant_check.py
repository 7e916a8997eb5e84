"""Does the pump run on the refrigerant its edge.toml names? The saturation relations say.

Every derived channel the detector reads (superheat, subcooling, discharge
superheat) turns a pressure into a temperature through the configured
refrigerant's saturation curve. A propane pump configured as R32 reads its
12 bar high side as 11 °C condensing under a 33 °C flow: an impossible pump,
and every learned "healthy" relation is nonsense (judged as R32, a simulated
R290 fleet lost 15 of its 18 faults). The relations that must hold on any
running pump, whatever its faults:

* a refrigerant temperature sensor in a two-phase zone reads the saturation
  temperature of its side's pressure (``t_cond`` vs T_sat(p_high), ``t_evap``
  vs T_sat(p_low)): a leak, fouling or a valve fault moves both together;
* without those sensors: the condenser condenses above the water it heats
  (T_sat(p_high) - t_flow within 0..15 K) and the evaporator boils below the air
  (t_outdoor - T_sat(p_low) within 0..30 K; a fouled coil or a leak widens it).

Both sides must disagree with the configured refrigerant (one drifting
transducer or thermistor upsets only its own side: that is a sensor fault,
judged elsewhere) and another refrigerant must fit both, or none may fit at
all. Judged on medians of steady running readings, one a minute, once
VERDICT_SAMPLES have been seen (some hours of running: within the first day).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from heatwatch.channels import INDEX
from heatwatch.refrigerant import REFRIGERANTS, t_sat

# minutes of steady running judged (one reading a minute): a few hours, within the first day
VERDICT_SAMPLES = 180
SAMPLE_SECONDS = 60.0
MISFIT_K = 3.0  # a side this far from the configured refrigerant's curve does not fit
FIT_K = 1.5  # ... and this close to another's does
NONE_FITS_K = 6.0  # both sides this far from every known curve: not a known refrigerant
# (low, high) of the physical bands used when a side has no refrigerant thermistor
COND_ABOVE_FLOW = (0.0, 15.0)  # T_sat(p_high) - t_flow
EVAP_BELOW_AIR = (0.0, 30.0)  # t_outdoor - T_sat(p_low)

_I = {c: INDEX[c] for c in ("t_cond", "p_high", "t_evap", "p_low", "t_flow", "t_outdoor")}


@dataclass(frozen=True)
class RefrigerantVerdict:
    configured: str
    fits: str | None  # the known refrigerant the readings fit; None: none does
    misfit_k: dict[str, tuple[float, float]]  # refrigerant -> (high side, low side) misfit, K

    def explanation(self) -> str:
        hi, lo = self.misfit_k[self.configured]
        head = (f"The pressures and temperatures do not fit {self.configured}, the refrigerant in edge.toml: "
                f"the high side is {hi:.1f} K and the low side {lo:.1f} K off its saturation curve.")
        if self.fits:
            fhi, flo = self.misfit_k[self.fits]
            return (f"{head} They fit {self.fits} ({fhi:.1f} K and {flo:.1f} K): set refrigerant = "
                    f"\"{self.fits}\" in edge.toml. Until then superheat, subcooling and every diagnosis "
                    f"that reads them are wrong.")
        return f"{head} They fit no refrigerant heatwatch knows ({', '.join(REFRIGERANTS)}): check the pressure transducers."


class RefrigerantCheck:
    """Streaming; ``update`` returns a verdict once, when the configured refrigerant does not fit."""

    def __init__(self, configured: str) -> None:
        self.configured = configured
        self.done = False
        self._last = -math.inf
        self._rows: list[np.ndarray] = []

    def update(self, ts: float, x: np.ndarray) -> RefrigerantVerdict | None:
        """A steady running reading (canonical vector, implausible values NaN)."""
        if self.done or ts - self._last < SAMPLE_SECONDS:
            return None
        self._last = ts
        row = np.array([x[i] for i in _I.values()])
        if np.isnan(row[1]) or np.isnan(row[3]):  # no pressure, nothing to judge
            return None
        self._rows.append(row)
        if len(self._rows) < VERDICT_SAMPLES:
            return None
        self.done = True
        verdict = judge(np.array(self._rows), self.configured)
        self._rows = []
        return verdict

    def state(self) -> dict:
        return {"done": self.done}

    def load_state(self, d: dict) -> None:
        self.done = bool(d.get("done", False))


def _band_misfit(v: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    return np.maximum(band[0] - v, 0.0) + np.maximum(v - band[1], 0.0)


def misfits(rows: np.ndarray, refrigerant: str) -> tuple[float, float]:
    """(high side, low side) median misfit in K of ``rows`` (columns as ``_I``) to ``refrigerant``."""
    t_cond, p_high, t_evap, p_low, t_flow, t_out = rows.T
    ts_hi, ts_lo = t_sat(p_high, refrigerant), t_sat(p_low, refrigerant)
    if np.mean(~np.isnan(t_cond)) > 0.5:
        hi = np.abs(t_cond - ts_hi)
    else:
        hi = _band_misfit(ts_hi - t_flow, COND_ABOVE_FLOW)
    if np.mean(~np.isnan(t_evap)) > 0.5:
        lo = np.abs(t_evap - ts_lo)
    else:
        lo = _band_misfit(t_out - ts_lo, EVAP_BELOW_AIR)
    return float(np.nanmedian(hi)), float(np.nanmedian(lo))


def judge(rows: np.ndarray, configured: str) -> RefrigerantVerdict | None:
    """A verdict when ``configured`` does not fit on both sides; None when it fits (or cannot be told)."""
    with np.errstate(all="ignore"):
        fit = {r: misfits(rows, r) for r in REFRIGERANTS}
    hi, lo = fit[configured]
    if any(math.isnan(v) for v in (hi, lo)) or not (hi > MISFIT_K and lo > MISFIT_K):
        return None
    others = [r for r in REFRIGERANTS if r != configured and max(fit[r]) <= FIT_K]
    if others:
        return RefrigerantVerdict(configured, min(others, key=lambda r: sum(fit[r])), fit)
    if min(hi, lo) > NONE_FITS_K and all(min(fit[r]) > MISFIT_K for r in REFRIGERANTS):
        return RefrigerantVerdict(configured, None, fit)
    return None
