"""What the house asks of its heat pump, and how the controller plans to deliver it.

* Building: the house feels the outdoor temperature through its thermal mass
  (time constant 10 h). Indoors it climbs back to the set point in about 3 h
  when the pump can heat and cools with a 40 h time constant when it cannot (a
  trip, a lockout). Internal and solar gains (``GAINS_K``) cover the last few
  kelvin: no heating is needed above about 17 °C outdoors.
* Night setback: 22:00-06:00 local time most houses lower the set point by 1-3 K
  and the flow temperature by 1.5 K per kelvin of setback.
* Heating load: the building's loss above the gains, plus a recovery term while
  the room is below its day set point (after a setback or an outage).
* Heating curve: the flow temperature set point falls linearly from the design
  outdoor temperature to +15 °C; radiators need hotter water than underfloor.
* Hot water: showers in the morning and evening, smaller draws between, one
  Poisson draw per step; the tank loses heat to the room. Below its start
  temperature the pump switches to hot water (at 90 % of its nominal heat, with
  priority over space heating) until the tank reaches its target.
* Lowest outdoor temperature: below ``LOWEST_OUTDOOR_C`` the compressor is not
  started (nor kept running) and the backup heater covers the house and the tank.
* Cycling: an inverter compressor modulates down to its minimum frequency; below
  that load it cycles on and off with duty = load / minimum capacity, in cycles
  of 20-150 minutes (at least 10 minutes on and 8 off).

The building, indoor and tank temperatures are the only states that need a
loop over time steps (:func:`house_over_chunk`); everything else is array algebra.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heatwatch.units import HOUR

from heatwatch.sim.plant import GAINS_K, PumpParams
from heatwatch.sim.refrigerant_cycle import F_MIN, F_NOM, capacity_factor
from heatwatch.sim.sparse import Picker

# the lowest outdoor temperature the compressor runs at, as every simulated model's data sheet
# gives it (published air-to-water units: -20..-28 °C, cold-climate ones -30..-35)
LOWEST_OUTDOOR_C = -25.0
DHW_HEAT_REL = 0.9  # hot water is heated at 90 % of the nominal heat output
NIGHT_FROM_H, NIGHT_UNTIL_H = 22.0, 6.0  # night setback
# household hot water use over the day: relative draw rate at the local hour
_DRAW_HOURS = [0, 5.5, 7, 9, 12, 17, 19.5, 22, 24]
_DRAW_PROFILE = [0.05, 0.05, 3, 1.2, 0.6, 0.8, 2.5, 0.6, 0.05]
TANK_200L_KWH_K = 0.2326  # a draw is given in kelvin of a 200 l tank (200 kg x 4.186 kJ/kg/K)
TANK_LOSS_PER_H = 0.012  # tank losses: this fraction of (tank - room) per hour
TANK_ROOM_C, COLD_WATER_C = 20.0, 10.0  # the tank loses heat to the room; draws are refilled from the mains
TANK_MIX = 40.0  # a draw's kelvin are for a tank 40 K above the mains: a cooler tank loses fewer


@dataclass
class House:
    """The demand side's own states per pump: (D,) between chunks, (n, D) over a chunk."""

    t_building: np.ndarray  # the outdoor temperature the building feels (its mass smooths the weather)
    t_indoor: np.ndarray
    t_tank: np.ndarray  # hot water tank
    dhw: np.ndarray  # bool: the controller is heating (or wants to heat) the tank

    def columns(self, cols: np.ndarray) -> House:
        return House(self.t_building[cols], self.t_indoor[cols], self.t_tank[cols], self.dhw[cols])

    def put(self, cols: np.ndarray, part: House) -> None:
        for name in ("t_building", "t_indoor", "t_tank", "dhw"):
            getattr(self, name)[cols] = getattr(part, name)


def local_hour(ts: np.ndarray, utc_offset_h: float) -> np.ndarray:
    """Local clock hour (0..24) of unix seconds, ``utc_offset_h`` the climate's time zone (no summer time)."""
    return (ts / HOUR + utc_offset_h) % 24.0


def night(local_h: np.ndarray) -> np.ndarray:
    """(n, 1) bool: the night setback is on."""
    return ((local_h >= NIGHT_FROM_H) | (local_h < NIGHT_UNTIL_H))[:, None]


def indoor_set_point(p: PumpParams, night: np.ndarray) -> np.ndarray:
    """(n, D) indoor set point, lowered by the setback at night."""
    return p.t_set[None, :] - night * p.setback[None, :]


