"""The installation: a heat pump and the house it heats, as parameters per pump.

Each simulated pump gets its own capacity, frequency range, circulation flow,
expansion valve and superheat settings, efficiency, power factor and current
limits, and a house: set point and night setback, heating curve (radiators,
underfloor or fan coils), heat loss, hot water tank and household. The house is sized to
the pump the way an installer does: the pump covers 95 % of the design-day
load at its maximum frequency. The parameters are arrays over pumps, so the
physics (:mod:`demand`, :mod:`refrigerant_cycle`, :mod:`defrost`,
:mod:`protection`) computes a whole fleet at once.

Also the water side the running, stopped and defrosting pump share: the
circulation pump's flow, and the water temperature while the compressor does
not heat it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from heatwatch.channels import WATER_KW_PER_LPM_K

from heatwatch.sim.climate import ClimatePreset, resolve_climate
from heatwatch.sim.pump_faults import Severity
from heatwatch.sim.refrigerant_cycle import F_NOM, K0, capacity_factor, carnot_eta

GAINS_K = 3.5  # internal + solar gains: no heating needed above ~17-18 °C outdoor


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
    radiators: np.ndarray  # bool: the house's emitters are radiators: its heating curve (see make_params)
    fan_coils: np.ndarray  # bool: fan coils (only where a scenario says so); neither: underfloor

    def columns(self, cols: np.ndarray) -> PumpParams:
        """The parameters of the pumps ``cols`` only."""
        return PumpParams(**{f.name: getattr(self, f.name)[cols] for f in fields(self)})


def make_params(n: int, rng: np.random.Generator, climate: str | ClimatePreset, refrigerant: str,
                capacity_kw: list[float | None], emitters: list[str | None]) -> PumpParams:
    """``n`` pumps and their houses drawn from ``rng``; a capacity or emitter type given per pump overrides the draw.

    Emitters set the heating curve: radiators 44-50 °C flow on the design day (29-32 °C at +15 °C),
    underfloor 33-38 (24-27), fan coils in between, the mean of the two draws: 38.5-44 (26.5-29.5).
    The draw makes radiators or underfloor; fan coils come only from a scenario's ``emitters``, so
    a fleet drawn before them is drawn the same."""
    u = lambda lo, hi: rng.uniform(lo, hi, n)  # noqa: E731
    q_nom = np.round(rng.choice([5.0, 7.0, 9.0, 12.0], n, p=[0.25, 0.35, 0.25, 0.15]) * u(0.96, 1.04), 2)
    for i, c in enumerate(capacity_kw):
        if c is not None:
            q_nom[i] = c
    f_max = np.round(u(100.0, 115.0))
    radiators = rng.random(n) < 0.45
    fan_coils = np.zeros(n, dtype=bool)
    for i, e in enumerate(emitters):
        if e is not None:
            radiators[i], fan_coils[i] = e == "radiators", e == "fan_coils"
    flow_design = _curve(radiators, fan_coils, u(44.0, 50.0), u(33.0, 38.0))
    flow_mild = _curve(radiators, fan_coils, u(29.0, 32.0), u(24.0, 27.0))
    t_design = np.full(n, resolve_climate(climate).design_c) + u(-1.0, 1.0)
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
        draws_per_day=u(2.0, 6.0), radiators=radiators, fan_coils=fan_coils,
    )


def _curve(radiators: np.ndarray, fan_coils: np.ndarray, hot: np.ndarray, low: np.ndarray) -> np.ndarray:
    """A heating curve's point per pump: radiators ``hot``, underfloor ``low``, fan coils their mean."""
    return np.where(radiators, hot, np.where(fan_coils, 0.5 * (hot + low), low))


def emitter_types(p: PumpParams) -> list[str]:
    """Each pump's emitters, as its device record names them (heatwatch.fleet_prior.EMITTERS)."""
    return ["radiators" if r else "fan_coils" if f else "underfloor" for r, f in zip(p.radiators, p.fan_coils)]


def water_flow(p: PumpParams, sev: Severity):
    """Circulation pump flow (l/min): a clogging strainer or a worn pump lowers it."""
    return p.v_nom * (1.0 - 0.5 * np.minimum(sev.flow, 1.6))


def idle_water_temperature(p: PumpParams, circulating, blocked, t_flow_set, t_indoor, q_req, q_min):
    """The water temperature while the compressor does not heat it (°C).

    Circulating between on/off cycles, the loop stays a little under the flow set point
    (half the ΔT of the heat it would deliver, and 1 K); held off by a trip it cools towards
    the house (at most 3 K above the room); with the circulation pump off the water in the
    unit sits just above room temperature.
    """
    between_cycles = t_flow_set - 0.5 * np.minimum(q_req, q_min) / (WATER_KW_PER_LPM_K * p.v_nom) - 1.0
    return np.where(circulating, np.where(blocked, np.minimum(t_flow_set, t_indoor + 3.0), between_cycles), t_indoor + 1.0)
