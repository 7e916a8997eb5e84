"""The refrigerant cycle: compressor, pressures, superheat and subcooling, expansion valve, fan, power and current.

Steady states, as algebra on arrays of any shape (time × pumps), so a whole
chunk of a fleet is computed in one go. For a pump delivering heat Q to water
at flow temperature T_flow:

* condensing T_cond = T_flow + (1.5 + 2.8 Q/Q_nom) K  (2-5 K healthy): the
  plate heat exchanger's approach grows with the heat it passes (Q delivered: short
  of capacity, the pump condenses cooler)
* evaporating T_evap = T_outdoor - (2.5 + 5 Q_evap/airflow) K  (5-10 K healthy,
  more with frost): the fan speeds up with the load
* pressures from the saturation table; capacity per Hz ∝ suction density (∝ p_low)
  and volumetric efficiency (falls with pressure ratio), so the inverter runs
  faster when it is cold outside, and capacity at max frequency falls
* COP = η · Carnot(T_cond, T_evap), η ≈ 0.45-0.5 at mid frequency
* compressor power = Q / COP, current = power / (230 V · PF); the inverter cuts
  the frequency to hold the current at its rating
* discharge from the polytropic relation T_d = T_s (p_h/p_l)^((n-1)/n), n ≈ 1.16,
  plus motor heat (more when the gas flow that cools the motor is low)
* superheat held at 4-6 K by the EEV, whose opening follows mass flow and lift;
  subcooling 2.5-5 K with a full charge

Faults (:mod:`pump_faults`) enter as severities that change these causes. A
stopped pump (:func:`standstill`) equalizes its pressures to the coldest part
and its discharge pipe cools towards the outdoor air; defrosting is the reverse
cycle in :mod:`defrost`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from heatwatch.channels import WATER_KW_PER_LPM_K
from heatwatch.refrigerant import isentropic_discharge, p_sat, p_sat_array

from heatwatch.sim.pump_faults import Severity
from heatwatch.sim.sparse import Picker, blocks

if TYPE_CHECKING:
    from heatwatch.sim.plant import PumpParams

K0 = 273.15
F_NOM = 60.0  # Hz at which Q_nom is rated (A7/W35)
F_MIN = 20.0  # below this the compressor cycles on/off
# (T_d - T_s) / (T_is - T_s) of a healthy compressor: 1/η_is (≈ 0.7) times the share of the loss heat
# the gas keeps (oil and shell reject the rest); puts an R32 pump at -20 °C outdoor, 32 °C flow near
# 85-90 °C discharge, as published R32 units run (80-95 °C), and at A7/W35 near 65-70 °C
DISCHARGE_LOSS_KEPT = 0.95
# extra current of a rubbing compressor at severity 1, as a share of its rated current: near 1.25
# rated on a cold day's load (healthy 0.7-0.9 of rated) the relay trips
RUB_CURRENT = 0.5
DISCHARGE_CONTROL_C = 100.0
# the inverter's discharge derate (service manuals' "discharge temperature control": from about
# 110 °C the upper frequency limit steps down until the discharge falls back, and the compressor
# stops only when it is at its minimum frequency and still too hot, or at the trip): from
# DERATE_START_C (5 K below the 115 °C trip) the controller lowers the frequency,
# DERATE_HZ_SHARE_PER_K of it per kelvin it must take off the discharge, as far as F_MIN. A pump
# that is derated to F_MIN and still heats its discharge past the trip trips
DERATE_START_C = 110.0
DERATE_HZ_SHARE_PER_K = 0.03
# an iced, fouled coil with a weak fan still passes some air: the evaporating temperature
# falls to where the low pressure switch opens, not to -100 degC (unbounded, it did)
AIR_FLOOR = 0.1

# what the cycle computes besides the lagged channels (thermal_lag.LAGGED)
CYCLE_OUTPUTS = ("compressor_hz", "compressor_a", "power_w", "fan_rpm", "eev_pct", "heat_kw", "q_evap_kw", "cop",
                 "superheat", "subcooling")
_CYCLE_PARAMS = ("q_nom", "v_nom", "f_max", "eta0", "pf", "i_rated", "eev0", "sh_target", "sc_nom", "rpm_nom")

_CF_REF: dict[str, tuple[float, float]] = {}


def capacity_factor(t_evap, t_cond, refrigerant: str, p_lo=None, p_hi=None):
    """Heat per Hz relative to A7/W35 (T_evap -1, T_cond 38): suction density × volumetric efficiency.

    ``p_lo``/``p_hi``: the saturation pressures at ``t_evap``/``t_cond`` if the caller has them.
    """
    ref = _CF_REF.get(refrigerant)
    if ref is None:
        p_ref = p_sat(-1.0, refrigerant)
        ref = _CF_REF[refrigerant] = (p_ref, p_sat(38.0, refrigerant) / p_ref)
    p_ref, pr_ref = ref
    if p_lo is None:
        p_lo = p_sat_array(t_evap, refrigerant)
    pr = (p_sat_array(t_cond, refrigerant) if p_hi is None else p_hi) / p_lo
    return (p_lo / p_ref) * np.clip(1.0 - 0.025 * (pr - pr_ref), 0.5, 1.1)


def carnot_eta(f, eta0):
    """Fraction of Carnot COP: best near 50-60 Hz, lower at the ends of the range."""
    return eta0 * (1.0 - 0.22 * ((f - 55.0) / 65.0) ** 2)


def evap_approach(q_rel, rpm_rel):
    """T_outdoor - T_evap (K) for condenser heat q_rel = Q/Q_nom and fan speed rpm_rel = rpm/rpm_nom."""
    return 2.5 + 5.0 * (0.75 * q_rel) / rpm_rel


def fan_rel(q_rel):
    """Fan speed relative to nominal: it follows the load, from 35 % up."""
    return np.clip(0.35 + 0.65 * q_rel, 0.35, 1.0)


def cond_approach(q_rel):
    """T_cond - T_flow (K) at nominal water flow, clean plates."""
    return 1.5 + 2.8 * q_rel


def short_of_heat(t_flow, share, t_tank=None):
    """The flow temperature of a compressor delivering ``share`` (q / q asked for) of the heat asked.

    Space heating: the loop and its emitters give less heat to a house that cools, so the water
    runs cooler, toward the room: by 0.7 (1 - share) (t_flow - 20 °C). Hot water (``t_tank`` not
    NaN): the coil's water returns at about the tank's temperature, whatever the compressor does,
    and its lead over the tank (the coil's rise q / (c v) and its mean water-to-tank difference
    q / UA) is in proportion to the heat it passes: t_flow = tank + share (t_flow - tank). Cooled
    toward 20 °C as the house loop (as before), a compressor held back by its condensing cut on a
    hot-water cycle cooled the water 4 times as much as the tank lets it (a 40 % cut at a 54 °C
    flow: 8.4 K, the tank's 2 K), so the condensing temperature fell with the cut and a fouled
    condenser's hot-water peak was held under the high-pressure switch weeks longer than a pump
    whose tank must still reach its set point (docs/heatpump.md, "A fouled condenser's peak held").
    """
    if t_tank is None:
        return t_flow - 0.7 * (1.0 - share) * (t_flow - 20.0)
    tank = np.isfinite(t_tank)
    sink = np.where(tank, t_tank, 20.0)
    k = np.where(tank, 1.0, 0.7)
    return t_flow - k * (1.0 - share) * (t_flow - sink)


def _valve_share(f):
    """The expansion valve's opening at frequency ``f`` relative to eev0 (before the lift's share)."""
    return 0.45 + 0.55 * f / F_NOM


def discharge_derate(t_dis, f):
    """The discharge temperature and frequency after the inverter's derate near the trip.

    Above DERATE_START_C the controller cuts the frequency by DERATE_HZ_SHARE_PER_K per kelvin
    it takes off, as far as F_MIN: a healthy pump at the edge of its envelope runs on, slower,
    just below the trip; a fault's discharge, which keeps rising, uses up the frequency's room
    and then trips (at F_MIN there is no room: the discharge is what it is).
    """
    room = np.maximum(1.0 - F_MIN / np.maximum(f, F_MIN), 0.0) / DERATE_HZ_SHARE_PER_K  # K the frequency allows
    cut = np.minimum(np.maximum(t_dis - DERATE_START_C, 0.0), room)
    return t_dis - cut, f * (1.0 - DERATE_HZ_SHARE_PER_K * cut)


def running_cycle(p: PumpParams, refrigerant: str, sev: Severity, t_out, q_target, t_flow_sp, t_flow_design_dt,
                  v_water, frost_phase, t_tank=None):
    """Steady state of a running pump (heating or hot water). All arguments broadcast to (time, pumps).

    ``q_target`` is the heat asked for (kW), ``t_flow_sp`` the flow temperature the controller
    aims at, ``t_flow_design_dt`` the ΔT the emitters were designed for at this heat (so a
    lower water flow shows as a hotter flow and a colder return). ``t_tank``: the hot water
    tank's temperature where the pump heats it, NaN (or None: nowhere) where it heats the house
    (:func:`short_of_heat`). Returns a dict of arrays.
    """
    q_nom = p.q_nom
    # --- heat rejection side (water)
    dt_water = q_target / (WATER_KW_PER_LPM_K * v_water)
    t_flow = t_flow_sp + 0.5 * (dt_water - t_flow_design_dt)
    q_rel = q_target / q_nom
    flow_rel = v_water / p.v_nom
    d_cond = cond_approach(q_rel) * flow_rel ** -0.8 * (1.0 + 0.7 * sev.cond) + 2.0 * sev.cond
    t_cond = t_flow + d_cond
    # --- outdoor coil: airflow, frost, fouling, ice from failed defrosts
    rpm_cmd = fan_rel(q_rel)
    fan_health = 1.0 - 0.3 * np.minimum(sev.evap, 1.5)
    ice = 0.8 * np.clip((sev.evap - 0.5) / 0.5, 0.0, 1.6) ** 2 * (0.6 + 0.4 * frost_phase)
    air = np.maximum(fan_health * (1.0 - 0.35 * np.minimum(sev.evap, 1.5)) * (1.0 - ice), AIR_FLOOR)
    d_evap = evap_approach(q_rel, rpm_cmd) / air * (1.0 + 0.35 * frost_phase)
    starve = 22.0 * (np.maximum(sev.leak - 0.1, 0.0) / 0.9) ** 1.5 + 22.0 * (np.maximum(sev.eev_closed - 0.25, 0.0) / 0.75) ** 1.5
    flood = 0.5 * np.minimum(sev.eev_open, 1.2) * d_evap
    t_evap = t_out - d_evap - starve + flood
    p_low = p_sat_array(t_evap, refrigerant)
    p_high = p_sat_array(t_cond, refrigerant)
    # --- compressor: frequency to meet the heat, capacity limit
    g = capacity_factor(t_evap, t_cond, refrigerant, p_low, p_high)
    g = g * (1.0 - 0.3 * np.minimum(sev.wear, 1.5)) * (1.0 - 0.15 * np.maximum(sev.leak - 0.3, 0.0))
    f_need = F_NOM * q_target / (q_nom * g)
    # the controller protects the condenser: above 57 °C condensing it cuts frequency
    f_cap = p.f_max * np.clip(1.0 - (t_cond - 57.0) / 12.0, 0.45, 1.0)
    f = np.clip(f_need, F_MIN, f_cap)
    lift = t_cond - t_evap
    eta_w = 1.0 - 0.35 * np.minimum(sev.wear, 1.5)  # a worn compressor's isentropic efficiency, relative
    # the inverter limits the current: cut frequency (power ∝ frequency at fixed pressures)
    i_est = q_target * f / f_need / np.clip(carnot_eta(f, p.eta0) * eta_w * (t_cond + K0) / np.maximum(lift, 8.0), 1.0, 8.0) \
        * 1000.0 / (230.0 * p.pf)
    f = np.maximum(f * np.minimum(p.i_rated / np.maximum(i_est, 1e-6), 1.0), F_MIN)
    q = np.minimum(q_target, q_target * f / f_need)
    # --- EEV and superheat
    eev_h = p.eev0 * _valve_share(f) * (1.0 + 0.006 * (lift - 40.0))
    need = eev_h * (1.0 + 3.0 * sev.leak) / np.maximum(1.0 - 0.8 * np.minimum(sev.eev_closed, 1.2), 0.04)
    excess = np.maximum(need - 100.0, 0.0) / 100.0
    superheat = (p.sh_target + 1.5 * sev.leak + 1.5 * sev.eev_closed + np.minimum(40.0 * excess, 45.0)) \
        * np.maximum(1.0 - 1.3 * sev.eev_open, 0.0)
    eev = np.where(sev.eev_open > 0, np.maximum(eev_h * (1.0 - 0.8 * np.minimum(sev.eev_open, 1.0)), 8.0),
                   np.minimum(need, 100.0))
    subcool = np.maximum(p.sc_nom * (1.0 - 1.3 * sev.leak) + 8.0 * sev.eev_closed - 0.5 * p.sc_nom * np.minimum(sev.eev_open, 1.0), 0.0)
    t_suction = t_evap + superheat + 0.5
    # --- discharge: the refrigerant's isentropic compression, raised by the compressor's losses
    # (1/η_is, of which the gas keeps DISCHARGE_LOSS_KEPT; a worn compressor's η_is falls with
    # eta_w, the same factor its COP loses), plus motor heat the gas no longer carries away when
    # its flow is low (a starved evaporator)
    motor = 12.0 * np.maximum(sev.leak - 0.4, 0.0) + 12.0 * np.maximum(sev.eev_closed - 0.4, 0.0)
    t_is = isentropic_discharge(t_suction, p_high, p_low, refrigerant)
    t_dis = t_suction + (t_is - t_suction) * DISCHARGE_LOSS_KEPT / eta_w + motor
    # discharge control: above DISCHARGE_CONTROL_C the controller injects liquid and trims the
    # frequency, holding back half the excess (a hot-water cycle on a frosty day stays below the
    # trip; a fault's heat still reaches it)
    t_dis = np.where(t_dis > DISCHARGE_CONTROL_C, DISCHARGE_CONTROL_C + 0.5 * (t_dis - DISCHARGE_CONTROL_C), t_dis)
    # near the trip the inverter derates: a lower frequency (less gas, smaller approaches, a lower
    # lift) takes the discharge back to DERATE_START_C, as far as F_MIN allows; the heat it gives
    # up falls to the backup heater
    f_set = f
    t_dis, f = discharge_derate(t_dis, f)
    q = np.minimum(q_target, q_target * f / f_need)
    # the valve's controller meters the gas the compressor draws at the frequency it runs: derated,
    # it closes with the mass flow (as eev_h follows f above); a valve left at the opening for the
    # frequency before the cut reads, at the lower frequency reported, as a starved evaporator (a leak)
    eev = np.where(sev.eev_open > 0, eev, np.minimum(need * (_valve_share(f) / _valve_share(f_set)), 100.0))
    wet = np.clip((sev.eev_open - 0.4) / 0.6, 0.0, 1.1)
    t_dis = t_cond + (t_dis - t_cond) * np.maximum(1.0 - 0.95 * wet, 0.0)
    # --- efficiency and electrical input
    eta = carnot_eta(f, p.eta0) * eta_w \
        * (1.0 - 0.004 * np.maximum(superheat - p.sh_target, 0.0)) * (1.0 - 0.15 * wet)
    cop = np.clip(eta * (t_cond + K0) / np.maximum(lift, 8.0), 1.0, 8.0)
    # a rubbing compressor (bearings, scrolls) needs torque the compression does not: current at
    # the same frequency and pressures. The inverter's current foldback above works on the
    # current its map expects at the operating point, so this passes it; the over-current relay
    # sees the real current. RUB_CURRENT of the rated current at severity 1
    p_rub = RUB_CURRENT * sev.rub * p.i_rated * 230.0 * p.pf / 1000.0
    p_comp = q / cop + p_rub  # kW
    q_evap = q - 0.95 * p_comp  # 5 % of the compressor input leaves as shell losses
    rpm = p.rpm_nom * rpm_cmd * fan_health
    p_fan = 0.015 + 0.09 * (rpm / p.rpm_nom) ** 3
    t_flow = short_of_heat(t_flow, q / q_target, t_tank)  # short of capacity: cooler water
    dt_water = q / (WATER_KW_PER_LPM_K * v_water)
    # the plate heat exchanger's approach follows the heat it passes: the heat delivered, not the
    # heat asked for (a compressor slowed by the current limit or the condensing-temperature cut
    # condenses cooler)
    t_cond = t_flow + cond_approach(q / q_nom) * flow_rel ** -0.8 * (1.0 + 0.7 * sev.cond) + 2.0 * sev.cond
    p_high = p_sat_array(t_cond, refrigerant)
    return dict(
        t_flow=t_flow, t_return=t_flow - dt_water, t_cond=t_cond, t_liquid=t_cond - subcool, t_evap=t_evap,
        t_suction=t_suction, t_discharge=t_dis, p_high=p_high, p_low=p_low, compressor_hz=f,
        compressor_a=p_comp * 1000.0 / (230.0 * p.pf), power_w=(p_comp + p_fan + 0.06) * 1000.0, fan_rpm=rpm,
        eev_pct=eev, heat_kw=q, q_evap_kw=q_evap, cop=q / (p_comp + p_fan + 0.06), superheat=superheat,
        subcooling=subcool, d_evap=t_out - t_evap,
    )


def standstill(dst: dict[str, np.ndarray], refrigerant: str, t_out, water_idle, circulating) -> None:
    """Fill ``dst`` (the cycle's channels, (n, D) each) with a stopped pump's values, everywhere.

    The pressures equalize to the saturation pressure of the coldest part (the outdoor coil),
    the discharge pipe cools towards the outdoor air, the water sits at ``water_idle``. The
    unit draws 15 W standby, 60 W with the circulation pump on. The defrosting and running
    positions are overwritten afterwards.
    """
    for c in ("t_flow", "t_return", "t_cond", "t_liquid"):
        dst[c][...] = water_idle
    np.add(t_out, 8.0, out=dst["t_discharge"])
    np.add(t_out, 1.0, out=dst["t_suction"])
    dst["t_evap"][...] = t_out
    dst["p_high"][...] = p_sat_array(t_out + 1.5, refrigerant)
    dst["p_low"][...] = dst["p_high"]
    for c in ("compressor_hz", "compressor_a", "fan_rpm", "eev_pct", "heat_kw", "q_evap_kw"):
        dst[c].fill(0.0)
    pw = dst["power_w"]
    pw.fill(15.0)
    np.copyto(pw, 60.0, where=circulating)
    for c in ("cop", "superheat", "subcooling"):
        dst[c].fill(np.nan)


class _CycleParams:
    """The pump parameters :func:`running_cycle` uses, at the pumps of picked positions."""

    def __init__(self, p: PumpParams, cols: np.ndarray):
        for k in _CYCLE_PARAMS:
            setattr(self, k, getattr(p, k)[cols])


HeatTarget = Callable[[Picker, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


def running(dst: dict[str, np.ndarray], on: np.ndarray, p: PumpParams, refrigerant: str, sev: Severity, t_out,
            v_water, frost_phase, target: HeatTarget) -> None:
    """Write the running cycle into ``dst`` where ``on`` (the compressor heats: not stopped, not defrosting).

    ``target(at, cols)`` gives the heat (kW) and flow temperature (°C) the controller asks
    for at the picked positions, and the hot water tank's temperature where it heats the tank
    (NaN elsewhere). Evaluated on those positions only (:mod:`sparse`).
    """
    D = on.shape[1]
    for idx, cc in blocks(on):
        at = Picker(idx, cc, D)
        q_tgt, sp, tank = target(at, cc)
        dt_design = q_tgt / (WATER_KW_PER_LPM_K * p.v_nom)[cc]
        r = running_cycle(_CycleParams(p, cc), refrigerant, sev.map(at), at(t_out), q_tgt, sp, dt_design, at(v_water),
                          at(frost_phase), tank)
        for c, d in dst.items():
            d.reshape(-1)[idx] = r[c]
