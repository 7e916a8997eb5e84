"""A channel's summary over an interval (mean, min, max, n) and how two of them merge.

The agent sends mean/min/max/n per channel per interval; the store keeps the
same four numbers at every resolution, so an hour is the merge of its minutes
and a day the merge of its hours: the mean weighted by the readings behind it,
the extremes of the extremes. Nothing is lost but time resolution: an hour's
``max`` is still the highest reading of that hour.

Only the channels the gateway knows (``heatwatch.channels``: raw and derived)
are kept: a channel name is a field in InfluxDB and a key in the store, so an
agent that sends made-up names must not grow either. Non-finite numbers (JSON
allows NaN) are refused too: PostgreSQL's JSON and InfluxDB's line protocol
have no NaN.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from heatwatch.channels import CHANNEL_NAMES, DERIVED_NAMES
from heatwatch.contract import ChannelStats, Telemetry

KNOWN_CHANNELS: frozenset[str] = frozenset(CHANNEL_NAMES + DERIVED_NAMES)


@dataclass(frozen=True)
class ChannelSummary:
    mean: float
    min: float
    max: float
    n: int  # readings behind the numbers

    def to_row(self) -> list[float | int]:
        """How the store keeps it: ``[mean, min, max, n]`` (a row holds ~30 channels; keys would double it)."""
        return [self.mean, self.min, self.max, self.n]

    @classmethod
    def from_row(cls, row: list[float | int]) -> ChannelSummary:
        mean, low, high, n = row
        return cls(float(mean), float(low), float(high), int(n))


def merge_rows(rows: list[list[float | int]]) -> list[float | int]:
    """Several summaries in their stored form, ``[mean, min, max, n]``, merged into one: the mean
    weighted by n, in one division (merging pair by pair would round at each step; one summary comes
    back as it was, not as mean * n / n), the extremes of the extremes. On lists, not ChannelSummary:
    compaction and series merge thousands, and building objects costs more than the arithmetic."""
    if len(rows) == 1:
        return rows[0]
    total = 0.0
    n = 0
    low, high = math.inf, -math.inf
    for mean, lo, hi, k in rows:
        total += mean * k
        n += k
        if lo < low:
            low = lo
        if hi > high:
            high = hi
    if n == 0:
        raise ValueError("nothing to merge")
    return [total / n, low, high, n]


@dataclass(frozen=True)
class IntervalReadings:
    """What of one telemetry message the gateway keeps, and what it refused."""

    channels: dict[str, ChannelSummary]
    health: float | None
    unknown: tuple[str, ...] = ()  # channel names not in heatwatch.channels
    invalid: tuple[str, ...] = ()  # known channels with non-finite or inconsistent numbers


def readings_of(message: Telemetry) -> IntervalReadings:
    """The message's channels with readings; channels with n = 0 carry nothing and are left out."""
    kept: dict[str, ChannelSummary] = {}
    unknown: list[str] = []
    invalid: list[str] = []
    for name, stats in message.channels.items():
        if name not in KNOWN_CHANNELS:
            unknown.append(name)
            continue
        if stats.n == 0:
            continue
        summary = _summary(stats)
        if summary is None:
            invalid.append(name)
        else:
            kept[name] = summary
    health = message.health if message.health is not None and math.isfinite(message.health) else None
    return IntervalReadings(kept, health, tuple(unknown), tuple(invalid))


def _summary(s: ChannelStats) -> ChannelSummary | None:
    if s.mean is None or s.min is None or s.max is None:
        return None
    mean, low, high = float(s.mean), float(s.min), float(s.max)
    if not (math.isfinite(mean) and math.isfinite(low) and math.isfinite(high)):  # no generator: ingest's hot path
        return None
    if not low <= mean <= high:
        # a mean outside its own extremes: the agent's numbers are broken, not the pump
        tolerance = 1e-9 * max(1.0, abs(low), abs(high))
        if not low - tolerance <= mean <= high + tolerance:
            return None
        mean = min(max(mean, low), high)
    return ChannelSummary(mean, low, high, s.n)


def max_health(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None
