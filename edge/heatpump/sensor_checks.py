"""Is a sensor broken? Stuck, noisy, jumping or dropping out.

A broken sensor is a cheap visit; a "leak" that is a broken sensor is a
wasted one. These checks look at one channel against its own history and
against a physically related channel, so they need no healthy model and work
from the first hour. Vectorized over channels: one reading costs a few dozen
numpy operations on a Pi.

- stuck:   the value has not changed for STUCK_SECONDS while a related
           channel (which must move when this one should) moved clearly
           (for the condenser-side thermistors: over steady running readings);
           an actuator's position at its end stop (a valve wide open, END_STOPS)
           is not stuck: a controller holding its limit is the process (a
           leak's own signature), not a broken sensor;
- noise:   roughness (the second difference, blind to ramps) averaged over
           half an hour is NOISE_RATIO x the channel's own normal roughness
           and above a floor no healthy sensor of its kind reaches: its own noise
           (poll-independent) plus the process's movement between two readings,
           which grows with the poll interval (PROCESS_SHARE_PER_S of the channel's
           JUMP per second: a discharge thermistor read every 3 minutes moves ~1 K
           between readings of a healthy, modulating compressor)
           (up to FLOOR_MAX_STEP), and the channel alone is that rough: its
           rise is more than NOISE_LOCAL x that of every channel physically coupled to
           it (NOISE_WITNESSES). A failing sensor or connector roughens its own
           channel; the process (compressor modulation, hot-water cycles, the
           defrosts of a cold climate, read at a 3-minute poll) roughens the coupled
           channels together: the discharge with the pressure and the current, the
           coil with the low pressure. On a held-out Oslo R290 fleet polled every
           3 minutes, 4 of 18 healthy pumps got a noise notice (t_discharge, p_high)
           when winter came after the day the baseline was learned. Roughness is
           read on steps between two steady readings only, so it holds at any poll:
           a step from a stopped or defrosting pump's reading is the transient (at
           a 5-minute poll a short-cycling pump's p_high swings 10 bar between a
           stopped and a running reading), which had kept this check off above a
           3-minute poll;
- jump:    several single-step jumps no sensor of a running pump makes,
           within half an hour (one jump may be a real event);
- dropout: more than DROPOUT_SHARE of the last DROPOUT_TAU's readings missing
           (never fewer than ~1/DROPOUT_MAX_WEIGHT readings: at a 3-minute poll half
           an hour is 10 readings, too few to tell a 20 % loss from bad luck), while
           most of the other channels of the same readings are there (a healthy
           sensor loses none; the line's losses take all channels). Every measured
           sensor the rules read is judged, also those with no stuck or noise check
           (DROPOUT_ONLY: a water flow meter losing a fifth of its readings went
           unnoticed on a held-out fleet);
           a coil thermistor gone below its range while the low pressure says
           the coil is that cold (an iced, starved evaporator) is not missing:
           the sensor reads right, the coil is beyond its scale (COLD_SIDE); nor
           is a reading run off the end of its scale (``beyond``: a drifted
           low-pressure transducer past 30 bar, a noisy current below 0 A): that is
           the drift or the noise seen on, not a lost reading.

A channel the pump does not report at all (its register map has no register
for it) is no sensor: ``present`` names the channels the source provides, and
the others are never checked, nor counted when judging whether "most channels
are gone at once".
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.channels import CHANNELS, INDEX
from heatwatch.edge.heatpump import batch_kernels
from heatwatch.edge.heatpump.batch_kernels import njit
from heatwatch.refrigerant import t_sat_scalar

# channel -> (a related channel that must move when this one should, how far it must move)
RELATED: dict[str, tuple[str, float]] = {
    "t_outdoor": ("t_evap", 4.0),
    "t_flow": ("t_return", 4.0),
    "t_return": ("t_flow", 4.0),
    "t_discharge": ("compressor_hz", 25.0),
    "t_suction": ("p_low", 1.5),
    "t_evap": ("p_low", 1.5),
    "t_cond": ("p_high", 3.0),
    "t_liquid": ("p_high", 3.0),
    "p_high": ("t_flow", 4.0),
    "p_low": ("t_outdoor", 4.0),
    "compressor_a": ("compressor_hz", 25.0),
    "power_w": ("compressor_hz", 25.0),
    "eev_pct": ("compressor_hz", 25.0),
}
# sensors judged for dropout only: the flow meter and the fan's tachometer hold one value
# for hours by design (a fixed-speed circulation pump, a fan at its step), and the
# frequency is the controller's own: no stuck or noise check fits them, but a reading
# lost is lost
DROPOUT_ONLY: tuple[str, ...] = ("flow_lpm", "fan_rpm", "compressor_hz")
CHECKED: tuple[str, ...] = tuple(RELATED) + DROPOUT_ONLY
# actuator positions the controller drives to a limit and holds there when it runs out of
# authority (a leaking pump's valve wide open): (closed, open) in the channel's unit
END_STOPS: dict[str, tuple[float, float]] = {"eev_pct": (0.0, 100.0)}
END_STOP_TOLERANCE = 0.5
# low-side thermistors: when one reads nothing (below its range) while T_sat(p_low) is within
# COLD_MARGIN_K of that range's low end, the coil is that cold: not a dropout
COLD_SIDE: tuple[str, ...] = ("t_evap", "t_suction")
COLD_MARGIN_K = 8.0
# relations that hold only while the compressor runs steadily: the condenser-side
# thermistors sit in the water-warmed plate exchanger, so when a cycling compressor
# stops, p_high falls by bars while they keep the water's temperature
RUNNING_ONLY = frozenset({"t_cond", "t_liquid"})
# a single-step change no sensor of a steadily running pump makes
JUMP = {"t_outdoor": 8.0, "t_flow": 15.0, "t_return": 15.0, "t_discharge": 30.0, "t_suction": 20.0,
        "t_evap": 20.0, "t_cond": 15.0, "t_liquid": 15.0, "p_high": 10.0, "p_low": 5.0,
        "compressor_a": 10.0, "power_w": 4000.0, "eev_pct": 60.0}
# roughness floor: mean |second difference| of white noise with a sigma no healthy
# sensor of that kind shows (0.5 K thermistor, 0.15 bar transducer, 0.3 A, 150 W, 3 %)
_SIGMA_FLOOR = {"p_high": 0.15, "p_low": 0.15, "compressor_a": 0.3, "power_w": 150.0, "eev_pct": 3.0}
NOISE_FLOOR = {c: 1.95 * _SIGMA_FLOOR.get(c, 0.5) if c in RELATED else math.inf for c in CHECKED}
STUCK_SECONDS = 2 * 3600.0
FAST_TAU = 30 * 60.0
SLOW_TAU = 3 * 86400.0
WARMUP_SECONDS = 86400.0
# healthy sensors at 10 s..3 min polling stay under ~3x their own normal roughness; a failing
# connector or sensor gives 10x and more
NOISE_RATIO = 6.0
JUMPS_FLAGGED = 3  # jumps within about FAST_TAU
MAX_GAP = 15 * 60.0
DROPOUT_SHARE = 0.08
DROPOUT_TAU = 3600.0
DROPOUT_MAX_WEIGHT = 1.0 / 30.0
FAST_MAX_WEIGHT = 0.05
# the process's share of the floor grows with the poll interval up to this step
FLOOR_MAX_STEP = 180.0
# channels the same process moves when it moves the key one (not the sensor's own wiring)
NOISE_WITNESSES: dict[str, tuple[str, ...]] = {
    "t_outdoor": ("t_evap", "t_suction"),
    "t_flow": ("t_return", "p_high", "t_cond"),
    "t_return": ("t_flow", "p_high"),
    "t_discharge": ("p_high", "compressor_a", "power_w"),
    "t_suction": ("p_low", "t_evap", "eev_pct"),
    "t_evap": ("p_low", "t_suction"),
    "t_cond": ("p_high", "t_flow"),
    "t_liquid": ("p_high", "t_cond"),
    "p_high": ("t_cond", "t_flow", "t_discharge"),
    "p_low": ("t_evap", "t_suction"),
    "compressor_a": ("power_w", "t_discharge"),
    "power_w": ("compressor_a", "t_discharge"),
    "eev_pct": ("t_suction", "compressor_a"),
}
# a sensor's own noise raises its roughness this many times more than its witnesses' rose
NOISE_LOCAL = 3.0
CHECK_NAMES = ("stuck", "noise", "jump", "dropout")

_IDX = np.array([INDEX[c] for c in CHECKED])
_REL_IDX = np.array([INDEX[RELATED[c][0] if c in RELATED else c] for c in CHECKED])
_REL_MOVE = np.array([RELATED[c][1] if c in RELATED else math.inf for c in CHECKED])  # inf: never stuck
_RUNNING_ONLY = np.array([c in RUNNING_ONLY for c in CHECKED])
_JUMP = np.array([JUMP.get(c, math.inf) for c in CHECKED])
_FLOOR = np.array([NOISE_FLOOR[c] for c in CHECKED])
# the process's own roughness per second of poll interval, in the channel's unit: a share of the
# step no running pump's channel makes at once (JUMP); 1/3600: a 3-minute poll allows 5 % of it
# (t_discharge 1.5 K, p_high 0.5 bar, p_low 0.25 bar), a 10-second poll 0.3 %
PROCESS_SHARE_PER_S = 1.0 / 3600.0
_PROC = np.array([JUMP[c] * PROCESS_SHARE_PER_S if c in JUMP else 0.0 for c in CHECKED])
_COLD = np.array([c in COLD_SIDE for c in CHECKED])
_WIT_N = max(len(w) for w in NOISE_WITNESSES.values())
# (channels, _WIT_N) positions in CHECKED of each channel's witnesses; -1: none
_WIT = np.array([[CHECKED.index(w) for w in NOISE_WITNESSES.get(c, ())] + [-1] * (_WIT_N - len(NOISE_WITNESSES.get(c, ())))
                 for c in CHECKED], dtype=np.int64)
_COLD_BELOW = {c.name: c.low for c in CHANNELS}
_COLD_LIMIT = np.array([_COLD_BELOW[c] + COLD_MARGIN_K if c in COLD_SIDE else -np.inf for c in CHECKED])
_I_PLOW = INDEX["p_low"]
_STOP_LO = np.array([END_STOPS.get(c, (-np.inf, np.inf))[0] for c in CHECKED]) + END_STOP_TOLERANCE
_STOP_HI = np.array([END_STOPS.get(c, (-np.inf, np.inf))[1] for c in CHECKED]) - END_STOP_TOLERANCE
_LO = np.array([_COLD_BELOW[c] for c in CHECKED])
_HI = np.array([{ch.name: ch.high for ch in CHANNELS}[c] for c in CHECKED])
# how far past an end of its scale a reading may lie and still be the sensor's own, run off the
# scale: less than half the scale's width from its end, or, once off it, from the last reading
# taken (a drifted low-pressure transducer read during a defrost or a compressor stop lies bars
# past the end and swings by bars there, as the process does); a sentinel lies farther (an open
# NTC's -200 degC is 150 K and more below its scale, 160 K below the discharge thermistor's, whose
# scale is 180 K wide) and a lost reading is NaN. Channels with no single-step limit
# (DROPOUT_ONLY) never run off their scale
_REACH = np.array([0.5 * (_HI[i] - _LO[i]) if c in JUMP else 0.0 for i, c in enumerate(CHECKED)])


# the tables above as lists, for the reading-by-reading update in plain floats
_K = len(CHECKED)
_IDX_L, _REL_IDX_L = _IDX.tolist(), _REL_IDX.tolist()
_REL_MOVE_L, _RUNNING_ONLY_L, _JUMP_L = _REL_MOVE.tolist(), _RUNNING_ONLY.tolist(), _JUMP.tolist()
_FLOOR_L, _PROC_L, _STOP_LO_L, _STOP_HI_L = _FLOOR.tolist(), _PROC.tolist(), _STOP_LO.tolist(), _STOP_HI.tolist()
_COLD_L = [k for k in range(_K) if _COLD[k]]
_COLD_LIMIT_L = _COLD_LIMIT.tolist()
_WIT_L = [[j for j in row if j >= 0] for row in _WIT.tolist()]
_STATE = ("value", "prev_step", "same_since", "rel_min", "rel_max", "rough_fast", "rough_slow", "rough_since",
          "missing", "jumps")


def _nan_max(a: float, b: float) -> float:
    """np.maximum's rule: NaN if either is NaN."""
    if a != a or b != b:
        return math.nan
    return a if a >= b else b


