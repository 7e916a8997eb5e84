"""The forecast interface: what the incident logic needs from any weather service.

One method, ``daily(latitude, longitude)``: the coming days' minimum and
maximum air temperature. A provider raises ForecastError for anything that
went wrong (network, HTTP status, a body it cannot read); the caller keeps
the forecast it had, or falls back to readings and normals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


class ForecastError(RuntimeError):
    """No forecast this time; ``retry`` says whether asking again later may help."""

    def __init__(self, message: str, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class DailyTemperature:
    day: date  # UTC
    t_min: float  # °C
    t_max: float

    @property
    def t_mean(self) -> float:
        """The day's mean, estimated as the midpoint of its extremes (as degree-day methods do)."""
        return (self.t_min + self.t_max) / 2.0

    def as_json(self) -> dict[str, float | str]:
        return {"date": self.day.isoformat(), "t_min": self.t_min, "t_max": self.t_max}

    @classmethod
    def from_json(cls, doc: dict) -> DailyTemperature:
        return cls(date.fromisoformat(doc["date"]), float(doc["t_min"]), float(doc["t_max"]))


class ForecastProvider(Protocol):
    name: str

    def daily(self, latitude: float, longitude: float) -> list[DailyTemperature]:
        """The coming days, today first; raises ForecastError."""
        ...
