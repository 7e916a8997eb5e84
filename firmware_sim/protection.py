"""Protection: the switches that stop a heat pump before it harms itself, and the lockout after repeated trips.

The limits per refrigerant are :mod:`heatwatch.trips` (the agent's prognosis
aims at the same ones); the switches see the lagged values, as a real pump's do:

* high pressure switch (R32 41 bar, R290 22.5 bar)
* discharge over-temperature (115 °C)
* low pressure: at once below the instant limit (R32 0.5 bar, R290 0.3), or held
  for 10 minutes below the low limit (1.0 / 0.6 bar) outside defrosts
* flood-back: discharge superheat (discharge temperature minus the condensing
  saturation temperature) below 3 K for 5 minutes means liquid reaches the
  compressor; not judged in the first 6 minutes after a start, a defrost's end
  or a mode change (heating <-> hot water): after a switch to the tank the
  condensing pressure rises within a minute while the discharge pipe takes
  minutes to warm, so a healthy pump's discharge superheat dips below the limit
  for a few minutes, and real controllers mask it as they mask a start
* over-current (25 % above the pump's rated current) and the flow switch (water
  flow below 45 % of nominal), per pump from :mod:`plant`

A trip stops the compressor for the restart delay (10 minutes) and shows its
error code; 3 trips within an hour, 5 within 3 hours or 6 within a day lock the
unit out until a service visit (error code 99, ``ERROR_LOCKOUT``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heatwatch.channels import ERROR_LOCKOUT, TRIP_CODES
from heatwatch.refrigerant import t_sat_array
from heatwatch.runs import run_lengths
from heatwatch.trips import TripLimits
from heatwatch.units import DAY, HOUR

from heatwatch.sim.plant import PumpParams
from heatwatch.sim.sparse import blocks

# the order decides which kind a trip is reported as when several limits are crossed in the same step
TRIP_KINDS = ("high_pressure", "discharge_overtemp", "overcurrent", "flow_switch", "low_pressure", "flood_back")
# Not (yet) in heatwatch.channels.TRIP_CODES: liquid flooding back to the compressor.
FLOOD_BACK_CODE = TRIP_CODES.get("flood_back", 6)
RESTART_DELAY_S = 600.0
# repeated trips lock the unit out: (trips, within seconds)
LOCKOUT_RULES = ((3, HOUR), (5, 3 * HOUR), (6, DAY))
LOCKOUT_WINDOW_S = max(w for _, w in LOCKOUT_RULES)

Trip = tuple[int, int, str]  # (pump, absolute step, kind)


def trip_code(kind: str) -> int:
    """The error code a trip of ``kind`` shows while it holds the compressor off."""
    return FLOOD_BACK_CODE if kind == "flood_back" else TRIP_CODES[kind]


def locks_out(recent: list[int], s: int, step_s: float) -> bool:
    """Do the trips at steps ``recent`` (the last at ``s``) break a lockout rule?"""
    return any(sum(1 for r in recent if (s - r) * step_s < w) >= k for k, w in LOCKOUT_RULES)


@dataclass
class HoldState:
    """Run lengths (steps) carried between chunks, (D,) arrays."""

    run_on: np.ndarray  # the compressor has been heating (not defrosting) in the same mode this long
    low_pressure: np.ndarray  # running below the low-pressure limit this long
    flood_back: np.ndarray  # running with too little discharge superheat this long
    dhw: np.ndarray  # bool: the last step's mode was hot water (a change of mode restarts run_on)

    def columns(self, cols: np.ndarray) -> HoldState:
        return HoldState(self.run_on[cols], self.low_pressure[cols], self.flood_back[cols], self.dhw[cols])

    def put(self, cols: np.ndarray, part: HoldState) -> None:
        self.run_on[cols] = part.run_on
        self.low_pressure[cols] = part.low_pressure
        self.flood_back[cols] = part.flood_back
        self.dhw[cols] = part.dhw

    @staticmethod
    def zeros(n_pumps: int) -> HoldState:
        """Pumps that have not run yet, in heating mode."""
        z = np.zeros(n_pumps, np.int64)
        return HoldState(z, z.copy(), z.copy(), np.zeros(n_pumps, bool))


@dataclass
class Holds:
    """The held conditions over a chunk, (n, D) arrays."""

    running: np.ndarray  # bool: the compressor runs (heating, hot water or defrost) and no trip holds it
    run_on: np.ndarray
    low_pressure: np.ndarray
    flood_back: np.ndarray
    dhw: np.ndarray  # bool: the mode is hot water

    def end(self) -> HoldState:
        return HoldState(self.run_on[-1].copy(), self.low_pressure[-1].copy(), self.flood_back[-1].copy(),
                         self.dhw[-1].copy())


def holds(limits: TripLimits, start: HoldState, on: np.ndarray, running: np.ndarray, defrosting: np.ndarray,
          blocked: np.ndarray, lagged: dict[str, np.ndarray], dt: float, dhw: np.ndarray) -> Holds:
    """How long the held trip conditions have lasted at each step, judged on the lagged channels ``lagged``.

    ``on``: the compressor heats (running, not defrosting); ``dhw``: the mode is hot water (n, D);
    ``start``: the run lengths and the mode before the chunk. Flood-back is judged only once the
    compressor has heated in one mode for the start-up mask (a start, a defrost's end and a mode
    change each restart it).
    """
    prev_dhw = np.concatenate([start.dhw[None, :], dhw[:-1]], axis=0)
    run_on = run_lengths(on & (dhw == prev_dhw), start.run_on)
    run = running & ~blocked
    lp_run = run_lengths(run & ~defrosting & (lagged["p_low"] < limits.low_pressure_bar), start.low_pressure)
    warm = run_on * dt >= limits.floodback_startup_s
    fb_cond = run & warm & ~defrosting
    for idx, _ in blocks(fb_cond):  # the discharge superheat only where it is judged
        t_cond = t_sat_array(lagged["p_high"].reshape(-1)[idx], limits.refrigerant)
        dsh = lagged["t_discharge"].reshape(-1)[idx] - t_cond
        fb_cond.reshape(-1)[idx] = dsh < limits.floodback_superheat_k
    fb_run = run_lengths(fb_cond, start.flood_back)
    return Holds(run, run_on, lp_run, fb_run, dhw)


def find_trips(limits: TripLimits, p: PumpParams, ch: dict[str, np.ndarray], h: Holds, defrosting: np.ndarray,
               steps: np.ndarray, dt: float, known: list[Trip]) -> list[Trip]:
    """Each pump's first trip in the chunk after its ``known`` ones: a channel in ``ch`` past a limit while running."""
    hp = ch["p_high"] > limits.high_pressure_bar
    dis = ch["t_discharge"] > limits.discharge_c
    oc = ch["compressor_a"] > p.i_trip[None, :]
    fs = ch["flow_lpm"] < p.v_min[None, :]
    lp = (h.low_pressure * dt >= limits.low_pressure_hold_s) \
        | (~defrosting & (ch["p_low"] < limits.low_pressure_instant_bar))
    fb = h.flood_back * dt >= limits.floodback_hold_s
    conds = (hp, dis, oc, fs, lp, fb)
    any_trip = h.running & (hp | dis | oc | fs | lp | fb)
    last_known: dict[int, int] = {}
    for d, s, _ in known:
        last_known[d] = max(last_known.get(d, -1), s)
    trips = []
    cols = np.nonzero(any_trip.any(axis=0))[0]
    for d in cols:
        rows = np.nonzero(any_trip[:, d])[0]
        rows = rows[steps[rows] > last_known.get(d, -1)]
        if len(rows) == 0:
            continue
        i = rows[0]
        kind = next(k for k, c in zip(TRIP_KINDS, conds) if c[i, d])
        trips.append((int(d), int(steps[i]), kind))
    return trips


