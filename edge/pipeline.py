"""One pump's judgement: reading -> detector -> rules -> events.

No I/O here: the agent feeds readings from a source and puts the events into
the outbox; tests and benchmarks feed simulator chunks straight in. An event
is made when a diagnosis is raised or cleared, when a sensor is found broken,
and when the pump trips (with how long before the trip heatwatch knew).

What a restarted agent must remember is ``state()``, one JSON-safe dict the
agent saves as its state file: a Pi reboots, an update restarts the service,
power fails, and afterwards the agent must go on as if nothing happened: the
learned healthy model (judging resumes at once), the faults it has raised (not
raised again as new tickets, and cleared when they go), the hours a developing
fault has already been seen, the prognosis history (a predicted trip right
away, not a day later) and the pump's last clock reading (a replayed or
set-back clock is still refused). Version 1 files held the detector alone;
``load_state`` still reads them.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from heatwatch.edge import rule_table
from heatwatch.edge.heatpump import flow_meter, offset_kernel, start_history, window_state
from heatwatch.edge.heatpump.batch_kernels import clock_rows
from heatwatch.edge.heatpump.compressor_efficiency import _I as COMPRESSOR_CHANNELS
from heatwatch.edge.heatpump.compressor_efficiency import ALARM_K as COMPRESSOR_ALARM_K
from heatwatch.edge.heatpump.compressor_efficiency import NAMES as COMPRESSOR_SHIFTS
from heatwatch.edge.heatpump.compressor_efficiency import DESIGN_NAME, ENERGY_NAME, MIN_HEADROOM_FLOOR
from heatwatch.edge.heatpump.compressor_efficiency import CompressorEfficiency
from heatwatch.edge.heatpump.condenser_design import NAME as CEILING_NAME
from heatwatch.edge.heatpump.coverage import Coverage, coverage
from heatwatch.edge.heatpump.detector import (COMPUTE_OFFSET, RIDGE, BatchResults, HeatPumpDetector,
                                               HeatPumpDetectorConfig, HeatPumpResult)
from heatwatch.edge.heatpump.sensor_offset import SENSOR_STEPS, SignatureRows
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.operating_point import FEATURE_NAMES
from heatwatch.edge.heatpump.joined_results import JoinedResults
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.edge.heatpump.refrigerant_check import RefrigerantCheck, RefrigerantVerdict
from heatwatch.edge.reading import TimeOrder
from heatwatch.channels import INDEX, trip_name
from heatwatch.contract import EXPLAINED_BY, REVISES, EventBody, EventKind, Finding, Prognosis, revision_finding
from heatwatch.faults import FAULTS
from heatwatch.rules.engine import (OPERATING_POINT_SENSORS, SENSOR_EXPLAINS, SENSOR_LEVEL, SENSOR_SHARE, ChannelShift,
                                    Diagnosis, Evidence, RuleEngine)
from heatwatch.units import HOUR

_I_ERR = INDEX["error_code"]
# rules hold for hours: judging every five minutes of reading time is plenty
RULE_PERIOD_SECONDS = 300.0
# a raised pump fault's prognosis is recomputed this often; a move of more than a quarter
# of the time left (at least half a day) goes out as a fault_update event
PROGNOSIS_REFRESH_SECONDS = 6 * 3600.0
# ... unless no hour of its history closed since it was last made (False: every 6 hours regardless, as before)
SKIP_UNCHANGED_REFRESH = True
# ... and, once a date was told, only when due by the time left on it (refresh_period; False: at every
# 6-hour refresh, as before). A date 3 weeks out is re-checked daily, one 2 days out every 6 hours
REFRESH_BY_TIME_LEFT = True
# the period is at most this share of the time left (the lesser of the date told and the one just made),
# in whole PROGNOSIS_REFRESH_SECONDS, up to MAX_REFRESH_SECONDS: 6 h under 8 days left, 12 h to 12 days,
# 18 h to 16 days, a day beyond. A move is told up to a sixteenth of the time left later than at 6 h: a
# quarter of the 25 % the telling rule lets a date move untold (the dispatcher is never told a date staler
# than the rule already allows by more than that), and under 8 days (the 12-hour floor's 4 days, twice) as before
REFRESH_LEFT_SHARE = 1.0 / 16.0
# ... and at most this share of the time since the fault was first raised: its first dates are made from the
# fewest hours and move most (the loop's hp-191: 34 days at its raise, 16 six hours later; a day-long wait held
# the 34 two days), so a fault is checked every 6 h for its first 2 days, a day apart only from its fourth
REFRESH_AGE_SHARE = 1.0 / 4.0
MAX_REFRESH_SECONDS = 24 * 3600.0
# a run of rule rows on which a raised fault matches the same rules, nothing else due: one RuleEngine.steady_run
# (False: a steady_advance per row, as before; tests/edge/test_steady_runs.py holds one to the other)
COLLAPSE_STEADY_RUNS = True
STATE_VERSION = 2  # 1: the detector's state alone
_I_FLOW = TARGET_NAMES.index("flow_lpm")
_TARGET_COL = {name: j for j, name in enumerate(TARGET_NAMES)}
# the agent event that says the configured refrigerant does not fit the pump's readings
REFRIGERANT_MISMATCH = "refrigerant_mismatch"


def _for_refrigerant(part: str, refrigerant: str) -> str:
    """A rule's part in the pump's own refrigerant: an R290 pump's leak asks for an R290 cylinder."""
    return part.replace("{refrigerant}", refrigerant)


