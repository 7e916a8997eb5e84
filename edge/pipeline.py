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

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from heatwatch.edge.heatpump.compressor_efficiency import CompressorEfficiency
from heatwatch.edge.heatpump.coverage import Coverage, coverage
from heatwatch.edge.heatpump.detector import HeatPumpDetector, HeatPumpDetectorConfig, HeatPumpResult
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.edge.heatpump.refrigerant_check import RefrigerantCheck, RefrigerantVerdict
from heatwatch.edge.reading import TimeOrder
from heatwatch.channels import INDEX, trip_name
from heatwatch.contract import EventBody, EventKind, Finding, Prognosis
from heatwatch.faults import FAULTS
from heatwatch.rules.engine import Diagnosis, RuleEngine

_I_ERR = INDEX["error_code"]
# rules hold for hours: judging every five minutes of reading time is plenty
RULE_PERIOD_SECONDS = 300.0
# a raised pump fault's prognosis is recomputed this often; a move of more than a quarter
# of the time left (at least half a day) goes out as a fault_update event
PROGNOSIS_REFRESH_SECONDS = 6 * 3600.0
STATE_VERSION = 2  # 1: the detector's state alone
_I_FLOW = TARGET_NAMES.index("flow_lpm")
# the agent event that says the configured refrigerant does not fit the pump's readings
REFRIGERANT_MISMATCH = "refrigerant_mismatch"