class TripState:
    """Each pump's trips so far: the restart delay that holds it off, its lockout, its recent trips."""

    def __init__(self, n_pumps: int, step_s: float):
        self.step_s = step_s
        self.restart_steps = int(round(RESTART_DELAY_S / step_s))
        self.window_steps = LOCKOUT_WINDOW_S / step_s
        # the absolute step until which a trip holds the compressor off
        self.blocked_until = np.full(n_pumps, -1, dtype=np.int64)
        self.block_code = np.zeros(n_pumps, np.int64)
        self.lockout = np.zeros(n_pumps, bool)
        self.recent: list[list[int]] = [[] for _ in range(n_pumps)]  # absolute steps of recent trips

    def blocked(self, steps: np.ndarray, new_trips: list[Trip]) -> tuple[np.ndarray, np.ndarray]:
        """(n, D) where the compressor is held off, and the error code shown there, given this chunk's ``new_trips``."""
        n, D = len(steps), len(self.lockout)
        blocked = steps[:, None] < self.blocked_until[None, :]
        code = np.broadcast_to(self.block_code, (n, D)).copy()
        lock_rows = np.broadcast_to(self.lockout, (n, D)).copy()
        restart = self.restart_steps
        recent = [list(r) for r in self.recent]
        for d, s, kind in sorted(new_trips, key=lambda t: t[1]):
            i = s - steps[0]
            recent[d] = [r for r in recent[d] if s - r < self.window_steps] + [s]
            blocked[i:i + restart, d] = True
            code[i:i + restart, d] = trip_code(kind)
            if locks_out(recent[d], s, self.step_s):
                lock_rows[i:, d] = True
        blocked |= lock_rows
        code = np.where(lock_rows, ERROR_LOCKOUT, code)
        return blocked, code

    def record(self, new_trips: list[Trip]) -> list[tuple[int, int, str, bool]]:
        """Take this chunk's trips into the state; (pump, step, kind, locked out by it) in time order."""
        out = []
        for d, s, kind in sorted(new_trips, key=lambda t: t[1]):
            self.recent[d] = [r for r in self.recent[d] if s - r < self.window_steps] + [s]
            self.blocked_until[d] = s + self.restart_steps
            self.block_code[d] = trip_code(kind)
            lock = locks_out(self.recent[d], s, self.step_s) and not self.lockout[d]
            if lock:
                self.lockout[d] = True
            out.append((d, s, kind, bool(lock)))
        return out
