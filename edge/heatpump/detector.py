"""HeatPumpDetector: from raw readings to evidence the diagnosis rules read.

reading -> plausible values -> derived channels -> steady-state gate -> sensor checks
        -> (commissioning) collect one steady row a minute, then fit the healthy model
        -> (monitoring) residual vs healthy model -> persistent shift -> level in alarm units

Two entry points, one algorithm: ``update(ts, x)`` per reading on the device,
``score(ts, X)`` over an array for replay and benchmarks. ``score`` vectorizes
what has no memory (derivation, features, predictions) and runs the stateful
parts through the same code as ``update``; a test proves them equal.

Values outside a channel's plausibility limits (an open NTC reads -200 degC)
become gaps here, counted per channel in ``plausibility.counters``: the one
place they are judged, whether the readings come from the agent's sources, a
replay or a benchmark. Each result carries the cleaned reading and its derived
channels, so nothing downstream (the agent's telemetry) derives them again.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from heatwatch.edge.heatpump import batch_kernels, columns_kernel, healthy_model, judge_kernel
from heatwatch.edge.heatpump.envelope import BlockBounds, GrowingEnvelope
from heatwatch.edge.heatpump.fleet_prior import FleetJudge, growth_through
from heatwatch.fleet_prior import FleetPrior
from heatwatch.edge.heatpump.healthy_model import MIN_SHIFT, TARGET_NAMES, HealthyModel
from heatwatch.edge.heatpump.operating_point import FEATURE_NAMES, SteadyStateGate, features, features_row
from heatwatch.edge.heatpump.own_start import start_prior, window_growth
from heatwatch.edge.heatpump.held_window import HeldWindow
from heatwatch.edge.heatpump import window_state
from heatwatch.edge.heatpump.condenser_design import NAME as CEILING_NAME, CondenserCeiling
from heatwatch.edge.heatpump import flow_meter
from heatwatch.edge.heatpump.design import PumpDesign
from heatwatch.edge.heatpump.prior import PriorBands
from heatwatch.edge.heatpump.persistent_shift import PersistentShift, calibrate_alarm
from heatwatch.edge.heatpump.sensor_checks import SensorChecks
from heatwatch.edge.heatpump.standstill import StandstillWitness
from heatwatch.edge.heatpump.sensor_offset import SensorOffset, best_offsets, present_signatures, signatures_rows, stacked
from heatwatch.edge.reading import PlausibilityFilter
from heatwatch.channels import CHANNEL_NAMES, DERIVED_NAMES, INDEX
from heatwatch.derived import derive_matrix, derive_row
from heatwatch.rules.engine import ChannelShift, Evidence

# the detector's own state format (inside the pipeline's state file; a version 1 state file is this alone)
STATE_VERSION = 1
RIDGE = 1e-2  # healthy_model.fit's
_DERIVED_INDEX = {n: i for i, n in enumerate(DERIVED_NAMES)}
WINDOW_MINUTES_NUMPY = True  # False: each steady row's minute as int(t // 60) in Python (the reference; tests)


def _minutes(t: np.ndarray) -> np.ndarray:
    """int(t // 60) of each time (its minute of pump time) as int64: numpy's floor division of floats is
    Python's, so the same minutes, without a Python pass over a chunk's steady rows."""
    if WINDOW_MINUTES_NUMPY:
        return np.floor_divide(t, 60.0).astype(np.int64)
    return np.array([int(v // 60) for v in t.tolist()], dtype=np.int64)


COMPUTE_OFFSET = object()  # evidence(offset=...): none given, compute it
_TARGET_SOURCES = [("raw", INDEX[n]) if n in INDEX else ("derived", _DERIVED_INDEX[n]) for n in TARGET_NAMES]
# the same as (target columns, their raw channel) and (target columns, their derived channel)
_RAW_T = np.array([k for k, (kind, _) in enumerate(_TARGET_SOURCES) if kind == "raw"])
_RAW_I = np.array([i for kind, i in _TARGET_SOURCES if kind == "raw"])
_DER_T = np.array([k for k, (kind, _) in enumerate(_TARGET_SOURCES) if kind == "derived"])
_DER_I = np.array([i for kind, i in _TARGET_SOURCES if kind == "derived"])
_TARGET_MAPS = (_RAW_T, _RAW_I, _DER_T, _DER_I)
_I_APPROACH = TARGET_NAMES.index("cond_approach")
_I_FLOW = TARGET_NAMES.index("flow_lpm")


@dataclass
class HeatPumpDetectorConfig:
    commissioning_seconds: float = 7 * 86400.0  # learn this long before judging
    min_training_rows: int = 1500  # steady rows needed, at most one per minute (extends commissioning)
    max_training_rows: int = 30000  # fit anyway once this many are collected
    shift_tau_seconds: float = 6 * 3600.0
    alarm_k: float = 5.0
    refrigerant: str = "R32"
    # the raw channels the pump reports (its register map's); None = all. A channel it does
    # not report is not a sensor that dropped out (see sensor_checks, heatpump/coverage.py)
    channels: tuple[str, ...] | None = None
    # the compressor's rated current (A), the site's ([device] rated_current_a): the prognosis's
    # over-current limit; None = learned from the pump's healthy model (prognosis.py)
    rated_current_a: float | None = None
    # what the installer and the manufacturer know of this pump (superheat setpoint, design flow,
    # the compressor's floor): the prior judges its first days against it (design.py, prior.py)
    design: PumpDesign = field(default_factory=PumpDesign)


@dataclass
class HeatPumpResult:
    ts: float
    steady: bool
    ready: bool
    score: float  # max |level| over targets; 0 before commissioning ends
    sensor_findings: dict[str, list[str]]  # channel -> failed sensor checks
    targets: np.ndarray  # this reading's monitored channels (TARGET_NAMES order)
    values: np.ndarray  # the reading, implausible values made NaN (CHANNEL_NAMES order)
    derived: np.ndarray  # its derived channels (DERIVED_NAMES order)
    # snapshots as of this reading, so that evidence() for a result of a batch sees that
    # moment and not the end of the batch
    residual: np.ndarray | None = None  # persistent shift per target
    observed: np.ndarray | None = None  # averaged observed targets (the prior's, before the model)
    steady_x: np.ndarray | None = None  # the last steady reading judged (sensor-offset operating point)
    # the alarm level per target this reading's shift is judged against: the calibrated one widened
    # by the prediction's own uncertainty beyond the commissioning (envelope.py); None = ``alarm``
    scale: np.ndarray | None = None


class BatchResults(Sequence):
    """What ``score()`` returns: a sequence of HeatPumpResult kept as arrays (one row per reading),
    made into a HeatPumpResult only when one is read. A replay of a season makes millions of
    readings; most are never looked at one by one."""

    def __init__(self, ts, steady, ready, score, flags, X, D, Y, R, O, sx_idx, sx_carry, S=None) -> None:
        self.ts, self.steady, self.ready, self.score = ts, steady, ready, score
        self.S = S  # (n, n_targets) the alarm level each row is judged against (None: no row ready)
        self.flags = flags  # (n, len(CHECKED)) sensor-check bits (batch_kernels), or None: see _findings
        self.X, self.D, self.Y = X, D, Y  # readings (cleaned), derived channels, targets
        self.R, self.O = R, O  # persistent shift (rows not ready: NaN) and averaged observed targets, per row
        self.sx_idx, self.sx_carry = sx_idx, sx_carry  # steady_x: row index, or sx_carry where -1
        self._findings: list[dict[str, list[str]]] | None = None
        self._any_flags: np.ndarray | None = None  # per row: did any check fail (flags.any(axis=1)), once

    @classmethod
    def from_results(cls, results: list[HeatPumpResult], X, D, Y) -> "BatchResults":
        n, n_t = len(results), Y.shape[1] if Y.ndim == 2 else len(TARGET_NAMES)
        R = np.full((n, n_t), np.nan)
        O = np.full((n, n_t), np.nan)
        S = np.full((n, n_t), np.nan)
        sx = np.full(n, -2, dtype=np.int64)
        for i, r in enumerate(results):
            if r.residual is not None:
                R[i] = r.residual
            if r.observed is not None:
                O[i] = r.observed
            if r.scale is not None:
                S[i] = r.scale
        out = cls(np.array([r.ts for r in results], dtype=float), np.array([r.steady for r in results], dtype=bool),
                  np.array([r.ready for r in results], dtype=bool), np.array([r.score for r in results], dtype=float),
                  None, X, D, Y, R, O, sx, None, S)
        out._findings = [r.sensor_findings for r in results]
        out._steady_x = [r.steady_x for r in results]
        out._results = results
        return out

    def __len__(self) -> int:
        return len(self.ts)

    def findings(self, i: int) -> dict[str, list[str]]:
        if self._findings is not None:
            return self._findings[i]
        if not self.any_findings()[i]:  # the common row (asked per judged rule row): one look-up, not a reduction
            return {}
        return batch_kernels.findings_of(self.flags[i])

    def any_findings(self) -> np.ndarray:
        """Per row: did any sensor check fail?"""
        if self._findings is not None:
            return np.array([bool(f) for f in self._findings], dtype=bool)
        if self._any_flags is None:
            self._any_flags = self.flags.any(axis=1)
        return self._any_flags

    def scale(self, i: int) -> np.ndarray | None:
        """The levels row i was judged against (``self[i].scale``), without making the result."""
        if hasattr(self, "_results"):
            return self._results[i].scale
        return self.S[i] if self.ready[i] and self.S is not None else None

    def steady_x(self, i: int) -> np.ndarray | None:
        j = int(self.sx_idx[i])
        if j == -2:
            return self._steady_x[i]
        return self.sx_carry if j < 0 else self.X[j]

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        if hasattr(self, "_results"):
            return self._results[i]
        ready = bool(self.ready[i])
        return HeatPumpResult(float(self.ts[i]), bool(self.steady[i]), ready, float(self.score[i]), self.findings(i),
                              self.Y[i], self.X[i], self.D[i], residual=self.R[i] if ready else None,
                              observed=self.O[i], steady_x=self.steady_x(i) if ready else None,
                              scale=self.S[i] if ready and self.S is not None else None)


# features the operating envelope bounds, and the least margin beyond what was seen
# (scaled feature units: 0.3 = 3 K of outdoor or flow temperature, 0.27 = 8 Hz)
_ENVELOPE_FEATURES = np.array([FEATURE_NAMES.index(n) for n in ("t_outdoor", "t_flow", "compressor_hz")])
_ENVELOPE_MARGIN = np.array([0.3, 0.3, 8.0 / 30.0])


def learned_envelope(F: np.ndarray) -> np.ndarray:
    """The operating range commissioning covered: 1st..99th percentile, widened a little.

    A ridge fit with frequency squared and products extrapolates badly; a cold snap
    running the compressor faster than any commissioning day would read as a fault.
    Outside this range the detector does not judge (counted in ``outside_envelope``).
    """
    G = F[:, _ENVELOPE_FEATURES]
    lo, hi = np.nanpercentile(G, 1, axis=0), np.nanpercentile(G, 99, axis=0)
    margin = np.maximum(0.1 * (hi - lo), _ENVELOPE_MARGIN)
    return np.stack([lo - margin, hi + margin])


def inside(envelope: np.ndarray | None, f: np.ndarray) -> bool:
    if envelope is None:
        return True
    g = f[_ENVELOPE_FEATURES]
    return bool(np.all((g >= envelope[0]) & (g <= envelope[1])))


def derived_and_targets(X: np.ndarray, refrigerant: str,
                        sat: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows of readings -> (rows of derived channels, rows of the monitored target channels);
    ``sat``: the rows' saturation temperatures if known (derived.derive)."""
    D = derive_matrix(X, refrigerant, sat)
    Y = np.empty(np.shape(X)[:-1] + (len(_TARGET_SOURCES),))
    Y[..., _RAW_T] = X[..., _RAW_I]  # copies of the columns, a gather each (np.stack of 23 views cost more)
    Y[..., _DER_T] = D[..., _DER_I]
    return D, Y


def derived_and_targets_row(x: list[float], refrigerant: str) -> tuple[np.ndarray, np.ndarray]:
    """``derived_and_targets`` of one reading (channel values as floats): the same digits (derive_row)."""
    d = derive_row(x, refrigerant)
    return np.array(d), np.array([x[i] if kind == "raw" else d[i] for kind, i in _TARGET_SOURCES])


def targets_from(X: np.ndarray, refrigerant: str, sat: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Rows of readings -> rows of the monitored target channels."""
    return derived_and_targets(X, refrigerant, sat)[1]


@dataclass
class HeatPumpDetector:
    config: HeatPumpDetectorConfig = field(default_factory=HeatPumpDetectorConfig)

    def __post_init__(self) -> None:
        self.plausibility = PlausibilityFilter()  # counts out_of_range[channel]
        self.gate = SteadyStateGate()
        self.standstill = StandstillWitness()  # the outdoor sensor against the stopped coil
        self.checks = SensorChecks(self.config.channels, self.config.refrigerant)
        self.shift = PersistentShift(len(TARGET_NAMES), self.config.shift_tau_seconds)
        self.prior = PriorBands(self.config.shift_tau_seconds, self.config.design)  # judges until the own model exists
        # the design's ceiling on the condenser approach (condenser_design.py): read on the averaged readings
        self.ceiling = CondenserCeiling.of(self.config.design)
        self.postponed_fits = 0  # commissioning extended: the prior saw a fault, not a healthy pump
        self.model: HealthyModel | None = None
        self.alarm: np.ndarray | None = None
        self.envelope: np.ndarray | None = None  # (2, n_features): the operating range it learned
        self.outside_envelope = 0  # steady readings not judged: outside what commissioning saw
        self.start_ts = math.nan
        self._rows_ts: list[float] = []
        self._rows_f: list[np.ndarray] = []
        self._rows_y: list[np.ndarray] = []
        self._last_bucket = -1
        self._last_steady_x: np.ndarray | None = None  # operating point for sensor-offset signatures
        # a fleet prior (fleet_prior.py): judges with the fleet's model until the own one is admitted
        self.fleet: FleetJudge | None = None
        self.provisional = False  # self.model is the fleet's, not yet this pump's own
        self._fleet_until = -math.inf  # readings up to this time were judged against the fleet
        self._due_ts = math.nan
        self.commission_points: np.ndarray | None = None  # a sample of the window's operating points (the fleet's)
        # how sure the own model is at a reading's operating point, and what it learns beyond its
        # commissioning (envelope.py); None while fleet-judged or restored from a state without it
        self.growth: GrowingEnvelope | None = None
        # the shift's average of its readings' excess prediction error (envelope.py): how much wider its alarm is
        self.uncertainty = PersistentShift(1, self.config.shift_tau_seconds)
        self._models: list[tuple[float, HealthyModel]] = []  # (from ts, model) of the latest refits
        self.own_growth: dict[str, float] = {}  # channel -> growth through the last window, own levels
        # a window due but held open by the prior's breach (held_window.py): when it was last judged by
        # its growth, and what an operator is told (HeldNotice, drained by the pipeline)
        self._held_judged_ts = -math.inf
        self.held = HeldWindow()
        # the window handed to the pump's own start, until the pipeline takes it (take_start_window)
        self.start_window: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def ready(self) -> bool:
        return self.model is not None

    @property
    def window_rows(self) -> int:
        """Steady readings collected in the current commissioning window."""
        return len(self._rows_ts)

    # -- a fleet prior ------------------------------------------------------------
    def use_fleet_prior(self, prior: FleetPrior) -> None:
        """Judge with the fleet's healthy model until this pump's own is learned and agrees with
        it (a newer prior replaces an older one; a pump with its own model keeps it)."""
        old = self.fleet
        if old is not None and old.refused_by is not None and self.provisional:
            old.refused_by = prior  # a fleet's refusal handed it to its own start: a fleet again does not undo it
            return
        self.fleet = FleetJudge(prior)
        if old is not None:
            self.fleet.refused_windows = old.refused_windows
        if self.model is None or self.provisional:
            self._install_fleet()

    def _install_fleet(self) -> None:
        assert self.fleet is not None
        judge = self.fleet
        self.model, self.alarm, self.envelope = judge.model, judge.alarm, judge.envelope
        self.provisional, self._fleet_until = True, math.inf

    def basis_at(self, ts: float) -> str:
        """What a ready result at ``ts`` was judged against: the pump's own model or its fleet's."""
        if self.fleet is not None and ts <= self._fleet_until:
            return "own start" if self.fleet.own else "fleet prior"
        return "model"

    # -- after a visit ----------------------------------------------------------
    def clear_findings(self) -> None:
        """Forget what was seen, keep what was learned: the running shifts, the prior's averages
        and the sensor checks start again from nothing (a visit that found no fault)."""
        self.shift = PersistentShift(len(TARGET_NAMES), self.config.shift_tau_seconds)
        self.uncertainty = PersistentShift(1, self.config.shift_tau_seconds)
        self.prior = PriorBands(self.config.shift_tau_seconds, self.config.design)
        self.checks = SensorChecks(self.config.channels, self.config.refrigerant)
        self._last_steady_x = None

    def relearn(self) -> None:
        """The pump was repaired: what it does now is its healthy behaviour. Forget the learned
        model and commission it afresh (the prior judges meanwhile), as on the first day.

        The plausibility counters and the steady-state gate stay: they are about the
        readings, not about what this pump's normal is. The standstill witness starts afresh
        with the model, so both take the pump as it is after the repair as their zero: kept, its
        old baseline would read an outdoor sensor left drifted through the repair as a rise the new
        model does not ask for, and refuse the new model's true t_outdoor offsets.
        """
        self.clear_findings()
        self.standstill = StandstillWitness()
        self.model = self.alarm = self.envelope = None
        self.growth, self._models = None, []  # what it learned beyond the old commissioning goes too
        self.start_ts = math.nan
        self.postponed_fits = self.outside_envelope = 0
        self._held_judged_ts = -math.inf
        self._rows_ts, self._rows_f, self._rows_y = [], [], []
        self.start_window = None
        self._last_bucket = -1
        self.provisional, self._fleet_until = False, -math.inf
        if self.fleet is not None and self.fleet.own:  # the repaired pump's new normal is not its old start
            fleet = self.fleet.refused_by  # the fleet that handed it there judges it again
            self.fleet = None if fleet is None else FleetJudge(fleet)
        if self.fleet is not None:
            self._install_fleet()

    # -- streaming ----------------------------------------------------------
    def update(self, ts: float, x: np.ndarray) -> HeatPumpResult:
        beyond = self.checks.beyond(x)[0]  # before cleaning: which values ran off their scale
        x = self.plausibility.clean(x)
        self.standstill.update(ts, x)
        xs = x.tolist()  # one reading in plain floats: the same digits as the arrays, a fraction of their cost
        d, y = derived_and_targets_row(xs, self.config.refrigerant)
        f = np.array(features_row(xs))
        steady = self.gate.update(ts, x)
        return self._step(ts, x, f, d, y, steady, None if self.model is None else self.model.predict(f), beyond)

    # -- batch --------------------------------------------------------------
    def score(self, ts: np.ndarray, X: np.ndarray) -> "BatchResults":
        """The same results as calling update() row by row (a sequence of HeatPumpResult).

        With numba (batch_kernels.AVAILABLE) the stateful parts run over the whole chunk in
        compiled loops and the results are arrays, made into HeatPumpResult only when read;
        without it each row goes through the streaming step.
        """
        ts = np.asarray(ts, dtype=float)
        B = self.checks.beyond(X) if len(ts) else None  # before cleaning: which values ran off their scale
        X = self.plausibility.clean(X)
        self.standstill.update_rows(ts, X)
        cols = columns_kernel.chunk_columns(X, self.config.refrigerant, _TARGET_MAPS)  # one compiled pass
        D, Y, F = cols if cols is not None else (*derived_and_targets(X, self.config.refrigerant), features(X))
        steady = self.gate.batch(ts, X)
        P = None if self.model is None else self.model.predict(F)
        # fleet-judged: in batch unless the commissioning window falls due (fit, admission) in the chunk
        if not batch_kernels.AVAILABLE or len(ts) == 0 or \
                (self.provisional and self._window_rows(ts, steady)[1] < len(ts)):
            return BatchResults.from_results(self._score_rows(ts, X, F, D, Y, steady, P, B), X, D, Y)
        return self._score_chunk(ts, X, F, D, Y, steady, P, B)

    def provisional_span(self, ts: np.ndarray, X: np.ndarray) -> int:
        """While judged against a fleet prior: how many of these readings come before the one on
        which the commissioning window falls due (its fit and the fleet's admission or refusal
        happen on that reading), ``len(ts)`` if none does. Changes nothing: PumpPipeline.process_batch
        scores the readings before it in batch and that one as the agent does."""
        ts = np.asarray(ts, dtype=float)
        Xc = PlausibilityFilter({}).clean(X)
        return self._window_rows(ts, copy.copy(self.gate).batch(ts, Xc))[1]

    def _window_rows(self, ts: np.ndarray, steady: np.ndarray) -> tuple[np.ndarray, int]:
        """The rows _collect would take into the commissioning window (one steady row a minute),
        and the first row on which the window is due (``len(ts)``: none)."""
        n = len(ts)
        srows = np.flatnonzero(steady)
        buckets = _minutes(ts[srows])
        prev = np.concatenate([[self._last_bucket], buckets[:-1]])
        collect = np.zeros(n, dtype=bool)
        collect[srows[buckets != prev]] = True
        cfg = self.config
        start = float(ts[0]) if math.isnan(self.start_ts) and n else self.start_ts
        cnt = len(self._rows_ts) + np.cumsum(collect)
        due = ((ts - start >= cfg.commissioning_seconds) & (cnt >= cfg.min_training_rows)) | \
            (cnt >= cfg.max_training_rows)
        return collect, int(np.argmax(due)) if due.any() else n

    def _score_rows(self, ts, X, F, D, Y, steady, P, B=None) -> list[HeatPumpResult]:
        out: list[HeatPumpResult] = []
        for i in range(len(ts)):
            was = self.model
            out.append(self._step(float(ts[i]), X[i], F[i], D[i], Y[i], bool(steady[i]),
                                  None if P is None else P[i], None if B is None else B[i]))
            if self.model is not was:  # fitted at row i: predict the rest at once
                P = np.full((len(ts), len(TARGET_NAMES)), np.nan)
                P[i + 1:] = self.model.predict(F[i + 1:])  # type: ignore[union-attr]
        return out

    def _score_chunk(self, ts, X, F, D, Y, steady, P, B=None) -> "BatchResults":
        """_step over every row, the recurrences in batch_kernels: the same numbers, whole chunks at a time."""
        n, n_t = len(ts), len(TARGET_NAMES)
        if math.isnan(self.start_ts):
            self.start_ts = float(ts[0])
        flags = batch_kernels.run_sensor_checks(self.checks, ts, X, steady, B)
        ready = np.zeros(n, dtype=bool)
        score = np.zeros(n)
        R = np.full((n, n_t), np.nan)
        S = np.full((n, n_t), np.nan)
        O = np.empty((n, n_t))
        sx_idx = np.full(n, -1, dtype=np.int64)  # row of the last steady reading judged; -1: the one before
        sx_carry = self._last_steady_x
        start = 0
        was_provisional = self.provisional
        if self.model is None:
            start = self._commission_chunk(ts, F, Y, steady, O)
            if self.model is not None:  # fitted at row start - 1: predict the rest at once
                P = np.full((n, n_t), np.nan)
                P[start:] = self.model.predict(F[start:])
        if self.model is not None and start < n:
            assert self.alarm is not None and P is not None
            judged_rows = []
            pos = start
            bounds = BlockBounds(ts) if self.growth is not None else None
            while pos < n:  # one segment per block of the growing envelope (all rows at once without it)
                hi = n
                if self.growth is not None:
                    blk = self.growth.block_of(float(ts[pos]))
                    if blk != self.growth.block.index and self._close_block(blk, float(ts[pos])):
                        P[pos:] = self.model.predict(F[pos:])
                    assert bounds is not None
                    hi = bounds.end(pos, blk)
                judged_rows.append(self._judge(pos, hi, ts, F, Y, steady, P, R, O, S, score) + pos)
                pos = hi
            ready[start:] = True
            rows = np.concatenate(judged_rows) - start
            if len(rows):
                marks = np.full(n - start, -1, dtype=np.int64)
                marks[rows] = rows + start
                sx_idx[start:] = np.maximum.accumulate(marks)
                self._last_steady_x = X[rows[-1] + start]
        if self.provisional:  # judged against the fleet; this pump's own window is still collected (a window
            # refused in this chunk without a fleet, own_start.py: from the row after the refusal)
            self._take_rows(ts, F, Y, self._window_rows(ts, steady)[0], 0 if was_provisional else start, n - 1)
        return BatchResults(ts, steady, ready, score, flags, X, D, Y, R, O, sx_idx, sx_carry, S)

    def _judge(self, lo: int, hi: int, ts, F, Y, steady, P, R, O, S, score) -> np.ndarray:
        """The model's judgement of rows lo..hi-1 (one block of the growing envelope): fills R, O, S
        and score there; returns the judged rows (offsets from lo). One compiled pass (judge_kernel)
        with numba, the numpy passes of _judge_numpy (its reference) without it."""
        rows = judge_kernel.judge_block(self, lo, hi, ts, F, Y, steady, P, R, O, S, score, _ENVELOPE_FEATURES)
        return self._judge_numpy(lo, hi, ts, F, Y, steady, P, R, O, S, score) if rows is None else rows

    def _judge_numpy(self, lo: int, hi: int, ts, F, Y, steady, P, R, O, S, score) -> np.ndarray:
        """_judge in numpy passes: the reference for judge_kernel, and the path without numba."""
        assert self.alarm is not None
        Fm = F[lo:hi, _ENVELOPE_FEATURES]
        ok_env = np.ones(hi - lo, dtype=bool) if self.envelope is None else \
            np.all((Fm >= self.envelope[0]) & (Fm <= self.envelope[1]), axis=1)
        st = steady[lo:hi]
        self.outside_envelope += int(np.count_nonzero(st & ~ok_env))
        rows = np.flatnonzero(st & ok_env)
        Rm, Om = batch_kernels.run_shift(self.shift, rows, ts[lo:hi], Y[lo:hi], P[lo:hi])
        R[lo:hi], O[lo:hi] = Rm, Om
        if self.growth is not None:
            h = self.growth.leverage(F[lo:hi])
            U = np.zeros((hi - lo, 1))
            if len(rows):
                U[rows, 0] = self.growth.excess(h[rows])
            Um, _ = batch_kernels.run_shift(self.uncertainty, rows, ts[lo:hi], U, np.zeros_like(U))
            S[lo:hi] = self._scale(Um)
        else:
            S[lo:hi] = self.alarm
        known = ~np.isnan(Om)
        levels = np.where(known, np.abs(Rm) / S[lo:hi], -np.inf)
        score[lo:hi] = np.where(known.any(axis=1), levels.max(axis=1), 0.0)
        if self.growth is not None:
            self.growth.observe(F[lo:hi], Y[lo:hi], st, st & ok_env, score[lo:hi], h)
        return rows

    def _scale(self, U: np.ndarray) -> np.ndarray:
        """The alarm levels a shift is judged against, given the average (the shift's weights) of its
        readings' excess prediction error U, in alarm sigmas (rows (n, 1) or one row (1,)): the
        calibrated level and that error in quadrature, alarm * sqrt(1 + U^2) (envelope.py)."""
        assert self.alarm is not None
        return self.alarm * np.sqrt(1.0 + U * U)

    def _scale_one(self, u: float) -> np.ndarray:
        """``_scale`` of one reading's average excess u: the same digits (sqrt correctly rounded;
        alarm times one float is the broadcast product)."""
        assert self.alarm is not None
        return self.alarm * math.sqrt(1.0 + u * u)

    def _close_block(self, block: int, ts: float) -> bool:
        """A reading of a new block: the growing envelope closes the last one; True if it refitted."""
        assert self.growth is not None
        model = self.growth.close(block)
        if model is None:
            return False
        self.model = model
        self._models = (self._models + [(ts, model)])[-8:]
        learned = self.growth.last_learned
        if self.envelope is not None and learned is not None:
            more = learned_envelope(learned)
            self.envelope = np.stack([np.minimum(self.envelope[0], more[0]), np.maximum(self.envelope[1], more[1])])
        return True

    def model_at(self, ts: float) -> HealthyModel | None:
        """The model that judged a reading at ts (a refit later in a replayed chunk is not yet it)."""
        for since, model in reversed(self._models):
            if ts >= since:
                return model
        return self.model

    def models_at(self, ts: np.ndarray) -> list[HealthyModel | None]:
        """model_at of many times at once (a chunk's estimated rule rows): the refits are kept in
        time order, so the latest one at or before each time is a binary search, not a scan per row."""
        since = np.array([s for s, _ in self._models])
        if not len(since) or (np.diff(since) < 0).any():
            return [self.model_at(float(t)) for t in ts]
        k = np.where(np.isnan(ts), -1, np.searchsorted(since, ts, side="right") - 1).tolist()
        models = [m for _, m in self._models]
        return [models[j] if j >= 0 else self.model for j in k]

    def _commission_chunk(self, ts, F, Y, steady, O) -> int:
        """Commissioning over a chunk (prior averages, one steady row a minute, the fit when due):
        fills O with the prior's averages; returns the first row judged by the fitted model (len(ts)
        if it was not fitted)."""
        n = len(ts)
        zeros = np.zeros_like(Y)
        srows = np.flatnonzero(steady)
        if len(srows) and self.prior.first_ts != self.prior.first_ts:
            first_ts_new = float(ts[srows[0]])
        else:
            first_ts_new = self.prior.first_ts
        # the prior's averages as if the whole chunk were commissioning (a copy: the fit may stop it sooner)
        trial = PersistentShift(len(TARGET_NAMES), self.prior.average.tau)
        trial.load_state(self.prior.average.state())
        _, Otrial = batch_kernels.run_shift(trial, srows, ts, Y, zeros)
        # one steady row per minute of pump time
        buckets = _minutes(ts[srows])
        prev = np.concatenate([[self._last_bucket], buckets[:-1]])
        collect = np.zeros(n, dtype=bool)
        collect[srows[buckets != prev]] = True
        cfg = self.config
        fit_row = -1
        held = False  # the window was held open by a breach and is now judged by its own start
        pos = 0
        while pos < n:
            cnt = len(self._rows_ts) + np.cumsum(collect[pos:])
            due = ((ts[pos:] - self.start_ts >= cfg.commissioning_seconds) & (cnt >= cfg.min_training_rows)) | \
                  (cnt >= cfg.max_training_rows)
            k = pos + int(np.argmax(due)) if due.any() else n - 1
            self._take_rows(ts, F, Y, collect, pos, k)
            if not due.any():
                break
            first_ts_saved = self.prior.first_ts
            self.prior.first_ts = first_ts_new if srows.size and srows[0] <= k else first_ts_saved
            breach = self.prior.breached(float(ts[k]), Otrial[k])
            levels_k = functools.partial(self._prior_levels_at, float(ts[k]), Otrial[k], self.prior.first_ts)
            self.prior.first_ts = first_ts_saved
            if breach:
                if self._judge_held(float(ts[k]), len(self._rows_ts), levels_k):
                    fit_row, held = k, True
                    break
                self.postponed_fits += 1
                if len(self._rows_ts) >= cfg.max_training_rows:
                    keep = cfg.max_training_rows // 2
                    del self._rows_ts[:-keep], self._rows_f[:-keep], self._rows_y[:-keep]
                pos = k + 1
                continue
            fit_row = k
            break
        end = n - 1 if fit_row < 0 else fit_row
        # the prior's real state: updated on the steady rows up to the fit (or the chunk's end)
        upto = srows[srows <= end]
        _, Oreal = batch_kernels.run_shift(self.prior.average, upto, ts[:end + 1], Y[:end + 1], zeros[:end + 1])
        O[:end + 1] = Oreal
        if len(upto) and self.prior.first_ts != self.prior.first_ts:
            self.prior.first_ts = float(ts[upto[0]])
        if fit_row >= 0 and not held:
            self._fit()
        return end + 1

    def _take_rows(self, ts, F, Y, collect, lo: int, hi: int) -> None:
        """The training rows collected in rows lo..hi (inclusive)."""
        idx = lo + np.flatnonzero(collect[lo:hi + 1])
        if len(idx):
            self._rows_ts.extend(ts[idx].tolist())
            self._rows_f.extend(F[i] for i in idx)
            self._rows_y.extend(Y[i] for i in idx)
            self._last_bucket = int(float(ts[idx[-1]]) // 60)

    # -- shared core ----------------------------------------------------------
    def _step(self, ts: float, x: np.ndarray, f: np.ndarray, d: np.ndarray, y: np.ndarray, steady: bool,
              expected: np.ndarray | None, beyond: np.ndarray | None = None) -> HeatPumpResult:
        if math.isnan(self.start_ts):
            self.start_ts = ts
        sensor = self.checks.update(ts, x, steady, beyond)
        if self.model is None:
            if steady:
                self.prior.update(ts, y)
            self._collect(ts, f, y, steady)
            return HeatPumpResult(ts, steady, False, 0.0, sensor, y, x, d, observed=self.prior.average.observed.copy())
        assert self.alarm is not None
        growth = self.growth
        if growth is not None and growth.block_of(ts) != growth.block.index:
            if self._close_block(growth.block_of(ts), ts) and expected is not None:
                expected = self.model.predict(f)  # type: ignore[union-attr]
        judged = False
        # the growing envelope in plain floats (its _one methods): the batch's digits, without 1-row arrays
        h = math.nan if growth is None or not steady else growth.leverage_one(f.tolist())
        if steady and expected is not None:
            if inside(self.envelope, f):
                self.shift.update(ts, y, expected)
                if growth is not None:
                    self.uncertainty.update_one(ts, growth.excess_one(h))
                self._last_steady_x = x
                judged = True
            else:
                self.outside_envelope += 1
        scale = self._scale_one(float(self.uncertainty.residual[0])) if growth is not None else self.alarm
        known = ~np.isnan(self.shift.observed)
        levels = np.where(known, np.abs(self.shift.residual) / scale, -np.inf)
        score = float(levels.max()) if known.any() else 0.0
        if growth is not None:
            growth.observe_one(f, y, steady, judged, score, h)
        out = HeatPumpResult(ts, steady, True, score, sensor, y, x, d, residual=self.shift.residual.copy(),
                             observed=self.shift.observed.copy(), steady_x=self._last_steady_x,
                             scale=np.array(scale, dtype=float, copy=True))
        if self.provisional:  # judged against the fleet; this pump's own window is still collected
            self._collect(ts, f, y, steady)
        return out

    def evidence(self, result: HeatPumpResult, *, need_offset: bool = True,
                 offset: "SensorOffset | None | object" = COMPUTE_OFFSET) -> Evidence:
        """What the rules read, as of this result: every monitored channel's shift.

        ``need_offset=False``: the caller knows no rule can read the single-sensor offset now
        (PumpPipeline.process_batch), so it is not computed (None: no sensor explains anything).
        ``offset``: the single-sensor offset already computed for this result (sensor_offsets)."""
        if not result.ready or self.alarm is None or result.residual is None:
            prior = self.prior.levels(result.ts, result.observed)
            if not prior:
                return Evidence(ts=result.ts, sensor_findings=result.sensor_findings, ready=False)
            shifts = {ch: ChannelShift(level=lv, expected=edge, observed=obs) for ch, (lv, edge, obs) in prior.items()}
            return Evidence(ts=result.ts, shifts=shifts, sensor_findings=result.sensor_findings, basis="prior")
        residual, obs = result.residual, result.observed
        assert obs is not None
        return self._ready_evidence(result.ts, residual, obs, result.scale, result.sensor_findings,
                                    (self._sensor_offset(result) if offset is COMPUTE_OFFSET else offset)
                                    if need_offset else None)

    def evidence_row(self, res: "BatchResults", i: int, *, need_offset: bool = True,
                     offset: "SensorOffset | None | object" = COMPUTE_OFFSET) -> Evidence:
        """evidence(res[i]) read from the batch's arrays, without making the row's result (a replay's
        rule rows while a rule's timer runs). The same Evidence: the same rows of the same arrays."""
        if (hasattr(res, "_results") or not res.ready[i] or self.alarm is None
                or (need_offset and offset is COMPUTE_OFFSET)):
            return self.evidence(res[i], need_offset=need_offset, offset=offset)
        return self._ready_evidence(float(res.ts[i]), res.R[i], res.O[i], res.scale(i), res.findings(i),
                                    offset if need_offset else None)

    def _ready_evidence(self, ts: float, residual: np.ndarray, obs: np.ndarray, scale: np.ndarray | None,
                        sensor_findings: dict[str, list[str]], sensor_offset: "SensorOffset | None") -> Evidence:
        """The shifts of a ready detector's result: residuals in units of the levels it was judged against."""
        levels = residual / (self.alarm if scale is None else scale)
        # as Python floats at once (the same doubles: obs - residual is one IEEE subtraction either
        # way); a float is NaN iff it differs from itself. Per numpy scalar this was a rule row's cost
        shifts = {
            name: ChannelShift(lv, ex, ob)
            for name, lv, ex, ob in zip(TARGET_NAMES, levels.tolist(), (obs - residual).tolist(), obs.tolist())
            if lv == lv and ob == ob
        }
        if self.ceiling is not None:
            lv, ceiling = self.ceiling.level(obs)
            if lv == lv:
                shifts[CEILING_NAME] = ChannelShift(lv, ceiling, float(obs[_I_APPROACH]))
        # the flow meter against the heat per unit of input (flow_meter.py): the same arithmetic as a replay's rows
        meter, implied = flow_meter.levels(obs[None, :], residual[None, :],
                                           (self.alarm if scale is None else scale)[None, :])
        flow = float(obs[_I_FLOW])
        for name, lv in zip(flow_meter.NAMES, meter[0].tolist()):
            if lv == lv:
                shifts[name] = ChannelShift(lv, float(implied[0]), flow)
        return Evidence(ts=ts, shifts=shifts, sensor_findings=sensor_findings, sensor_offset=sensor_offset,
                        basis=self.basis_at(ts))

    def _sensor_offset(self, result: HeatPumpResult) -> SensorOffset | None:
        """The one sensor whose offset best explains the current residuals (see sensor_offset)."""
        if result.steady_x is None or result.residual is None:
            return None
        alarm = self.alarm if result.scale is None else result.scale
        return self._witnessed(self._offsets_of(result.steady_x[None, :], result.residual[None, :],
                                                self.model_at(result.ts), None if alarm is None else alarm[None, :])[0],
                               result.ts)

    def _witnessed(self, so: SensorOffset | None, ts: float) -> SensorOffset | None:
        """The offset, or None where the stopped coil contradicts it (standstill.StandstillWitness:
        service_area_200's hp-096, an iced coil whose running shifts one t_outdoor offset of +16.3 K
        explained, while t_outdoor had risen about 1 K against the stopped coil)."""
        if so is not None and self.standstill.contradicts(so.channel, so.offset, ts):
            return None
        return so

    def sensor_offsets(self, res: "BatchResults", rows: list[int],
                       signatures: Mapping[int, np.ndarray] | None = None) -> dict[int, SensorOffset | None]:
        """_sensor_offsets_raw, each offset the stopped coil contradicts at its row's time none (_witnessed)."""
        out = self._sensor_offsets_raw(res, rows, signatures)
        return {i: self._witnessed(so, float(res.ts[i])) for i, so in out.items()}

    def _sensor_offsets_raw(self, res: "BatchResults", rows: list[int],
                            signatures: Mapping[int, np.ndarray] | None = None) -> dict[int, SensorOffset | None]:
        """_sensor_offset of the results of a batch at ``rows``, all at once (a replay's rule rows):
        the same numbers as one at a time (sensor_offset.signatures_rows, best_offsets), each row
        with the model that judged it and the (envelope-widened) levels it was judged against.
        ``signatures``: row -> every sensor's signature already computed there with that model
        (PumpPipeline._estimate_offsets), not computed again."""
        out: dict[int, SensorOffset | None] = dict.fromkeys(rows)
        sigs = signatures or {}
        if rows and self.alarm is not None and not hasattr(res, "_results"):
            return self._sensor_offsets_arrays(res, rows, sigs, out)
        by_model: dict[tuple[int, bool], tuple[HealthyModel | None, list[int]]] = {}
        for i in rows:
            if res.ready[i] and res.steady_x(i) is not None:
                model = self.model_at(float(res.ts[i]))
                by_model.setdefault((id(model), i in sigs), (model, []))[1].append(i)
        for (_, given), (model, have) in by_model.items():
            scales = [res.scale(i) for i in have]
            alarm = None if self.alarm is None else np.stack([self.alarm if s is None else s for s in scales])
            SX = np.stack([res.steady_x(i) for i in have])
            if given and model is not None and alarm is not None:
                present, sig = present_signatures(SX, stacked(sigs, have))
                out.update(zip(have, best_offsets(res.R[have], alarm, present, sig, TARGET_NAMES)))
            else:
                out.update(zip(have, self._offsets_of(SX, res.R[have], model, alarm)))
        return out

    def _sensor_offsets_arrays(self, res: "BatchResults", rows: list[int], sigs: Mapping[int, np.ndarray],
                               out: dict[int, SensorOffset | None]) -> dict[int, SensorOffset | None]:
        """sensor_offsets of a chunk scored in batch, its rows picked and grouped from the arrays (a
        season's 100,000s of judged rule rows): the same rows, models, levels and readings as
        steady_x, model_at and scale give one row at a time, so the same offsets."""
        r = np.asarray(rows, dtype=np.int64)
        j = res.sx_idx[r]
        r = r[res.ready[r] & ((j >= 0) | ((j == -1) & (res.sx_carry is not None)))]
        if not len(r):
            return out
        j = res.sx_idx[r]
        SX = res.X[np.maximum(j, 0)]
        if (j < 0).any():
            SX[j < 0] = res.sx_carry
        alarm = np.broadcast_to(self.alarm, (len(r), len(self.alarm))) if res.S is None else res.S[r]
        models = self.models_at(res.ts[r])
        rl = r.tolist()
        groups: dict[tuple[int, bool], tuple[HealthyModel | None, list[int]]] = {}
        for k, (i, model) in enumerate(zip(rl, models)):
            groups.setdefault((id(model), i in sigs), (model, []))[1].append(k)
        for (_, given), (model, ks) in groups.items():
            have = [rl[k] for k in ks]
            if given and model is not None:
                present, sig = present_signatures(SX[ks], stacked(sigs, have))
                out.update(zip(have, best_offsets(res.R[have], alarm[ks], present, sig, TARGET_NAMES)))
            else:
                out.update(zip(have, self._offsets_of(SX[ks], res.R[have], model, alarm[ks])))
        return out

    def _offsets_of(self, SX: np.ndarray, residual: np.ndarray, model: HealthyModel | None,
                    alarm: np.ndarray | None) -> list[SensorOffset | None]:
        """best_offsets of rows judged by one ``model`` against ``alarm`` (rows, targets)."""
        if model is None or alarm is None:
            return [None] * len(SX)
        ref = self.config.refrigerant
        present, sig = signatures_rows(SX, lambda X: targets_from(X, ref), lambda X: model.predict(features(X)))
        return best_offsets(residual, alarm, present, sig, TARGET_NAMES)

    def _collect(self, ts: float, f: np.ndarray, y: np.ndarray, steady: bool) -> None:
        bucket = int(ts // 60)
        if steady and bucket != self._last_bucket:
            self._last_bucket = bucket
            self._rows_ts.append(ts)
            self._rows_f.append(f)
            self._rows_y.append(y)
        n = len(self._rows_ts)
        cfg = self.config
        if (ts - self.start_ts >= cfg.commissioning_seconds and n >= cfg.min_training_rows) or n >= cfg.max_training_rows:
            if self.prior.breached(ts):
                # outside what any healthy pump shows: do not learn this as healthy; judged by its growth
                # (held_window.py), the pump is judged against its own start
                if self._judge_held(ts, n, lambda: self.prior.levels(ts)):
                    return
                self.postponed_fits += 1
                if n >= cfg.max_training_rows:
                    keep = cfg.max_training_rows // 2
                    del self._rows_ts[:-keep], self._rows_f[:-keep], self._rows_y[:-keep]
                return
            self._due_ts = ts
            self._fit()

    def _fit(self) -> None:
        T, F, Y = np.array(self._rows_ts), np.array(self._rows_f), np.array(self._rows_y)
        model, equations = healthy_model.fit_equations(F, Y, RIDGE)
        cfg = self.config
        if self.provisional:
            assert self.fleet is not None
            # judged by its own start, a later window's growth is judged as the first one's was (own_start.py)
            grown = window_growth(T, F, Y) if self.fleet.own else growth_through(T, F, Y)
            if not self.fleet.admit(model, F, self.shift.residual / self.alarm, grown):  # a faulty pump's
                # window: refused, a new one begins
                self.postponed_fits += 1
                self.start_ts = float(T[-1])
                if not self.fleet.own and self.fleet.refused_for_growth:
                    self._judge_by_own_start(T, F, Y)
                self._rows_ts, self._rows_f, self._rows_y = [], [], []
                return
            self.provisional, self._fleet_until = False, self._due_ts
            self.shift = PersistentShift(len(TARGET_NAMES), cfg.shift_tau_seconds)  # shifts against the fleet
        else:  # no fleet: a window in which the pump changed is judged by its start instead (own_start.py)
            start, grew = start_prior(T, F, Y, cfg.shift_tau_seconds, cfg.alarm_k, learned_envelope(F), RIDGE)
            self.own_growth = grew
            if start is not None:
                self._start_own(start, grew, T, F, Y)
                return
            self.start_window = (T, F, Y)  # learned as healthy: a fault named now is dated by it (start_history)
        self.alarm = calibrate_alarm(T, Y - model.predict(F), cfg.shift_tau_seconds, cfg.alarm_k, MIN_SHIFT)
        self.model = model
        self.growth = GrowingEnvelope(equations, F, RIDGE)
        self.uncertainty = PersistentShift(1, cfg.shift_tau_seconds)
        self._models = [(-math.inf, model)]
        self.envelope = learned_envelope(F)
        self.commission_points = F[np.linspace(0, len(F) - 1, min(len(F), 60)).round().astype(int)]
        self._rows_ts, self._rows_f, self._rows_y = [], [], []

    def _start_own(self, start: FleetPrior, grew: dict[str, float], T: np.ndarray, F: np.ndarray,
                   Y: np.ndarray) -> None:
        """No fleet, the window refused for its growth: judged against its own start from now on. The
        window's readings are kept for the prognosis (take_start_window): judged against that start they
        are the days a fault raised now is dated by."""
        end_ts = float(T[-1])
        self.start_window = (T, F, Y)
        self.postponed_fits += 1
        self.fleet = FleetJudge(start)
        self.fleet.refused_windows, self.fleet.last_refusal = 1, {n: v for n, v in grew.items() if abs(v) >= 1}
        self._install_fleet()
        self.start_ts = end_ts
        self._rows_ts, self._rows_f, self._rows_y = [], [], []

    def take_start_window(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Once, after the pump was handed to its own start or (no fleet) its window was learned: the
        window's steady readings (times, features, targets), judged from then on against the model now
        installed (start_history.scratch_date)."""
        out, self.start_window = self.start_window, None
        return out

    def window_readings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The commissioning window's steady readings collected so far (times, features, targets)."""
        return np.array(self._rows_ts, dtype=float), np.array(self._rows_f), np.array(self._rows_y)

    def _prior_levels_at(self, ts: float, observed: np.ndarray, first_ts: float) -> dict:
        """The prior's levels as they stood at a row of a batch (its averages then, its first steady
        reading then): what ``prior.levels(ts)`` said there streaming."""
        saved, self.prior.first_ts = self.prior.first_ts, first_ts
        try:
            return self.prior.levels(ts, observed)
        finally:
            self.prior.first_ts = saved

    def _judge_held(self, ts: float, n_rows: int, levels_of) -> bool:
        """The window is due but the prior's bands hold it open (held_window.py): judged by its growth
        as any window is (own_start.start_prior), at most once a shift time constant (the prior's
        averages move no faster). True when it grew by an own level: the pump is judged against its
        own start from this reading. Without a fleet only: a fleet already judges a held pump."""
        if self.provisional or ts - self._held_judged_ts < self.config.shift_tau_seconds:
            return False
        first = not math.isfinite(self._held_judged_ts)
        self._held_judged_ts = ts
        cfg = self.config
        levels = levels_of()
        T, F, Y = np.array(self._rows_ts), np.array(self._rows_f), np.array(self._rows_y)
        start, grew = start_prior(T, F, Y, cfg.shift_tau_seconds, cfg.alarm_k, learned_envelope(F), RIDGE)
        self.own_growth = grew
        if first or start is not None:
            self.held.say(ts, self.start_ts, n_rows, levels, grew if start is not None else None)
        if start is None:
            return False
        self._start_own(start, grew, T, F, Y)
        return True

    def _judge_by_own_start(self, T: np.ndarray, F: np.ndarray, Y: np.ndarray) -> None:
        """The fleet refused this window because the pump changed through it: from now on judge it
        against its own start (own_start.py), not the fleet. A fault present from installation begins
        inside the spread between healthy pumps; against the fleet's levels (the members' widened by
        that spread) it crosses a level only when it outgrows the spread, while its growth was already
        a level of this pump's own. Kept on the fleet when the window's own levels do not confirm it."""
        cfg = self.config
        start, grew = start_prior(T, F, Y, cfg.shift_tau_seconds, cfg.alarm_k, learned_envelope(F), RIDGE, 0.0)
        self.own_growth = grew
        if start is None:
            return
        old = self.fleet
        self.fleet = FleetJudge(start)
        self.fleet.refused_windows, self.fleet.last_refusal = old.refused_windows, old.last_refusal
        self.fleet.refused_by = old.prior
        self.fleet.hand_over(old._offset(self.fleet.model, F))  # the prognosis's history goes on without a step
        self._install_fleet()
        self.shift = PersistentShift(len(TARGET_NAMES), cfg.shift_tau_seconds)  # shifts against the fleet

    # -- across restarts ------------------------------------------------------
    def state(self) -> dict:
        """What a restart must not lose: the learned model, alarm levels and running shifts (JSON-safe).

        While commissioning (no own model yet, or judged by a fleet or its own start meanwhile) the
        window goes too (window_state.py): a restart goes on with it, not from nothing.
        """
        return {
            "version": STATE_VERSION,
            "start_ts": self.start_ts,
            "model": self.model.to_dict() if self.model is not None and not self.provisional else None,
            "alarm": self.alarm.tolist() if self.alarm is not None and not self.provisional else None,
            "shift": self.shift.state(),
            "checks": self.checks.state(),
            "gate_last_transient_ts": self.gate.last_transient_ts,
            "gate_last_mode": None if math.isnan(self.gate.last_mode) else self.gate.last_mode,
            "envelope": self.envelope.tolist() if self.envelope is not None else None,
            "last_steady_x": None if self._last_steady_x is None else
            [None if math.isnan(v) else float(v) for v in self._last_steady_x],
            "outside_envelope": self.outside_envelope,
            "fleet": None if self.fleet is None else self.fleet.state(),
            "commission_points": None if self.commission_points is None or self.provisional else
            self.commission_points.tolist(),
            "fleet_until": _finite_or_none(self._fleet_until),
            "growth": None if self.growth is None or self.provisional else self.growth.state(),
            "uncertainty": self.uncertainty.state(),
            "standstill": self.standstill.state(),
            "commissioning": self._window_state() if self.model is None or self.provisional else None,
        }

    def _window_state(self) -> dict:
        """The commissioning window's rows and bookkeeping, and the prior's averages that judge meanwhile."""
        return {
            "rows": window_state.rows_state(self._rows_ts, self._rows_f, self._rows_y),
            "last_bucket": self._last_bucket,
            "due_ts": _finite_or_none(self._due_ts),
            "postponed_fits": self.postponed_fits,
            "held_judged_ts": _finite_or_none(self._held_judged_ts),
            "own_growth": self.own_growth,
            "prior_average": self.prior.average.state(),
            "prior_first_ts": _finite_or_none(self.prior.first_ts),
            "refused_for_growth": None if self.fleet is None else self.fleet.refused_for_growth,
        }

    def _load_window(self, d: dict) -> None:
        self._rows_ts, self._rows_f, self._rows_y = window_state.rows_from_state(
            d["rows"], len(FEATURE_NAMES), len(TARGET_NAMES))
        self._last_bucket = int(d["last_bucket"])
        self._due_ts = window_state.float_or(d["due_ts"], math.nan)
        self.postponed_fits = int(d["postponed_fits"])
        self._held_judged_ts = window_state.float_or(d["held_judged_ts"], -math.inf)
        self.own_growth = {str(k): float(v) for k, v in d["own_growth"].items()}
        self.prior.average.load_state(d["prior_average"])
        self.prior.first_ts = window_state.float_or(d["prior_first_ts"], math.nan)
        if self.fleet is not None and d.get("refused_for_growth") is not None:
            self.fleet.refused_for_growth = bool(d["refused_for_growth"])

    def _load_running(self, state: dict) -> None:
        """The running parts, judged with whichever model: shifts, sensor checks, the steady gate."""
        self.shift.load_state(state["shift"])
        self.checks.load_state(state["checks"])
        self.gate.last_transient_ts = float(state["gate_last_transient_ts"])
        # added with the pipeline's state file, version 2 (older files lack them: one settling period is lost)
        if state.get("gate_last_mode") is not None:
            self.gate.last_mode = float(state["gate_last_mode"])
        if state.get("last_steady_x") is not None:
            self._last_steady_x = np.array([math.nan if v is None else v for v in state["last_steady_x"]],
                                           dtype=float)
        self.outside_envelope = int(state.get("outside_envelope", 0))
        if state.get("uncertainty") is not None:
            self.uncertainty.load_state(state["uncertainty"])

    def load_state(self, state: dict) -> None:
        """Load what ``state()`` wrote. Still commissioning, the window goes on where it was; a file written
        while commissioning before the window was kept (no model, no window) changes nothing."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unknown detector state version {state.get('version')!r}")
        if state.get("fleet") is not None:  # a restart while fleet-judged commissions afresh, judged by it
            self.fleet = FleetJudge.from_state(state["fleet"])
            self._install_fleet()
        # the stopped coil's witness, kept while commissioning too (its baseline is the first settled stops
        # of the pump's life, not of the agent's run); absent in a state written before it was kept
        self.standstill.load_state(state.get("standstill"))
        window = state.get("commissioning")
        if state.get("model") is None and window is None:
            return
        self.start_ts = float(state["start_ts"])
        self._load_running(state)
        if window is not None:
            self._load_window(window)
        if state.get("model") is None:
            return
        self.provisional = False
        if state.get("commission_points") is not None:
            self.commission_points = np.asarray(state["commission_points"], dtype=float)
        self._fleet_until = -math.inf if state.get("fleet_until") is None else float(state["fleet_until"])
        self.model = HealthyModel.from_dict(state["model"])
        self.alarm = np.asarray(state["alarm"], dtype=float)
        if state.get("envelope") is not None:
            self.envelope = np.asarray(state["envelope"], dtype=float)
        # a state written before the envelope grew: the model judges as it did (its box, its levels)
        self.growth = None if state.get("growth") is None else GrowingEnvelope.from_state(state["growth"])
        self._models = [(-math.inf, self.model)]


def _finite_or_none(v: float) -> float | None:
    return v if math.isfinite(v) else None


assert len(CHANNEL_NAMES) == len(INDEX)
