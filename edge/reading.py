"""One reading of one pump: a vector of canonical channels, and the checks it passes once.

Every source (Modbus, MQTT, replay) turns what it received into a
:class:`Reading`, so the pipeline sees one shape whatever the transport: a
missing value or a sentinel is NaN, a value that is not a number is counted by
the source (``not_a_number[channel]``) and NaN. What a reading then must pass is
checked once, for every path (the agent's sources, replays and benchmarks):

* :class:`TimeOrder` (the pipeline): a reading not later than the last one (a
  controller clock set back, a replayed or redelivered reading) or without a
  time is refused and counted (``clock_not_advancing``, ``bad_timestamp``);
* :class:`PlausibilityFilter` (the detector): a value outside the channel's
  plausibility limits (``heatwatch.channels``) becomes NaN and is counted per
  channel (``out_of_range[channel]``): a broken sensor must look like a gap,
  never like a real temperature, and never stop the agent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, MutableMapping

import numpy as np

from heatwatch.channels import CHANNEL_NAMES, CHANNELS, INDEX

N_CHANNELS = len(CHANNEL_NAMES)
_LOW = np.array([c.low for c in CHANNELS], dtype=np.float64)
_HIGH = np.array([c.high for c in CHANNELS], dtype=np.float64)


@dataclass
class Reading:
    """``values[i]`` is channel ``CHANNEL_NAMES[i]``; NaN = missing or rejected."""

    device: str
    ts: float
    values: np.ndarray

    def __post_init__(self) -> None:
        self.values = np.asarray(self.values, dtype=np.float64)
        if self.values.shape != (N_CHANNELS,):
            raise ValueError(f"reading values shape {self.values.shape}, expected ({N_CHANNELS},)")

    def get(self, channel: str) -> float:
        return float(self.values[INDEX[channel]])

    def as_dict(self) -> dict[str, float]:
        return {name: float(v) for name, v in zip(CHANNEL_NAMES, self.values)}


class PlausibilityFilter:
    """Turns implausible values into NaN and counts them per channel.

    ``out_of_range[t_flow]`` counts values of t_flow outside its limits (±inf
    included). Missing values (NaN) are gaps, not faults, and are not counted.
    """

    def __init__(self, counters: MutableMapping[str, int] | None = None) -> None:
        self.counters: MutableMapping[str, int] = counters if counters is not None else {}

    def clean(self, values: np.ndarray) -> np.ndarray:
        """A cleaned copy of one reading, or of rows of readings: out-of-limit values -> NaN (counted)."""
        out = np.array(values, dtype=np.float64, copy=True)
        with np.errstate(invalid="ignore"):
            bad = (out < _LOW) | (out > _HIGH)
        if bad.any():
            per_channel = bad.reshape(-1, N_CHANNELS).sum(axis=0)
            for i in np.flatnonzero(per_channel):
                key = f"out_of_range[{CHANNEL_NAMES[i]}]"
                self.counters[key] = self.counters.get(key, 0) + int(per_channel[i])
            out[bad] = np.nan
        return out


class TimeOrder:
    """Refuses readings whose time is not later than the last one accepted, and counts them.

    The detector's filters assume time moves forward. ``last_ts`` is part of
    what a restarted agent remembers, so a clock set back across a restart is
    refused too.
    """

    def __init__(self, counters: MutableMapping[str, int] | None = None) -> None:
        self.counters: MutableMapping[str, int] = counters if counters is not None else {}
        self.last_ts = -math.inf

    def _count(self, reason: str, n: int = 1) -> None:
        if n:
            self.counters[reason] = self.counters.get(reason, 0) + n

    def accept(self, ts: float) -> bool:
        if not math.isfinite(ts):
            self._count("bad_timestamp")
            return False
        if ts <= self.last_ts:
            self._count("clock_not_advancing")
            return False
        self.last_ts = ts
        return True

    def accept_batch(self, ts: np.ndarray) -> np.ndarray:
        """The rows of ``ts`` to keep, as accept() row by row would keep them."""
        before = np.fmax.accumulate(np.concatenate([[self.last_ts], ts[:-1]]))
        finite = np.isfinite(ts)
        ok = finite & (ts > before)
        if not ok.all():
            self._count("bad_timestamp", int((~finite).sum()))
            self._count("clock_not_advancing", int((finite & ~ok).sum()))
        if ok.any():
            self.last_ts = float(ts[ok][-1])
        return ok


def vector_from_channels(channels: Mapping[str, object]) -> tuple[np.ndarray, list[str]]:
    """Channel mapping -> (vector in CHANNEL_NAMES order, channels whose value was not a number).

    Unknown channel names are ignored here (the caller decides whether that is
    an error); None and absent channels are NaN; bools and numeric strings are
    not accepted as numbers, because a pump that sends ``"21.5"`` or ``true``
    for a temperature is misconfigured and guessing would hide it.
    """
    vec = np.full(N_CHANNELS, np.nan)
    not_numbers: list[str] = []
    for name, value in channels.items():
        i = INDEX.get(name)
        if i is None or value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            not_numbers.append(name)
            continue
        vec[i] = float(value)  # inf stays inf: the plausibility filter counts it
    return vec, not_numbers


def reading_from_channels(device: str, ts: float, channels: Mapping[str, object]) -> Reading:
    """A Reading from a channel dict, values that are not numbers uncounted (for tests and replay)."""
    vec, _ = vector_from_channels(channels)
    return Reading(device, float(ts), vec)
