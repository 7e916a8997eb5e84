"""Turn a reading every few seconds into one telemetry interval a minute.

Sending every raw reading over MQTT would cost a Pi's uplink and the
gateway's store for little gain: the detector runs on the full-rate stream on
the device; the gateway gets mean/min/max/n per channel per interval, plus the
detector's worst score (``health``) in that interval.

Intervals are aligned to multiples of ``interval`` on the readings' own
timestamps (simulated time may run much faster than the wall clock), so all
devices' intervals line up. An interval is emitted when the first reading of
a later interval arrives, or on ``flush()``. Readings come in time order: the
agent adds only the readings its pipeline accepted, the one place a reading's
time is checked (``heatwatch.edge.reading.TimeOrder``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from heatwatch.channels import CHANNEL_NAMES, DERIVED_NAMES

ALL_NAMES: tuple[str, ...] = CHANNEL_NAMES + DERIVED_NAMES
_N_RAW, _N_DERIVED = len(CHANNEL_NAMES), len(DERIVED_NAMES)
_NO_DERIVED = np.full(_N_DERIVED, np.nan)


@dataclass
class AggregatorCounters:
    readings: int = 0
    intervals: int = 0
    rejected: int = 0  # readings refused (a vector of the wrong length)
    non_finite: int = 0  # +-inf values, treated as missing


@dataclass
class TelemetryAggregator:
    """Accumulates readings; ``add()`` returns a finished interval body or None.

    The body is a dict of ``contract.Telemetry`` fields without ``seq`` (the
    outbox assigns it): pass it straight to ``Outbox.put_telemetry``.
    """

    device: str
    interval: float = 60.0
    counters: AggregatorCounters = field(default_factory=AggregatorCounters)

    def __post_init__(self) -> None:
        if not (self.interval > 0 and math.isfinite(self.interval)):
            raise ValueError(f"interval must be a positive number of seconds, not {self.interval!r}")
        self._start: float | None = None
        self._reset()

    def _reset(self) -> None:
        k = len(ALL_NAMES)
        self._sum = np.zeros(k)
        self._n = np.zeros(k, dtype=np.int64)
        self._min = np.full(k, np.inf)
        self._max = np.full(k, -np.inf)
        self._readings = 0
        self._health: float | None = None
        self._first_ts = self._last_ts = math.nan

    def add(
        self,
        ts: float,
        values: Sequence[float] | np.ndarray,
        derived: Sequence[float] | np.ndarray | None = None,
        score: float | None = None,
    ) -> dict[str, Any] | None:
        """Add one reading (``values`` in CHANNEL_NAMES order, ``derived`` in DERIVED_NAMES order, NaN = missing).

        Returns the previous interval's body when this reading starts a new one.
        A vector of the wrong length is counted and skipped, never raised: the
        reading loop must keep going.
        """
        vec = np.asarray(values, dtype=float).ravel()
        der = _NO_DERIVED if derived is None else np.asarray(derived, dtype=float).ravel()
        if vec.shape[0] != _N_RAW or der.shape[0] != _N_DERIVED:
            self.counters.rejected += 1
            return None
        start = math.floor(ts / self.interval) * self.interval
        done = None
        if self._start is not None and start > self._start:
            done = self._emit()
        if self._start is None or start > self._start:
            self._start = start
        full = np.concatenate([vec, der])
        inf = np.isinf(full)
        if inf.any():
            self.counters.non_finite += int(inf.sum())
            full[inf] = np.nan
        ok = ~np.isnan(full)
        self._sum[ok] += full[ok]
        self._n[ok] += 1
        np.minimum(self._min, np.where(ok, full, np.inf), out=self._min)
        np.maximum(self._max, np.where(ok, full, -np.inf), out=self._max)
        self._readings += 1
        if math.isnan(self._first_ts):
            self._first_ts = ts
        self._last_ts = ts
        if score is not None and math.isfinite(_float(score)):
            self._health = float(score) if self._health is None else max(self._health, float(score))
        self.counters.readings += 1
        return done

    def flush(self) -> dict[str, Any] | None:
        """Emit the open interval now (agent shutdown); None when it is empty."""
        if self._start is None or self._readings == 0:
            return None
        body = self._emit()
        self._start = None
        return body

    def _emit(self) -> dict[str, Any] | None:
        assert self._start is not None
        if self._readings == 0:
            return None
        channels: dict[str, dict[str, Any]] = {}
        for i, name in enumerate(ALL_NAMES):
            n = int(self._n[i])
            if n == 0 and i >= _N_RAW:
                continue  # derived channels nobody supplied stay off the wire
            channels[name] = (
                {"mean": float(self._sum[i] / n), "min": float(self._min[i]), "max": float(self._max[i]), "n": n}
                if n
                else {"n": 0}
            )
        body = {
            "device": self.device,
            "ts_start": float(self._start),
            "ts_end": float(self._start + self.interval),
            "n": self._readings,
            "channels": channels,
            "health": self._health,
        }
        self.counters.intervals += 1
        self._reset()
        return body


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan
