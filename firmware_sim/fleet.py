"""A fleet of simulated heat pumps, produced chunk by chunk.

    fleet = Fleet(load_scenario("healthy_fleet"))
    for chunk in fleet.chunks(steps=1440):
        chunk.values   # (n, n_devices, n_channels) as the sensors report them

This module steps the fleet through time; the physics is in one module per
step, each array algebra over (time steps × pumps):

    climate            the outdoor air: temperature and humidity per site
    pump_faults        how each pump fault's severity grows from its onset
    demand             the house: building and indoor temperature, hot water tank,
                       heating load, heating curve, setbacks, on/off cycling
    defrost            frost growth on the outdoor coil, defrost starts and lengths,
                       the reverse cycle
    refrigerant_cycle  compressor, pressures, superheat and subcooling, EEV, fan,
                       power and current of a running pump; a stopped one
    thermal_lag        the inertia of pipes and sensor wells
    protection         trips at the refrigerant's limits, restart delay, lockout
    sensors            what the controller reports: noise, resolution, sensor faults
    plant              the parameters of each pump and its house

Per chunk: weather for all pumps at all times; the house, whose temperatures
are the only states that need a loop over time; cycling, defrost and hold
timers with cumulative sums; the refrigerant cycle; the lag; protection trips
found on the result. A trip changes the rest of the chunk for that pump (it
stops, restarts after a delay, locks out after repeated trips), so the chunk is
recomputed for the pumps with new trips (pumps do not interact) from the same
random draws until no new trip appears. Random numbers come from separate
streams per purpose, so values do not depend on the chunk size.

Speed (``bench/sim_speed.py``): the costly formulas (refrigerant cycle, defrost
cycle, frost growth) are evaluated only at the (step, pump) positions that use
them (:mod:`sparse`); large work arrays are kept from chunk to chunk; the truth
is kept per channel and the sensor model works on blocks of time steps. Each
value is computed by the same operations in the same order as on whole arrays,
so the output is bit for bit the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from heatwatch.channels import CHANNEL_NAMES, INDEX, MODE_DHW, MODE_HEATING, MODE_OFF
from heatwatch.faults import SENSOR_FAULTS
from heatwatch.trips import TripLimits, trip_limits

from heatwatch.sim import defrost, demand, plant, protection, refrigerant_cycle, thermal_lag
from heatwatch.sim.climate import Weather
from heatwatch.sim.pump_faults import FAULT_FIELD, MODE_FIELDS, Severity, mode_rate_share, severity
from heatwatch.sim.scenario import Scenario
from heatwatch.sim.sensors import SensorModel

# besides the channels, the truth of a chunk holds these
TRUTH_EXTRAS = ("heat_kw", "q_evap_kw", "cop", "superheat", "subcooling", "frost_phase", "running", "t_building")


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
    def __new__(cls, scenario: Scenario):
        if scenario.sites and cls is Fleet:  # sites in several climates: one fleet per site, side by side
            return SitesFleet(scenario)
        return super().__new__(cls)

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.devices: list[str] = scenario.device_ids
        self.step_seconds = float(scenario.step_s)
        self.start_ts = float(scenario.start_ts)
        self.n_steps = scenario.n_steps
        self.refrigerant = scenario.refrigerant
        self.limits = trip_limits(scenario.refrigerant)
        D = len(self.devices)
        specs = [scenario.devices.get(d) for d in self.devices]
        param_rng = np.random.default_rng(np.random.SeedSequence([scenario.seed, 1]))
        self.params = plant.make_params(
            D, param_rng, scenario.weather_climate, scenario.refrigerant,
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
                    for fld in (FAULT_FIELD[fs.type], *MODE_FIELDS.get((fs.type, fs.mode), ())):
                        onset, rate = self.pump_faults.setdefault(fld, (np.full(D, np.inf), np.zeros(D)))
                        onset[d], rate[d] = fs.onset_s, fs.rate * mode_rate_share(fs.type, fs.mode, fld, scenario.refrigerant)
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


@dataclass
class _PumpState:
    """What each pump carries from one chunk into the next, (D,) arrays."""

    house: demand.House  # the house's temperatures and the hot water mode
    cycle_phase: np.ndarray  # the on/off cycle's phase (0..1)
    defrost: defrost.DefrostState  # frost on the coil, the last defrost
    lag: np.ndarray | None  # (thermal_lag.LAGGED, D) lagged values; None before the first chunk
    holds: protection.HoldState  # run lengths of the held trip conditions

    def columns(self, cols: np.ndarray) -> _PumpState:
        return _PumpState(self.house.columns(cols), self.cycle_phase[cols], self.defrost.columns(cols),
                          None if self.lag is None else self.lag[:, cols], self.holds.columns(cols))

    def put(self, cols: np.ndarray, part: _PumpState) -> None:
        self.house.put(cols, part.house)
        self.cycle_phase[cols] = part.cycle_phase
        self.defrost.put(cols, part.defrost)
        self.lag[:, cols] = part.lag
        self.holds.put(cols, part.holds)


@dataclass
class _Conditions:
    """What happens to the pumps over a chunk whatever they do: weather, household, faults."""

    steps: np.ndarray  # (n,) absolute step numbers
    dt: float  # seconds per step
    t_out: np.ndarray  # (n, D) outdoor temperature, °C
    rh: np.ndarray  # (n, D) relative humidity, %
    night: np.ndarray  # (n, 1) bool: night setback
    t_set: np.ndarray  # (n, D) indoor set point, setback included
    draws: np.ndarray  # (n, D) kelvin hot water draws take from the tank
    dhw_rate: np.ndarray  # (D,) kelvin per step the pump adds to the tank
    sev: Severity  # pump fault severities

    def columns(self, cols: np.ndarray) -> _Conditions:
        return _Conditions(self.steps, self.dt, self.t_out[:, cols], self.rh[:, cols], self.night,
                           self.t_set[:, cols], self.draws[:, cols], self.dhw_rate[cols],
                           self.sev.map(lambda v: v[:, cols] if np.ndim(v) else v))


@dataclass
class _Result:
    """The pumps over a chunk: (n, D) arrays, and their state at its end."""

    arrays: dict[str, np.ndarray]  # every channel but t_outdoor and error_code, and the truth extras
    defrosting: np.ndarray  # bool
    holds: protection.Holds
    end: _PumpState

    def put(self, cols: np.ndarray, part: _Result) -> None:
        """Take the pumps ``cols`` from ``part`` (computed for those pumps only)."""
        for k, v in part.arrays.items():
            self.arrays[k][:, cols] = v
        self.defrosting[:, cols] = part.defrosting
        for name in ("running", "run_on", "low_pressure", "flood_back", "dhw"):
            getattr(self.holds, name)[:, cols] = getattr(part.holds, name)
        self.end.put(cols, part.end)


def _simulate(p: plant.PumpParams, limits: TripLimits, start: _PumpState, cond: _Conditions, blocked: np.ndarray,
              buffers: dict[str, np.ndarray]) -> _Result:
    """The pumps over a chunk, from their state ``start``; ``blocked``: where a trip holds the compressor off.

    Every formula works per pump (per column), so a run over some of the pumps gives the
    values a run over the whole fleet gives. ``buffers``: work arrays kept between chunks.
    """
    ref = limits.refrigerant
    n, D = cond.t_out.shape
    dt = cond.dt
    # demand: the house, its load, and the controller's plan (mode, on/off cycling)
    house, house_end = demand.house_over_chunk(p, start.house, cond.steps, dt, cond.t_out, cond.t_set, cond.draws,
                                               cond.dhw_rate, blocked)
    plan = demand.plan(p, ref, house, cond.t_out, cond.t_set, cond.night, start.cycle_phase, dt, blocked)
    # defrost: frost grows while running, a defrost starts at each whole interval's worth
    frost = defrost.frost_growth(p, plan, cond.t_out, cond.rh, cond.sev, dt, start.defrost.frost)
    defrosts = defrost.schedule(frost, start.defrost, cond.steps, cond.t_out, cond.sev.evap, dt, blocked)
    running = plan.call | defrosts.active  # the compressor runs: heating, hot water or defrost
    on = running & ~defrosts.active  # ... heating or hot water
    circulating = plan.season | house.dhw

    # the refrigerant cycle's steady states: stopped everywhere, then defrosting and running where they apply
    lagged = np.empty((len(thermal_lag.LAGGED), n, D))  # steady states of the lagged channels, then lagged
    ch = dict(zip(thermal_lag.LAGGED, lagged))
    for c in refrigerant_cycle.CYCLE_OUTPUTS:
        ch[c] = np.empty((n, D))
    v_water = plant.water_flow(p, cond.sev)
    water_idle = plant.idle_water_temperature(p, circulating, blocked, plan.t_flow_set, house.t_indoor, plan.q_req,
                                              plan.q_min)
    refrigerant_cycle.standstill(ch, ref, cond.t_out, water_idle, circulating)
    defrost.reverse_cycle(ch, defrosts, p, ref, cond.t_out, water_idle, v_water)
    q_dhw = demand.DHW_HEAT_REL * p.q_nom
    refrigerant_cycle.running(ch, on, p, ref, cond.sev, cond.t_out, v_water, defrosts.phase,
                              lambda at, cols: plan.heat_target(at, q_dhw[cols]))
    # pipes, sensor wells, pressure equalization
    lag_end = thermal_lag.lag(lagged, running, start.lag, dt, _buffer(buffers, "alpha", lagged.shape))

    flow = np.zeros((n, D))
    np.copyto(flow, v_water, where=circulating | defrosts.active)
    mode = np.full((n, D), float(MODE_OFF))
    np.copyto(mode, MODE_HEATING, where=plan.season)
    np.copyto(mode, MODE_DHW, where=house.dhw)
    arrays = dict(ch, flow_lpm=flow, t_dhw=house.t_tank, t_indoor=house.t_indoor, defrost=defrosts.active.astype(float),
                  mode=mode, frost_phase=defrosts.phase, running=running, t_building=house.t_building)
    # protection: how long the held trip conditions have lasted, on the lagged values
    holds = protection.holds(limits, start.holds, on, running, defrosts.active, blocked, ch, dt, house.dhw)
    end = _PumpState(house_end, plan.phase_end, defrosts.end, lag_end, holds.end())
    return _Result(arrays, defrosts.active, holds, end)


def _buffer(buffers: dict[str, np.ndarray], name: str, shape: tuple[int, ...], dtype=float) -> np.ndarray:
    """A work array kept from chunk to chunk (fresh memory costs page faults)."""
    buf = buffers.get(name)
    if buf is None or buf.shape != shape or buf.dtype != dtype:
        buf = buffers[name] = np.empty(shape, dtype)
    return buf


class _Run:
    """The evolving state of one pass through a scenario."""

    def __init__(self, fleet: Fleet):
        self.f = fleet
        sc = fleet.scenario
        D = len(fleet.devices)
        streams = np.random.SeedSequence([sc.seed, 2]).spawn(4)
        season_shift = 0.0 if sc.season_ts is None else sc.season_ts - sc.start_ts
        self.weather = Weather(sc.weather_climate, D, np.random.default_rng(streams[0]), fleet.start_ts, season_shift)
        self.rng_dhw = np.random.default_rng(streams[1])
        self.sensors = SensorModel(fleet, np.random.default_rng(streams[2]))
        p = fleet.params
        init = np.random.default_rng(streams[3])
        tank = init.uniform(p.dhw_start, p.dhw_target)
        phase = init.random(D)
        frost = init.random(D) * 0.5
        self.state = _PumpState(
            house=demand.House(None, p.t_set.copy(), tank, np.zeros(D, bool)),  # t_building: the first outdoor reading
            cycle_phase=phase,
            defrost=defrost.DefrostState(frost, np.full(D, -10**9), np.ones(D, dtype=np.int64)),
            lag=None,
            holds=protection.HoldState.zeros(D),
        )
        self.trips = protection.TripState(D, fleet.step_seconds)
        self.first_trip = np.full(D, -1, dtype=np.int64)
        self._buffers: dict[str, np.ndarray] = {}

    def advance(self, i0: int, n: int) -> Chunk:
        f, p, D = self.f, self.f.params, len(self.f.devices)
        dt = f.step_seconds
        steps = i0 + np.arange(n)
        ts = f.start_ts + steps * dt
        t_out, rh = self.weather.sample(ts)
        if self.state.house.t_building is None:
            self.state.house.t_building = t_out[0].copy()
        local_h = demand.local_hour(ts, self.weather.preset.utc_offset_h)
        night = demand.night(local_h)
        draws = demand.hot_water_draws(p, local_h, dt, self.rng_dhw)
        el = steps * dt  # seconds since start
        sev = severity(el, f.pump_faults, f.refrigerant)
        fault_active = el[:, None] >= f.fault_onset_s[None, :]
        cond = _Conditions(steps, dt, t_out, rh, night, demand.indoor_set_point(p, night), draws,
                           demand.dhw_heating_rate(p, dt), sev)

        new_trips: list[protection.Trip] = []
        cols: np.ndarray | None = None  # the pumps to compute: all, then only those a new trip changes
        for _ in range(200):
            blocked, code = self.trips.blocked(steps, new_trips)
            if cols is None:
                res = _simulate(p, f.limits, self.state, cond, blocked, self._buffers)
            else:  # pumps do not interact: the others' values stand
                res.put(cols, _simulate(p.columns(cols), f.limits, self.state.columns(cols), cond.columns(cols),
                                        blocked[:, cols], {}))
            trips = protection.find_trips(f.limits, p, res.arrays, res.holds, res.defrosting, steps, dt, new_trips)
            if not trips:
                break
            new_trips.extend(trips)
            cols = np.array(sorted({d for d, _, _ in trips}))
        self._record(new_trips)
        self.state = res.end

        out = res.arrays
        out["t_outdoor"] = t_out
        err = out["error_code"] = np.zeros((n, D))
        np.copyto(err, code, where=blocked)
        first = np.where(self.first_trip >= 0, self.first_trip, 1 << 62)
        tripped = (self.first_trip[None, :] >= 0) & (steps[:, None] >= first[None, :])
        truth = {c: out[c] for c in CHANNEL_NAMES}  # each a contiguous (n, D) array
        values = self.sensors.report(steps, ts, list(truth.values()))
        for k in TRUTH_EXTRAS:
            truth[k] = out[k]
        sv = np.zeros((n, D))
        for fld in f.pump_faults:
            sv = sv + getattr(sev, fld)
        truth["severity"] = sv
        return Chunk(ts=ts, values=values, fault=list(f.fault_names), fault_active=fault_active, tripped=tripped,
                     truth=truth)

    def _record(self, new_trips: list[protection.Trip]) -> None:
        """Take the chunk's trips into the protection state, the trip log and the ground truth."""
        f = self.f
        for d, s, kind, lock in self.trips.record(new_trips):
            ts = f.start_ts + s * f.step_seconds
            f.trips.append(TripEvent(f.devices[d], ts, kind, lockout=lock))
            if self.first_trip[d] < 0:
                self.first_trip[d] = s
                t = f._truth_by_dev.get(d)
                if t is not None and t.trip_ts is None:
                    t.trip_ts, t.trip_kind = ts, kind