@dataclass
class PumpPipeline:
    device: str
    detector: HeatPumpDetector = field(default_factory=HeatPumpDetector)
    rules: RuleEngine = field(default_factory=RuleEngine.from_files)
    prognosis: PrognosisTracker = field(default_factory=PrognosisTracker)
    first_raised: dict[str, float] = field(default_factory=dict)  # fault -> ts first raised
    _last_error: float = 0.0
    # the pump stopped on protection since it was last seen to (repaired): no sensor-drift rule then
    _tripped: bool = False
    _flow_limit_set: bool = False
    _last_rules_ts: float = -math.inf
    # readings refused before the detector: a clock going backwards or no time at all
    rejected: Counter = field(default_factory=Counter)
    # raised pump faults -> the event that raised or last updated them
    raised_faults: dict[str, EventBody] = field(default_factory=dict)
    _last_refresh_ts: float = -math.inf
    # raised pump fault -> the prognosis history's generation its prognosis was last made at: a refresh
    # with nothing new to read (no hour closed since: a pump stopped on protection, or not running
    # steadily) is not made again (_refresh_prognoses)
    _prognosed: dict[str, int] = field(default_factory=dict)
    # raised pump fault with a date told -> the time its prognosis is next due (REFRESH_BY_TIME_LEFT)
    _refresh_due: dict[str, float] = field(default_factory=dict)
    _basis: str = "model"
    # the window handed to the pump's own start and the model judging it (times, features, targets, model):
    # dates its faults until the prognosis's own history can (_predict); its readings are in the state
    # (the model is the detector's, restored with it)
    _start_rows: tuple | None = field(default=None, repr=False)
    # process_batch's per-row pre-judgement of a chunk (_quiet_rows, _estimate_offsets)
    _tabled_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool), repr=False)
    _cand_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool), repr=False)
    _iso_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool), repr=False)
    _reach_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool), repr=False)
    _signatures: Mapping = field(default_factory=dict, repr=False)  # row -> every sensor's offset signature there
    _table_rows: set = field(default_factory=set, repr=False)  # rule rows whose shift rules the table knows
    # such a row -> [(shift rule matching, support met)]
    _table_hits: dict = field(default_factory=dict, repr=False)
    _rule_table: tuple | None = field(default=None, repr=False)  # (the rule engine, its rule_table.RuleTable)
    _prior_live: dict = field(default_factory=dict, repr=False)  # row judged on the bands -> has evidence
    _conf_cache: dict = field(default_factory=dict, repr=False)
    _sensor_hits: dict = field(default_factory=dict, repr=False)  # a row's sensor-check flags -> the sensor rules' hits
    _comp_shifts: dict = field(default_factory=dict, repr=False)  # the compressor's states on the rule rows
    _offsets: dict = field(default_factory=dict, repr=False)  # rule row -> its single-sensor offset (computed)
    # the chunk's levels R / scale, made once for the rows _offset_matches reads (the chunk, the levels)
    _offset_levels: tuple | None = field(default=None, repr=False)
    _rule_cols: dict = field(default_factory=dict, repr=False)  # id(shift rule) -> (it, [(channel, target column or None)])
    coverage: Coverage | None = None  # what this pump's channels allow judging (set by with_config)
    # does the pump run on the configured refrigerant? (an agent event, once, if not)
    refrigerant_check: RefrigerantCheck | None = None
    compressor: CompressorEfficiency | None = None  # its efficiency against its own baseline (wear)

    def __post_init__(self) -> None:
        self.time_order = TimeOrder(self.rejected)  # the one place a reading's time is checked
        cfg = self.detector.config
        if self.refrigerant_check is None:
            self.refrigerant_check = RefrigerantCheck(cfg.refrigerant)
        if self.compressor is None:
            self.compressor = CompressorEfficiency(cfg.refrigerant, cfg.commissioning_seconds,
                                                   cfg.design.design_outdoor_c)

    @classmethod
    def with_config(cls, device: str, config: HeatPumpDetectorConfig, rule_files=None) -> "PumpPipeline":
        """A pipeline for a pump with this config; with ``config.channels`` (a register map's) only
        the rules those channels can judge run (see heatpump/coverage.py; ``coverage`` says which not)."""
        rules = RuleEngine.from_files(rule_files) if rule_files else RuleEngine.from_files()
        cov = coverage(config.channels, rules)
        if config.channels is not None:
            rules = RuleEngine(cov.usable_rules)
        pipe = cls(device=device, detector=HeatPumpDetector(config), rules=rules,
                   prognosis=PrognosisTracker(refrigerant=config.refrigerant, rated_current_a=config.rated_current_a,
                                              derate_room_k=config.design.derate_room_k or None,
                                              derate_start_c=config.design.derate_start_c or None,
                                              min_frequency_hz=config.design.min_frequency_hz or None))
        pipe.coverage = cov
        return pipe

    def counters(self) -> dict[str, int]:
        """What was refused: readings by reason (``rejected``), values per channel (``out_of_range[t_flow]``)."""
        return {**self.rejected, **self.detector.plausibility.counters}

    # -- across restarts ------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything a restarted agent must remember about its pump (JSON-safe; see the module doc)."""
        return {
            "version": STATE_VERSION,
            "detector": self.detector.state(),
            "rules": self.rules.state(),
            "prognosis": self.prognosis.state(),
            "raised_faults": {fault: ev.model_dump(mode="json") for fault, ev in self.raised_faults.items()},
            "first_raised": self.first_raised,
            "last_ts": _finite_or_none(self.time_order.last_ts),
            "last_rules_ts": _finite_or_none(self._last_rules_ts),
            "last_refresh_ts": _finite_or_none(self._last_refresh_ts),
            "prognosed": self._prognosed,
            "refresh_due": self._refresh_due,
            "last_error": self._last_error,
            "tripped": self._tripped,
            "flow_limit_set": self._flow_limit_set,
            "basis": self._basis,
            "refrigerant_check": self.refrigerant_check.state() if self.refrigerant_check else None,
            "compressor": self.compressor.state() if self.compressor else None,
            "start_window": window_state.rows_state(*(list(a) for a in self._start_rows[:3]))
            if self._start_window_adds() else None,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Load what ``state()`` wrote, or a version 1 file (the detector alone)."""
        if state.get("version") == 1:
            self.detector.load_state(state)
            return
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unknown state version {state.get('version')!r}")
        self.detector.load_state(state["detector"])
        self.rules.load_state(state["rules"])
        self.prognosis.load_state(state["prognosis"])
        self.raised_faults = {fault: EventBody.model_validate(ev) for fault, ev in state["raised_faults"].items()}
        self.first_raised = {k: float(v) for k, v in state["first_raised"].items()}
        self.time_order.last_ts = _never_if_none(state["last_ts"])
        self._last_rules_ts = _never_if_none(state["last_rules_ts"])
        self._last_refresh_ts = _never_if_none(state["last_refresh_ts"])
        self._prognosed = {k: int(v) for k, v in state.get("prognosed", {}).items()}  # absent before it was kept
        self._refresh_due = {k: float(v) for k, v in state.get("refresh_due", {}).items()}  # absent: due now
        self._last_error = state["last_error"]
        self._tripped = bool(state.get("tripped", False))  # absent before it was kept
        self._flow_limit_set = bool(state["flow_limit_set"])
        self._basis = state["basis"]
        if state.get("refrigerant_check") and self.refrigerant_check is not None:  # absent before it existed
            self.refrigerant_check.load_state(state["refrigerant_check"])
        if state.get("compressor") and self.compressor is not None:
            self.compressor.load_state(state["compressor"])
        self._start_rows = None  # absent before it was kept: dated by the pump's own history when it can
        if state.get("start_window") and self.detector.model is not None:
            T, F, Y = window_state.rows_from_state(state["start_window"], len(FEATURE_NAMES), len(TARGET_NAMES))
            self._start_rows = (np.array(T, dtype=float), np.array(F), np.array(Y), self.detector.model)

    # -- after a visit ----------------------------------------------------------
    def repaired(self, ts: float, *, relearn: bool = True, why: str = "") -> list[EventBody]:
        """The pump was seen to: forget the faults raised and what pointed at them, and (``relearn``)
        the learned healthy behaviour, so a repaired pump's new normal is learned, not flagged.

        Returns a ``fault_cleared`` event at ``ts`` for each fault that stood (pump and sensor
        faults), so whoever was told it was raised is told it is gone. Kept: the pump's clock
        (a replayed reading is still refused), its last error code (a standing trip is not
        reported again) and the counters. ``relearn=False`` (no fault found: nothing on the
        pump changed) keeps the learned model and the flow limit derived from it.
        """
        standing: dict[str, str | None] = {f: None for f in self.raised_faults}
        fault_of = {r.name: r.fault for r in self.rules.rules}
        for name, channel in self.rules.active:
            standing.setdefault(fault_of[name], channel)
        if relearn:
            self.detector.relearn()
            cfg = self.detector.config  # a new or repaired compressor: its baseline afresh
            self.compressor = CompressorEfficiency(cfg.refrigerant, cfg.commissioning_seconds,
                                                   cfg.design.design_outdoor_c)
            self._flow_limit_set = False  # derived from the new model once it is fitted
        else:
            self.detector.clear_findings()
        self.prognosis.forget_history(keep_learned_limits=not relearn)
        self.rules.load_state([])
        self.raised_faults.clear()
        self._start_rows = None
        self._prognosed.clear()
        self._refresh_due.clear()
        self.first_raised.clear()
        self._tripped = False
        self._last_rules_ts = self._last_refresh_ts = -math.inf
        note = f" {why}" if why else ""
        return [EventBody(device=self.device, ts=ts, kind=EventKind.FAULT_CLEARED, fault=fault, severity="info",
                          explanation=f"{FAULTS[fault].title}{f' ({channel})' if channel else ''}: cleared.{note}")
                for fault, channel in standing.items()]

    def process(self, ts: float, values: np.ndarray) -> tuple[HeatPumpResult | None, list[EventBody]]:
        """One reading -> (detector result, events; the outbox numbers them).

        A reading without a time or not later than the one before (a controller
        clock set back, a replayed reading) is counted in ``rejected`` and gives
        (None, []): the detector's filters assume time moves forward.
        """
        if not self.time_order.accept(ts):
            return None, []
        result = self.detector.update(ts, values)
        return result, self._after(result)

    def process_batch(self, ts: np.ndarray, X: np.ndarray) -> tuple[BatchResults, list[EventBody]]:
        """Many readings at once (replay): the same events as process() row by row.

        The detector runs over the whole chunk (detector.score); the rules are judged only on the
        rows where they are due (every RULE_PERIOD_SECONDS) and, of those, only where something
        can happen: a rule's condition holds, a sensor check failed, a single-sensor drift is
        possible or a rule's timer runs (see _quiet). Prognosis history, refreshes and trips are
        taken in order with them. Rows whose time is not later than every row before are refused
        and counted, as in process().
        """
        ts, X = np.asarray(ts, dtype=float), np.asarray(X, dtype=float)
        ok = self.time_order.accept_batch(ts)
        if not ok.all():
            ts, X = ts[ok], X[ok]
        if self.detector.provisional:
            return self._provisional_batch(ts, X)
        results = self.detector.score(ts, X)
        return results, self._after_batch(results)

    def _provisional_batch(self, ts: np.ndarray, X: np.ndarray) -> tuple[BatchResults, list[EventBody]]:
        """While judged against a fleet prior the model and alarm levels change when the pump's own
        window is admitted: the readings before the one on which the window falls due go in batch
        (judged with the fleet's model, as the agent judges them), that one through process()'s
        steps (the fit, the admission or a refusal), and so on; the rest of the chunk in batch."""
        ts = ts.copy()  # the parts' times are read when joined (JoinedResults), not the caller's array then
        parts: list[BatchResults | list[HeatPumpResult]] = []
        events: list[EventBody] = []
        i, n = 0, len(ts)
        while i < n and self.detector.provisional:
            k = i + self.detector.provisional_span(ts[i:], X[i:])
            if k > i:
                res = self.detector.score(ts[i:k], X[i:k])
                parts.append(res)
                events.extend(self._after_batch(res))
            if k < n:
                r = self.detector.update(float(ts[k]), X[k])
                parts.append([r])
                events.extend(self._after(r))
                k += 1
            i = k
        if i < n:
            tail = self.detector.score(ts[i:], X[i:])
            parts.append(tail)
            events.extend(self._after_batch(tail))
        if len(parts) == 1 and isinstance(parts[0], BatchResults):  # the whole chunk in one batch (most chunks)
            return parts[0], events
        if not parts:
            return self.detector.score(ts, X), events
        return JoinedResults(parts, X.shape[1]), events  # one object per row only if the results are read

    def _after_batch(self, res: BatchResults) -> list[EventBody]:
        """_after() for every row of a chunk, doing work only on the rows where something can happen."""
        self._keep_start_window()
        n = len(res)
        if n == 0:
            return []
        tsl = res.ts.tolist()
        # rows the rules are judged on, and rows the prognoses are refreshed on (their clocks)
        ts = np.ascontiguousarray(res.ts, dtype=np.float64)
        rule_arr, last_rules = clock_rows(ts, float(self._last_rules_ts), float(RULE_PERIOD_SECONDS))
        refresh_arr, last_refresh = clock_rows(ts, float(self._last_refresh_ts), float(PROGNOSIS_REFRESH_SECONDS))
        rule_rows, refresh_rows = rule_arr.tolist(), refresh_arr.tolist()
        # trips: error_code changes to a non-zero code (NaN readings leave the last code)
        err = res.X[:, _I_ERR]
        known = np.flatnonzero(~np.isnan(err))
        codes = err[known].astype(np.int64)
        before = np.concatenate([[int(self._last_error)], codes[:-1]])
        trips = known[(codes != 0) & (codes != before)]
        trip_prev = dict(zip(trips.tolist(), before[(codes != 0) & (codes != before)].tolist()))
        # the prognosis history is fed the ready, steady rows, up to each row where it is read
        feed = np.flatnonzero(res.ready & res.steady)
        fed = [0]  # rows of ``feed`` applied so far
        # ... and every ready row's extremes, transients too (the switches that open on the moment's reading)
        feed_all = np.flatnonzero(res.ready)
        fed_all = [0]

        def feed_upto(i: int) -> None:
            k_all = int(np.searchsorted(feed_all, i, side="right"))
            if k_all > fed_all[0]:
                every = feed_all[fed_all[0]:k_all]
                self.prognosis.update_peak_rows(res.ts[every], res.Y[every])
                fed_all[0] = k_all
            k = int(np.searchsorted(feed, i, side="right"))
            if k <= fed[0]:
                return
            rows = feed[fed[0]:k]
            if not self._flow_limit_set and self.detector.model is not None and not self.detector.provisional:
                self._flow_limit_set = True
                self._learn_limits()
            self.prognosis.update_rows(res.ts[rows], res.R[rows], res.Y[rows])
            fed[0] = k

        # detect's per-reading work over the steady rows, in order: the refrigerant check (until it has
        # spoken) and the compressor's efficiency, whose shifts the rules read on each rule row
        verdicts = self._refrigerant_rows(res)
        self._compressor_rows(res, rule_rows)
        quiet = self._quiet_rows(res, rule_arr)
        findings = res.any_findings()
        self._estimate_offsets(res, rule_arr[self._cand_at[rule_arr] | self._iso_at[rule_arr]].tolist())
        # the single-sensor offset of every rule row that will read it (such a row is never quiet),
        # all at once: the same numbers as row by row (detector.sensor_offsets)
        need = self._needs_offset_rows(res)
        self._offsets = self.detector.sensor_offsets(res, rule_arr[need[rule_arr]].tolist(), self._signatures)
        # where the exact offset can make no rule yield nor match, it is read as no offset (the table's path)
        need[[i for i, so in self._offsets.items() if not self.rules.offset_may_count(so)]] = False
        need_at = need.tolist()
        todo = _rows_union(n, rule_arr, refresh_arr, np.array(list(trip_prev) + list(verdicts), dtype=np.int64))
        rule_set, refresh_set = set(rule_rows), set(refresh_rows)
        # a quiet rule row does nothing while no timer runs: the loop jumps over runs of them
        quiet_at = np.zeros(n, dtype=bool)
        quiet_at[rule_arr] = quiet
        quiet_l = quiet_at.tolist()
        skip = quiet_at.copy()
        skip[refresh_arr] = False
        skip[list(trip_prev) + list(verdicts)] = False
        nxt = _next_false(skip[todo]).tolist()
        todo_l = todo.tolist()
        events: list[EventBody] = []
        quiet_last = -1  # the last rule row, if it was skipped: its evidence's basis is kept
        running = self._timers_running()  # the rules' timers change only when the rules advance
        run_end: list[int] | None = None  # per position of todo: the end of the run of steady rows after it (_steady_runs)
        pos = 0
        while pos < len(todo_l):
            if not running and nxt[pos] > pos:
                quiet_last = todo_l[nxt[pos] - 1]
                self._last_rules_ts = tsl[quiet_last]
                pos = nxt[pos]
                if pos == len(todo_l):
                    break
            i = todo_l[pos]
            pos += 1
            t = tsl[i]
            if i in verdicts:
                events.append(self._refrigerant_event(t, verdicts[i]))
            if i in rule_set:
                self._last_rules_ts = t
                need_offset = need_at[i]
                tabled = i in self._table_rows and not need_offset and (not findings[i] or i not in self._table_hits)
                # the offset read for its veto (and the isolated rules) alone: the table's matches yield to it
                vetoed = None if tabled or not need_offset or findings[i] or i not in self._table_rows \
                    else self._offset_matches(res, i)
                if quiet_l[i] and not running:
                    quiet_last = i
                elif tabled and self.rules.steady_advance(t, matched := self._table_hits_of(res, i, findings[i])):
                    quiet_last = i  # raised faults matched again, nothing due: only their sightings moved
                    if COLLAPSE_STEADY_RUNS:
                        # the rule rows after it that would match the same: their steady_advance calls as one
                        if run_end is None:
                            run_end = self._steady_runs(res, todo, rule_arr, refresh_arr, list(trip_prev) + list(verdicts),
                                                        need, findings)
                        end = run_end[pos - 1]
                        if end > pos:
                            k = self.rules.steady_run(ts[todo[pos:end]], matched)
                            if k:
                                pos += k
                                quiet_last = todo_l[pos - 1]
                                self._last_rules_ts = tsl[quiet_last]
                elif vetoed is not None and self.rules.steady_advance(
                        t, {(name, ch): conf for name, ms in vetoed.items() for ch, conf, _ in ms}):
                    quiet_last = i
                else:
                    quiet_last = -1
                    if vetoed is not None:
                        diagnoses = self.rules.advance(t, vetoed, _Memo(
                            lambda i=i: self._evidence_at(res, i, need_offset=True)))
                        self._basis = self._quiet_basis(res, i)
                    elif tabled:
                        # the matches are the table's: no sensor offset in play (no isolated rule can match),
                        # and either no sensor finding or no shift rule that can match (the sensor rules'
                        # matches are then the findings' alone: a drifting sensor's rows while no pump rule can)
                        matches = self._table_matches(res, i)
                        if findings[i]:
                            matches.update(self.rules.sensor_matches(res.findings(i)))
                        diagnoses = self.rules.advance(t, matches, _Memo(
                            lambda i=i: self._evidence_at(res, i, need_offset=False)))
                        self._basis = self._quiet_basis(res, i)
                    else:
                        evidence = self._evidence_at(res, i, need_offset=need_offset)
                        self._basis = evidence.basis
                        # the shift rules the table says can match (the others are not read again)
                        cands = {rule.name for rule, _ in self._table_hits.get(i, ())} \
                            if i in self._table_rows else None
                        diagnoses = self.rules.evaluate(evidence, cands)
                    running = self._timers_running()
                    if diagnoses:
                        feed_upto(i)  # a raised pump fault's prognosis reads the history up to now
                        events.extend(self._event(d) for d in self._one_voice(diagnoses))
            if i in refresh_set:
                self._last_refresh_ts = t
                if self.raised_faults:
                    feed_upto(i)
                    events.extend(self._refresh_prognoses(t))
            if i in trip_prev:
                self._last_error = trip_prev[i]
                events.extend(self._trip(t, float(err[i])))
        feed_upto(n - 1)
        self._offset_levels = None  # the chunk's levels are not kept past it
        if quiet_last >= 0:
            self._basis = self._quiet_basis(res, quiet_last)
        self._last_rules_ts, self._last_refresh_ts = last_rules, last_refresh
        if len(codes):
            self._last_error = int(codes[-1])
        return self._with_held(events)

    def _with_held(self, events: list[EventBody]) -> list[EventBody]:
        """The detector's notices of a commissioning window held open (held_window.py) as agent events
        (no ticket), each before the events of its own reading and after those of earlier ones, as the
        readings came."""
        if not self.detector.held.pending:  # the common case, at every streamed reading: nothing to say
            return events
        notices = self.detector.held.drain()
        out: list[EventBody] = []
        i = 0
        for n in notices:
            while i < len(events) and events[i].ts < n.ts:
                out.append(events[i])
                i += 1
            out.append(EventBody(device=self.device, ts=n.ts, kind=EventKind.AGENT, fault=n.kind, severity="warning",
                                 confidence=1.0, explanation=n.text,
                                 findings=[Finding(kind="commissioning", channels=list(n.channels), score=1.0,
                                                   message=n.text[:200])]))
        return out + events[i:]

    # -- detect's per-reading work over a chunk (process_batch) ------------------
    def _refrigerant_rows(self, res: BatchResults) -> dict[int, RefrigerantVerdict]:
        """RefrigerantCheck.update on the steady rows, as _after feeds it, until it is done:
        {row: verdict} (at most one). Only the first hours of a pump's life cost anything."""
        check = self.refrigerant_check
        out: dict[int, RefrigerantVerdict] = {}
        if check is None or check.done:
            return out
        for i in np.flatnonzero(res.steady).tolist():
            verdict = check.update(float(res.ts[i]), res.X[i])
            if verdict is not None:
                out[i] = verdict
            if check.done:
                break
        return out

    def _compressor_rows(self, res: BatchResults, rule_rows: list[int]) -> None:
        """CompressorEfficiency.update on every steady row, in order; its shifts as they stand on
        each rule row (CompressorEfficiency.snapshot(): what add_to would add there) are made from
        the states only where they are read (_comp_snap; _comp_levels for the table's columns)."""
        comp = self.compressor
        assert comp is not None
        rows = np.flatnonzero(res.steady)
        before = comp.snapshot()
        states = comp.steps(res.ts[rows], res.X[np.ix_(rows, COMPRESSOR_CHANNELS)])
        # steady rows up to each rule row: its state is the one after the last of them (0: before the chunk)
        rr = np.asarray(rule_rows, dtype=np.int64)
        upto = np.searchsorted(rows, rr, side="right")
        # (a rule row's count is found when its snapshot is read, _comp_snap: a few rows a chunk, not all of them)
        self._comp_shifts = {"before": before, "states": states, "rows": rr, "upto": upto, "rule_rows": rule_rows,
                             "snaps": {0: before}}

    def _comp_snap(self, i: int) -> tuple | None:
        """The compressor's snapshot on rule row i (None on another row): snapshot_of the state after
        the steady rows up to it, the one before the chunk if none (the same numbers snapshots_of makes)."""
        c = self._comp_shifts
        if not c:
            return None
        rule_rows = c["rule_rows"]
        k = bisect.bisect_left(rule_rows, i)  # rule rows are in order: i's place among them, if it is one
        if k == len(rule_rows) or rule_rows[k] != i:
            return None
        m = int(c["upto"][k])
        snaps = c["snaps"]
        if m not in snaps:
            snaps[m] = self.compressor.snapshot_of(c["states"][m - 1])  # type: ignore[union-attr]
        return snaps[m]

    def _comp_levels(self, rows: np.ndarray, live: np.ndarray) -> dict[str, np.ndarray]:
        """The compressor's shift levels on these rule rows whose evidence is live, per channel
        (NaN where it has none): snapshots_of's levels, all rows at once, without their tuples."""
        c = self._comp_shifts
        comp = self.compressor
        if not c or comp is None or comp.alarm is None or not len(rows):
            return {}
        m = c["upto"][np.searchsorted(c["rows"], rows)]
        later = live & (m > 0)
        alarm = comp.alarm
        extra: dict[str, np.ndarray] = {}
        S = c["states"][np.maximum(m, 1) - 1] if later.any() else None
        with np.errstate(invalid="ignore", divide="ignore"):
            for j, name in enumerate(COMPRESSOR_SHIFTS if S is not None else ()):
                if not math.isfinite(alarm[j]):
                    continue
                obs = S[:, 2 + j]
                has = later & (obs == obs) & (S[:, 8] == S[:, 8])
                if has.any():
                    a = S[:, 9] if j == 0 else alarm[j]  # compression_loss's alarm follows the headroom
                    lv = S[:, j] / np.sqrt(a ** 2 + COMPRESSOR_ALARM_K ** 2 * S[:, 4 + j] ** 2)
                    extra[name] = np.where(has, lv, np.nan)
            if S is not None and math.isfinite(alarm[0]):  # the design day's headroom (snapshots_of's)
                up = S[:, 10]
                has = later & (S[:, 2] == S[:, 2]) & (S[:, 8] == S[:, 8]) & (up < math.inf)
                if has.any():
                    extra[DESIGN_NAME] = np.where(has, S[:, 0] / np.maximum(up, MIN_HEADROOM_FLOOR), np.nan)
            if S is not None and S.shape[1] > 11:  # the energy balance's witness (snapshots_of's)
                en = np.where(later & (S[:, 8] == S[:, 8]), S[:, 11], np.nan)
                if (en == en).any():
                    extra[ENERGY_NAME] = en
        first = np.flatnonzero(live & (m == 0))
        if len(first) and c["before"]:  # rule rows before the chunk's first steady row: the state before it
            for name, lv, _, _ in c["before"]:
                extra.setdefault(name, np.full(len(rows), np.nan))[first] = lv
        return extra

    def _evidence_at(self, res: BatchResults, i: int, *, need_offset: bool):
        """detector.evidence of row i with the compressor's shifts of that row, as _after builds it."""
        ev = self.detector.evidence_row(res, i, need_offset=need_offset,
                                          offset=self._offsets.get(i, COMPUTE_OFFSET))
        if ev.ready:
            ev.shifts.update(CompressorEfficiency.shifts_of(self._comp_snap(i)))
        ev.tripped = self._tripped
        return ev

    def _steady_runs(self, res: BatchResults, todo: np.ndarray, rule_arr: np.ndarray, refresh_arr: np.ndarray,
                     other: list[int], need: np.ndarray, findings: np.ndarray) -> list[int]:
        """Per position p of ``todo``: the end (exclusive) of the positions after it whose rows would
        each take _after_batch's table path (``tabled``) with the same matches as row todo[p] (the
        same hit list of the table, the same sensor-check flags), rule rows and nothing else (no
        refresh, trip nor refrigerant verdict): after a steady_advance on todo[p], theirs go as one
        (RuleEngine.steady_run). p + 1 where todo[p] is not such a row itself."""
        n = len(res)
        plain = np.zeros(n, dtype=bool)
        plain[rule_arr] = True
        plain[refresh_arr] = False
        plain[other] = False
        tab = np.zeros(n, dtype=bool)
        tab[list(self._table_rows)] = True
        hid = np.full(n, -1, dtype=np.int64)  # the table's hit list of the row (lists are shared by equal rows)
        if self._table_hits:
            hid[list(self._table_hits)] = [id(h) for h in self._table_hits.values()]
        tab &= ~need & (~findings | (hid < 0))
        a, b = todo[1:], todo[:-1]
        same = plain[a] & tab[a] & tab[b] & (hid[a] == hid[b]) & (findings[a] == findings[b])
        if findings[a].any():  # a sensor check failed: the same checks on both rows (their flags) or no run
            if res._findings is None and res.flags is not None:
                same &= ~findings[a] | (res.flags[a] == res.flags[b]).all(axis=1)
            else:
                same &= ~findings[a]
        end = _next_false(np.append(same, False)) + 1  # position p: the first q > p where same[q - 1] is False
        end = np.where(plain[todo], end, np.arange(1, len(todo) + 1))
        return end.tolist()

    # -- which rule rows can be skipped (process_batch) ------------------------
    def _timers_running(self) -> bool:
        """A rule raised, or its condition seen and its hold timer running: judging must go on."""
        return any(t.active or t.first_true is not None for t in self.rules._tracks.values())

    def _quiet_rows(self, res: BatchResults, rows: np.ndarray) -> np.ndarray:
        """Rule rows where the evidence lets no rule match: no sensor check failed, no shift rule's
        condition holds, and (a ready detector) no single-sensor offset can reach an isolated
        rule's level (its level is at most the alarm-scaled residuals' norm). On such a row with
        no timer running, RuleEngine.evaluate says nothing and changes nothing.

        Rows before the pump's own model (not ready) are judged on the physics bands (prior.py):
        their shift rules read the bands' levels (and the compressor's shifts), the same table."""
        self._table_hits, self._prior_live = {}, {}
        self._table_rows = set()
        # per row of the chunk: judged on the table (a ready row), a shift rule or an isolated one might match
        self._tabled_at, self._cand_at, self._iso_at = (np.zeros(len(res), dtype=bool) for _ in range(3))
        if not len(rows):
            return np.zeros(0, dtype=bool)
        quiet = ~res.any_findings()[rows]
        ready = res.ready[rows]
        alarm = self.detector.alarm
        if ready.any() and alarm is not None:
            rr = rows[ready]
            L = res.R[rr] / (alarm if res.S is None else res.S[rr])
            seen = ~np.isnan(L) & ~np.isnan(res.O[rr])
            ceiling = self.detector.ceiling  # the design's ceiling on the approach, as _ready_evidence reads it
            more = {} if ceiling is None else {CEILING_NAME: ceiling.levels(res.O[rr])}
            # the flow meter against the heat per unit of input, as _ready_evidence reads it (flow_meter.py)
            meter, _ = flow_meter.levels(res.O[rr], res.R[rr], np.broadcast_to(alarm, res.R[rr].shape)
                                         if res.S is None else res.S[rr])
            more.update((name, meter[:, k]) for k, name in enumerate(flow_meter.NAMES))
            # rows judged against a fleet's model (before the pump's own): a rule's fleet_min_support
            det = self.detector
            fleet = np.zeros(len(rr), dtype=bool) if det.fleet is None or det.fleet.own \
                else res.ts[rr] <= det._fleet_until
            cand, iso = self._shift_candidates(rr, L, seen, np.ones(len(rr), dtype=bool), isolated=True, more=more,
                                               fleet=fleet)
            self._tabled_at[rr], self._cand_at[rr], self._iso_at[rr] = True, cand, iso
            quiet[ready] &= ~cand & ~iso
        if not ready.all():
            pr = rows[~ready]
            formed, bands = self.detector.prior.levels_rows(res.ts[pr], res.O[pr])
            L = np.full((len(pr), len(TARGET_NAMES)), np.nan)
            L[:, self.detector.prior.targets] = bands
            seen = formed[:, None] & ~np.isnan(L)
            # the water thermistors' physics on the same averages (prior.physics_rows, as levels() adds it)
            more = self.detector.prior.physics_rows(formed, res.O[pr])
            # evidence with no band to read is not ready: no shift rule and no compressor shift then
            live = seen.any(axis=1) | np.any([~np.isnan(v) for v in more.values()], axis=0)
            cand, _ = self._shift_candidates(pr, L, seen, live, isolated=False, prior=True, more=more)
            self._prior_live = dict(zip(pr.tolist(), live.tolist()))
            quiet[~ready] &= ~cand
        return quiet

    def _shift_candidates(self, rows: np.ndarray, L: np.ndarray, seen: np.ndarray, live: np.ndarray, *,
                          isolated: bool, prior: bool = False, more: dict[str, np.ndarray] | None = None,
                          fleet: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per row: might a shift rule match (its require, exclude and support as RuleEngine reads
        them from the evidence), and (``isolated``) might an isolated-shift rule. ``L``: the level
        per target channel, ``seen``: the channels the evidence has, ``live``: rows whose evidence
        is ready (it carries the compressor's shifts); ``prior``: rows judged on the prior's bands
        (a rule's prior_min_support); ``more``: other channels' levels on these rows (the design's
        condenser ceiling); ``fleet``: per row, judged against a fleet's model (fleet_min_support).
        Keeps per row the shift rules matching and how many of their support channels agree
        (``_table_hits``)."""
        never = np.zeros(len(rows), dtype=bool)
        # the compressor's shifts on these rows (channels the detector does not have)
        extra = self._comp_levels(rows, live)
        if more:
            extra.update(more)
        if self._rule_table is None or self._rule_table[0] is not self.rules:
            self._rule_table = (self.rules, rule_table.compile_rules(self.rules.rules))
        table = self._rule_table[1]
        # every shift rule's conditions on every row at once (rule_table.candidates_reference: rule by rule)
        match, sup = rule_table.candidates(table, _TARGET_COL, L, seen, extra, prior)
        if fleet is not None and fleet.any() and not prior:
            # the fleet's rows read the rules' fleet_min_support (the same conditions, another count)
            fm, _ = rule_table.candidates(table, _TARGET_COL, L, seen, extra, prior, fleet=True)
            match = np.where(fleet[:, None], fm, match)
        cand = match.any(axis=1)
        iso_levels = table.isolated_levels
        at, hits = _hits_by_row(match, sup, table.rules)
        self._table_rows.update(rows.tolist())
        self._table_hits.update(zip(rows[at].tolist(), hits))
        if isolated and iso_levels:
            b = np.where(np.isfinite(L), L, 0.0)
            norm = np.sqrt((b * b).sum(axis=1))
            iso = norm >= min(iso_levels) * (1.0 - 1e-6)
        else:
            iso = never
        return cand, iso

    def _table_matches(self, res: BatchResults, i: int) -> dict[str, list]:
        """RuleEngine's matches on table row i (a row without sensor findings or offset): the shift
        rules the table says match (the others none); findings made only if a rule is raised."""
        return {rule.name: self._table_matches_of(res, i, rule, met) for rule, met in self._table_hits.get(i, ())}

    def _table_hits_of(self, res: BatchResults, i: int, finding: bool) -> dict[tuple[str, str | None], float]:
        """The subjects matched on table row i and their confidences (_table_matches' and, with a
        sensor finding, the sensor rules'), for RuleEngine.steady_advance."""
        out: dict[tuple[str, str | None], float] = {}
        for rule, met in self._table_hits.get(i, ()):
            conf = self._conf_cache.get((rule.name, met))
            if conf is None:
                conf = self._conf_cache[(rule.name, met)] = RuleEngine.confidence(rule, met)
            out[(rule.name, rule.sensor)] = conf
        if finding:
            if res.flags is None:
                out.update(self.rules.sensor_hits(res.findings(i)))
            else:  # a drifting sensor fails the same checks row after row: its hits once per flags row
                key = res.flags[i].tobytes()
                hits = self._sensor_hits.get(key)
                if hits is None:
                    if len(self._sensor_hits) > 4096:
                        self._sensor_hits.clear()
                    hits = self._sensor_hits[key] = self.rules.sensor_hits(res.findings(i))
                out.update(hits)
        return out

    def _offset_matches(self, res: BatchResults, i: int) -> dict[str, list]:
        """RuleEngine's matches on table row i (ready, no sensor finding) with its exact single-sensor
        offset: the table's shift rules, each yielding to the offset as evaluate makes it yield, and
        the isolated rules (RuleEngine.offset_matches), read from the chunk's arrays: the offset and
        the levels of the channels those rules read, not the row's whole evidence."""
        hits = self._table_hits.get(i, ())
        shifts: dict[str, ChannelShift] = {}
        so = self._offsets.get(i)
        lv: list | None = None
        if hits:
            comp = None
            for rule, _ in hits:
                reads = self.rules.veto_reads(rule, so)  # the rest the veto never reads
                if not reads:
                    continue
                if lv is None:
                    # the levels _ready_evidence makes, as Python floats (the same doubles; expected = observed - residual)
                    lv, ob, rr = self._levels_row(res, i).tolist(), res.O[i].tolist(), res.R[i].tolist()
                got = self._rule_cols.get(id(rule))
                if got is None or got[0] is not rule:  # (the rule kept with its columns: its id stays its own)
                    got = self._rule_cols[id(rule)] = (rule, [(ch, _TARGET_COL.get(ch)) for ch in (*rule.require, *rule.support)])
                for ch, j in got[1]:
                    if ch in shifts or ch not in reads:
                        continue
                    if j is None:
                        comp = CompressorEfficiency.shifts_of(self._comp_snap(i)) if comp is None else comp
                        if ch in comp:
                            shifts[ch] = comp[ch]
                    elif lv[j] == lv[j] and ob[j] == ob[j]:
                        shifts[ch] = ChannelShift(lv[j], ob[j] - rr[j], ob[j])
        ev = Evidence(ts=float(res.ts[i]), shifts=shifts, sensor_offset=so, tripped=self._tripped)
        return self.rules.offset_matches(ev, {rule.name: (rule, m) for rule, m in
                                              ((r, self._table_matches_of(res, i, r, met)) for r, met in hits)})

    def _levels_row(self, res: BatchResults, i: int) -> np.ndarray:
        """res.R[i] / the levels row i was judged against (res.scale(i), the alarm where None): the
        chunk's rows divided at once on the first call, the same division element by element."""
        if hasattr(res, "_results"):
            scale = res.scale(i)
            return res.R[i] / (self.detector.alarm if scale is None else scale)
        c = self._offset_levels
        if c is None or c[0] is not res or c[1] is not self.detector.alarm:
            alarm = self.detector.alarm
            scale = alarm if res.S is None else res.S if alarm is None else np.where(res.ready[:, None], res.S, alarm)
            c = self._offset_levels = (res, alarm, res.R / scale)
        return c[2][i]

    def _table_matches_of(self, res: BatchResults, i: int, rule, met: int) -> list:
        """_table_matches' entry of one shift rule."""
        conf = self._conf_cache.get((rule.name, met))
        if conf is None:
            conf = self._conf_cache[(rule.name, met)] = RuleEngine.confidence(rule, met)
        return [(rule.sensor, conf, _Memo(lambda rule=rule, i=i: self._table_findings(rule, res, i)))]

    def _table_findings(self, rule, res: BatchResults, i: int) -> list:
        """The findings RuleEngine gives a shift rule's match on row i."""
        ev = self._evidence_at(res, i, need_offset=False)
        return self.rules._shift_rule(rule, ev)[0][2]()

    def _needs_offset_rows(self, res: BatchResults) -> np.ndarray:
        """Per row of the chunk: can the best single-sensor offset change what the rules say there?
        Only on a ready row (one judged on the physics bands reads no offset), when a shift rule
        might match (a sensor that explains it vetoes it) or an isolated rule might (a row the table
        did not judge might too), and a sensor could explain enough of the drift to count (an
        estimate, see _estimate_offsets; a row not estimated might)."""
        might = ~self._tabled_at | self._cand_at | self._iso_at
        return res.ready & might & self._reach_at

    def _estimate_offsets(self, res: BatchResults, rows: list[int]) -> None:
        """For the rule rows where the single-sensor offset might matter: could the best sensor's
        offset change what a rule says? The same least squares as sensor_offset.best_offset, all rows
        at once, per sensor its share of the drift and its level (the largest part it explains);
        their rounding differs from the exact ones by far less than the margins kept, so a row
        estimated below them is below them exactly. The offset is read by two rules only:

        - an isolated-shift rule matches when the best sensor explains ``isolated_explained`` with
          ``isolated_level`` (some sensor must reach both);
        - a shift rule that matches yields to it (RuleEngine._sensor_explains) only when the best
          sensor explains SENSOR_EXPLAINS, or is an operating-point sensor explaining SENSOR_SHARE
          at SENSOR_LEVEL: only on rows where the table says a shift rule can match.

        Elsewhere the offset is None in the evidence and the rules say the same (on a healthy pump
        in winter 4 in 10 rule rows had a residual norm above the isolated level, and most a sensor
        explaining 30 %: each was judged in full with its exact offset; a fault's rows likewise)."""
        self._reach_at, self._signatures = np.ones(len(res), dtype=bool), {}
        model, alarm = self.detector.model, self.detector.alarm
        if len(rows) and not hasattr(res, "_results"):  # res.steady_x(i) of every row at once: X's row j >= 0, the carry where -1
            j = res.sx_idx[rows]
            rows = np.asarray(rows)[res.ready[rows] & ((j >= 0) | ((j == -1) & (res.sx_carry is not None)))].tolist()
        else:
            rows = [i for i in rows if res.ready[i] and res.sx_idx[i] != -2 and res.steady_x(i) is not None]
        if not rows or model is None or alarm is None:
            return
        SX = _steady_rows(res, rows)
        # the model each row was judged by (a refit of the growing envelope later in the chunk is not it)
        judged_by = self.detector.models_at(res.ts[rows])
        models = [x or model for x in judged_by]
        scale = alarm if res.S is None else res.S[rows]
        sig, share, level, energy = offset_kernel.shares(SX, models, res.R[rows], scale, self.detector.config.refrigerant)
        reach = np.zeros(len(rows), dtype=bool)
        for r in self.rules.rules:
            if r.isolated_shift:
                reach |= ((share >= r.isolated_explained - 1e-6) & (level >= r.isolated_level * (1 - 1e-6))).any(axis=1)
        veto = (share >= SENSOR_EXPLAINS - 1e-6).any(axis=1) | (
            _OP_SENSORS & (share >= SENSOR_SHARE - 1e-6) & (level >= SENSOR_LEVEL * (1 - 1e-6))).any(axis=1)
        reach = (energy > 0) & (reach | (self._cand_at[rows] & veto))
        self._reach_at[rows] = reach
        # the exact offsets of the rows that need one read these signatures (detector.sensor_offsets):
        # the same numbers signatures_rows makes, for rows judged by a model of their own time
        self._signatures = SignatureRows({i: k for k, i in enumerate(rows) if reach[k] and judged_by[k] is not None}, sig)

    def _quiet_basis(self, res: BatchResults, i: int) -> str:
        """Evidence.basis on row i, without building the evidence."""
        if res.ready[i]:
            return self.detector.basis_at(float(res.ts[i]))
        live = self._prior_live.get(i)
        if live is None:
            live = bool(self.detector.prior.levels(float(res.ts[i]), res.O[i]))
        return "prior" if live else "model"

    def _learn_limits(self) -> None:
        """The prognosis limits learned from the pump's own healthy model, once it is fitted: the
        flow switch from its commissioned flow."""
        self.prognosis.set_flow_limit(float(self.detector.model.coef[0, _I_FLOW]))  # type: ignore[union-attr]

    def _keep_start_window(self) -> None:
        """A pump just handed to its own first days (no fleet; detector._start_own): its window's readings,
        judged against them, date its faults until the prognosis's own history, hours long, can (_predict).
        They are not put into that history: measured on bench/scenarios/heldout37_window_rome_r290.yaml, the
        later dates read from it held the trip less often (every prognosis: interval 86 % -> 79 %)."""
        window = self.detector.take_start_window()
        if window is not None and self.detector.model is not None:
            self._start_rows = (*window, self.detector.model)

    def _start_window_adds(self) -> bool:
        """Is the start window worth its room in the state file (up to 30,000 rows, some 10 MB)? Only while
        the pump's own history is shorter than the window was: after that a restarted agent's own history
        holds as many days as the window did (a healthy pump without a fleet keeps its window in memory,
        never raised, but does not write it out at every save)."""
        if self._start_rows is None or not len(self._start_rows[0]):
            return False
        T = self._start_rows[0]
        return self.prognosis.history_hours * HOUR < float(T[-1] - T[0])

    def _predict(self, fault: str, ts: float) -> Prognosis | None:
        """The fault's trip date: from the prognosis's history, or, with no model judging the pump yet
        (named by the prior's bands), from its window's growth since its first days (start_history)."""
        if self._basis == "prior":  # (the basis of the last rule row: the same in a replay's chunk as streaming)
            rows = self.detector.window_readings()
            if self._start_rows is not None and not (rows[0] < ts).any():
                rows = self._start_rows[:3]  # a replay's chunk in which the window was handed on after this row
            return start_history.window_date(self.prognosis, fault, ts, *rows, RIDGE)
        p = self.prognosis.predict(fault, ts)
        if p is None and self._start_rows is not None:  # its history too short yet: the window dates it
            p = start_history.scratch_date(self.prognosis, fault, ts, *self._start_rows)
        elif p is not None:
            self._start_rows = None
        return p

    def _after(self, result: HeatPumpResult) -> list[EventBody]:
        self._keep_start_window()
        ts = result.ts
        if result.ready and result.steady:
            if not self._flow_limit_set and self.detector.model is not None and not self.detector.provisional:
                self._flow_limit_set = True  # (a fleet's model does not judge the flow: the pump's own sets it)
                self._learn_limits()
            self.prognosis.update(ts, result.residual, result.targets)
        if result.ready:
            self.prognosis.update_peak(ts, result.targets)
        if self.detector.fleet is not None and (offset := self.detector.fleet.take_handover()) is not None:
            self.prognosis.carry_over(offset)  # the own model took over from the fleet's at this reading
        if result.steady:
            self.compressor.update(ts, result.values)  # type: ignore[union-attr]
        events: list[EventBody] = []
        if result.steady and not self.refrigerant_check.done:  # type: ignore[union-attr]
            verdict = self.refrigerant_check.update(ts, result.values)  # type: ignore[union-attr]
            if verdict is not None:
                events.append(self._refrigerant_event(ts, verdict))
        if ts - self._last_rules_ts >= RULE_PERIOD_SECONDS:
            self._last_rules_ts = ts
            evidence = self.detector.evidence(result)
            evidence.tripped = self._tripped
            if evidence.ready:
                self.compressor.add_to(evidence)  # type: ignore[union-attr]
            self._basis = evidence.basis
            events.extend(self._event(d) for d in self._one_voice(self.rules.evaluate(evidence)))
        if ts - self._last_refresh_ts >= PROGNOSIS_REFRESH_SECONDS:
            self._last_refresh_ts = ts
            events.extend(self._refresh_prognoses(ts))
        events.extend(self._trip(ts, float(result.values[_I_ERR])))
        return self._with_held(events)

    def _refrigerant_event(self, ts: float, verdict: RefrigerantVerdict) -> EventBody:
        """The configuration is wrong, not the pump: an agent event (no ticket), said once."""
        return EventBody(
            device=self.device, ts=ts, kind=EventKind.AGENT, fault=REFRIGERANT_MISMATCH, severity="warning",
            confidence=0.9, explanation=verdict.explanation(),
            findings=[Finding(kind="refrigerant", channels=["p_high", "p_low"], observed=verdict.misfit_k[verdict.configured][0],
                              score=1.0, message=f"configured {verdict.configured}, fits {verdict.fits or 'none known'}")])

    def _one_voice(self, diagnoses: list[Diagnosis]) -> list[Diagnosis]:
        """Several rules may name one fault (a leak with or without a valve reading): the
        dispatcher hears it raised once, and cleared only when no rule sees it any more."""
        fault_of = {r.name: r.fault for r in self.rules.rules}
        out = []
        said: set = set()  # two rules of one fault raising (or clearing) in the same round: said once
        for d in diagnoses:
            if d.channel is None:
                if d.state == "raised" and (d.fault in self.raised_faults or d.fault in said):
                    continue
                if d.state == "raised":
                    said.add(d.fault)
                if d.state == "cleared" and (any(fault_of[n] == d.fault for n, c in self.rules.active if c is None)
                                             or ("cleared", d.fault) in said):
                    continue
                if d.state == "cleared":
                    said.add(("cleared", d.fault))
            out.append(d)
        return out

    def _refresh_prognoses(self, ts: float) -> list[EventBody]:
        out = []
        for fault, last in list(self.raised_faults.items()):
            if REFRESH_BY_TIME_LEFT and last.prognosis is not None and ts < self._refresh_due.get(fault, -math.inf):
                continue  # a date far out, checked recently enough for what the telling rule tells (none told: 6 h)
            if SKIP_UNCHANGED_REFRESH and self._prognosed.get(fault) == self.prognosis.generation \
                    and self._basis != "prior":  # (no model: dated by the growing window, _predict)
                continue  # the same hours and limits as its last prognosis: nothing new to tell
            self._prognosed[fault] = self.prognosis.generation
            p = self._predict(fault, ts)
            old = last.prognosis
            if p is None:
                self._set_refresh_due(fault, ts, old, None)
                continue
            if old is not None:
                left = max(old.predicted_trip_ts - ts, 0.0)
                if abs(p.predicted_trip_ts - old.predicted_trip_ts) <= max(0.25 * left, 43200.0):
                    self._set_refresh_due(fault, ts, old, p)  # the told date stays in force
                    continue
            self._set_refresh_due(fault, ts, p, None)
            ev = last.model_copy(update={
                "ts": ts, "kind": EventKind.FAULT_UPDATE, "prognosis": p,
                "explanation": _without_date(last.explanation) + _trip_expectation(p, ts)})
            self.raised_faults[fault] = ev
            out.append(ev)
        return out

    def _set_refresh_due(self, fault: str, ts: float, told: Prognosis | None, made: Prognosis | None) -> None:
        """When the fault's prognosis, made at ``ts``, is next made (REFRESH_BY_TIME_LEFT): by the time left
        on the date the dispatcher holds from now (``told``), or on the one just made and not told (``made``)
        if nearer (refresh_period); at every refresh while there is neither."""
        if not REFRESH_BY_TIME_LEFT:
            return
        if told is None and made is None:
            self._refresh_due.pop(fault, None)
            return
        left = min(p.predicted_trip_ts - ts for p in (told, made) if p is not None)
        self._refresh_due[fault] = ts + refresh_period(left, ts - self.first_raised.get(fault, ts))

    def _event(self, d: Diagnosis) -> EventBody:
        sensor = FAULTS[d.fault].sensor_fault
        raised = d.state == "raised"
        if raised:
            self.first_raised.setdefault(d.fault, d.ts)
        prognosis = self._predict(d.fault, d.ts) if raised and not sensor else None
        if raised and not sensor:
            self._prognosed[d.fault] = self.prognosis.generation
            self._set_refresh_due(d.fault, d.ts, prognosis, None)
        title = FAULTS[d.fault].title + (f" ({d.channel})" if d.channel else "")
        findings = d.findings
        if raised:
            explanation = f"{title}: {d.explanation}"
            if d.revises:  # the notices it withdrew: the ticket's diagnosis is revised, not a second one
                findings = [*findings, *(revision_finding(REVISES, r.fault, r.channel, _revised(d.rule, _named(r.rule, r.fault)))
                                         for r in d.revises)]
        elif d.explained_by is not None:  # withdrawn: a notice it yields to explains the evidence better
            by = d.explained_by
            explanation = (f"{title}: withdrawn, {_words(by.rule)} ({FAULTS[by.fault].title.lower()}"
                           f"{f', {by.channel}' if by.channel else ''}) explains the evidence better.")
            findings = [revision_finding(EXPLAINED_BY, by.fault, by.channel, _revised(by.rule, _named(d.rule, d.fault)))]
        else:
            explanation = f"{title}: no longer seen."
        if raised and self._basis == "prior":
            explanation += (" (Judged against its design data and the normal range of any heat pump: this pump's own "
                            "healthy behaviour is still being learned.)")
        elif raised and self._basis == "fleet prior":
            explanation += (" (Judged against the healthy pumps of the same model and refrigerant: "
                            "this pump's own healthy behaviour is still being learned.)")
        elif raised and self._basis == "own start" and self.detector.fleet is not None:
            note = self.detector.fleet.prior.note.split(": ", 1)[-1]
            explanation += f" (Judged against this pump's own first days: {note}.)"
        if prognosis is not None:
            explanation += _trip_expectation(prognosis, d.ts)
        elif raised and not sensor:
            explanation += NO_DATE_YET
        kind = EventKind.FAULT_CLEARED if not raised else (EventKind.SENSOR_FAULT if sensor else EventKind.FAULT)
        event = EventBody(
            device=self.device, ts=d.ts, kind=kind, fault=d.fault,
            severity="info" if not raised else d.severity, confidence=d.confidence, explanation=explanation,
            parts=[_for_refrigerant(p, self.detector.config.refrigerant) for p in d.parts] if raised else [],
            findings=findings, prognosis=prognosis,
        )
        if not sensor and d.channel is None:
            if raised:
                self.raised_faults[d.fault] = event
            else:
                self.raised_faults.pop(d.fault, None)
                self._prognosed.pop(d.fault, None)
                self._refresh_due.pop(d.fault, None)
        return event

    def _trip(self, ts: float, error: float) -> list[EventBody]:
        if math.isnan(error):
            return []
        code = int(error)
        previous, self._last_error = self._last_error, code
        if code == 0 or code == previous:
            return []
        name = trip_name(code)
        self._tripped = True
        known = {f: t for f, t in self.first_raised.items() if not FAULTS[f].sensor_fault}
        if known:
            fault, first = min(known.items(), key=lambda kv: kv[1])
            lead = f"heatwatch raised {fault} {(ts - first) / 86400:.1f} days before this trip."
        else:
            lead = "No pump fault had been raised before this trip."
        return [EventBody(
            device=self.device, ts=ts, kind=EventKind.TRIP, fault=name, severity="critical", confidence=1.0,
            explanation=f"The pump stopped on protection ({name}). {lead}",
            findings=[Finding(kind="trip", channels=["error_code"], observed=float(code), score=1.0, message=name)],
        )]


def refresh_period(left: float, age: float = math.inf) -> float:
    """Seconds from a raised fault's prognosis to its next, with ``left`` seconds to its date and ``age``
    seconds since the fault was first raised: the largest whole number of PROGNOSIS_REFRESH_SECONDS within
    REFRESH_LEFT_SHARE of the time left and REFRESH_AGE_SHARE of the age, at least one and at most
    MAX_REFRESH_SECONDS (6 h under 8 days left or 2 days old, a day from 16 days left and 4 days old)."""
    room = min(max(left, 0.0) * REFRESH_LEFT_SHARE, max(age, 0.0) * REFRESH_AGE_SHARE)
    steps = math.floor(room / PROGNOSIS_REFRESH_SECONDS)
    return min(max(steps, 1) * PROGNOSIS_REFRESH_SECONDS, MAX_REFRESH_SECONDS)


def _words(rule: str) -> str:
    """A rule's name as words: flow_meter_reads_low -> flow meter reads low."""
    return rule.replace("_", " ")


def _named(rule: str, fault: str) -> str:
    """The name a dispatcher knows a notice by: a variant of a fault's own rule (low_water_flow_deep,
    compressor_wear_efficiency) by its fault, any other notice by its rule."""
    return fault if rule.startswith(fault) else rule


def _revised(better: str, withdrawn: str) -> str:
    """What a dispatcher reads of a revised diagnosis."""
    return f"revised: {_words(better)}, not {_words(withdrawn)}"


# the sensors of SENSOR_STEPS whose offset lends a shift rule its witnesses (RuleEngine._sensor_explains)
_OP_SENSORS = np.array([c in OPERATING_POINT_SENSORS for c in SENSOR_STEPS])


def _hits_by_row(match: np.ndarray, sup: np.ndarray, rules: list) -> tuple[np.ndarray, list[list]]:
    """The rows where a shift rule matches (``match`` rows x rules) and per such row its
    [(rule, support met)] in the rules' order: _hits_by_row_reference's lists, made once per run
    of rows with the same matches and supports (a fault goes on matching the same rules row after
    row: a season's chunks had several hits a row, each a Python append) and shared by its rows
    (nothing changes them: PumpPipeline only reads _table_hits)."""
    at = np.flatnonzero(match.any(axis=1))
    if not len(at):
        return at, []
    key = np.where(match[at], sup[at], -1)  # a support count is >= 0: -1 marks a rule not matched
    # runs of rows with the same pattern, each pattern's list made once
    starts = np.flatnonzero(np.concatenate([[True], (key[1:] != key[:-1]).any(axis=1)]))
    lengths = np.diff(np.append(starts, len(at))).tolist()
    made: dict[tuple, list] = {}
    out: list[list] = []
    for row, n in zip(key[starts].tolist(), lengths):
        pattern = tuple(row)
        hits = made.get(pattern)
        if hits is None:
            hits = made[pattern] = [(rules[r], m) for r, m in enumerate(row) if m != -1]
        out.extend([hits] * n)
    return at, out


def _hits_by_row_reference(match: np.ndarray, sup: np.ndarray, rules: list) -> tuple[np.ndarray, list[list]]:
    """_hits_by_row hit by hit, as _shift_candidates first made them: its reference."""
    hits: dict[int, list] = {}
    ks, rs = np.nonzero(match)  # per row, its rules in the rules' order
    for k, r, m in zip(ks.tolist(), rs.tolist(), sup[ks, rs].tolist()):
        hits.setdefault(k, []).append((rules[r], m))
    return np.array(list(hits), dtype=np.int64), list(hits.values())


def _rows_union(n: int, *rows: np.ndarray) -> np.ndarray:
    """The rows of a chunk of n rows named in any of ``rows``, sorted, once each: np.union1d's
    array (int64), by a mask of the chunk rather than sorting (a season's chunks: 3 % of the
    pipeline's samples went to union1d's sorts)."""
    mask = np.zeros(n, dtype=bool)
    for r in rows:
        mask[r] = True
    return np.flatnonzero(mask)


def _next_false(mask: np.ndarray) -> np.ndarray:
    """Per position, the first position at or after it where ``mask`` is False (len(mask) if none)."""
    at = np.where(mask, len(mask), np.arange(len(mask)))
    return np.minimum.accumulate(at[::-1])[::-1]


def _steady_rows(res: BatchResults, rows: list[int]) -> np.ndarray:
    """np.stack([res.steady_x(i) for i in rows]) for rows of a chunk scored in batch (sx_idx not -2,
    steady_x not None): the rows of X they name, the carried reading where -1."""
    j = res.sx_idx[rows]
    SX = res.X[np.maximum(j, 0)]
    if (j < 0).any():
        SX[j < 0] = res.sx_carry
    return SX


class _Memo:
    """A function called at most once (an event's evidence, built only if a rule is raised)."""

    def __init__(self, fn) -> None:
        self.fn, self.done, self.value = fn, False, None

    def __call__(self):
        if not self.done:
            self.value, self.done = self.fn(), True
        return self.value


def _finite_or_none(ts: float) -> float | None:
    """JSON has no infinity: the pipeline's "never yet" times are -inf."""
    return ts if math.isfinite(ts) else None


def _never_if_none(ts: float | None) -> float:
    return -math.inf if ts is None else float(ts)


# a pump fault raised without a trip date says so: the dispatcher is told a date is to come, not left to
# read silence as "no hurry" (the first date goes out as a fault_update, _refresh_prognoses). A pump faulty
# from installation is often named before its prognosis has the days it trends (bench/heldout39_raisedate.md)
NO_DATE_YET = (" No trip date yet: its readings so far show no trend toward a trip limit that can be dated;"
               " a date follows as an update once they do.")


def _without_date(explanation: str) -> str:
    """An event's explanation less what it said of the trip date (a date, or that none was known yet)."""
    return explanation.split(" Trip expected")[0].split(NO_DATE_YET)[0]


def _trip_expectation(p: Prognosis, now: float) -> str:
    days = (p.predicted_trip_ts - now) / 86400.0
    lo, hi = (p.lower_ts - now) / 86400.0, (p.upper_ts - now) / 86400.0
    return (f" Trip expected in about {days:.1f} days ({lo:.1f} to {hi:.1f}), "
            f"when {p.indicator} reaches its limit of {p.threshold:g}.")
