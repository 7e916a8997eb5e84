"""A fleet of simulated heat pumps, produced chunk by chunk.

    fleet = Fleet(load_scenario("healthy_fleet"))
    for chunk in fleet.chunks(steps=1440):
        chunk.values   # (n, n_devices, n_channels) as the sensors report them

Per chunk: weather for all pumps at all times (vectorized); one short loop over
time for the few true states (tank temperature, indoor temperature, outdoor
temperature the building feels); cycling, defrost and hold timers with
cumulative sums; the refrigerant cycle as array algebra (:mod:`plant`); a
first-order lag for the thermal inertia of pipes and sensors; protection
trips found on the result. A trip changes the rest of the chunk for that pump
(it stops, restarts after a delay, locks out after 3 trips in 60 min), so the
chunk is recomputed for the pumps with new trips (pumps do not interact) from
the same random draws until no new trip appears. Random numbers come from
separate streams per purpose, so values do not depend on the chunk size.

Speed (``bench/sim_speed.py``): the costly formulas (refrigerant cycle, defrost
cycle, frost growth) are evaluated only at the (step, pump) positions that use
them, compressed and in cache-sized blocks; large work arrays are kept from
chunk to chunk; the truth is kept per channel and the sensor model works on
blocks of time steps. Each value is computed by the same operations in the same
order as on whole arrays, so the output is bit for bit the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from heatwatch.channels import CHANNEL_NAMES, ERROR_LOCKOUT, INDEX, MODE_DHW, MODE_HEATING, MODE_OFF, TRIP_CODES, WATER_KW_PER_LPM_K
from heatwatch.faults import SENSOR_FAULTS

from heatwatch.sim import plant
from heatwatch.sim.climate import Weather
from heatwatch.sim.plant import F_MIN, F_NOM, GAINS_K, Severity
from heatwatch.sim.scenario import DAY, Scenario
from heatwatch.sim.sensors import SensorModel

# Not (yet) in heatwatch.channels.TRIP_CODES: liquid flooding back to the compressor.
FLOOD_BACK_CODE = TRIP_CODES.get("flood_back", 6)
TRIP_KINDS = ("high_pressure", "discharge_overtemp", "overcurrent", "flow_switch", "low_pressure", "flood_back")
RESTART_DELAY_S = 600.0
DHW_HEAT_REL = 0.9  # hot water is heated at 90 % of the nominal heat output
# repeated trips lock the unit out: (trips, within seconds)
LOCKOUT_RULES = ((3, 3600.0), (5, 3 * 3600.0), (6, 86400.0))
LOCKOUT_WINDOW_S = max(w for _, w in LOCKOUT_RULES)


def _locks(recent: list[int], s: int, step_s: float) -> bool:
    return any(sum(1 for r in recent if (s - r) * step_s < w) >= k for k, w in LOCKOUT_RULES)
LP_HOLD_S, FLOODBACK_HOLD_S, STARTUP_MASK_S = 600.0, 300.0, 360.0

# channels with thermal inertia: (time constant running, time constant stopped) in minutes
_LAGGED = ("t_flow", "t_return", "t_discharge", "t_suction", "t_evap", "t_cond", "t_liquid", "p_high", "p_low")
_TAU_ON = np.array([1.5, 2.0, 3.0, 1.0, 1.0, 1.0, 1.5, 0.7, 0.7])
_TAU_OFF = np.array([8.0, 8.0, 20.0, 5.0, 4.0, 4.0, 5.0, 2.0, 2.0])


@dataclass
class FaultTruth:
    device: str
    fault: str
    channel: str | None
    onset_ts: float
    trip_ts: float | None = None
    trip_kind: str | None = None


@dataclass
class TripEvent:
    device: str
    ts: float
    kind: str
    lockout: bool = False


@dataclass
class Chunk:
    ts: np.ndarray  # (n,) unix seconds
    values: np.ndarray  # (n, n_devices, n_channels) as reported
    fault: list[str]  # per device: fault name or ""
    fault_active: np.ndarray  # (n, n_devices) bool
    tripped: np.ndarray  # (n, n_devices) bool, from the first trip on
    # the noise-free truth behind the values: every channel by name plus heat_kw, q_evap_kw,
    # cop, superheat, subcooling, severity, frost_phase, running, t_building
    truth: dict[str, np.ndarray] = field(default_factory=dict)


class Fleet:
    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.devices: list[str] = scenario.device_ids
        self.step_seconds = float(scenario.step_s)
        self.start_ts = float(scenario.start_ts)
        self.n_steps = scenario.n_steps
        self.refrigerant = scenario.refrigerant
        D = len(self.devices)
        specs = [scenario.devices.get(d) for d in self.devices]
        param_rng = np.random.default_rng(np.random.SeedSequence([scenario.seed, 1]))
        self.params = plant.make_params(
            D, param_rng, scenario.climate, scenario.refrigerant,
            [s.capacity_kw if s else None for s in specs], [s.emitters if s else None for s in specs])
        # pump faults: onset (s after start) and rate (severity per day) per device and fault field
        self.pump_faults: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.sensor_faults: list[tuple[int, str, int, float, float]] = []  # (device, type, channel idx, onset_s, rate)
        self.fault_names = [""] * D
        self.fault_onset_s = np.full(D, np.inf)
        self.truth: list[FaultTruth] = []
        self._truth_by_dev: dict[int, FaultTruth] = {}
        for d, spec in enumerate(specs):
            for fs in (spec.faults if spec else ()):
                self.fault_names[d] = fs.type
                self.fault_onset_s[d] = fs.onset_s
                t = FaultTruth(self.devices[d], fs.type, fs.channel, self.start_ts + fs.onset_s)
                self.truth.append(t)
                self._truth_by_dev[d] = t
                if fs.type in SENSOR_FAULTS:
                    self.sensor_faults.append((d, fs.type, INDEX[fs.channel], fs.onset_s, fs.rate))
                else:
                    fld = plant.FAULT_FIELD[fs.type]
                    onset, rate = self.pump_faults.setdefault(fld, (np.full(D, np.inf), np.zeros(D)))
                    onset[d], rate[d] = fs.onset_s, fs.rate
        self.trips: list[TripEvent] = []

    def chunks(self, steps: int = 1440):
        """Successive chunks of ``steps`` time steps until the scenario ends (a fresh run each call)."""
        if steps < 1:
            raise ValueError("steps must be >= 1")
        for t in self.truth:
            t.trip_ts, t.trip_kind = None, None
        self.trips = []
        run = _Run(self)
        i0 = 0
        while i0 < self.n_steps:
            n = min(steps, self.n_steps - i0)
            yield run.advance(i0, n)
            i0 += n

    def iso(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, timezone.utc).isoformat().replace("+00:00", "Z")


def run_length(cond: np.ndarray, carry: np.ndarray) -> np.ndarray:
    """Consecutive True values ending at each row (axis 0), continuing ``carry`` from before the chunk."""
    n = cond.shape[0]
    if not cond.any():
        return np.zeros(cond.shape, np.int64)
    idx = np.arange(1, n + 1)[:, None]
    last_false = np.where(cond, 0, idx)
    np.maximum.accumulate(last_false, axis=0, out=last_false)
    run = idx - last_false
    np.add(run, carry[None, :], out=run, where=last_false == 0)
    return run


def _e_sat_water(t):
    return 6.112 * np.exp(17.62 * t / (243.12 + t))


def _e_sat_ice(t):
    return 6.112 * np.exp(22.46 * t / (272.62 + t))


BLOCK = 16384  # values per block of the compressed element-wise formulas (fits in L2 cache)
_SEV_FIELDS = tuple(Severity.__dataclass_fields__)
_PARAM_FIELDS = ("q_nom", "v_nom", "f_max", "eta0", "pf", "i_rated", "eev0", "sh_target", "sc_nom", "rpm_nom")


def _blocks(mask: np.ndarray, size: int = BLOCK):
    """(flat indices, columns) of the True values of a (n, D) mask, ``size`` at a time."""
    idx = np.flatnonzero(mask)
    if not len(idx):
        return
    n, D = mask.shape
    cols = _column_map(n, D).take(idx)  # a gather: cheaper than idx % D
    for b in range(0, len(idx), size):
        yield idx[b:b + size], cols[b:b + size]


_COLMAP: dict[tuple[int, int], np.ndarray] = {}


def _column_map(n: int, D: int) -> np.ndarray:
    """The column of each flat position of an (n, D) array."""
    m = _COLMAP.get((n, D))
    if m is None:
        if len(_COLMAP) > 8:
            _COLMAP.clear()
        m = _COLMAP[(n, D)] = np.tile(np.arange(D), n)
    return m


class _Picker:
    """The values of a scalar, (D,), (n, 1) or (n, D) operand at flat positions of an (n, D) array."""

    def __init__(self, idx: np.ndarray, cols: np.ndarray, D: int):
        self.idx, self.cols, self.D = idx, cols, D

    def __call__(self, a):
        if np.ndim(a) == 0:
            return a
        if a.ndim == 1:
            return a[self.cols]
        if a.shape[1] == 1:
            return a[self.idx // self.D, 0]
        return np.take(a, self.idx)


class _PickedParams:
    """The pump parameters :func:`plant.running_cycle` uses, at the pumps of picked positions."""

    def __init__(self, p: plant.PumpParams, cols: np.ndarray):
        for k in _PARAM_FIELDS:
            setattr(self, k, getattr(p, k)[cols])


_ALPHA: dict[float, np.ndarray] = {}


def _lag_alpha(dt: float) -> np.ndarray:
    """Per lagged channel (rows), the step weight 1 - exp(-dt/tau) stopped (column 0) and running (column 1)."""
    a = _ALPHA.get(dt)
    if a is None:
        a = _ALPHA[dt] = np.stack([1.0 - np.exp(-dt / (_TAU_OFF * 60.0)), 1.0 - np.exp(-dt / (_TAU_ON * 60.0))], axis=1)
    return a


def frost_rate_per_min(t_out, rh, t_coil):
    """Defrosts needed per minute of running (Zhu et al. frosting map, driven by the vapour-pressure gap).

    No frost at or above +6 °C or when the coil is above 0 °C or the air too dry; severe
    (a defrost every ~30 min) near 0..+5 °C at high humidity, moderate (~60 min), mild
    (~165 min and longer) in cold, dry air.
    """
    gap = rh / 100.0 * _e_sat_water(t_out) - _e_sat_ice(np.minimum(t_coil, 0.0))
    frosting = (t_out < 6.0) & (t_coil < 0.0) & (gap > 0.25)
    interval = np.clip(60.0 / np.maximum(gap, 1e-3) ** 1.5, 30.0, 300.0)
    return np.where(frosting, 1.0 / interval, 0.0)


# per-pump state carried from chunk to chunk (besides the lag state and the trip bookkeeping)
_CARRIED = ("t_b", "t_in", "tank", "dhw", "theta", "frost", "def_start", "def_len", "run_on", "lp_hold", "fb_hold")


class _Run:
    """The evolving state of one pass through a scenario."""

    def __init__(self, fleet: Fleet):
        self.f = fleet
        sc = fleet.scenario
        D = len(fleet.devices)
        self.D = D
        streams = np.random.SeedSequence([sc.seed, 2]).spawn(4)
        self.weather = Weather(sc.climate, D, np.random.default_rng(streams[0]), fleet.start_ts)
        self.rng_dhw = np.random.default_rng(streams[1])
        self.sensors = SensorModel(fleet, np.random.default_rng(streams[2]))
        p = fleet.params
        init = np.random.default_rng(streams[3])
        self.tank = init.uniform(p.dhw_start, p.dhw_target)
        self.t_in = p.t_set.copy()
        self.t_b: np.ndarray | None = None
        self.dhw = np.zeros(D, bool)
        self.theta = init.random(D)
        self.frost = init.random(D) * 0.5
        self.def_start = np.full(D, -10**9)  # absolute step of the last defrost start
        self.def_len = np.ones(D, dtype=np.int64)
        self.lag: np.ndarray | None = None
        self.run_on = np.zeros(D, np.int64)
        self.lp_hold = np.zeros(D, np.int64)
        self.fb_hold = np.zeros(D, np.int64)
        self.blocked_until = np.full(D, -1, dtype=np.int64)  # absolute step until which a trip holds the compressor
        self.block_code = np.zeros(D, np.int64)
        self.lockout = np.zeros(D, bool)
        self.recent = [[] for _ in range(D)]  # absolute steps of recent trips
        self.first_trip = np.full(D, -1, dtype=np.int64)
        self._buffers: dict[str, np.ndarray] = {}
        self.p = p  # the pump parameters (of the pumps this run computes)

    # ------------------------------------------------------------------ chunk
    def advance(self, i0: int, n: int) -> Chunk:
        f, p, D = self.f, self.f.params, self.D
        dt = f.step_seconds
        steps = i0 + np.arange(n)
        ts = f.start_ts + steps * dt
        t_out, rh = self.weather.sample(ts)
        if self.t_b is None:
            self.t_b = t_out[0].copy()
        local_h = (ts / 3600.0 + 1.0) % 24.0
        night = ((local_h >= 22.0) | (local_h < 6.0))[:, None]
        # hot water draws: showers in the morning and evening, smaller draws in between
        profile = np.interp(local_h, [0, 5.5, 7, 9, 12, 17, 19.5, 22, 24], [0.05, 0.05, 3, 1.2, 0.6, 0.8, 2.5, 0.6, 0.05])
        lam = p.draws_per_day[None, :] * (profile / 24.0 / 1.0)[:, None] * (dt / 3600.0)
        u = self.rng_dhw.random((n, D, 2))  # one draw per step: the same numbers whatever the chunking
        draw = (u[..., 0] < lam) * (2.0 + 4.0 * u[..., 1])
        draw_amt = draw * (0.2326 / np.asarray(p.tank_kwh_k))[None, :] * 1.0  # K for a ~200 l tank

        el = steps * dt  # seconds since start
        sev = Severity()
        for fld, (onset, rate) in f.pump_faults.items():
            setattr(sev, fld, np.maximum(el[:, None] - onset[None, :], 0.0) / DAY * rate[None, :] * plant.FAULT_GAIN[fld])
        fault_active = el[:, None] >= f.fault_onset_s[None, :]

        # estimates for control decisions (what the controller plans with)
        t_set_eff = p.t_set[None, :] - night * p.setback[None, :]
        t_fsp_base = None
        # DHW heating rate (K per step) at 80 % of max frequency
        q_dhw = DHW_HEAT_REL * p.q_nom
        dhw_rate = q_dhw * (dt / 3600.0) / p.tank_kwh_k  # (D,): the same every step
        new_trips: list[tuple[int, int, str]] = []  # (device, absolute step, kind)
        cols = None  # the pumps to compute: all, then only those a new trip changes (pumps do not interact)
        for _ in range(200):
            blocked, code, lock_rows = self._blocked(steps, new_trips)
            if cols is None:
                t_b, t_in, tank, dhw, end_state = self._controller(steps, t_out, t_set_eff, draw_amt, dhw_rate, blocked)
                t_fsp_base = plant.heating_curve(p, t_b)
                out = self._physics(steps, dt, t_out, rh, t_b, t_in, tank, dhw, t_set_eff, night, t_fsp_base, sev, blocked)
            else:
                self._recompute(cols, steps, dt, t_out, rh, t_set_eff, draw_amt, dhw_rate, night, sev, blocked, out, end_state)
            trips = self._find_trips(steps, out, new_trips)
            if not trips:
                break
            new_trips.extend(trips)
            cols = np.array(sorted({d for d, _, _ in trips}))
        self._commit(steps, new_trips, end_state, out)
        err = out["error_code"] = np.zeros((n, D))
        np.copyto(err, code, where=blocked)
        tripped = (self.first_trip[None, :] >= 0) & (steps[:, None] >= np.where(self.first_trip >= 0, self.first_trip, 1 << 62)[None, :])
        truth = {c: out[c] for c in CHANNEL_NAMES}  # each a contiguous (n, D) array
        values = self.sensors.report(steps, ts, list(truth.values()))
        for k in ("heat_kw", "q_evap_kw", "cop", "superheat", "subcooling", "frost_phase", "running", "t_building"):
            truth[k] = out[k]
        sv = np.zeros((n, D))
        for fld in f.pump_faults:
            sv = sv + getattr(sev, fld)
        truth["severity"] = sv
        return Chunk(ts=ts, values=values, fault=list(f.fault_names), fault_active=fault_active, tripped=tripped, truth=truth)

    def _recompute(self, cols, steps, dt, t_out, rh, t_set_eff, draw_amt, dhw_rate, night, sev, blocked, out, end_state):
        """Controller and physics again for the pumps ``cols`` only, written into ``out`` and ``end_state``.

        Every formula works per pump (per column), so the values are the ones a run over the
        whole fleet gives.
        """
        sub = _Run.__new__(_Run)
        sub.f, sub.D, sub._buffers = self.f, len(cols), {}
        sub.p = plant.PumpParams(**{k: v[cols] for k, v in vars(self.p).items()})
        for name in _CARRIED:
            setattr(sub, name, getattr(self, name)[cols])
        sub.lag = None if self.lag is None else self.lag[:, cols]
        t_out_s, set_s, bl_s = t_out[:, cols], t_set_eff[:, cols], blocked[:, cols]
        t_b, t_in, tank, dhw, end_s = sub._controller(steps, t_out_s, set_s, draw_amt[:, cols], dhw_rate[cols], bl_s)
        t_fsp = plant.heating_curve(sub.p, t_b)
        sev_s = Severity(**{k: (v[:, cols] if np.ndim(v) else v) for k, v in vars(sev).items()})
        o = sub._physics(steps, dt, t_out_s, rh[:, cols], t_b, t_in, tank, dhw, set_s, night, t_fsp, sev_s, bl_s)
        for k, v in o.items():
            if k not in ("carry", "t_outdoor", "blocked"):
                out[k][:, cols] = v
        out["blocked"] = blocked
        for full, part in zip(out["carry"], o["carry"]):
            full[..., cols] = part
        for full, part in zip(end_state, end_s):
            full[cols] = part

    # ------------------------------------------------------------- trip state
    def _blocked(self, steps, new_trips):
        """Blocked mask and error code from the carried trip state plus this chunk's new trips."""
        n, D = len(steps), self.D
        blocked = steps[:, None] < self.blocked_until[None, :]
        code = np.broadcast_to(self.block_code, (n, D)).copy()
        lock_rows = np.broadcast_to(self.lockout, (n, D)).copy()
        restart = int(round(RESTART_DELAY_S / self.f.step_seconds))
        window = LOCKOUT_WINDOW_S / self.f.step_seconds
        recent = [list(r) for r in self.recent]
        for d, s, kind in sorted(new_trips, key=lambda t: t[1]):
            i = s - steps[0]
            recent[d] = [r for r in recent[d] if s - r < window] + [s]
            kc = FLOOD_BACK_CODE if kind == "flood_back" else TRIP_CODES[kind]
            blocked[i:i + restart, d] = True
            code[i:i + restart, d] = kc
            if _locks(recent[d], s, self.f.step_seconds):
                lock_rows[i:, d] = True
        blocked |= lock_rows
        code = np.where(lock_rows, ERROR_LOCKOUT, code)
        return blocked, code, lock_rows

    def _find_trips(self, steps, out, known):
        f, p = self.f, self.f.params
        dt = f.step_seconds
        run = out["run"]
        ref = f.refrigerant
        hp = out["p_high"] > plant.HP_TRIP_BAR[ref]
        dis = out["t_discharge"] > plant.DISCHARGE_TRIP_C
        oc = out["compressor_a"] > p.i_trip[None, :]
        fs = out["flow_lpm"] < p.v_min[None, :]
        lp = (out["lp_run"] * dt >= LP_HOLD_S) | (~out["defrost_b"] & (out["p_low"] < plant.LP_INSTANT_BAR[ref]))
        fb = out["fb_run"] * dt >= FLOODBACK_HOLD_S
        conds = (hp, dis, oc, fs, lp, fb)
        any_trip = run & (hp | dis | oc | fs | lp | fb)
        last_known = {}
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

    def _commit(self, steps, new_trips, end_state, out):
        """Carry the state at the end of the chunk into the next one and record trips."""
        f = self.f
        restart = int(round(RESTART_DELAY_S / f.step_seconds))
        window = LOCKOUT_WINDOW_S / f.step_seconds
        for d, s, kind in sorted(new_trips, key=lambda t: t[1]):
            self.recent[d] = [r for r in self.recent[d] if s - r < window] + [s]
            self.blocked_until[d] = s + restart
            self.block_code[d] = FLOOD_BACK_CODE if kind == "flood_back" else TRIP_CODES[kind]
            lock = _locks(self.recent[d], s, f.step_seconds) and not self.lockout[d]
            if lock:
                self.lockout[d] = True
            ts = f.start_ts + s * f.step_seconds
            f.trips.append(TripEvent(f.devices[d], ts, kind, lockout=bool(lock)))
            if self.first_trip[d] < 0:
                self.first_trip[d] = s
                t = f._truth_by_dev.get(d)
                if t is not None and t.trip_ts is None:
                    t.trip_ts, t.trip_kind = ts, kind
        (self.t_b, self.t_in, self.tank, self.dhw) = end_state
        self.theta, self.frost, self.def_start, self.def_len, self.lag, self.run_on, self.lp_hold, self.fb_hold = out["carry"]

    # ------------------------------------------------------------ controller
    def _controller(self, steps, t_out, t_set_eff, draw_amt, dhw_rate, blocked):
        """The sequential states: building-felt outdoor temperature, indoor, tank, DHW mode.

        The slow building temperatures step on a 10-minute grid (aligned to absolute steps,
        so chunking does not matter) and hold between; the tank steps every time step.
        """
        p, dt = self.p, self.f.step_seconds
        n, D = t_out.shape
        m = max(1, int(round(600.0 / dt)))
        a_b = 1.0 - np.exp(-m * dt / (10 * 3600.0))
        a_up = 1.0 - np.exp(-m * dt / (3 * 3600.0))
        a_dn = 1.0 - np.exp(-m * dt / (40 * 3600.0))
        t_b, t_in = self.t_b.copy(), self.t_in.copy()
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
                goal = np.where(avail, np.maximum(t_set_eff[i], free), free)
                t_in += np.where((goal > t_in) & avail, a_up, a_dn) * (goal - t_in)
            out_b[i:j] = t_b
            out_in[i:j] = t_in
        # tank: losses to the room and draws mixing in cold water, as tank = tank * A + B
        a_loss = dt / 3600.0 * 0.012
        A = 1.0 - a_loss - draw_amt / 40.0
        B = a_loss * 20.0 + draw_amt * 10.0 / 40.0
        avail_all = ~blocked
        dhw = self.dhw.copy()
        start, target = p.dhw_start, p.dhw_target
        out_tank = np.empty((n, D))
        out_dhw = np.empty((n, D), bool)
        lo = np.empty(D, bool)
        mul, add, less, l_or, l_and = np.multiply, np.add, np.less, np.logical_or, np.logical_and
        tank = self.tank
        for i in range(n):  # the tank state is the row just written
            cur = out_tank[i]
            mul(tank, A[i], cur)
            add(cur, B[i], cur)
            less(cur, start, lo)
            l_or(dhw, lo, dhw)
            heat = out_dhw[i]
            l_and(dhw, avail_all[i], heat)
            add(cur, dhw_rate, cur, where=heat)  # heating: + rate (as + heat * rate: + 0.0 changes nothing)
            less(cur, target, lo)
            l_and(dhw, lo, dhw)
            tank = cur
        return out_b, out_in, out_tank, out_dhw, (t_b, t_in, tank.copy(), dhw)

    # --------------------------------------------------------------- physics
    def _physics(self, steps, dt, t_out, rh, t_b, t_in, tank, dhw, t_set_eff, night, t_fsp, sev, blocked):
        """The plant over the chunk: every channel (but error_code) and more, as (n, D) arrays.

        Every value is computed as an element-wise formula of its inputs, so the heavy formulas
        (refrigerant cycle, defrost cycle, frost growth) are evaluated only where they are used:
        on the compressed positions of the running, defrosting or frosting pumps, in blocks small
        enough to stay in cache. The arithmetic per value is the same as on whole arrays.
        """
        f, p, D = self.f, self.p, self.D
        ref = f.refrigerant
        n = len(steps)
        q_nom = p.q_nom[None, :]
        # heating demand: loss above internal gains, plus recovery after setback or an outage
        q_req = p.h_kw_k * np.maximum(t_set_eff - GAINS_K - t_b, 0.0) + 4.0 * p.h_kw_k * np.maximum(p.t_set - t_in, 0.0)
        season = q_req > 0.05
        t_fsp = t_fsp - 1.5 * night * p.setback
        # the controller's own capacity estimate (healthy pump) sets modulation and cycling
        g_est = plant.capacity_factor(t_out - 6.5, t_fsp + 3.5, ref)
        q_min = q_nom * F_MIN / F_NOM * g_est
        duty = q_req / q_min
        period_min = np.clip(np.maximum(10.0 / np.maximum(duty, 1e-3), 8.0 / np.maximum(1.0 - duty, 1e-3)), 20.0, 150.0)
        theta = self.theta[None, :] + np.cumsum(dt / 60.0 / period_min, axis=0)
        cyc_on = (duty >= 1.0) | ((theta % 1.0) < duty)
        heating = season & ~dhw & cyc_on & ~blocked
        comp_pre = heating | (dhw & ~blocked)
        # defrost: frost grows while running, a defrost starts each time a whole interval's worth has built up
        # (no frost at or above +6 °C outdoors: the rate is 0 there, so it is computed only below)
        inc = np.zeros((n, D))
        for idx, cc in _blocks(comp_pre & (t_out < 6.0)):
            pk = _Picker(idx, cc, D)
            dhw_c, q_nom_c = pk(dhw), p.q_nom[cc]
            q_rel_est = np.where(dhw_c, DHW_HEAT_REL, np.minimum(np.maximum(pk(q_req), pk(q_min)), (1.3 * q_nom)[0, cc]) / q_nom_c)
            evap_c = pk(sev.evap)
            d_est = plant.evap_approach(q_rel_est, plant.fan_rel(q_rel_est)) * (1.0 + 0.8 * np.minimum(evap_c, 1.5)) \
                + 4.0 * np.asarray(pk(sev.leak))
            t_out_c = pk(t_out)
            rate = frost_rate_per_min(t_out_c, pk(rh), t_out_c - d_est) * (1.0 + 1.5 * np.minimum(evap_c, 1.5))
            inc.reshape(-1)[idx] = rate * dt / 60.0
        frost = np.cumsum(inc, axis=0, out=inc)
        frost += self.frost[None, :]
        fl = np.floor(frost)
        starts = np.empty((n, D), bool)
        np.greater(fl[0], np.floor(self.frost), out=starts[0])
        np.greater(fl[1:], fl[:-1], out=starts[1:])
        del fl
        # defrost length, needed only where one starts
        dur = np.zeros((n, D), np.int64)
        s_idx = np.flatnonzero(starts)
        if s_idx.size:
            pk = _Picker(s_idx, s_idx % D, D)
            t_out_s, evap_s = pk(t_out), np.asarray(pk(sev.evap))
            dur_min = np.where(evap_s > 0.4 + 0 * t_out_s, 15.0,
                               np.minimum(5.0 + 4.0 * np.clip((2.0 - t_out_s) / 10.0, 0.0, 1.0) + 6.0 * evap_s, 15.0))
            dur.reshape(-1)[s_idx] = np.maximum(np.ceil(dur_min * 60.0 / dt), 1).astype(np.int64)
        last = np.where(starts, steps[:, None], -(1 << 40))
        np.maximum(last, self.def_start[None, :], out=last)
        np.maximum.accumulate(last, axis=0, out=last)
        # duration of the defrost that started at `last`
        idx_last = np.clip(last - steps[0], 0, n - 1)
        dlen_last = np.where(last >= steps[0], np.take_along_axis(dur, idx_last, axis=0), self.def_len[None, :])
        since = steps[:, None] - last
        defrost = (since < dlen_last) & ~blocked
        frost_phase = frost % 1.0
        comp_on = comp_pre | defrost
        on = comp_on & ~defrost
        circulating = season | dhw

        out: dict[str, np.ndarray] = {}
        lag_u = np.empty((len(_LAGGED), n, D))  # targets of the lagged channels, then their lagged values
        dst = dict(zip(_LAGGED, lag_u))
        for c in ("compressor_hz", "compressor_a", "power_w", "fan_rpm", "eev_pct", "heat_kw", "q_evap_kw", "cop",
                  "superheat", "subcooling"):
            dst[c] = np.empty((n, D))

        # --- stopped: pressures equalize to the coldest part, discharge cools to ambient
        v = plant.water_flow(p, sev)
        water_idle = np.where(circulating, np.where(blocked, np.minimum(t_fsp, t_in + 3.0),
                                                    t_fsp - 0.5 * np.minimum(q_req, q_min) / (WATER_KW_PER_LPM_K * p.v_nom) - 1.0),
                              t_in + 1.0)
        for c in ("t_flow", "t_return", "t_cond", "t_liquid"):
            dst[c][...] = water_idle
        np.add(t_out, 8.0, out=dst["t_discharge"])
        np.add(t_out, 1.0, out=dst["t_suction"])
        dst["t_evap"][...] = t_out
        dst["p_high"][...] = plant.psat(t_out + 1.5, ref)
        dst["p_low"][...] = dst["p_high"]
        for c in ("compressor_hz", "compressor_a", "fan_rpm", "eev_pct", "heat_kw", "q_evap_kw"):
            dst[c].fill(0.0)
        pw = dst["power_w"]
        pw.fill(15.0)
        np.copyto(pw, 60.0, where=circulating)
        for c in ("cop", "superheat", "subcooling"):
            dst[c].fill(np.nan)

        # --- defrost: reverse cycle, heat taken from the water, coil warms to ~12 °C
        q_def = 0.45 * p.q_nom
        p_comp_d = 0.3 * p.q_nom
        for idx, cc in _blocks(defrost):
            pk = _Picker(idx, cc, D)
            since_c, dlen_c, t_out_c, wi = pk(since), pk(dlen_last), pk(t_out), pk(water_idle)
            phase = np.clip(since_c / np.maximum(dlen_c, 1), 0.0, 1.0)
            t_e_w = wi - 12.0
            coil = (t_out_c - 8.0) + (12.0 - (t_out_c - 8.0)) * phase
            t_c_d = np.maximum(coil + 6.0, t_e_w + 8.0)
            pd_hi, pd_lo = plant.psat(t_c_d, ref), plant.psat(t_e_w, ref)
            t_dis_d = (t_e_w + 5.0 + plant.K0) * (pd_hi / pd_lo) ** (0.16 / 1.16) - plant.K0 + 4.0
            vals = {
                "t_flow": wi - q_def[cc] / (WATER_KW_PER_LPM_K * pk(v)), "t_return": wi, "t_discharge": t_dis_d,
                "t_suction": t_e_w + 5.0, "t_evap": coil, "t_cond": t_e_w, "t_liquid": t_e_w + 2.0,
                "p_high": pd_hi, "p_low": pd_lo, "compressor_hz": (0.7 * p.f_max)[cc],
                "compressor_a": (p_comp_d * 1000.0 / (230.0 * p.pf))[cc], "power_w": ((p_comp_d + 0.075) * 1000.0)[cc],
                "fan_rpm": 0.0, "eev_pct": 60.0, "heat_kw": -q_def[cc], "q_evap_kw": 0.0,
            }
            for c, val in vals.items():
                dst[c].reshape(-1)[idx] = val

        # --- running: heating or hot water
        for idx, cc in _blocks(on):
            pk = _Picker(idx, cc, D)
            dhw_c, duty_c = pk(dhw), pk(duty)
            q_tgt = np.where(dhw_c, (DHW_HEAT_REL * p.q_nom)[cc], np.where(duty_c < 1.0, pk(q_min), pk(q_req)))
            q_tgt = np.maximum(q_tgt, 0.3)
            sp = np.where(dhw_c, np.minimum(pk(tank) + 5.0, 54.0), pk(t_fsp) + np.where(duty_c < 1.0, 1.5 * (1.0 - duty_c), 0.0))
            dt_design = q_tgt / (WATER_KW_PER_LPM_K * p.v_nom)[cc]
            sev_c = Severity(**{fld: pk(getattr(sev, fld)) for fld in _SEV_FIELDS})
            r = plant.running_cycle(_PickedParams(p, cc), ref, sev_c, pk(t_out), q_tgt, sp, dt_design, pk(v), pk(frost_phase))
            for c, d in dst.items():
                d.reshape(-1)[idx] = r[c]

        # first-order lag: pipes, sensor wells, pressure equalization
        alpha = self._buffer("alpha", (len(_LAGGED), n, D))  # per channel: the stopped or running weight
        np.take(_lag_alpha(dt), comp_on.view(np.uint8), axis=1, out=alpha)
        x = lag_u[:, 0].copy() if self.lag is None else self.lag
        tmp = np.empty_like(x)
        sub, mul, add = np.subtract, np.multiply, np.add
        for i in range(n):  # x += alpha * (u - x), the lagged value replacing the target in u
            ui = lag_u[:, i]
            sub(ui, x, tmp)
            mul(tmp, alpha[:, i], tmp)
            add(x, tmp, ui)
            x = ui
        x = x.copy()
        out.update(dst)
        flow_v = out["flow_lpm"] = np.zeros((n, D))
        np.copyto(flow_v, v, where=circulating | defrost)
        out["t_outdoor"], out["t_dhw"], out["t_indoor"] = t_out, tank, t_in
        out["defrost"] = defrost.astype(float)
        mode = out["mode"] = np.full((n, D), float(MODE_OFF))
        np.copyto(mode, MODE_HEATING, where=season)
        np.copyto(mode, MODE_DHW, where=dhw)
        out["frost_phase"] = frost_phase
        out["running"] = comp_on
        out["t_building"] = t_b
        out["comp_on"] = comp_on
        out["defrost_b"] = defrost
        out["blocked"] = blocked
        run_on = run_length(on, self.run_on)
        out["run_on"] = run_on
        # protection: low pressure held, liquid flooding back (discharge superheat), from the lagged values
        run = comp_on & ~blocked
        lp_run = run_length(run & ~defrost & (out["p_low"] < plant.LP_TRIP_BAR[ref]), self.lp_hold)
        warm = run_on * dt >= STARTUP_MASK_S
        out["warm"] = warm
        fb_cond = run & warm & ~defrost
        for idx, _ in _blocks(fb_cond):
            dsh = out["t_discharge"].reshape(-1)[idx] - plant.tsat(out["p_high"].reshape(-1)[idx], ref)
            fb_cond.reshape(-1)[idx] = dsh < plant.FLOODBACK_DSH_K
        fb_run = run_length(fb_cond, self.fb_hold)
        out["run"], out["lp_run"], out["fb_run"] = run, lp_run, fb_run
        # carry to the next chunk
        out["carry"] = (theta[-1] % 1.0, frost[-1], last[-1], dlen_last[-1], x, run_on[-1], lp_run[-1], fb_run[-1])
        return out

    def _buffer(self, name: str, shape: tuple[int, ...], dtype=float) -> np.ndarray:
        """A work array kept from chunk to chunk (fresh memory costs page faults)."""
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = self._buffers[name] = np.empty(shape, dtype)
        return buf