def heating_curve(p: PumpParams, t_outdoor_smooth):
    """Flow temperature set point: linear from (t_design, flow_design) to (+15, flow_mild)."""
    x = np.clip((t_outdoor_smooth - p.t_design) / (15.0 - p.t_design), 0.0, 1.0)
    return p.flow_design + (p.flow_mild - p.flow_design) * x


def hot_water_draws(p: PumpParams, local_h: np.ndarray, dt: float, rng: np.random.Generator) -> np.ndarray:
    """(n, D) kelvin each step's hot water draw takes from the tank (mostly 0).

    A draw of 2-6 K (of a 200 l tank) happens with probability draws_per_day × the
    profile at that hour; one pair of random numbers per pump and step, so the draws do
    not depend on how the run is cut into chunks.
    """
    n, D = len(local_h), len(p.q_nom)
    profile = np.interp(local_h, _DRAW_HOURS, _DRAW_PROFILE)
    lam = p.draws_per_day[None, :] * (profile / 24.0)[:, None] * (dt / HOUR)
    u = rng.random((n, D, 2))
    draw = (u[..., 0] < lam) * (2.0 + 4.0 * u[..., 1])
    return draw * (TANK_200L_KWH_K / np.asarray(p.tank_kwh_k))[None, :]


def dhw_heating_rate(p: PumpParams, dt: float) -> np.ndarray:
    """(D,) kelvin per step the pump adds to the tank while heating hot water."""
    q_dhw = DHW_HEAT_REL * p.q_nom
    return q_dhw * (dt / HOUR) / p.tank_kwh_k


def house_over_chunk(p: PumpParams, start: House, steps: np.ndarray, dt: float, t_out: np.ndarray,
                     t_set: np.ndarray, draws: np.ndarray, dhw_rate: np.ndarray,
                     blocked: np.ndarray) -> tuple[House, House]:
    """The house over a chunk ((n, D) rows) and at its end ((D,)), from its state ``start``.

    The slow building temperatures step on a 10-minute grid (aligned to absolute steps, so
    chunking does not matter) and hold between; the tank and the hot water mode step every
    time step. ``blocked``: the compressor is held off (a trip): nothing heats.
    """
    n, D = t_out.shape
    m = max(1, int(round(600.0 / dt)))
    a_b = 1.0 - np.exp(-m * dt / (10 * HOUR))
    a_up = 1.0 - np.exp(-m * dt / (3 * HOUR))
    a_dn = 1.0 - np.exp(-m * dt / (40 * HOUR))
    t_b, t_in = start.t_building.copy(), start.t_indoor.copy()
    out_b, out_in = np.empty((n, D)), np.empty((n, D))
    grid = np.nonzero(steps % m == 0)[0]
    bounds = list(grid) + [n]
    if len(grid) == 0 or grid[0] != 0:
        bounds = [0] + bounds
    for k in range(len(bounds) - 1):
        i, j = bounds[k], bounds[k + 1]
        if steps[i] % m == 0:
            avail = ~blocked[i]
            t_b += a_b * (t_out[i] - t_b)
            free = t_b + GAINS_K
            goal = np.where(avail, np.maximum(t_set[i], free), free)
            t_in += np.where((goal > t_in) & avail, a_up, a_dn) * (goal - t_in)
        out_b[i:j] = t_b
        out_in[i:j] = t_in
    # tank: losses to the room and draws mixing in cold water, as tank = tank * A + B
    a_loss = dt / HOUR * TANK_LOSS_PER_H
    A = 1.0 - a_loss - draws / TANK_MIX
    B = a_loss * TANK_ROOM_C + draws * COLD_WATER_C / TANK_MIX
    avail_all = ~blocked
    dhw = start.dhw.copy()
    start_c, target = p.dhw_start, p.dhw_target
    out_tank = np.empty((n, D))
    out_dhw = np.empty((n, D), bool)
    lo = np.empty(D, bool)
    mul, add, less, l_or, l_and = np.multiply, np.add, np.less, np.logical_or, np.logical_and
    tank = start.t_tank
    for i in range(n):  # the tank state is the row just written
        cur = out_tank[i]
        mul(tank, A[i], cur)
        add(cur, B[i], cur)
        less(cur, start_c, lo)
        l_or(dhw, lo, dhw)
        heat = out_dhw[i]
        l_and(dhw, avail_all[i], heat)
        add(cur, dhw_rate, cur, where=heat)  # heating: + rate (as + heat * rate: + 0.0 changes nothing)
        less(cur, target, lo)
        l_and(dhw, lo, dhw)
        tank = cur
    return House(out_b, out_in, out_tank, out_dhw), House(t_b, t_in, tank.copy(), dhw)


