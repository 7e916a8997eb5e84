"""HeatPumpDetector: from raw readings to evidence the diagnosis rules read.

reading -> derived channels -> steady-state gate -> sensor checks
        -> (commissioning) collect one steady row a minute, then fit the healthy model
        -> (monitoring) residual vs healthy model -> persistent shift -> level in alarm units

Two entry points, one algorithm: ``update(ts, x)`` per reading on the device,
``score(ts, X)`` over an array for replay and benchmarks. ``score`` vectorizes
what has no memory (derivation, features, predictions) and runs the stateful
parts through the same code as ``update``; a test proves them equal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from edge.heatpump import healthy_model
from edge.heatpump.healthy_model import MIN_SHIFT, TARGET_NAMES, HealthyModel
from edge.heatpump.operating_point import SteadyStateGate, features
from edge.heatpump.persistent_shift import PersistentShift, calibrate_alarm
from edge.heatpump.sensor_checks import SensorChecks
from heatwatch.channels import CHANNEL_NAMES, DERIVED_NAMES, INDEX
from heatwatch.derived import derive_matrix
from rules.engine import ChannelShift, Evidence

_DERIVED_INDEX = {n: i for i, n in enumerate(DERIVED_NAMES)}
_TARGET_SOURCES = [("raw", INDEX[n]) if n in INDEX else ("derived", _DERIVED_INDEX[n]) for n in TARGET_NAMES]


@dataclass
class HeatPumpDetectorConfig:
    commissioning_seconds: float = 7 * 86400.0  # learn this long before judging
    min_training_rows: int = 1500  # minutes of steady running needed (extends commissioning)
    max_training_rows: int = 30000  # fit anyway once this many are collected
    shift_tau_seconds: float = 6 * 3600.0
    alarm_k: float = 5.0
    refrigerant: str = "R32"


@dataclass
class HeatPumpResult:
    ts: float
    steady: bool
    ready: bool
    score: float  # max |level| over targets; 0 before commissioning ends
    sensor_findings: dict[str, list[str]]  # channel -> failed sensor checks
    targets: np.ndarray  # this reading's monitored channels (TARGET_NAMES order)


def targets_from(X: np.ndarray, refrigerant: str) -> np.ndarray:
    """Rows of raw readings -> rows of the monitored target channels."""
    D = derive_matrix(X, refrigerant)
    cols = [X[..., i] if kind == "raw" else D[..., i] for kind, i in _TARGET_SOURCES]
    return np.stack(cols, axis=-1)


@dataclass
class HeatPumpDetector:
    config: HeatPumpDetectorConfig = field(default_factory=HeatPumpDetectorConfig)

    def __post_init__(self) -> None:
        self.gate = SteadyStateGate()
        self.checks = SensorChecks()
        self.shift = PersistentShift(len(TARGET_NAMES), self.config.shift_tau_seconds)
        self.model: HealthyModel | None = None
        self.alarm: np.ndarray | None = None
        self.start_ts = math.nan
        self._rows_ts: list[float] = []
        self._rows_f: list[np.ndarray] = []
        self._rows_y: list[np.ndarray] = []
        self._last_bucket = -1

    @property
    def ready(self) -> bool:
        return self.model is not None

    # -- streaming ----------------------------------------------------------
    def update(self, ts: float, x: np.ndarray) -> HeatPumpResult:
        x = np.asarray(x, dtype=float)
        y = targets_from(x[None, :], self.config.refrigerant)[0]
        f = features(x)
        steady = self.gate.update(ts, x)
        return self._step(ts, x, f, y, steady, None if self.model is None else self.model.predict(f))

    # -- batch --------------------------------------------------------------
    def score(self, ts: np.ndarray, X: np.ndarray) -> list[HeatPumpResult]:
        """The same results as calling update() row by row."""
        ts = np.asarray(ts, dtype=float)
        X = np.asarray(X, dtype=float)
        Y = targets_from(X, self.config.refrigerant)
        F = features(X)
        steady = self.gate.batch(ts, X)
        P = None if self.model is None else self.model.predict(F)
        out: list[HeatPumpResult] = []
        for i in range(len(ts)):
            was_ready = self.ready
            out.append(self._step(float(ts[i]), X[i], F[i], Y[i], bool(steady[i]),
                                  None if P is None else P[i]))
            if not was_ready and self.ready:  # fitted at row i: predict the rest at once
                P = np.full((len(ts), len(TARGET_NAMES)), np.nan)
                P[i + 1:] = self.model.predict(F[i + 1:])  # type: ignore[union-attr]
        return out

    # -- shared core ----------------------------------------------------------
    def _step(self, ts: float, x: np.ndarray, f: np.ndarray, y: np.ndarray, steady: bool,
              expected: np.ndarray | None) -> HeatPumpResult:
        if math.isnan(self.start_ts):
            self.start_ts = ts
        sensor = self.checks.update(ts, x, steady)
        if self.model is None:
            self._collect(ts, f, y, steady)
            return HeatPumpResult(ts, steady, False, 0.0, sensor, y)
        assert self.alarm is not None
        if steady and expected is not None:
            self.shift.update(ts, y, expected)
        levels = np.abs(self.shift.residual) / self.alarm
        known = ~np.isnan(self.shift.observed)
        score = float(levels[known].max()) if known.any() else 0.0
        return HeatPumpResult(ts, steady, True, score, sensor, y)

    def evidence(self, result: HeatPumpResult) -> Evidence:
        """What the rules read, as of this result: every monitored channel's shift."""
        if not result.ready or self.alarm is None:
            return Evidence(ts=result.ts, sensor_findings=result.sensor_findings, ready=False)
        levels = self.shift.residual / self.alarm
        obs = self.shift.observed
        shifts = {
            name: ChannelShift(level=float(levels[j]), expected=float(obs[j] - self.shift.residual[j]),
                               observed=float(obs[j]))
            for j, name in enumerate(TARGET_NAMES)
            if not math.isnan(levels[j]) and not math.isnan(obs[j])
        }
        return Evidence(ts=result.ts, shifts=shifts, sensor_findings=result.sensor_findings)

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
            self._fit()

    def _fit(self) -> None:
        T, F, Y = np.array(self._rows_ts), np.array(self._rows_f), np.array(self._rows_y)
        model = healthy_model.fit(F, Y)
        cfg = self.config
        self.alarm = calibrate_alarm(T, Y - model.predict(F), cfg.shift_tau_seconds, cfg.alarm_k, MIN_SHIFT)
        self.model = model
        self._rows_ts, self._rows_f, self._rows_y = [], [], []


assert len(CHANNEL_NAMES) == len(INDEX)


def detector_state(d: HeatPumpDetector) -> dict:
    """What a restart must not lose: the learned model, alarm levels and running shifts.

    A restart during commissioning starts commissioning again (the buffer of
    training rows is not kept); a restart after it resumes judging at once.
    """
    return {
        "version": 1,
        "start_ts": d.start_ts,
        "model": d.model.to_dict() if d.model is not None else None,
        "alarm": d.alarm.tolist() if d.alarm is not None else None,
        "shift": d.shift.state(),
        "checks": d.checks.state(),
        "gate_last_transient_ts": d.gate.last_transient_ts,
    }


def restore_detector(d: HeatPumpDetector, state: dict) -> None:
    if state.get("version") != 1 or state.get("model") is None:
        return
    d.start_ts = float(state["start_ts"])
    d.model = HealthyModel.from_dict(state["model"])
    d.alarm = np.asarray(state["alarm"], dtype=float)
    d.shift.load_state(state["shift"])
    d.checks.load_state(state["checks"])
    d.gate.last_transient_ts = float(state["gate_last_transient_ts"])