@njit(cache=True)
def any_off_scale(raw, idx, lo, hi, off_scale):
    """Does any checked value of rows ``raw`` lie off its scale (below lo or above hi; NaN does not),
    or has a run off the scale gone on from before (off_scale not NaN)?"""
    for c in range(len(idx)):
        if off_scale[c] == off_scale[c]:
            return True
    for i in range(raw.shape[0]):
        for c in range(len(idx)):
            v = raw[i, idx[c]]
            if v < lo[c] or v > hi[c]:
                return True
    return False


class SensorChecks:
    """Streaming sensor checks for the raw channels in CHECKED (those of them in ``present``)."""

    def __init__(self, present: "tuple[str, ...] | list[str] | None" = None, refrigerant: str = "R32") -> None:
        n = len(CHECKED)
        self.refrigerant = refrigerant
        self._present = np.array([present is None or c in present for c in CHECKED])
        self._here = [k for k in range(n) if self._present[k]]
        self.value = np.full(n, np.nan)
        self.prev_step = np.full(n, np.nan)  # last steady first difference
        self.same_since = np.full(n, np.nan)
        self.rel_min = np.full(n, np.inf)
        self.rel_max = np.full(n, -np.inf)
        self.rough_fast = np.full(n, np.nan)
        self.rough_slow = np.full(n, np.nan)
        self.rough_since = np.full(n, np.nan)
        self.missing = np.zeros(n)
        self.jumps = np.zeros(n)
        self.last_ts = math.nan
        self.last_steady = 0.0  # was the reading before steady? (1.0/0.0: a float, as the state is saved)
        self.off_scale = np.full(n, np.nan)  # the last raw value of a run off the scale; NaN: none

    def beyond(self, raw: np.ndarray) -> np.ndarray:
        """Which raw values (one reading, or rows of readings in time order) ran off the end of
        their channel's scale: (rows, len(CHECKED)) bool, the run's state kept for the next call.

        A drifting transducer crosses the end of its range and goes on: the reading past the end
        stays within _REACH of the end, or of the last reading taken past it (with no plausible
        reading between). That is the drift seen on, not a lost reading: a dropout is a gap or
        a value no drift reaches in one step (an open circuit's -200 degC). A noisy current
        reading a little below zero runs off its scale the same way.

        A chunk with no value off its scale and no run going on (nearly every chunk) is found so in
        one compiled pass (any_off_scale), with the answer the passes below give it: nothing."""
        if batch_kernels.AVAILABLE and isinstance(raw, np.ndarray) and raw.dtype == np.float64 and len(raw):
            # one reading (the agent's stream) as a row of the same compiled pass: its arrays and error
            # state cost more than the reading's checks (a tenth of a streamed reading's time)
            rows = raw if raw.ndim == 2 else raw.reshape(1, -1) if raw.ndim == 1 and raw.flags.c_contiguous else None
            if rows is not None and not any_off_scale(rows, _IDX, _LO, _HI, self.off_scale):
                return np.zeros((len(rows), len(CHECKED)), dtype=bool)
        V = np.atleast_2d(np.asarray(raw, dtype=float))[:, _IDX]
        with np.errstate(invalid="ignore"):
            out = (V < _LO) | (V > _HI)
            inside = (V >= _LO) & (V <= _HI)
        mask = np.zeros(V.shape, dtype=bool)
        for c in np.flatnonzero(out.any(axis=0) | ~np.isnan(self.off_scale)):
            seen = np.cumsum(inside[:, c])  # plausible readings up to each row
            last, last_seen = self.off_scale[c], 0
            for i in np.flatnonzero(out[:, c]).tolist():
                r = V[i, c]
                if seen[i] > last_seen:  # a plausible reading came between: the run ended
                    last = math.nan
                edge = _HI[c] if r > _HI[c] else _LO[c]
                if math.isfinite(r) and (abs(r - edge) <= _REACH[c] or abs(r - last) <= _REACH[c]):
                    mask[i, c] = True
                    last = r
                # a value not taken (a sentinel, a jump) leaves the run where it was
                last_seen = int(seen[i])
            self.off_scale[c] = math.nan if seen[-1] > last_seen else last
        return mask

    def update(self, ts: float, x: np.ndarray, steady: bool, beyond: "np.ndarray | None" = None
               ) -> dict[str, list[str]]:
        """One reading (canonical vector, implausible values NaN) -> {channel: [failed checks]}.

        ``beyond``: per channel of CHECKED, the raw value ran off the end of its scale
        (beyond_scale): not a lost reading.

        Channel by channel in plain floats (the state kept as lists while streaming): the same IEEE
        operations in the same order as batch_kernels.sensor_checks, whose results it must equal to
        the last bit (tests/edge/heatpump/test_batch_kernels.py); a few dozen small numpy calls per
        reading cost the agent twice as much."""
        xs = x.tolist() if isinstance(x, np.ndarray) else [float(c) for c in x]
        value, prev_step, same_since, rel_min, rel_max, rough_fast, rough_slow, rough_since, missing, jumps = \
            self._lists()
        dt = math.inf if math.isnan(self.last_ts) else ts - self.last_ts
        self.last_ts = ts
        a_fast = 1.0 if dt == math.inf else 1.0 - math.exp(-min(dt, MAX_GAP) / FAST_TAU)
        # the first reading weighs like any other: one reading is no share
        a_drop = min(1.0 - math.exp(-min(dt, MAX_GAP) / DROPOUT_TAU), DROPOUT_MAX_WEIGHT)
        v = [xs[i] for i in _IDX_L]
        valid = [c == c for c in v]
        here = self._here
        # most channels gone at once is the line or the pump, not a sensor
        if here and sum(valid[k] for k in here) / len(here) >= 0.5:
            cold: tuple[int, ...] | list[int] = ()
            p_low = xs[_I_PLOW]
            if not all(valid[k] for k in _COLD_L) and p_low > 0:  # a coil colder than its thermistor's scale?
                tsat = t_sat_scalar(p_low, self.refrigerant)
                cold = [k for k in _COLD_L if not valid[k] and tsat <= _COLD_LIMIT_L[k]]
            off = beyond.tolist() if beyond is not None else None
            for k in here:
                if k not in cold and not (off is not None and off[k]):
                    m = missing[k]
                    missing[k] = m + a_drop * ((0.0 if valid[k] else 1.0) - m)
        decay = 1.0 - a_fast
        use_steps = steady and dt <= MAX_GAP
        # the process's step between two steady readings: from a stopped or defrosting pump's
        # reading it is the transient (at a 5-minute poll, a short-cycling compressor's)
        after_steady = self.last_steady > 0.5
        self.last_steady = 1.0 if steady else 0.0
        dtc = min(dt, FLOOR_MAX_STEP)
        a_rough = a_slow = 0.0
        if use_steps:
            a_rough = min(1.0 - math.exp(-dt / FAST_TAU), FAST_MAX_WEIGHT)
            a_slow = 1.0 - math.exp(-dt / SLOW_TAU)
        stuck = [False] * _K
        floor = [0.0] * _K
        for k in range(_K):
            jumps[k] *= decay
            vk, ok = v[k], valid[k]
            floor[k] = fk = _FLOOR_L[k] + _PROC_L[k] * dtc  # this poll's floor
            # stuck: unchanged value while the related channel moved
            if ok and (vk != value[k] or same_since[k] != same_since[k]):
                same_since[k] = ts
                rel_min[k] = math.inf
                rel_max[k] = -math.inf
            r = xs[_REL_IDX_L[k]]
            if ok and r == r and (steady or not _RUNNING_ONLY_L[k]):
                if r < rel_min[k]:
                    rel_min[k] = r
                if r > rel_max[k]:
                    rel_max[k] = r
            stuck[k] = ok and ts - same_since[k] >= STUCK_SECONDS and rel_max[k] - rel_min[k] >= _REL_MOVE_L[k] \
                and _STOP_LO_L[k] < vk < _STOP_HI_L[k]
            # roughness and jumps, on consecutive steady readings only
            step = vk - value[k]
            usable = use_steps and ok and value[k] == value[k]
            jump = usable and abs(step) >= _JUMP_L[k]
            if jump:
                jumps[k] += 1.0
            smooth = usable and not jump and after_steady
            d2 = abs(step - prev_step[k])
            if smooth and d2 == d2:
                self._roughness(k, ts, d2, dt, fk, a_rough, a_slow)
            prev_step[k] = step if smooth else math.nan
            if ok:
                value[k] = vk
        noisy: list[int] = []
        ratio = [math.nan] * _K
        for k in range(_K):
            rs = rough_slow[k]
            if rs == rs and ts - rough_since[k] >= WARMUP_SECONDS:  # formed
                if rough_fast[k] > _nan_max(NOISE_RATIO * rs, floor[k]):
                    noisy.append(k)
                ratio[k] = rough_fast[k] / _nan_max(rs, floor[k] / NOISE_RATIO)
        noise = [False] * _K
        for k in noisy:
            # how much rougher than its own normal each channel is; the most its witnesses rose
            # (NaN-ignoring, as np.fmax); no witness formed: judged alone
            wm = math.nan
            for j in _WIT_L[k]:
                rj = ratio[j]
                if rj == rj and (wm != wm or rj > wm):
                    wm = rj
            noise[k] = not ratio[k] <= NOISE_LOCAL * wm
        out: dict[str, list[str]] = {}
        for k in here:
            if stuck[k] or noise[k] or jumps[k] >= JUMPS_FLAGGED or missing[k] > DROPOUT_SHARE:
                out[CHECKED[k]] = [name for name, f in zip(CHECK_NAMES, (stuck[k], noise[k], jumps[k] >= JUMPS_FLAGGED,
                                                                         missing[k] > DROPOUT_SHARE)) if f]
        return out

    def _roughness(self, k: int, ts: float, d2: float, dt: float, floor: float, a: float, a_slow: float) -> None:
        rough_fast, rough_slow = self.rough_fast, self.rough_slow
        if rough_fast[k] != rough_fast[k]:  # new: the averages start here
            rough_fast[k] = rough_slow[k] = d2
            self.rough_since[k] = ts
            return
        # the fast average spans half an hour but never fewer than ~40 readings (a = FAST_MAX_WEIGHT at
        # most): at a slow poll, half an hour of heavy-tailed |second differences| is too few to judge by
        rough_fast[k] += a * (d2 - rough_fast[k])
        elapsed = ts - self.rough_since[k]
        if elapsed < WARMUP_SECONDS:
            # a running mean while the baseline forms; then it learns only from ordinary roughness
            rough_slow[k] += (dt / (elapsed + dt)) * (d2 - rough_slow[k])
        elif rough_fast[k] <= NOISE_RATIO * _nan_max(rough_slow[k], floor / NOISE_RATIO):
            rough_slow[k] += a_slow * (d2 - rough_slow[k])

    def _lists(self) -> tuple[list[float], ...]:
        """The state as lists of floats (batch_kernels.run_sensor_checks makes them arrays again)."""
        out = []
        for name in _STATE:
            a = getattr(self, name)
            if type(a) is not list:
                a = np.asarray(a, dtype=float).tolist()
                setattr(self, name, a)
            out.append(a)
        return tuple(out)

    def state(self) -> dict:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else list(v) if isinstance(v, list) else v)
                for k, v in vars(self).items()
                if k not in ("_present", "_here", "refrigerant")}  # configuration, not state

    def load_state(self, d: dict) -> None:
        """A state saved before DROPOUT_ONLY's sensors were checked holds fewer channels: they
        come after the others and start fresh."""
        for k, v in d.items():
            if hasattr(self, k):
                if isinstance(v, list):
                    fresh = getattr(self, k)
                    fresh = np.asarray(fresh, dtype=float) if isinstance(fresh, list) else fresh
                    a = np.asarray(v, dtype=float)
                    if isinstance(fresh, np.ndarray) and len(a) < len(fresh):
                        a = np.concatenate([a, fresh[len(a):]])
                    setattr(self, k, a)
                else:
                    setattr(self, k, float(v))
