"""The figures of an evaluation, from the pumps' ground truth and the tickets the gateway opened.

A ticket is judged by its incident's fault against the pump's true fault:

- caught: a ticket for the pump's own fault opened before its first trip; the lead time is
  trip - ticket, its share of onset -> trip says how much of the warning time heatwatch used;
- found after the trip: the first such ticket came at or after the trip; missed: none;
- false: a ticket on a healthy pump, a ticket blamed on another fault than the pump's, or one
  opened before the fault began (a "pump_trip" ticket is a real stop, never false);
- a sensor fault taken for a pump fault (a wasted refrigerant visit) and the reverse are the
  false tickets of that kind on pumps with such a fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from heatwatch.eval.results import PumpResult, TicketResult
from heatwatch.faults import FAULT_TYPES, FAULTS, PUMP_FAULTS, SENSOR_FAULTS
from heatwatch.units import DAY

PUMP_TRIP = "pump_trip"
YEAR_DAYS = 365.25


@dataclass
class FaultRow:
    fault: str
    pumps: int = 0
    tripped: int = 0  # pump faults whose pump tripped within the run
    caught: int = 0  # ... of those, a ticket for the fault before the trip
    after_trip: int = 0  # ... the first ticket for the fault came at or after the trip
    missed: int = 0  # ... no ticket for the fault
    open_no_trip: int = 0  # pump faults that did not trip within the run, ticket opened
    leads_d: list[float] = field(default_factory=list)
    shares: list[float] = field(default_factory=list)  # lead / (trip - onset)
    detect_d: list[float] = field(default_factory=list)  # onset -> first right ticket (every fault)
    found: int = 0  # any ticket for the fault after its onset (sensor faults: the figure)

    @property
    def recall(self) -> float | None:
        return self.caught / self.tripped if self.tripped else None


@dataclass
class Figures:
    pumps: int
    device_years: float
    readings: int
    tickets: int
    rows: dict[str, FaultRow]
    false_tickets: list[tuple[PumpResult, TicketResult, str]]  # pump, ticket, why
    trips_unwarned: int  # pump_trip tickets: a stop with no warning ticket open
    sensor_as_pump: int
    pump_as_sensor: int
    notifications: int
    customers: int
    run_days: float
    prognosis_first: list[tuple[float, float, float, float]]  # (predicted, earliest, latest, actual) days ahead
    prognosis_all: list[tuple[float, float, float, float]]
    # tickets whose diagnosis the agent revised: (pump, ticket, days it named its first fault)
    revised: list[tuple[PumpResult, TicketResult, float]] = field(default_factory=list)

    def revised_line(self) -> str:
        """How often the first name was revised and how long it stood (the customer's first message named it)."""
        if not self.revised:
            return "diagnoses revised by the agent: 0"
        moved = sum(t.cancelled_into is not None for _, t, _ in self.revised)
        wrong = sum(t.first_fault != p.fault for p, t, _ in self.revised)
        stood = sorted(d for _, _, d in self.revised)
        return (f"diagnoses revised by the agent: {len(self.revised)} tickets ({len(self.revised) - moved} handed over, "
                f"{moved} cancelled into the better notice's ticket); the first name wrong on {wrong}, "
                f"standing a median {stood[len(stood) // 2]:.1f} d")

    @property
    def false_per_100_device_years(self) -> float:
        return 100.0 * len(self.false_tickets) / self.device_years if self.device_years else float("nan")

    @property
    def notifications_per_customer(self) -> float:
        return self.notifications / self.customers if self.customers else 0.0


def first_right(p: PumpResult) -> TicketResult | None:
    """The first ticket naming the pump's fault, from when it named it (a revised one from its revision)."""
    right = [t for t in p.tickets if t.fault == p.fault and t.cancelled_into is None
             and (p.onset_ts is None or t.opened_ts >= p.onset_ts)]
    return min(right, key=lambda t: t.named_ts) if right else None


def false_why(p: PumpResult, t: TicketResult) -> str | None:
    """Why a ticket is false, or None when it is right (or a real trip). A ticket is judged by the
    fault it names at the end (the agent may revise it); one cancelled into the better notice's own
    ticket is that ticket's business (counted among the revised, not the false)."""
    if t.fault == PUMP_TRIP or t.cancelled_into is not None:
        return None
    if not p.fault:
        return "healthy pump"
    if t.fault != p.fault:
        return f"blamed on {t.fault} (is {p.fault})"
    if p.onset_ts is not None and t.opened_ts < p.onset_ts:
        return "before the fault began"
    return None


def compute(pumps: list[PumpResult], readings: int = 0) -> Figures:
    rows = {f.name: FaultRow(f.name) for f in FAULT_TYPES}
    false: list[tuple[PumpResult, TicketResult, str]] = []
    sensor_as_pump = pump_as_sensor = unwarned = 0
    first_est: list[tuple[float, float, float, float]] = []
    all_est: list[tuple[float, float, float, float]] = []
    for p in pumps:
        for t in p.tickets:
            why = false_why(p, t)
            unwarned += t.fault == PUMP_TRIP
            if why is None:
                continue
            false.append((p, t, why))
            if p.fault in SENSOR_FAULTS and t.fault in PUMP_FAULTS:
                sensor_as_pump += 1
            if p.fault in PUMP_FAULTS and t.fault in SENSOR_FAULTS:
                pump_as_sensor += 1
        if not p.fault:
            continue
        row = rows[p.fault]
        row.pumps += 1
        right = first_right(p)
        if right is not None:
            row.found += 1
            row.detect_d.append((right.named_ts - (p.onset_ts or right.named_ts)) / DAY)
        if p.fault in SENSOR_FAULTS:
            continue
        if p.trip_ts is None:
            row.open_no_trip += right is not None
            continue
        row.tripped += 1
        if right is None:
            row.missed += 1
        elif right.named_ts < p.trip_ts:
            row.caught += 1
            lead = (p.trip_ts - right.named_ts) / DAY
            row.leads_d.append(lead)
            span = (p.trip_ts - (p.onset_ts or p.trip_ts)) / DAY
            if span > 0:
                row.shares.append(lead / span)
            ahead = [_ahead(g, p.trip_ts) for g in right.prognoses if g.ts < p.trip_ts]
            if ahead:
                first_est.append(ahead[0])
                all_est.extend(ahead)
        else:
            row.after_trip += 1
    days = [p.days for p in pumps]
    return Figures(
        pumps=len(pumps), device_years=sum(days) / YEAR_DAYS, readings=readings or sum(p.readings for p in pumps),
        tickets=sum(len(p.tickets) for p in pumps), rows=rows, false_tickets=false, trips_unwarned=unwarned,
        sensor_as_pump=sensor_as_pump, pump_as_sensor=pump_as_sensor,
        notifications=sum(p.notifications for p in pumps), customers=len(pumps),
        run_days=max(days) if days else 0.0, prognosis_first=first_est, prognosis_all=all_est,
        revised=[(p, t, ((t.revised_ts or t.opened_ts) - t.opened_ts) / DAY) for p in pumps for t in p.tickets
                 if t.first_fault])


def _ahead(g, trip_ts: float) -> tuple[float, float, float, float]:
    return ((g.predicted_ts - g.ts) / DAY, (g.earliest_ts - g.ts) / DAY, (g.latest_ts - g.ts) / DAY,
            (trip_ts - g.ts) / DAY)


@dataclass(frozen=True)
class PrognosisQuality:
    n: int
    within_factor_2: float
    interval_holds: float
    median_ratio: float
    too_late: float = 0.0  # the earliest date of the interval already after the trip
    # the interval's latest over its earliest time left, median: an interval holds the trip
    # cheaply when it is wide, and a dispatcher cannot plan on "2 to 138 days"
    median_width: float = 1.0


def prognosis_quality(est: list[tuple[float, float, float, float]]) -> PrognosisQuality | None:
    """Predicted time left against the real one: within a factor 2, the interval holds the trip, its
    earliest date comes after the trip (the error that sends the technician too late), and how wide
    the interval is (what its holding costs)."""
    if not est:
        return None
    a = np.array(est)
    pred, lo, hi, actual = (np.maximum(c, 1 / 24) for c in a.T)  # an hour floor: log of 0
    ratio = pred / actual
    return PrognosisQuality(len(a), float(np.mean(np.abs(np.log2(ratio)) <= 1)),
                            float(np.mean((lo <= actual) & (actual <= hi))), float(np.median(ratio)),
                            float(np.mean(lo > actual)), float(np.median(np.maximum(hi, lo) / lo)))


def median(xs: list[float]) -> float | None:
    return float(np.median(xs)) if xs else None


def p10(xs: list[float]) -> float | None:
    return float(np.percentile(xs, 10)) if xs else None


def title(fault: str) -> str:
    return FAULTS[fault].title if fault in FAULTS else fault
