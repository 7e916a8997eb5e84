"""What one part of an evaluation sends back: per pump its ground truth and the tickets opened.

Plain dataclasses of floats and strings: they travel from Dask workers to the client by pickle,
and the figures (figures.py) are computed from them alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PrognosisAt:
    """The incident's predicted failure as the ticket showed it at ``ts`` (unix seconds)."""

    ts: float
    predicted_ts: float
    earliest_ts: float
    latest_ts: float


@dataclass
class TicketResult:
    ticket_id: int
    fault: str  # the incident's fault, or "pump_trip" (a trip with no warning)
    opened_ts: float  # the gateway opened the ticket (the event's time: batch, no delay)
    priority: int  # at opening
    best_priority: int  # the most urgent it became
    title: str
    explanation: str  # the agent's words in the event that opened it
    evidence: list[dict] = field(default_factory=list)  # the event's findings (channels, expected, observed)
    prognoses: list[PrognosisAt] = field(default_factory=list)
    gateway_lead_s: float | None = None  # the incident's own lead time (first trip - first event)
    # the agent revised its diagnosis (a notice explaining the evidence better withdrew it): the fault it
    # was opened for, and when it came to name ``fault`` (the ticket handed over); or, the better notice
    # having a ticket of its own, the ticket it was cancelled into (``fault`` stays the withdrawn one)
    first_fault: str = ""
    revised_ts: float | None = None
    cancelled_into: int | None = None

    @property
    def named_ts(self) -> float:
        """When the ticket came to name the fault it names now: a revised diagnosis is judged from then."""
        return self.revised_ts if self.revised_ts is not None and self.cancelled_into is None else self.opened_ts


@dataclass
class PumpResult:
    scenario: str
    site: str
    climate: str
    refrigerant: str
    device: str
    days: float  # how long the pump was watched
    fault: str = ""  # ground truth ("" healthy)
    channel: str | None = None
    onset_ts: float | None = None
    trip_ts: float | None = None  # the fault's first trip (None: did not trip within the run)
    trip_kind: str | None = None
    readings: int = 0
    events: int = 0
    tickets: list[TicketResult] = field(default_factory=list)
    notifications: int = 0  # messages the gateway queued for this pump's customer
    # hourly means of the evidence channels of the pump's tickets (for the report's example plots)
    series_ts: list[float] = field(default_factory=list)
    series: dict[str, list[float]] = field(default_factory=dict)
    # hourly mean outdoor air as the pump read it, for a pump with a ticket or a trip (series_ts): a
    # date is judged against the weather that brought the trip (did it trip on the cold day?)
    outdoor_c: list[float] = field(default_factory=list)


@dataclass
class PartResult:
    key: str
    pumps: list[PumpResult]
    readings: int
    wall_s: float
    cpu_s: float = 0.0  # the worker process's CPU time for this part (the machine may be shared)
    sim_cpu_s: float = 0.0  # ... of which the simulator