@dataclass
class PumpPipeline:
    device: str
    detector: HeatPumpDetector = field(default_factory=HeatPumpDetector)
    rules: RuleEngine = field(default_factory=RuleEngine.from_files)
    prognosis: PrognosisTracker = field(default_factory=PrognosisTracker)
    first_raised: dict[str, float] = field(default_factory=dict)  # fault -> ts first raised
    _last_error: float = 0.0
    _flow_limit_set: bool = False
    _last_rules_ts: float = -math.inf
    # readings refused before the detector: a clock going backwards or no time at all
    rejected: Counter = field(default_factory=Counter)
    # raised pump faults -> the event that raised or last updated them
    raised_faults: dict[str, EventBody] = field(default_factory=dict)
    _last_refresh_ts: float = -math.inf
    _basis: str = "model"
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
            self.compressor = CompressorEfficiency(cfg.refrigerant, cfg.commissioning_seconds)

    @classmethod
    def with_config(cls, device: str, config: HeatPumpDetectorConfig, rule_files=None) -> "PumpPipeline":
        """A pipeline for a pump with this config; with ``config.channels`` (a register map's) only
        the rules those channels can judge run (see heatpump/coverage.py; ``coverage`` says which not)."""
        rules = RuleEngine.from_files(rule_files) if rule_files else RuleEngine.from_files()
        cov = coverage(config.channels, rules)
        if config.channels is not None:
            rules = RuleEngine(cov.usable_rules)
        pipe = cls(device=device, detector=HeatPumpDetector(config), rules=rules,
                   prognosis=PrognosisTracker(refrigerant=config.refrigerant))
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
            "last_error": self._last_error,
            "flow_limit_set": self._flow_limit_set,
            "basis": self._basis,
            "refrigerant_check": self.refrigerant_check.state() if self.refrigerant_check else None,
            "compressor": self.compressor.state() if self.compressor else None,
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
        self._last_error = state["last_error"]
        self._flow_limit_set = bool(state["flow_limit_set"])
        self._basis = state["basis"]
        if state.get("refrigerant_check") and self.refrigerant_check is not None:  # absent before it existed
            self.refrigerant_check.load_state(state["refrigerant_check"])
        if state.get("compressor") and self.compressor is not None:
            self.compressor.load_state(state["compressor"])

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
            self.compressor = CompressorEfficiency(cfg.refrigerant, cfg.commissioning_seconds)
            self._flow_limit_set = False  # derived from the new model once it is fitted
        else:
            self.detector.clear_findings()
        self.prognosis.forget_history(keep_learned_limits=not relearn)
        self.rules.load_state([])
        self.raised_faults.clear()
        self.first_raised.clear()
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

    def process_batch(self, ts: np.ndarray, X: np.ndarray) -> tuple[list[HeatPumpResult], list[EventBody]]:
        """Many readings at once (replay): the detector runs vectorized, rules per row.

        Rows whose time is not later than every row before are refused and counted, as in process().
        """
        ts, X = np.asarray(ts, dtype=float), np.asarray(X, dtype=float)
        ok = self.time_order.accept_batch(ts)
        if not ok.all():
            ts, X = ts[ok], X[ok]
        results = self.detector.score(ts, X)
        events: list[EventBody] = []
        for r in results:
            events.extend(self._after(r))
        return results, events

    def _after(self, result: HeatPumpResult) -> list[EventBody]:
        ts = result.ts
        if result.ready and result.steady:
            if not self._flow_limit_set and self.detector.model is not None:
                self._flow_limit_set = True
                self.prognosis.set_flow_limit(float(self.detector.model.coef[0, _I_FLOW]))
            self.prognosis.update(ts, result.residual, result.targets)
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
            if evidence.ready:
                self.compressor.add_to(evidence)  # type: ignore[union-attr]
            self._basis = evidence.basis
            events.extend(self._event(d) for d in self._one_voice(self.rules.evaluate(evidence)))
        if ts - self._last_refresh_ts >= PROGNOSIS_REFRESH_SECONDS:
            self._last_refresh_ts = ts
            events.extend(self._refresh_prognoses(ts))
        events.extend(self._trip(ts, float(result.values[_I_ERR])))
        return events

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
        said: set[str] = set()  # two rules of one fault raising in the same round: said once
        for d in diagnoses:
            if d.channel is None:
                if d.state == "raised" and (d.fault in self.raised_faults or d.fault in said):
                    continue
                if d.state == "raised":
                    said.add(d.fault)
                if d.state == "cleared" and any(fault_of[n] == d.fault for n, c in self.rules.active if c is None):
                    continue
            out.append(d)
        return out

    def _refresh_prognoses(self, ts: float) -> list[EventBody]:
        out = []
        for fault, last in list(self.raised_faults.items()):
            p = self.prognosis.predict(fault, ts)
            if p is None:
                continue
            old = last.prognosis
            if old is not None:
                left = max(old.predicted_trip_ts - ts, 0.0)
                if abs(p.predicted_trip_ts - old.predicted_trip_ts) <= max(0.25 * left, 43200.0):
                    continue
            ev = last.model_copy(update={
                "ts": ts, "kind": EventKind.FAULT_UPDATE, "prognosis": p,
                "explanation": last.explanation.split(" Trip expected")[0] + _trip_expectation(p, ts)})
            self.raised_faults[fault] = ev
            out.append(ev)
        return out

    def _event(self, d: Diagnosis) -> EventBody:
        sensor = FAULTS[d.fault].sensor_fault
        raised = d.state == "raised"
        if raised:
            self.first_raised.setdefault(d.fault, d.ts)
        prognosis = self.prognosis.predict(d.fault, d.ts) if raised and not sensor else None
        title = FAULTS[d.fault].title + (f" ({d.channel})" if d.channel else "")
        explanation = f"{title}: {d.explanation}" if raised else f"{title}: no longer seen."
        if raised and self._basis == "prior":
            explanation += (" (Judged against the normal range of any heat pump: this pump's own "
                            "healthy behaviour is still being learned.)")
        if prognosis is not None:
            explanation += _trip_expectation(prognosis, d.ts)
        kind = EventKind.FAULT_CLEARED if not raised else (EventKind.SENSOR_FAULT if sensor else EventKind.FAULT)
        event = EventBody(
            device=self.device, ts=d.ts, kind=kind, fault=d.fault,
            severity="info" if not raised else d.severity, confidence=d.confidence, explanation=explanation,
            parts=d.parts if raised else [], findings=d.findings, prognosis=prognosis,
        )
        if not sensor and d.channel is None:
            if raised:
                self.raised_faults[d.fault] = event
            else:
                self.raised_faults.pop(d.fault, None)
        return event

    def _trip(self, ts: float, error: float) -> list[EventBody]:
        if math.isnan(error):
            return []
        code = int(error)
        previous, self._last_error = self._last_error, code
        if code == 0 or code == previous:
            return []
        name = trip_name(code)
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


def _finite_or_none(ts: float) -> float | None:
    """JSON has no infinity: the pipeline's "never yet" times are -inf."""
    return ts if math.isfinite(ts) else None


def _never_if_none(ts: float | None) -> float:
    return -math.inf if ts is None else float(ts)


def _trip_expectation(p: Prognosis, now: float) -> str:
    days = (p.predicted_trip_ts - now) / 86400.0
    lo, hi = (p.lower_ts - now) / 86400.0, (p.upper_ts - now) / 86400.0
    return (f" Trip expected in about {days:.1f} days ({lo:.1f} to {hi:.1f}), "
            f"when {p.indicator} reaches its limit of {p.threshold:g}.")
