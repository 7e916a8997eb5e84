"""The heat pump itself: per-pump parameters and the steady-state refrigerant cycle.

Everything here is algebra on arrays of any shape (time × pumps), so a whole
chunk of a fleet is computed in one go. The controller states that need
stepping in time (tank, defrost, on/off, trips) live in :mod:`heatwatch.sim.fleet`.

The cycle, for a pump delivering heat Q to water at flow temperature T_flow:

* condensing T_cond = T_flow + (1.5 + 2.8 Q/Q_nom) K  (2-5 K healthy)
* evaporating T_evap = T_outdoor - (2.5 + 5 Q_evap/airflow) K  (5-10 K healthy, more with frost)
* pressures from the saturation table; capacity per Hz ∝ suction density (∝ p_low)
  and volumetric efficiency (falls with pressure ratio), so the inverter runs
  faster when it is cold outside, and capacity at max frequency falls
* COP = η · Carnot(T_cond, T_evap), η ≈ 0.45-0.5 at mid frequency
* compressor power = Q / COP, current = power / (230 V · PF)
* discharge from the polytropic relation T_d = T_s (p_h/p_l)^((n-1)/n), n ≈ 1.16,
  plus motor heat
* superheat held at 4-6 K by the EEV, whose opening follows mass flow and lift

Faults enter as a severity s ≥ 0 (0 healthy, ~1 at the protection limits in
typical weather) and change the physical causes (charge, airflow, valve area,
efficiency, water flow, fouling resistance); the observable channels follow
from the same relations, so they move together the way a real pump's do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heatwatch.channels import WATER_KW_PER_LPM_K
from heatwatch.refrigerant import _LOG_P, _T_C, p_sat, t_sat

K0 = 273.15
F_NOM = 60.0  # Hz at which Q_nom is rated (A7/W35)
F_MIN = 20.0  # below this the compressor cycles on/off
GAINS_K = 3.5  # internal + solar gains: no heating needed above ~17-18 °C outdoor
HEATING_LIMIT_C = 17.0

# protection limits per refrigerant: high pressure switch (bar abs), low pressure (bar abs, held 10 min)
HP_TRIP_BAR = {"R32": 41.0, "R290": 22.5}
LP_TRIP_BAR = {"R32": 1.0, "R290": 0.6}
LP_INSTANT_BAR = {"R32": 0.5, "R290": 0.3}  # the switch opens at once below this (docs/heatpump.md: 0.05 MPa)
# an iced, fouled coil with a weak fan still passes some air: the evaporating temperature
# falls to where the low pressure switch opens, not to -100 degC (unbounded, it did)
AIR_FLOOR = 0.1
DISCHARGE_TRIP_C = 115.0
FLOODBACK_DSH_K = 3.0  # discharge superheat below this for 5 min = liquid reaching the compressor
DESIGN_OUTDOOR_C = {"stockholm": -18.0, "oslo": -20.0, "milan": -5.0}


@dataclass
class PumpParams:
    """One entry per pump (arrays of shape (n_devices,))."""

    q_nom: np.ndarray  # kW heat at A7/W35, F_NOM
    f_max: np.ndarray  # Hz
    v_nom: np.ndarray  # l/min, fixed by the circulation pump
    v_min: np.ndarray  # flow switch trips below this
    rpm_nom: np.ndarray
    eev0: np.ndarray  # % opening at F_NOM, A7/W35
    sh_target: np.ndarray  # K
    sc_nom: np.ndarray  # K
    eta0: np.ndarray  # fraction of Carnot at mid frequency
    pf: np.ndarray  # power factor
    t_set: np.ndarray  # indoor set point °C
    setback: np.ndarray  # K night setback
    flow_design: np.ndarray  # flow temperature at design outdoor temperature
    flow_mild: np.ndarray  # flow temperature at +15 °C
    t_design: np.ndarray
    h_kw_k: np.ndarray  # building heat loss coefficient kW/K
    tank_kwh_k: np.ndarray  # DHW tank heat capacity kWh/K
    dhw_start: np.ndarray  # tank temperature that starts a reheat
    dhw_target: np.ndarray
    i_rated: np.ndarray  # the inverter limits the compressor current to this (A)
    i_trip: np.ndarray  # over-current trip A
    draws_per_day: np.ndarray  # household hot water use (draws of ~3-6 K)


def psat(t_c, refrigerant: str):
    """:func:`heatwatch.refrigerant.p_sat`, the same numbers, without its checks for arrays inside the table.

    The simulator calls it on whole chunks; inside the table range (and without NaN) ``p_sat`` is
    exactly ``exp(interp(t))``, so skip the extrapolation and NaN passes there.
    """
    if isinstance(t_c, np.ndarray) and t_c.ndim and t_c.size and t_c.dtype == np.float64:
        if t_c.min() >= _T_C[0] and t_c.max() <= _T_C[-1]:  # False for NaN: the general path
            y = np.interp(t_c, _T_C, _LOG_P[refrigerant])
            return np.exp(y, out=y)
    return p_sat(t_c, refrigerant)


def tsat(p_bar, refrigerant: str):
    """:func:`heatwatch.refrigerant.t_sat`, the same numbers, fast for positive pressures inside the table."""
    lp = _LOG_P[refrigerant]
    if isinstance(p_bar, np.ndarray) and p_bar.ndim and p_bar.size and p_bar.dtype == np.float64 and p_bar.min() > 0:
        logp = np.log(p_bar)
        if logp.min() >= lp[0] and logp.max() <= lp[-1]:
            return np.interp(logp, lp, _T_C)
    return t_sat(p_bar, refrigerant)


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
        p_lo = psat(t_evap, refrigerant)
    pr = (psat(t_cond, refrigerant) if p_hi is None else p_hi) / p_lo
    return (p_lo / p_ref) * np.clip(1.0 - 0.025 * (pr - pr_ref), 0.5, 1.1)


def carnot_eta(f, eta0):
    """Fraction of Carnot COP: best near 50-60 Hz, lower at the ends of the range."""
    return eta0 * (1.0 - 0.22 * ((f - 55.0) / 65.0) ** 2)


def evap_approach(q_rel, rpm_rel):
    """T_outdoor - T_evap (K) for condenser heat q_rel = Q/Q_nom and fan speed rpm_rel = rpm/rpm_nom."""
    return 2.5 + 5.0 * (0.75 * q_rel) / rpm_rel


def fan_rel(q_rel):
    return np.clip(0.35 + 0.65 * q_rel, 0.35, 1.0)


def cond_approach(q_rel):
    return 1.5 + 2.8 * q_rel


def heating_curve(p: PumpParams, t_outdoor_smooth):
    """Flow temperature set point: linear from (t_design, flow_design) to (+15, flow_mild)."""
    x = np.clip((t_outdoor_smooth - p.t_design) / (15.0 - p.t_design), 0.0, 1.0)
    return p.flow_design + (p.flow_mild - p.flow_design) * x


def make_params(n: int, rng: np.random.Generator, climate: str, refrigerant: str,
                capacity_kw: list[float | None], emitters: list[str | None]) -> PumpParams:
    u = lambda lo, hi: rng.uniform(lo, hi, n)  # noqa: E731
    q_nom = np.round(rng.choice([5.0, 7.0, 9.0, 12.0], n, p=[0.25, 0.35, 0.25, 0.15]) * u(0.96, 1.04), 2)
    for i, c in enumerate(capacity_kw):
        if c is not None:
            q_nom[i] = c
    f_max = np.round(u(100.0, 115.0))
    radiators = rng.random(n) < 0.45
    for i, e in enumerate(emitters):
        if e is not None:
            radiators[i] = e == "radiators"
    flow_design = np.where(radiators, u(44.0, 50.0), u(33.0, 38.0))
    flow_mild = np.where(radiators, u(29.0, 32.0), u(24.0, 27.0))
    t_design = np.full(n, DESIGN_OUTDOOR_C[climate]) + u(-1.0, 1.0)
    t_set = np.round(u(20.0, 22.0) * 2) / 2
    # size: the pump covers 95 % of the design-day load at max frequency
    t_e = t_design - 7.5
    g_design = capacity_factor(t_e, flow_design + 4.0, refrigerant)
    q_max_design = q_nom * f_max / F_NOM * g_design
    h = 0.95 * q_max_design / (t_set - GAINS_K - t_design) * u(0.85, 1.0)
    v_nom = 2.9 * q_nom * u(0.95, 1.08)
    pf = u(0.95, 0.98)
    eta0 = u(0.47, 0.51)
    # rated current: 10 % above max frequency at A-7/W55; the inverter holds the current
    # below it (frequency cut back), the over-current protection trips 25 % above it
    t_e, t_c = -14.0, 58.0
    cop_r = carnot_eta(f_max, eta0) * (t_c + K0) / (t_c - t_e)
    q_r = q_nom * f_max / F_NOM * capacity_factor(t_e, t_c, refrigerant)
    i_rated = np.round(1.1 * q_r / cop_r * 1000.0 / (230.0 * pf), 1)
    i_trip = np.round(1.25 * i_rated, 1)
    return PumpParams(
        q_nom=q_nom, f_max=f_max, v_nom=v_nom, v_min=0.45 * v_nom, rpm_nom=np.round(u(700.0, 880.0), -1),
        eev0=u(32.0, 42.0), sh_target=u(4.0, 6.0), sc_nom=u(2.5, 5.0), eta0=eta0, pf=pf, t_set=t_set,
        setback=np.where(rng.random(n) < 0.6, np.round(u(1.0, 3.0)), 0.0), flow_design=flow_design,
        flow_mild=flow_mild, t_design=t_design, h_kw_k=h, tank_kwh_k=u(160.0, 280.0) * 4.186 / 3600.0,
        dhw_start=np.round(u(42.0, 46.0)), dhw_target=np.round(u(49.0, 52.0)), i_rated=i_rated, i_trip=i_trip,
        draws_per_day=u(2.0, 6.0),
    )


@dataclass
class Severity:
    """Fault severities, arrays broadcastable to (time, pumps); 0 = healthy."""

    leak: np.ndarray | float = 0.0
    wear: np.ndarray | float = 0.0
    evap: np.ndarray | float = 0.0
    flow: np.ndarray | float = 0.0
    eev_closed: np.ndarray | float = 0.0
    eev_open: np.ndarray | float = 0.0
    cond: np.ndarray | float = 0.0


# Scenario severity -> physical severity, calibrated so that a fault given ``time_to_trip``
# trips near that time in a Nordic winter (hot water cycles and cold spells decide the day).
FAULT_GAIN = {"leak": 0.6, "wear": 0.6, "evap": 1.0, "flow": 1.0, "eev_closed": 0.8, "eev_open": 0.7, "cond": 1.0}

FAULT_FIELD = {
    "refrigerant_leak": "leak", "compressor_wear": "wear", "evaporator_fouling": "evap",
    "low_water_flow": "flow", "eev_stuck_closed": "eev_closed", "eev_stuck_open": "eev_open",
    "condenser_fouling": "cond",
}


def water_flow(p: PumpParams, sev: Severity):
    """Circulation pump flow (l/min): a clogging strainer or a worn pump lowers it."""
    return p.v_nom * (1.0 - 0.5 * np.minimum(sev.flow, 1.6))


def running_cycle(p: PumpParams, refrigerant: str, sev: Severity, t_out, q_target, t_flow_sp, t_flow_design_dt,
                  v_water, frost_phase):
    """Steady state of a running pump (heating or hot water). All arguments broadcast to (time, pumps).

    ``q_target`` is the heat asked for (kW), ``t_flow_sp`` the flow temperature the controller
    aims at, ``t_flow_design_dt`` the ΔT the emitters were designed for at this heat (so a
    lower water flow shows as a hotter flow and a colder return). Returns a dict of arrays.
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
    starve = 22.0 * (np.maximum(sev.leak - 0.1, 0.0) / 0.9) ** 1.5 + 22.0 * (np.maximum(sev.eev_closed - 0.45, 0.0) / 0.55) ** 1.5
    flood = 0.5 * np.minimum(sev.eev_open, 1.2) * d_evap
    t_evap = t_out - d_evap - starve + flood
    p_low = psat(t_evap, refrigerant)
    p_high = psat(t_cond, refrigerant)
    # --- compressor: frequency to meet the heat, capacity limit
    g = capacity_factor(t_evap, t_cond, refrigerant, p_low, p_high)
    g = g * (1.0 - 0.3 * np.minimum(sev.wear, 1.5)) * (1.0 - 0.15 * np.maximum(sev.leak - 0.3, 0.0))
    f_need = F_NOM * q_target / (q_nom * g)
    # the controller protects the condenser: above 57 °C condensing it cuts frequency
    f_cap = p.f_max * np.clip(1.0 - (t_cond - 57.0) / 12.0, 0.45, 1.0)
    f = np.clip(f_need, F_MIN, f_cap)
    lift = t_cond - t_evap
    # the inverter limits the current: cut frequency (power ∝ frequency at fixed pressures)
    eta_w = 1.0 - 0.35 * np.minimum(sev.wear, 1.5)
    i_est = q_target * f / f_need / np.clip(carnot_eta(f, p.eta0) * eta_w * (t_cond + K0) / np.maximum(lift, 8.0), 1.0, 8.0) \
        * 1000.0 / (230.0 * p.pf)
    f = np.maximum(f * np.minimum(p.i_rated / np.maximum(i_est, 1e-6), 1.0), F_MIN)
    q = np.minimum(q_target, q_target * f / f_need)
    # --- EEV and superheat
    eev_h = p.eev0 * (0.45 + 0.55 * f / F_NOM) * (1.0 + 0.006 * (lift - 40.0))
    need = eev_h * (1.0 + 3.0 * sev.leak) / np.maximum(1.0 - 0.8 * np.minimum(sev.eev_closed, 1.2), 0.04)
    excess = np.maximum(need - 100.0, 0.0) / 100.0
    superheat = (p.sh_target + 1.5 * sev.leak + 1.5 * sev.eev_closed + np.minimum(40.0 * excess, 45.0)) \
        * np.maximum(1.0 - 1.3 * sev.eev_open, 0.0)
    eev = np.where(sev.eev_open > 0, np.maximum(eev_h * (1.0 - 0.8 * np.minimum(sev.eev_open, 1.0)), 8.0),
                   np.minimum(need, 100.0))
    subcool = np.maximum(p.sc_nom * (1.0 - 1.3 * sev.leak) + 8.0 * sev.eev_closed - 0.5 * p.sc_nom * np.minimum(sev.eev_open, 1.0), 0.0)
    t_suction = t_evap + superheat + 0.5
    # --- discharge: polytropic compression + motor heat (more when the gas flow that cools it is low)
    n_poly = 1.16 + 0.10 * sev.wear
    ratio = p_high / p_low
    motor = 4.0 * (1.0 + 3.0 * sev.wear) + 12.0 * np.maximum(sev.leak - 0.4, 0.0) + 12.0 * np.maximum(sev.eev_closed - 0.4, 0.0)
    t_dis = (t_suction + K0) * ratio ** ((n_poly - 1.0) / n_poly) - K0 + motor
    wet = np.clip((sev.eev_open - 0.4) / 0.6, 0.0, 1.1)
    t_dis = t_cond + (t_dis - t_cond) * np.maximum(1.0 - 0.95 * wet, 0.0)
    # --- efficiency and electrical input
    eta = carnot_eta(f, p.eta0) * eta_w \
        * (1.0 - 0.004 * np.maximum(superheat - p.sh_target, 0.0)) * (1.0 - 0.15 * wet)
    cop = np.clip(eta * (t_cond + K0) / np.maximum(lift, 8.0), 1.0, 8.0)
    p_comp = q / cop  # kW
    q_evap = q - 0.95 * p_comp  # 5 % of the compressor input leaves as shell losses
    rpm = p.rpm_nom * rpm_cmd * fan_health
    p_fan = 0.015 + 0.09 * (rpm / p.rpm_nom) ** 3
    t_flow = t_flow - 0.7 * (1.0 - q / q_target) * (t_flow - 20.0)  # short of capacity: cooler water
    dt_water = q / (WATER_KW_PER_LPM_K * v_water)
    t_cond = t_flow + d_cond
    p_high = psat(t_cond, refrigerant)
    return dict(
        t_flow=t_flow, t_return=t_flow - dt_water, t_cond=t_cond, t_liquid=t_cond - subcool, t_evap=t_evap,
        t_suction=t_suction, t_discharge=t_dis, p_high=p_high, p_low=p_low, compressor_hz=f,
        compressor_a=p_comp * 1000.0 / (230.0 * p.pf), power_w=(p_comp + p_fan + 0.06) * 1000.0, fan_rpm=rpm,
        eev_pct=eev, heat_kw=q, q_evap_kw=q_evap, cop=q / (p_comp + p_fan + 0.06), superheat=superheat,
        subcooling=subcool, d_evap=t_out - t_evap,
    )
