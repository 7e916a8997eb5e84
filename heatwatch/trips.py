"""Protection trips: where a heat pump stops itself, per refrigerant.

One place for a fact two parts need: the simulator trips its pumps at these
limits and the agent's prognosis predicts when a drifting indicator reaches
them. A propane (R290) pump runs at about half the pressures of an R32 pump,
so its high-pressure switch sits near 22.5 bar, not 41.

Typical values from manufacturers' service documentation (e.g. Midea M-thermal:
discharge stop above 115 °C; high-pressure switch 4.0-4.2 MPa for R32; low
pressure 0.05 MPa at once or 0.10 MPa held 10 minutes). docs/heatpump.md
lists them with their sources. A site may override them per pump model.
"""

from __future__ import annotations

from dataclasses import dataclass

from heatwatch.refrigerant import REFRIGERANTS


@dataclass(frozen=True)
class TripLimits:
    """The protection limits of one refrigerant's pumps (pressures in bar absolute)."""

    refrigerant: str
    high_pressure_bar: float  # the high-pressure switch opens above this
    low_pressure_bar: float  # the low-pressure switch opens when held below this for 10 minutes
    low_pressure_instant_bar: float  # ... and at once below this
    discharge_c: float = 115.0  # discharge over-temperature
    floodback_superheat_k: float = 3.0  # discharge superheat below this for 5 min: liquid reaches the compressor
    low_pressure_hold_s: float = 600.0
    floodback_hold_s: float = 300.0
    floodback_startup_s: float = 360.0  # flood-back is not judged this long after a start, a defrost end or a mode change


TRIP_LIMITS: dict[str, TripLimits] = {
    "R32": TripLimits("R32", high_pressure_bar=41.0, low_pressure_bar=1.0, low_pressure_instant_bar=0.5),
    "R290": TripLimits("R290", high_pressure_bar=22.5, low_pressure_bar=0.6, low_pressure_instant_bar=0.3),
}
assert set(TRIP_LIMITS) == set(REFRIGERANTS), "every refrigerant with a table needs its trip limits"


def trip_limits(refrigerant: str) -> TripLimits:
    try:
        return TRIP_LIMITS[refrigerant]
    except KeyError:
        raise ValueError(f"unknown refrigerant {refrigerant!r}; known: {', '.join(TRIP_LIMITS)}") from None
