"""One pump's judgement: reading -> detector -> rules -> events.

No I/O here: the agent feeds readings from a source and puts the events into
the outbox; tests and benchmarks feed simulator chunks straight in. An event
is made when a diagnosis is raised or cleared, when a sensor is found broken,
and when the pump trips (with how long before the trip heatwatch knew).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edge.heatpump.detector import HeatPumpDetector, HeatPumpDetectorConfig, HeatPumpResult
from edge.heatpump.healthy_model import TARGET_NAMES
from edge.heatpump.prognosis import PrognosisTracker
from heatwatch.channels import ERROR_LOCKOUT, INDEX, TRIP_NAMES
from heatwatch.contract import Finding
from heatwatch.faults import FAULTS
from rules.engine import Diagnosis, RuleEngine

_I_ERR = INDEX["error_code"]
# rules hold for hours: judging every five minutes of reading time is plenty
RULE_PERIOD_SECONDS = 300.0
_I_FLOW = TARGET_NAMES.index("flow_lpm")


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
    _last_ts: float = -math.inf
    # readings refused before the detector: a clock going backwards or no time at all
    rejected: Counter = field(default_factory=Counter)

    @classmethod
    def with_config(cls, device: str, config: HeatPumpDetectorConfig, rule_files=None) -> "PumpPipeline":
        rules = RuleEngine.from_files(rule_files) if rule_files else RuleEngine.from_files()
        return cls(device=device, detector=HeatPumpDetector(config), rules=rules)

    def process(self, ts: float, values: np.ndarray) -> tuple[HeatPumpResult | None, list[dict[str, Any]]]:
        """One reading -> (detector result, events as contract.Event fields without seq).

        A reading that is not later than the one before (a controller clock set
        back, a replayed reading) is counted in ``rejected`` and gives (None, []):
        the detector's filters assume time moves forward.
        """
        if not math.isfinite(ts):
            self.rejected["bad_timestamp"] += 1
            return None, []
        if ts <= self._last_ts:
            self.rejected["clock_not_advancing"] += 1
            return None, []
        self._last_ts = ts
        result = self.detector.update(ts, values)
        return result, self._after(result, values)

    def process_batch(self, ts: np.ndarray, X: np.ndarray) -> tuple[list[HeatPumpResult], list[dict[str, Any]]]:
        """Many readings at once (replay): the detector runs vectorized, rules per row."""
        results = self.detector.score(ts, X)
        events: list[dict[str, Any]] = []
        for i, r in enumerate(results):
            events.extend(self._after(r, X[i]))
        return results, events

    def _after(self, result: HeatPumpResult, values: np.ndarray) -> list[dict[str, Any]]:
        ts = result.ts
        if result.ready and result.steady:
            if not self._flow_limit_set and self.detector.model is not None:
                self._flow_limit_set = True
                self.prognosis.set_flow_limit(float(self.detector.model.coef[0, _I_FLOW]))
            self.prognosis.update(ts, self.detector.shift.residual, result.targets)
        events: list[dict[str, Any]] = []
        if ts - self._last_rules_ts >= RULE_PERIOD_SECONDS:
            self._last_rules_ts = ts
            events = [self._event(d) for d in self.rules.evaluate(self.detector.evidence(result))]
        events.extend(self._trip(ts, float(values[_I_ERR])))
        return events

    def _event(self, d: Diagnosis) -> dict[str, Any]:
        sensor = FAULTS[d.fault].sensor_fault
        if d.state == "raised":
            self.first_raised.setdefault(d.fault, d.ts)
        prognosis = None
        if d.state == "raised" and not sensor:
            p = self.prognosis.predict(d.fault, d.ts)
            prognosis = p.model_dump() if p else None
        title = FAULTS[d.fault].title + (f" ({d.channel})" if d.channel else "")
        return {
            "device": self.device,
            "ts": d.ts,
            "kind": "fault_cleared" if d.state == "cleared" else ("sensor_fault" if sensor else "fault"),
            "fault": d.fault,
            "severity": "info" if d.state == "cleared" else d.severity,
            "confidence": d.confidence,
            "explanation": f"{title}: {d.explanation}" if d.state == "raised" else f"{title}: no longer seen.",
            "parts": d.parts if d.state == "raised" else [],
            "findings": [f.model_dump() for f in d.findings],
            "prognosis": prognosis,
        }

    def _trip(self, ts: float, error: float) -> list[dict[str, Any]]:
        if math.isnan(error):
            return []
        code = int(error)
        previous, self._last_error = self._last_error, code
        if code == 0 or code == previous:
            return []
        name = "lockout" if code == ERROR_LOCKOUT else TRIP_NAMES.get(code, f"error_{code}")
        known = {f: t for f, t in self.first_raised.items() if not FAULTS[f].sensor_fault}
        if known:
            fault, first = min(known.items(), key=lambda kv: kv[1])
            lead = f"heatwatch raised {fault} {(ts - first) / 86400:.1f} days before this trip."
        else:
            lead = "No pump fault had been raised before this trip."
        return [{
            "device": self.device, "ts": ts, "kind": "trip", "fault": name, "severity": "critical",
            "confidence": 1.0, "explanation": f"The pump stopped on protection ({name}). {lead}",
            "findings": [Finding(kind="trip", channels=["error_code"], observed=float(code), score=1.0,
                                 message=name).model_dump()],
        }]