@dataclass
class Plan:
    """The load over a chunk and the controller's plan to meet it, (n, D) arrays."""

    q_req: np.ndarray  # space heating load, kW
    season: np.ndarray  # bool: there is a heating load (the circulation pump runs)
    t_flow_set: np.ndarray  # flow temperature set point: the heating curve less the night setback
    q_min: np.ndarray  # heat at minimum frequency, as the controller estimates it for a healthy pump, kW
    duty: np.ndarray  # q_req / q_min: below 1 the compressor cycles on and off
    call: np.ndarray  # bool: the compressor is asked to run (heating in an on-phase, or hot water) and may
    phase_end: np.ndarray  # (D,) the on/off cycle's phase at the end of the chunk
    house: House  # the house rows the plan was made for

    def heat_target(self, at: Picker, q_dhw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Heat (kW) and flow temperature (°C) asked of the running compressor at picked positions,
        and the tank's temperature where it heats the tank (NaN where it heats the house: the
        water it falls toward when the compressor is short of heat, refrigerant_cycle.short_of_heat).

        Hot water: ``q_dhw`` (the pumps' hot water heat) at 5 K above the tank, at most 54 °C.
        Heating: the load, or while cycling the minimum heat, at the flow set point (a little
        above it while cycling, to store heat in the loop for the off-phase).
        """
        dhw_c, duty_c = at(self.house.dhw), at(self.duty)
        q_tgt = np.where(dhw_c, q_dhw, np.where(duty_c < 1.0, at(self.q_min), at(self.q_req)))
        q_tgt = np.maximum(q_tgt, 0.3)
        tank = at(self.house.t_tank)
        sp = np.where(dhw_c, np.minimum(tank + 5.0, 54.0),
                      at(self.t_flow_set) + np.where(duty_c < 1.0, 1.5 * (1.0 - duty_c), 0.0))
        return q_tgt, sp, np.where(dhw_c, tank, np.nan)

    def heat_rel_estimate(self, at: Picker, q_nom: np.ndarray) -> np.ndarray:
        """Q/Q_nom the controller expects at picked positions (``q_nom`` there): what the coil will see."""
        return np.where(at(self.house.dhw), DHW_HEAT_REL,
                        np.minimum(np.maximum(at(self.q_req), at(self.q_min)), 1.3 * q_nom) / q_nom)


def plan(p: PumpParams, refrigerant: str, house: House, t_out: np.ndarray, t_set: np.ndarray, night: np.ndarray,
         phase: np.ndarray, dt: float, blocked: np.ndarray) -> Plan:
    """The heating load and the compressor's on/off plan over a chunk; ``phase``: the cycle's phase before it."""
    t_b, t_in, dhw = house.t_building, house.t_indoor, house.dhw
    # heating demand: loss above internal gains, plus recovery after setback or an outage
    q_req = p.h_kw_k * np.maximum(t_set - GAINS_K - t_b, 0.0) + 4.0 * p.h_kw_k * np.maximum(p.t_set - t_in, 0.0)
    season = q_req > 0.05
    t_fsp = heating_curve(p, t_b)
    t_fsp = t_fsp - 1.5 * night * p.setback
    # the controller's own capacity estimate (healthy pump) sets modulation and cycling
    g_est = capacity_factor(t_out - 6.5, t_fsp + 3.5, refrigerant)
    q_min = p.q_nom[None, :] * F_MIN / F_NOM * g_est
    duty = q_req / q_min
    period_min = np.clip(np.maximum(10.0 / np.maximum(duty, 1e-3), 8.0 / np.maximum(1.0 - duty, 1e-3)), 20.0, 150.0)
    theta = phase[None, :] + np.cumsum(dt / 60.0 / period_min, axis=0)
    cyc_on = (duty >= 1.0) | ((theta % 1.0) < duty)
    heating = season & ~dhw & cyc_on & ~blocked
    # below the data sheet's lowest outdoor temperature the compressor stays off and the backup
    # heater covers the house and the tank (so the house is not held off as after a trip)
    call = (heating | (dhw & ~blocked)) & (t_out >= LOWEST_OUTDOOR_C)
    return Plan(q_req, season, t_fsp, q_min, duty, call, theta[-1] % 1.0, house)
