"""The eval's private gateway stores what the production gateway stores: the same events through
``PrivateGateway.record`` (one session kept for the part, a transaction per event) and through
the production ingest (``Ingest.handle``, a fresh session and transaction per message, its clock
at the event's time) leave the same incident, ticket, history and notification rows, and the
incident ``record`` returns is the row as committed.

Before: ``record`` refreshed the incident to hand it back, and SQLAlchemy's refresh drops the
changes not yet flushed, the priority the last judging of an update had set (priority, its
reason, the cold ahead): the private gateway kept the priority of the opening or the last
escalation where production keeps the latest."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from heatwatch.contract import REVISES, Event, EventBody, agent_topic, revision_finding
from heatwatch.eval.gateway_side import PrivateGateway
from heatwatch.gateway import tables
from heatwatch.gateway.db import Database, from_unix
from heatwatch.gateway.ingest.service import Ingest
from tests.gateway.incidents_support import JANUARY, event

H = timedelta(hours=1)
D = timedelta(days=1)
# the rows the incident logic writes (ingest's own bookkeeping, sequence positions and the device's
# last_seen_at, is not the private gateway's); customers and sites minus their wall-clock created_at
COMPARED = {"incidents": (), "incident_events": (), "tickets": (), "ticket_history": (), "notifications": (),
            "processed_events": (), "customers": ("created_at",), "sites": ("created_at",)}


def season() -> list[Event]:
    """Two pumps' events in time order: an opening, prognoses moving nearer and later (the priority
    rising, falling and rising again), a sensor drift and a dropout of the same sensor, a flow meter
    revising low water flow, a trip, a clear and a raise after it."""
    evs = [event("fault", fault="refrigerant_leak", severity="warning", at=JANUARY, failure_in=30 * D, device="hp-a")]
    for k, days in enumerate([25, 12, 20, 3, 9, 1.5]):
        evs.append(event("fault_update", fault="refrigerant_leak", severity="warning" if k < 3 else "critical",
                         at=JANUARY + (k + 1) * 6 * H, failure_in=days * D, device="hp-a"))
    evs += [
        event("sensor_fault", fault="sensor_drift", severity="info", at=JANUARY + 2 * H, channels=["t_outdoor"],
              device="hp-b"),
        event("sensor_fault", fault="sensor_dropout", severity="warning", at=JANUARY + 8 * H, channels=["t_outdoor"],
              device="hp-b"),
        event("fault", fault="low_water_flow", severity="warning", at=JANUARY + 10 * H, channels=["flow_lpm"],
              device="hp-b"),
        meter(JANUARY + 14 * H, "hp-b"),
        event("trip", fault="hp_switch", at=JANUARY + 2 * D, device="hp-a"),
        event("fault_cleared", fault="refrigerant_leak", severity="info", at=JANUARY + 3 * D, device="hp-a"),
        event("fault_update", fault="refrigerant_leak", severity="critical", at=JANUARY + 4 * D, failure_in=2 * D,
              device="hp-a"),
        event("fault_cleared", fault="sensor_drift", severity="info", at=JANUARY + 5 * D, device="hp-b"),
    ]
    return sorted(evs, key=lambda e: e.ts)


def meter(at: datetime, device: str) -> Event:
    ev = event("sensor_fault", fault="sensor_drift", severity="info", at=at, channels=["flow_lpm"], device=device)
    return ev.model_copy(update={"findings": [*ev.findings, revision_finding(
        REVISES, "low_water_flow", None, "revised: flow meter reads low, not low water flow")]})


def rows(db: Database) -> dict[str, list[tuple]]:
    out = {}
    with db.engine.connect() as c:
        for name, masked in COMPARED.items():
            t = tables.metadata.tables[name]
            out[name] = [tuple(r) for r in c.execute(select(*[col for col in t.columns if col.name not in masked])
                                                     .order_by(*t.primary_key.columns))]
    return out


def test_private_gateway_stores_what_production_ingest_stores():
    devices = ["hp-a", "hp-b"]
    gw = PrivateGateway(devices, "oslo", "R32")
    ref = PrivateGateway(devices, "oslo", "R32")  # its database set up alike; written by the production ingest
    clock: list[datetime] = []
    ingest = Ingest(ref.db, clock=lambda: clock[-1])
    seq: dict[str, int] = {}
    returned = []
    try:
        for ev in season():
            body = EventBody(**ev.model_dump(exclude={"seq", "event_id"}))
            rec = gw.record(body)
            n = seq[ev.device] = seq.get(ev.device, 0) + 1  # numbered as the private gateway does
            numbered = Event(**body.model_dump(), seq=n, event_id=f"{ev.device}-e{n:08d}")
            clock.append(from_unix(numbered.ts))
            assert ingest.handle(agent_topic(ev.device, "event"), numbered.to_json()).accepted
            if rec.incident is not None:
                with ref.db.transaction() as s:
                    stored = s.get(tables.Incident, rec.incident.id)
                    returned.append(({c.key: getattr(rec.incident, c.key) for c in tables.Incident.__table__.columns},
                                     {c.key: getattr(stored, c.key) for c in tables.Incident.__table__.columns}))
        ours, theirs = rows(gw.db), rows(ref.db)
    finally:
        gw.close()
        ref.close()
    for name in COMPARED:
        assert ours[name] == theirs[name], name
    for got, stored in returned:
        assert got == stored
    # the stream did what it is for: priorities moved without an escalation, a revision, a trip
    reasons = {r["priority_reason"] for r, _ in returned if r["fault"] == "refrigerant_leak"}
    assert len(reasons) >= 5
    assert any(r[5] == "revised" for r in theirs["ticket_history"])
    assert any(r["trip_count"] for r, _ in returned)