class SitesFleet:
    """A fleet whose pumps stand at sites in several climates (the scenario's ``sites``): each
    site is simulated as a fleet of its own (its weather, its refrigerant), and the chunks are
    put side by side in device order. ``Fleet(scenario)`` makes one when the scenario has sites."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.parts = [Fleet(s) for s in scenario.site_scenarios()]
        self.devices = [d for f in self.parts for d in f.devices]
        self.step_seconds = float(scenario.step_s)
        self.start_ts = float(scenario.start_ts)
        self.n_steps = scenario.n_steps
        self.refrigerant = scenario.refrigerant  # the default; each site's in parts[k].refrigerant
        self.fault_names = [n for f in self.parts for n in f.fault_names]
        self.truth = [t for f in self.parts for t in f.truth]
        self.trips: list[TripEvent] = []

    def chunks(self, steps: int = 1440):
        for chunks in zip(*(f.chunks(steps) for f in self.parts)):
            self.trips = sorted((t for f in self.parts for t in f.trips), key=lambda t: (t.ts, t.device))
            first = chunks[0]
            yield Chunk(ts=first.ts, values=np.concatenate([c.values for c in chunks], axis=1),
                        fault=[n for c in chunks for n in c.fault],
                        fault_active=np.concatenate([c.fault_active for c in chunks], axis=1),
                        tripped=np.concatenate([c.tripped for c in chunks], axis=1),
                        truth={k: np.concatenate([c.truth[k] for c in chunks], axis=1) for k in first.truth})

    def iso(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, timezone.utc).isoformat().replace("+00:00", "Z")
