"""One reading of one pump: a vector of canonical channels, and its cleaning.

Every source (Modbus, MQTT, replay) turns what it received into a
:class:`Reading`, so the detector sees one shape whatever the transport. A
value that is missing, a sentinel, not a number, or outside the channel's
plausibility limits (``heatwatch.channels``) becomes NaN and is counted per
channel: a broken sensor must look like a gap, never like a real temperature,
and never stop the agent.
"""

from __future__ import annotations

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

    Counts go into ``counters`` (a source's own, so an operator sees them
    beside ``reads_ok``): ``out_of_range[t_flow]`` for a value outside the
    channel's limits, ``not_a_number[t_flow]`` for a value that is not a number
    at all (a string, a bool). Missing values (None, NaN, sentinels) are gaps,
    not faults, and are not counted here.
    """

    def __init__(self, counters: MutableMapping[str, int] | None = None) -> None:
        self.counters: MutableMapping[str, int] = counters if counters is not None else {}

    def _count(self, kind: str, channel: str) -> None:
        key = f"{kind}[{channel}]"
        self.counters[key] = self.counters.get(key, 0) + 1

    def clean(self, values: np.ndarray) -> np.ndarray:
        """A cleaned copy of a channel vector: out-of-limit values -> NaN (counted)."""
        out = np.array(values, dtype=np.float64, copy=True)
        with np.errstate(invalid="ignore"):
            bad = (out < _LOW) | (out > _HIGH) | np.isinf(out)
        for i in np.flatnonzero(bad):
            self._count("out_of_range", CHANNEL_NAMES[i])
        out[bad] = np.nan
        return out

    def reading(self, device: str, ts: float, channels: Mapping[str, object]) -> Reading:
        """Build a cleaned Reading from a channel -> value mapping (see :func:`vector_from_channels`)."""
        vec, not_numbers = vector_from_channels(channels)
        for name in not_numbers:
            self._count("not_a_number", name)
        return Reading(device, float(ts), self.clean(vec))


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
        vec[i] = float(value)  # inf stays inf so the plausibility filter counts it
    return vec, not_numbers


def reading_from_channels(device: str, ts: float, channels: Mapping[str, object]) -> Reading:
    """A Reading from a channel dict, uncleaned and uncounted (for tests and replay)."""
    vec, _ = vector_from_channels(channels)
    return Reading(device, float(ts), vec)
