"""A private gateway per part: the real incident, ticket and notification code on SQLite.

Events are sparse (a few per pump per week), so a file database per part is cheap and keeps the
parts independent. Each pump is one customer's, at a site in its climate's city (the priority's
"cold ahead" reads the site's climate normals), who chose e-mail: the notifications the gateway
queues for a ticket (its policy in gateway/notifications/steps.py) are counted per customer.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, timezone
from pathlib import Path

from sqlalchemy import func, inspect, select

from heatwatch.contract import Event, EventBody
from heatwatch.gateway import tables
from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.db import Database, from_unix
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents import revisions
from heatwatch.gateway.incidents.models import Incident
from heatwatch.gateway.incidents.service import EventOutcome, Incidents
from heatwatch.gateway.ingest.models import ProcessedEvent
from heatwatch.gateway.notifications.models import Notification
from heatwatch.gateway.tickets.models import Ticket
from heatwatch.gateway.weather.normals import MONTHLY_NORMALS_C, normal_temperature
from heatwatch.sim.climate import ClimatePreset

# where a climate's sites are (the city whose normals the simulator's climate has) and its time zone
CLIMATE_PLACE = {
    "stockholm": ("Stockholm", "SE", 59.33, 18.07, "Europe/Stockholm", "sv"),
    "oslo": ("Oslo", "NO", 59.91, 10.75, "Europe/Oslo", "nb"),
    "milan": ("Milano", "IT", 45.46, 9.19, "Europe/Rome", "it"),
}


def place_of(climate: str, spec: ClimatePreset | None = None) -> tuple[str, str, float, float, str, str]:
    """Where a climate's sites are: a preset's city; for a climate given by its numbers, the latitude
    whose normals (the priority's "cold ahead" without a forecast) are nearest to its monthly means,
    on its time zone's meridian, in that fixed-offset zone, an English-speaking customer."""
    if spec is None:
        return CLIMATE_PLACE[climate]
    lats = [lo + 0.5 * k for lo, hi in [(min(MONTHLY_NORMALS_C), max(MONTHLY_NORMALS_C))]
            for k in range(int((hi - lo) / 0.5) + 1)]
    mid_month = [date(2001, m, 15) for m in range(1, 13)]
    lat = min(lats, key=lambda la: sum((normal_temperature(la, d) - t) ** 2 for d, t in zip(mid_month, spec.monthly_c)))
    off = spec.utc_offset_h
    tz = f"Etc/GMT{-int(off):+d}" if off == int(off) and off != 0 else "UTC"  # Etc/ zones count westwards
    return spec.name[:100], "", lat, max(-180.0, min(180.0, 15.0 * off)), tz, "en"


@dataclass
class Recorded:
    """One event as the gateway took it: the outcome and, for a raise, the incident afterwards."""

    outcome: EventOutcome
    incident: Incident | None


@dataclass(frozen=True)
class Revised:
    """A ticket whose diagnosis was revised: the fault it was opened for, when, and (cancelled) into which ticket."""

    ticket_id: int
    first_fault: str
    fault: str  # what the ticket names now (cancelled: still the withdrawn fault)
    at: float  # unix seconds
    cancelled_into: int | None


class PrivateGateway:
    """The gateway's incident logic over its own SQLite file (removed by ``close``)."""

    def __init__(self, devices: list[str], climate: str, refrigerant: str, climate_spec: ClimatePreset | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="heatwatch-eval-")
        self.db = Database.open(f"sqlite:///{Path(self._dir.name) / 'gateway.db'}")
        tables.metadata.create_all(self.db.engine)
        self.incidents = Incidents()
        self._seq: dict[str, int] = {}
        city, country, lat, lon, tz, lang = place_of(climate, climate_spec)
        with self.db.transaction() as s:
            for d in devices:
                customer = Customer(name=f"Customer of {d}", language=lang, time_zone=tz,
                                    preferred_channels=["email"], contact_addresses={"email": f"{d}@example.org"})
                site = Site(customer=customer, city=city, country=country, latitude=lat, longitude=lon)
                s.add(Device(id=d, site=site, refrigerant=refrigerant))

    def record(self, body: EventBody) -> Recorded:
        """Number the event as the agent's outbox would, keep it as ingest does, apply it; the
        gateway's clock is the event's time (batch: delivered at once)."""
        seq = self._seq[body.device] = self._seq.get(body.device, 0) + 1
        ev = Event(**body.model_dump(), seq=seq, event_id=f"{body.device}-e{seq:08d}")
        now = from_unix(ev.ts)
        with self.db.transaction() as s:
            s.add(ProcessedEvent(event_id=ev.event_id, device_id=ev.device, seq=seq, kind=ev.kind, fault=ev.fault,
                                 ts=now, received_at=now, payload=ev.model_dump(mode="json", exclude_none=True)))
            s.flush()
            outcome = self.incidents.record_event(s, ev, now)
            incident = s.get(Incident, outcome.incident_id) if outcome.incident_id is not None else None
        # the incident as committed, apart from the session (not ``refresh``: it drops the changes not
        # yet flushed, the last judging's priority, before it flushes, and they were never stored)
        return Recorded(outcome, _detached_copy(incident) if incident is not None else None)

    def revisions(self) -> list[Revised]:
        """The tickets whose diagnosis the agent revised, by the withdrawn incidents (``revised_into_id``):
        handed over (the ticket now names the better notice) or cancelled into the better notice's own."""
        out: dict[int, Revised] = {}
        with self.db.transaction() as s:
            for withdrawn in s.scalars(select(Incident).where(Incident.revised_into_id.is_not(None))
                                       .order_by(Incident.closed_at, Incident.id)):
                now = revisions.revised_into(s, withdrawn)
                speaking = s.scalars(select(Ticket).where(Ticket.incident_id == now.id)).first() if now else None
                own = s.scalars(select(Ticket).where(Ticket.incident_id == withdrawn.id)).first()
                at = (withdrawn.closed_at or withdrawn.last_event_ts).replace(tzinfo=timezone.utc).timestamp()
                if own is not None and speaking is not None:  # cancelled into the better notice's ticket
                    out[own.id] = Revised(own.id, withdrawn.fault, withdrawn.fault, at, speaking.id)
                elif speaking is not None:  # handed over: the ticket names the better notice now
                    first = out[speaking.id].first_fault if speaking.id in out else withdrawn.fault
                    out[speaking.id] = Revised(speaking.id, first, now.fault, at, None)
        return list(out.values())

    def notifications_by_device(self) -> dict[str, int]:
        """Messages queued per pump's customer (every step, every channel), as the gateway would send."""
        with self.db.transaction() as s:
            rows = s.execute(select(Ticket.device_id, func.count(Notification.id))
                             .join(Notification, Notification.ticket_id == Ticket.id)
                             .group_by(Ticket.device_id)).all()
        return {d: n for d, n in rows}

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()


def _detached_copy(incident: Incident) -> Incident:
    """A new, transient Incident holding ``incident``'s column values."""
    copy = Incident()
    for attr in inspect(Incident).column_attrs:
        setattr(copy, attr.key, getattr(incident, attr.key))
    return copy
