"""Frost on the outdoor coil, and the defrosts that clear it.

* Frost grows while the compressor runs with the coil below 0 °C in moist air,
  at a rate set by the gap between the air's vapour pressure and that of ice at
  the coil temperature (Zhu et al. frosting map): severe near 0..+5 °C at high
  humidity (a defrost every ~30 min of running), moderate (~60 min), mild in
  cold, dry air (~165 min and longer); none at or above +6 °C outdoors.
* The coil temperature is the one the controller expects: outdoor air minus the
  evaporator approach at the planned heat. A fouled coil or a starved
  evaporator (a leak) runs colder and frosts faster.
* A defrost starts each time a whole interval's worth of frost has built up. It
  lasts 5-9 minutes (longer in colder air), 15 with a fouled coil: from severity
  0.4 on, the defrosts no longer clear it.
* Defrosting runs the cycle in reverse: the four-way valve sends hot gas to the
  outdoor coil, the heat comes out of the water (the flow is colder than the
  return), the coil warms from below the air temperature to ~12 °C, the fan stops.

The frost between two defrosts (``phase``, 0..1) also thickens the coil's
boundary layer: :func:`refrigerant_cycle.running_cycle` widens the evaporator
approach with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heatwatch.channels import WATER_KW_PER_LPM_K
from heatwatch.refrigerant import p_sat_array

from heatwatch.sim.demand import Plan
from heatwatch.sim.plant import PumpParams
from heatwatch.sim.pump_faults import Severity
from heatwatch.sim.refrigerant_cycle import K0, evap_approach, fan_rel
from heatwatch.sim.sparse import Picker, blocks

NO_FROST_ABOVE_C = 6.0
# the defrost-interval timer: heating minutes between the end of a defrost and the next start
MIN_HEATING_MIN = 15.0


def _e_sat_water(t):
    return 6.112 * np.exp(17.62 * t / (243.12 + t))


def _e_sat_ice(t):
    return 6.112 * np.exp(22.46 * t / (272.62 + t))


def frost_rate_per_min(t_out, rh, t_coil):
    """Defrosts needed per minute of running (Zhu et al. frosting map, driven by the vapour-pressure gap).

    No frost at or above +6 °C or when the coil is above 0 °C or the air too dry; severe
    (a defrost every ~30 min) near 0..+5 °C at high humidity, moderate (~60 min), mild
    (~165 min and longer) in cold, dry air.
    """
    gap = rh / 100.0 * _e_sat_water(t_out) - _e_sat_ice(np.minimum(t_coil, 0.0))
    frosting = (t_out < NO_FROST_ABOVE_C) & (t_coil < 0.0) & (gap > 0.25)
    interval = np.clip(60.0 / np.maximum(gap, 1e-3) ** 1.5, 30.0, 300.0)
    return np.where(frosting, 1.0 / interval, 0.0)


@dataclass
class DefrostState:
    """What each pump carries between chunks: its frost and its last defrost, (D,) arrays."""

    frost: np.ndarray  # frost on the coil in defrosts' worth: a defrost starts at each whole number
    last_start: np.ndarray  # absolute step of the last defrost start
    length: np.ndarray  # its length in steps

    def columns(self, cols: np.ndarray) -> DefrostState:
        return DefrostState(self.frost[cols], self.last_start[cols], self.length[cols])

    def put(self, cols: np.ndarray, part: DefrostState) -> None:
        self.frost[cols], self.last_start[cols], self.length[cols] = part.frost, part.last_start, part.length


@dataclass
class Defrosts:
    """The defrost cycle over a chunk, (n, D) arrays, and the state at its end."""

    active: np.ndarray  # bool: defrosting
    since: np.ndarray  # steps since the last defrost started
    length: np.ndarray  # that defrost's length, steps
    phase: np.ndarray  # frost since the last defrost, 0..1 of the next one
    end: DefrostState


def defrost_minutes(t_out, sev_evap):
    """How long a defrost lasts: 5-9 minutes (longer in colder air), 15 once a fouled coil no longer clears."""
    return np.where(sev_evap > 0.4 + 0 * t_out, 15.0,
                    np.minimum(5.0 + 4.0 * np.clip((2.0 - t_out) / 10.0, 0.0, 1.0) + 6.0 * sev_evap, 15.0))


def frost_growth(p: PumpParams, plan: Plan, t_out: np.ndarray, rh: np.ndarray, sev: Severity, dt: float,
                 frost0: np.ndarray) -> np.ndarray:
    """(n, D) frost on the coil, carried on from ``frost0`` ((D,)).

    It grows only where the compressor is asked to run below +6 °C: the rate is computed there only.
    The controller's defrost-interval timer starts no defrost sooner than MIN_HEATING_MIN of heating
    after the last one ended, however fast the coil frosts: counted in minutes of call, at most one
    defrost's worth per (defrost length + MIN_HEATING_MIN). It binds only on a coil frosting faster
    than any healthy one (healthy: a defrost every >= 30 min, each <= 9 long); without it a fouled
    coil (a defrost's worth every ~9 min, each defrost 15) defrosted without end, never heated the
    10 minutes its low-pressure switch needs, and tripped only when a mild spell stopped the frost
    (fault_evaporator_fouling's hp-002 at 1.65 x its time_to_trip).
    """
    n, D = t_out.shape
    inc = np.zeros((n, D))
    for idx, cc in blocks(plan.call & (t_out < NO_FROST_ABOVE_C)):
        at = Picker(idx, cc, D)
        q_rel_est = plan.heat_rel_estimate(at, p.q_nom[cc])
        evap_c = at(sev.evap)
        d_est = evap_approach(q_rel_est, fan_rel(q_rel_est)) * (1.0 + 0.8 * np.minimum(evap_c, 1.5)) \
            + 4.0 * np.asarray(at(sev.leak))
        t_out_c = at(t_out)
        rate = frost_rate_per_min(t_out_c, at(rh), t_out_c - d_est) * (1.0 + 1.5 * np.minimum(evap_c, 1.5))
        rate = np.minimum(rate, 1.0 / (defrost_minutes(t_out_c, np.asarray(evap_c)) + MIN_HEATING_MIN))
        inc.reshape(-1)[idx] = rate * dt / 60.0
    frost = np.cumsum(inc, axis=0, out=inc)
    frost += frost0[None, :]
    return frost


def schedule(frost: np.ndarray, start: DefrostState, steps: np.ndarray, t_out: np.ndarray, sev_evap, dt: float,
             blocked: np.ndarray) -> Defrosts:
    """When each pump defrosts over a chunk, from its ``frost`` and its state ``start`` before the chunk.

    A trip (``blocked``) stops a defrost with the compressor.
    """
    n, D = frost.shape
    fl = np.floor(frost)
    starts = np.empty((n, D), bool)
    np.greater(fl[0], np.floor(start.frost), out=starts[0])
    np.greater(fl[1:], fl[:-1], out=starts[1:])
    del fl
    # defrost length, needed only where one starts
    dur = np.zeros((n, D), np.int64)
    s_idx = np.flatnonzero(starts)
    if s_idx.size:
        at = Picker(s_idx, s_idx % D, D)
        t_out_s, evap_s = at(t_out), np.asarray(at(sev_evap))
        dur_min = defrost_minutes(t_out_s, evap_s)
        dur.reshape(-1)[s_idx] = np.maximum(np.ceil(dur_min * 60.0 / dt), 1).astype(np.int64)
    last = np.where(starts, steps[:, None], -(1 << 40))
    np.maximum(last, start.last_start[None, :], out=last)
    np.maximum.accumulate(last, axis=0, out=last)
    # duration of the defrost that started at `last`
    idx_last = np.clip(last - steps[0], 0, n - 1)
    dlen_last = np.where(last >= steps[0], np.take_along_axis(dur, idx_last, axis=0), start.length[None, :])
    since = steps[:, None] - last
    active = (since < dlen_last) & ~blocked
    end = DefrostState(frost[-1].copy(), last[-1].copy(), dlen_last[-1].copy())
    return Defrosts(active, since, dlen_last, frost % 1.0, end)


def reverse_cycle(dst: dict[str, np.ndarray], d: Defrosts, p: PumpParams, refrigerant: str, t_out: np.ndarray,
                  water_idle: np.ndarray, v_water) -> None:
    """Write the reverse cycle into ``dst`` (the cycle's channels, (n, D) each) where the pumps defrost.

    Heat (45 % of nominal) comes out of the water: evaporating 12 K below it; the coil warms
    over the defrost; the compressor runs at 70 % of its maximum frequency on 30 % of the
    nominal heat's worth of power.
    """
    D = t_out.shape[1]
    q_def = 0.45 * p.q_nom
    p_comp_d = 0.3 * p.q_nom
    for idx, cc in blocks(d.active):
        at = Picker(idx, cc, D)
        since_c, dlen_c, t_out_c, wi = at(d.since), at(d.length), at(t_out), at(water_idle)
        phase = np.clip(since_c / np.maximum(dlen_c, 1), 0.0, 1.0)
        t_e_w = wi - 12.0
        coil = (t_out_c - 8.0) + (12.0 - (t_out_c - 8.0)) * phase
        t_c_d = np.maximum(coil + 6.0, t_e_w + 8.0)
        pd_hi, pd_lo = p_sat_array(t_c_d, refrigerant), p_sat_array(t_e_w, refrigerant)
        t_dis_d = (t_e_w + 5.0 + K0) * (pd_hi / pd_lo) ** (0.16 / 1.16) - K0 + 4.0
        vals = {
            "t_flow": wi - q_def[cc] / (WATER_KW_PER_LPM_K * at(v_water)), "t_return": wi, "t_discharge": t_dis_d,
            "t_suction": t_e_w + 5.0, "t_evap": coil, "t_cond": t_e_w, "t_liquid": t_e_w + 2.0,
            "p_high": pd_hi, "p_low": pd_lo, "compressor_hz": (0.7 * p.f_max)[cc],
            "compressor_a": (p_comp_d * 1000.0 / (230.0 * p.pf))[cc], "power_w": ((p_comp_d + 0.075) * 1000.0)[cc],
            "fan_rpm": 0.0, "eev_pct": 60.0, "heat_kw": -q_def[cc], "q_evap_kw": 0.0,
        }
        for c, val in vals.items():
            dst[c].reshape(-1)[idx] = val
