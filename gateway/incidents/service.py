"""Event -> incident -> ticket: one open incident per device and fault, one ticket per incident.

``Incidents.record_event`` is called by ingest in the transaction that
recorded the event (so an event is applied exactly once: ingest refuses a
second delivery of its ``event_id``, and ``incident_events`` is keyed by it
too). What each kind of event does:

- ``fault`` / ``sensor_fault``: open the device's incident for that fault, or
  update the open one. A sensor fault on a sensor that already has an open
  sensor incident on the device (a dropout after a drift of the same
  transducer) updates that incident and its ticket: one sensor, one visit,
  one ticket. A fault that returns after its incident closed opens
  a new incident (and ticket) linked to the old one (``previous_incident_id``):
  the old ticket was resolved with a code and keeps its history and SLA; the
  dispatcher sees the return on the new ticket.
- ``fault_update``: the prognosis moved; the incident takes it (unless a newer
  event's prognosis is already held). With no open incident it opens one only
  if the device never had one for that fault (its ``fault`` event came before
  the gateway knew the device); after a close it is a late message and is
  only linked to the closed incident as evidence.
- rising severity or a nearer failure recomputes the priority (priority.py);
  a more urgent one escalates the ticket (history entry, tighter deadlines).
  Time passing and the weather do too: ``reprioritize`` is the periodic job.
- ``fault_cleared``: the pump recovered. It proposes closing (a flag a
  dispatcher confirms with ``confirm_close`` or rejects with
  ``reject_close``); a later event of the fault withdraws the proposal.
- a revised diagnosis (``heatwatch.contract.REVISES`` / ``EXPLAINED_BY``
  findings): the agent withdrew a fault because a notice it yields to explains
  the evidence better (a flow meter reading low, not low water flow). The
  better notice's raise names what it revises: the withdrawn fault's incident
  closes as ``revised`` and its ticket goes on as the better notice's (retitled,
  a ``revised`` history entry; no new ticket, so the customer is not told of a
  second problem, and every later message names the right one). Had the better
  notice its own ticket already, the withdrawn one is cancelled naming it. The
  withdrawal's own ``fault_cleared`` then finds its incident closed; arriving
  first, it proposes closing with the revision as the reason. A gateway that
  predates this keeps these findings as evidence and proposes closing.
- ``trip``: the pump stopped on protection. It attaches to the device's open
  pump-fault incident (the oldest) and records the lead time: first trip
  minus the incident's first event, how long before the trip heatwatch had
  raised it. With none open it opens a critical ``pump_trip`` incident
  (lead time 0: no warning).
- a silent device (its last will, ``online = false``, or no message for
  ``silent_after``, found by ``sweep_silent_devices``) is a ``device_offline``
  incident. It gets no ticket (most often the customer's internet or power;
  the dispatcher sees it among incidents) and closes by itself when the
  device speaks again.

Every incident but ``device_offline`` gets a ticket. Two workers opening the
same incident at once: both look for the open incident, find none, insert;
the database's partial unique index lets one insert through and the other
(inside a savepoint) fails, finds the winner's incident and updates it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from heatwatch.contract import EXPLAINED_BY, REVISES, Event, Revision, revisions
from heatwatch.faults import FAULTS, SENSOR_FAULTS
from heatwatch.gateway.db import from_unix, utcnow
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents import lifecycle
from heatwatch.gateway.incidents.models import (
    DEVICE_OFFLINE,
    PUMP_TRIP,
    Incident,
    IncidentEvent,
    IncidentState,
    Severity,
)
from heatwatch.gateway.incidents.priority import Priority, Urgency, cold_window, priority
from heatwatch.gateway.ingest.counters import IngestCounters
from heatwatch.gateway.ingest.models import ProcessedEvent
from heatwatch.gateway.settings import GatewaySettings
from heatwatch.gateway.tickets import service as tickets
from heatwatch.gateway.tickets.lifecycle import FINISHED
from heatwatch.gateway.tickets.models import Ticket
from heatwatch.gateway.tickets.sla import SlaPolicy
from heatwatch.gateway.weather.outlook import Outlook
from heatwatch.units import MINUTE

log = logging.getLogger(__name__)

SEVERITY_ORDER = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
RAISES = ("fault", "sensor_fault", "fault_update")
# the agent's default status interval is 60 s: silent after five missed ones
DEFAULT_SILENT_AFTER = timedelta(seconds=5 * MINUTE)


class IncidentError(Exception):
    """An incident action the service refuses; the message says why."""


class IncidentNotFound(IncidentError):
    def __init__(self, incident_id: int) -> None:
        super().__init__(f"incident {incident_id}: no such incident")
        self.incident_id = incident_id


class NoCloseProposed(IncidentError):
    pass


@dataclass(frozen=True)
class EventOutcome:
    """What an event or status did: ``action`` is opened | updated | trip | close_proposed | closed
    (a silent device back) | linked (kept as evidence of a closed incident) | ignored."""

    action: str
    incident_id: int | None = None
    ticket_id: int | None = None
    priority: int | None = None
    escalated: bool = False  # the ticket's priority rose
    detail: str = ""


@dataclass
class SilentSweep:
    opened: list[int] = field(default_factory=list)  # incident ids of devices that went silent
    closed: list[int] = field(default_factory=list)  # incident ids of devices that came back


def heating_at_risk(fault: str) -> bool:
    """A pump fault or a trip puts the heating at risk; a sensor fault or a silent device does not."""
    return fault not in SENSOR_FAULTS and fault != DEVICE_OFFLINE


def needs_ticket(fault: str) -> bool:
    return fault != DEVICE_OFFLINE


def incident_title(fault: str, channels: list[str] | None = None) -> str:
    if fault == DEVICE_OFFLINE:
        return "Device offline (agent silent)"
    if fault == PUMP_TRIP:
        return "Pump stopped on protection"
    title = FAULTS[fault].title if fault in FAULTS else fault.replace("_", " ").capitalize()
    return f"{title} ({', '.join(channels)})" if channels else title


class Incidents:
    """The incident logic with its policy (SLA targets, silence, the weather); stateless, one per worker."""

    def __init__(self, sla: SlaPolicy | None = None, outlook: Outlook | None = None,
                 silent_after: timedelta = DEFAULT_SILENT_AFTER) -> None:
        self.sla = sla or SlaPolicy()
        self.outlook = outlook or Outlook()
        self.silent_after = silent_after
        # per worker, for operators: "<event kind>.<action>" (fault.opened, trip.trip, fault_update.ignored,
        # ...) and "escalated"; counted as applied (a transaction that then fails leaves one too many)
        self.counters = IngestCounters()

    @classmethod
    def from_settings(cls, settings: GatewaySettings, outlook: Outlook | None = None) -> Incidents:
        return cls(SlaPolicy.from_settings(settings), outlook)

    # ---- events ---------------------------------------------------------------------------------
    def record_event(self, session: Session, event: Event, now: datetime | None = None) -> EventOutcome:
        """Apply one event (already recorded in processed_events) to the device's incidents."""
        outcome = self._record_event(session, event, now or utcnow())
        self.counters.add(f"{event.kind}.{outcome.action}")
        if outcome.escalated:
            self.counters.add("escalated")
        if outcome.action == "ignored":
            log.info("%s event %s: %s", event.kind, event.event_id, outcome.detail)
        return outcome

    def _record_event(self, session: Session, event: Event, now: datetime) -> EventOutcome:
        if session.get(IncidentEvent, event.event_id) is not None:
            return EventOutcome("ignored", detail=f"event {event.event_id} applied before")
        if event.kind == "agent":
            return EventOutcome("ignored", detail="agent events open no incident")
        device = session.get(Device, event.device)
        if device is None:
            return EventOutcome("ignored", detail=f"{event.device}: not a registered device")
        if event.kind == "trip":  # its fault is the protection that stopped the pump, if the agent knew it
            return self._trip(session, device, event, now)
        if not event.fault:
            return EventOutcome("ignored", detail=f"{event.kind} event without a fault name")
        if event.kind == "fault_cleared":
            return self._cleared(session, device, event, now)
        return self._raised(session, device, event, now)

    def _raised(self, s: Session, device: Device, event: Event, now: datetime) -> EventOutcome:
        fault, ts = event.fault, from_unix(event.ts)
        assert fault is not None
        incident = _open_incident(s, device.id, fault)
        if incident is None and event.kind == "sensor_fault":
            same = _open_incident_of_sensor(s, device.id, _channels(event))
            if same is not None:  # another check failed on a sensor already ticketed
                ticket = _ticket_of(s, same)
                notes = self._apply_raise(s, same, event, ts, now, ticket)
                notes.append(("sensor", None, fault, f"{fault} on {', '.join(sorted(_channels(event)))}: "
                                                     f"the same sensor as this ticket's {same.fault}"))
                self._revise_all(s, device, same, event, now)
                return self._after_update(s, device, same, ticket, now, "updated", notes)
        if incident is None:
            previous = _latest_closed(s, device.id, fault)
            if event.kind == "fault_update" and previous is not None:
                _link(s, event, previous)
                return EventOutcome("linked", previous.id, detail="update of a fault whose incident closed")
            incident, opened = self._insert_or_lock(s, device, fault, ts, now, previous)
            if opened:
                self._apply_raise(s, incident, event, ts, now, None)
                taken = self._revise_all(s, device, incident, event, now)
                if taken is not None:  # the withdrawn fault's ticket goes on as this one's
                    return self._after_update(s, device, incident, taken, now, "revised", [])
                return self._after_open(s, device, incident, event, now)
        ticket = _ticket_of(s, incident)
        notes = self._apply_raise(s, incident, event, ts, now, ticket)
        self._revise_all(s, device, incident, event, now)
        return self._after_update(s, device, incident, ticket, now, "updated", notes)

    def _revise_all(self, s: Session, device: Device, better: Incident, event: Event,
                    now: datetime) -> Ticket | None:
        """The faults a raise withdrew (its REVISES findings) that stand open here: each closes as
        revised (_revise). Returns the ticket ``better`` took over, if it had none. A fault_update
        repeats its raise's findings: what it names was revised then, and may since stand again."""
        if event.kind == "fault_update":
            return None
        taken = None
        for r in self._revisions(event, REVISES):
            withdrawn = _open_incident(s, device.id, r.fault) if r.fault != better.fault else None
            if withdrawn is not None:
                taken = self._revise(s, device, withdrawn, better, r, event, now) or taken
        return taken

    def _revisions(self, event: Event, kind: str) -> list[Revision]:
        """The notices an event's ``kind`` findings name; one that does not read as a notice is
        counted (``<kind>.unreadable``) and logged, and the event does what it would without it."""
        found = revisions(event.findings, kind)
        if len(found) < sum(f.kind == kind for f in event.findings):
            self.counters.add(f"{kind}.unreadable")
            log.warning("event %s: a %s finding names no notice (fault (channel): why); ignored", event.event_id, kind)
        return found

    def _revise(self, s: Session, device: Device, withdrawn: Incident, better: Incident, r: Revision,
                event: Event, now: datetime) -> Ticket | None:
        """``withdrawn`` is better explained by ``better``'s notice: close it as revised. Its ticket,
        if still in work, becomes ``better``'s (which has none yet: retitled, a ``revised`` history
        entry; the visit booked stays; the customer hears of the change once, if their words change:
        notifications/revision.py), or, ``better`` having a ticket of its own, is cancelled naming
        that one, and a customer told the withdrawn fault hears of the change on it. Returns the
        ticket taken over."""
        lifecycle.close_incident(withdrawn, lifecycle.REVISED, now)
        ticket, own = _ticket_of(s, withdrawn), _ticket_of(s, better)
        if ticket is None or ticket.status in FINISHED:
            return None
        why = f"{r.text} (incident {withdrawn.id}, {withdrawn.fault}, withdrawn by the agent)"
        withdrawn.revised_into_id = better.id  # the customer's page says from what the diagnosis changed
        if own is not None:  # cancelled into it; the customer told the withdrawn fault hears on ``own``
            tickets.cancel(s, ticket.id, version=ticket.version, actor=tickets.GATEWAY, now=now,
                           reason=f"{why}: ticket {own.id} speaks for it")
            tickets.record_change(s, own, tickets.GATEWAY, "revised", None, None, f"{why}; ticket {ticket.id} cancelled",
                                  now)
            return None
        channels = sorted(_channels(event)) if event.kind == "sensor_fault" else None
        before, title = ticket.title, incident_title(better.fault, channels or None)
        ticket.incident, ticket.title = better, title[:200]
        p = self._judge(s, device, better, now)
        keep = (f" Priority stays P{ticket.priority} (the gateway never lowers it); the revised fault alone is "
                f"P{p.level}: lower it if you agree." if p.level > ticket.priority else "")
        tickets.record_change(s, ticket, tickets.GATEWAY, "revised", before, ticket.title,
                              f"{why}. {event.explanation}{keep}", now)
        return ticket

    def _trip(self, s: Session, device: Device, event: Event, now: datetime) -> EventOutcome:
        ts = from_unix(event.ts)
        incident = s.scalars(
            select(Incident).where(Incident.device_id == device.id, Incident.state == IncidentState.OPEN,
                                   Incident.fault.not_in([*SENSOR_FAULTS, DEVICE_OFFLINE]))
            .order_by(Incident.first_event_ts, Incident.id).limit(1).with_for_update()
            .execution_options(populate_existing=True)).first()
        if incident is None:
            incident, opened = self._insert_or_lock(s, device, PUMP_TRIP, ts, now,
                                                    _latest_closed(s, device.id, PUMP_TRIP))
            if opened:
                incident.severity = Severity.CRITICAL
                _attach_trip(incident, ts)
                _link(s, event, incident)
                return self._after_open(s, device, incident, event, now)
        ticket = _ticket_of(s, incident)
        first = incident.trip_count == 0
        _attach_trip(incident, ts)
        _count_event(incident, ts)
        incident.severity = Severity.CRITICAL
        _withdraw_if_later(incident, ts)
        _link(s, event, incident)
        lead = f"{incident.lead_time_s / 86400:.1f} d after heatwatch raised it" if incident.lead_time_s else "no lead"
        why = event.fault or "protection unknown"
        notes = [("trip", None, event.fault,
                  f"the pump stopped on protection ({why})" + (f"; first trip, {lead}" if first else ""))]
        return self._after_update(s, device, incident, ticket, now, "trip", notes)

    def _cleared(self, s: Session, device: Device, event: Event, now: datetime) -> EventOutcome:
        fault, ts = event.fault, from_unix(event.ts)
        assert fault is not None
        incident = _open_incident(s, device.id, fault)
        if incident is None:
            previous = _latest_closed(s, device.id, fault)
            if previous is not None:
                _link(s, event, previous)
                return EventOutcome("linked", previous.id, detail="cleared after its incident closed")
            return EventOutcome("ignored", detail=f"{fault} cleared, but no incident of it")
        _link(s, event, incident)
        incident.event_count += 1
        incident.last_event_ts = max(incident.last_event_ts, ts)
        if incident.last_raised_ts is not None and ts < incident.last_raised_ts:
            return EventOutcome("linked", incident.id, detail="a clear older than the latest raise: the fault stands")
        by = self._revisions(event, EXPLAINED_BY)
        if by and by[0].fault == fault:  # one notice of this fault for another: the fault stands, revised
            ticket = _ticket_of(s, incident)
            if ticket is not None:
                tickets.record_change(s, ticket, tickets.GATEWAY, "revised", None, None, by[0].text, now)
            return EventOutcome("revised", incident.id, ticket.id if ticket else None, incident.priority)
        better = _open_incident(s, device.id, by[0].fault) if by else None
        if by and better is not None:  # its raise did not take this one over (a raise without REVISES)
            taken = self._revise(s, device, incident, better, by[0], event, now)
            return self._after_update(s, device, better, taken or _ticket_of(s, better), now, "revised", [])
        incident.cleared_ts, incident.close_proposed_at = ts, now
        ticket = _ticket_of(s, incident)
        if ticket is not None:
            why = (f"{by[0].text}; that notice is not here yet" if by
                   else "the pump recovered (fault cleared)")
            tickets.record_change(s, ticket, tickets.GATEWAY, "close_proposed", None, None,
                                  f"{why}: confirm closing, or reject", now)
        return EventOutcome("close_proposed", incident.id, ticket.id if ticket else None, incident.priority)

    # ---- status and silence -------------------------------------------------------------------
    def record_status(self, session: Session, device_id: str, online: bool,
                      now: datetime | None = None) -> EventOutcome:
        """The agent's status: offline (its last will) opens a device_offline incident, online
        closes it."""
        now = now or utcnow()
        if online:
            incident = _open_incident(session, device_id, DEVICE_OFFLINE)
            if incident is None:
                return EventOutcome("ignored")
            lifecycle.close_incident(incident, lifecycle.BACK_ONLINE, now)
            return EventOutcome("closed", incident.id)
        device = session.get(Device, device_id)
        if device is None:
            return EventOutcome("ignored", detail=f"{device_id}: not a registered device")
        return self._offline(session, device, now, now)

    def sweep_silent_devices(self, session: Session, now: datetime | None = None) -> SilentSweep:
        """The periodic job: a device not heard from for ``silent_after`` is offline; an offline
        device heard from since is back."""
        now = now or utcnow()
        report = SilentSweep()
        open_offline = exists().where(Incident.device_id == Device.id, Incident.fault == DEVICE_OFFLINE,
                                      Incident.state == IncidentState.OPEN)
        silent = session.scalars(select(Device).where(Device.last_seen_at < now - self.silent_after, ~open_offline)
                                 .order_by(Device.id)).all()
        for device in silent:
            assert device.last_seen_at is not None
            outcome = self._offline(session, device, device.last_seen_at, now)
            if outcome.action == "opened":
                report.opened.append(outcome.incident_id)  # type: ignore[arg-type]
        back = session.scalars(
            select(Incident).join(Device, Device.id == Incident.device_id)
            .where(Incident.fault == DEVICE_OFFLINE, Incident.state == IncidentState.OPEN,
                   Device.last_seen_at > Incident.last_event_ts, Device.online.is_not(False))
            .with_for_update(skip_locked=True, of=Incident)).all()
        for incident in back:
            lifecycle.close_incident(incident, lifecycle.BACK_ONLINE, now)
            report.closed.append(incident.id)
        return report

    def _offline(self, s: Session, device: Device, since: datetime, now: datetime) -> EventOutcome:
        incident, opened = self._insert_or_lock(s, device, DEVICE_OFFLINE, min(since, now), now,
                                                _latest_closed(s, device.id, DEVICE_OFFLINE))
        incident.last_event_ts = max(incident.last_event_ts, now)
        if not opened:
            return EventOutcome("updated", incident.id, priority=incident.priority)
        self._judge(s, device, incident, now)
        return EventOutcome("opened", incident.id, priority=incident.priority)

    # ---- dispatcher actions -------------------------------------------------------------------
    def confirm_close(self, session: Session, incident_id: int, actor: tickets.Actor,
                      now: datetime | None = None, note: str = "") -> Incident:
        """The recovered pump needs nothing: close the incident and cancel its ticket."""
        now = now or utcnow()
        incident = _get(session, incident_id)
        if incident.state != IncidentState.OPEN or incident.close_proposed_at is None:
            raise NoCloseProposed(f"incident {incident_id}: no close proposed (it is {incident.state.value})")
        lifecycle.close_incident(incident, lifecycle.RECOVERED, now)
        ticket = _ticket_of(session, incident)
        if ticket is not None and ticket.status not in FINISHED:
            tickets.cancel(session, ticket.id, version=ticket.version, actor=actor, now=now,
                           reason=note or "the pump recovered by itself (fault cleared); closing confirmed")
        return incident

    def reject_close(self, session: Session, incident_id: int, actor: tickets.Actor,
                     now: datetime | None = None, note: str = "") -> Incident:
        """The dispatcher does not trust the recovery: the incident stays open, the proposal goes."""
        now = now or utcnow()
        incident = _get(session, incident_id)
        if incident.state != IncidentState.OPEN or incident.close_proposed_at is None:
            raise NoCloseProposed(f"incident {incident_id}: no close proposed (it is {incident.state.value})")
        incident.cleared_ts = incident.close_proposed_at = None
        ticket = _ticket_of(session, incident)
        if ticket is not None:
            tickets.record_change(session, ticket, actor, "close_rejected", None, None, note, now)
        return incident

    # ---- time passing -------------------------------------------------------------------------
    def reprioritize(self, session: Session, now: datetime | None = None,
                     incident_ids: list[int] | None = None) -> list[int]:
        """The periodic job: a failure coming nearer and the weather change urgency without any
        event. Recomputes the priority of every open incident (or of these); returns the tickets
        escalated. Incidents another transaction holds are skipped (they are being updated)."""
        now = now or utcnow()
        escalated = []
        q = select(Incident).where(Incident.state == IncidentState.OPEN)
        if incident_ids is not None:
            q = q.where(Incident.id.in_(incident_ids))
        open_incidents = session.scalars(q.order_by(Incident.id).with_for_update(skip_locked=True)
                                         .execution_options(populate_existing=True)).all()
        for incident in open_incidents:
            ticket = _ticket_of(session, incident)
            p = self._judge(session, incident.device, incident, now)
            if ticket is not None and tickets.escalate(session, ticket, p.level, p.reason, now, self.sla):
                escalated.append(ticket.id)
        return escalated

    # ---- the machinery ------------------------------------------------------------------------
    def _insert_or_lock(self, s: Session, device: Device, fault: str, ts: datetime, now: datetime,
                        previous: Incident | None) -> tuple[Incident, bool]:
        """The open incident of (device, fault), inserted if none: (incident, whether it is new).
        A racing worker's insert wins the partial unique index: then ours rolls back to the
        savepoint and the winner's incident is taken, locked."""
        incident = Incident(device_id=device.id, fault=fault, state=IncidentState.OPEN, first_event_ts=ts,
                            last_event_ts=ts, event_count=1, opened_at=now,
                            previous_incident_id=previous.id if previous else None)
        try:
            with s.begin_nested():
                s.add(incident)
        except IntegrityError:
            winner = _open_incident(s, device.id, fault)
            if winner is None:  # not the race: some other constraint
                raise
            log.info("%s %s: another worker opened incident %d first; updating it", device.id, fault, winner.id)
            return winner, False
        return incident, True

    def _apply_raise(self, s: Session, incident: Incident, event: Event, ts: datetime, now: datetime,
                     ticket: Ticket | None) -> list[tuple[str, str | None, str | None, str]]:
        """Fold a fault/sensor_fault/fault_update event into the incident; returns history notes."""
        notes: list[tuple[str, str | None, str | None, str]] = []
        fresh = incident.last_raised_ts is None
        if not fresh:
            _count_event(incident, ts)
        incident.first_event_ts = min(incident.first_event_ts, ts)  # a late event of an earlier time
        if incident.trip_count:
            _lead_time(incident)
        _link(s, event, incident)
        severity = Severity(event.severity)
        if SEVERITY_ORDER[severity] > SEVERITY_ORDER[incident.severity] or fresh:
            if not fresh:
                notes.append(("severity", incident.severity.value, severity.value, "severity rose"))
            incident.severity = severity
        if incident.last_raised_ts is None or ts >= incident.last_raised_ts:
            incident.confidence = event.confidence
            incident.last_raised_ts = ts
        if event.prognosis is not None and (incident.prognosis_ts is None or ts >= incident.prognosis_ts):
            p = event.prognosis
            before = incident.predicted_failure_ts
            new = from_unix(p.predicted_trip_ts)
            incident.predicted_failure_ts = new
            incident.predicted_failure_earliest = min(from_unix(p.lower_ts), new)
            incident.predicted_failure_latest = max(from_unix(p.upper_ts), new)
            incident.prognosis_ts = ts
            if before is not None and before != new:
                nearer = "nearer" if new < before else "later"
                notes.append(("prognosis", f"{before:%Y-%m-%d %H:%M}", f"{new:%Y-%m-%d %H:%M}",
                              f"predicted failure moved {nearer} ({p.indicator} to {p.threshold:g})"))
            elif before is None and not fresh:  # raised without a date: the first one comes by an update
                notes.append(("prognosis", None, f"{new:%Y-%m-%d %H:%M}",
                              f"first predicted failure date ({p.indicator} to {p.threshold:g})"))
        if _withdraw_if_later(incident, ts):
            notes.append(("close_withdrawn", None, None, f"{incident.fault} raised again after it cleared"))
        return notes

    def _after_open(self, s: Session, device: Device, incident: Incident, event: Event,
                    now: datetime) -> EventOutcome:
        p = self._judge(s, device, incident, now)
        ticket = None
        if needs_ticket(incident.fault):
            channels = ([c for f in event.findings for c in f.channels] if event.kind == "sensor_fault" else None)
            title = incident_title(incident.fault, sorted(set(channels)) if channels else None)
            note = event.explanation
            others = _also_open(s, device.id, incident.id)
            if others:  # one visit may see to all of them
                note += f" Also open on this device: {others}."
            if incident.previous_incident_id is not None:
                title += " - returned"
                note = f"returned after incident {incident.previous_incident_id} closed. {note}"
            ticket = tickets.open_ticket(s, device_id=device.id, title=title, priority=p.level, now=now,
                                         incident=incident, note=f"{note}\n{p.reason}".strip(), policy=self.sla)
        return EventOutcome("opened", incident.id, ticket.id if ticket else None, p.level)

    def _after_update(self, s: Session, device: Device, incident: Incident, ticket: Ticket | None, now: datetime,
                      action: str, notes: list[tuple[str, str | None, str | None, str]]) -> EventOutcome:
        p = self._judge(s, device, incident, now)
        if ticket is None and needs_ticket(incident.fault):  # defensive: every such incident has one
            ticket = tickets.open_ticket(s, device_id=device.id, title=incident_title(incident.fault),
                                         priority=p.level, now=now, incident=incident, note=p.reason, policy=self.sla)
        escalated = False
        if ticket is not None:
            for what, before, after, note in notes:
                tickets.record_change(s, ticket, tickets.GATEWAY, what, before, after, note, now)
            escalated = tickets.escalate(s, ticket, p.level, p.reason, now, self.sla)
        return EventOutcome(action, incident.id, ticket.id if ticket else None, p.level, escalated)

    def _judge(self, s: Session, device: Device, incident: Incident, now: datetime) -> Priority:
        """Recompute the incident's priority from its facts, the time left and the cold ahead."""
        tripped = incident.trip_count > 0
        start, end = cold_window(now, incident.predicted_failure_ts, tripped)
        cold = self.outlook.cold_ahead(s, device, now, start, end)
        ttf = (incident.predicted_failure_ts - now).total_seconds() if incident.predicted_failure_ts else None
        p = priority(Urgency(severity=incident.severity.value, heating_at_risk=heating_at_risk(incident.fault),
                             tripped=tripped, time_to_failure_s=ttf, cold_ahead_c=cold.coldest_c))
        incident.priority, incident.priority_reason = p.level, p.reason[:300]
        incident.cold_ahead_c, incident.cold_source = cold.coldest_c, cold.source
        return p


# ---- helpers on rows --------------------------------------------------------------------------------

def _get(s: Session, incident_id: int) -> Incident:
    incident = s.scalars(select(Incident).where(Incident.id == incident_id).with_for_update()
                         .execution_options(populate_existing=True)).one_or_none()
    if incident is None:
        raise IncidentNotFound(incident_id)
    return incident


def _open_incident(s: Session, device_id: str, fault: str) -> Incident | None:
    return s.scalars(select(Incident).where(Incident.device_id == device_id, Incident.fault == fault,
                                            Incident.state == IncidentState.OPEN)
                     .with_for_update().execution_options(populate_existing=True)).one_or_none()


def _channels(event: Event) -> set[str]:
    """The sensors a sensor_fault event names (its findings' channels)."""
    return {c for f in event.findings for c in f.channels}


def _open_incident_of_sensor(s: Session, device_id: str, channels: set[str]) -> Incident | None:
    """The device's open sensor-fault incident (the oldest) whose events named one of ``channels``."""
    if not channels:
        return None
    rows = s.execute(
        select(Incident.id, ProcessedEvent.payload)
        .join(IncidentEvent, IncidentEvent.incident_id == Incident.id)
        .join(ProcessedEvent, ProcessedEvent.event_id == IncidentEvent.event_id)
        .where(Incident.device_id == device_id, Incident.state == IncidentState.OPEN,
               Incident.fault.in_(SENSOR_FAULTS))
        .order_by(Incident.first_event_ts, Incident.id)).all()
    for incident_id, payload in rows:
        named = {c for f in (payload or {}).get("findings") or () for c in f.get("channels") or ()}
        if named & channels:
            return _get(s, incident_id)
    return None


def _latest_closed(s: Session, device_id: str, fault: str) -> Incident | None:
    return s.scalars(select(Incident).where(Incident.device_id == device_id, Incident.fault == fault,
                                            Incident.state == IncidentState.CLOSED)
                     .order_by(Incident.closed_at.desc(), Incident.id.desc()).limit(1)).first()


def _ticket_of(s: Session, incident: Incident) -> Ticket | None:
    return s.scalars(select(Ticket).where(Ticket.incident_id == incident.id).with_for_update()
                     .execution_options(populate_existing=True)).one_or_none()


def _also_open(s: Session, device_id: str, incident_id: int) -> str:
    rows = s.execute(select(Incident.id, Incident.fault).where(
        Incident.device_id == device_id, Incident.state == IncidentState.OPEN, Incident.id != incident_id)
        .order_by(Incident.id)).all()
    return ", ".join(f"incident {r.id} ({r.fault})" for r in rows)


def _link(s: Session, event: Event, incident: Incident) -> None:
    s.add(IncidentEvent(event_id=event.event_id, incident_id=incident.id))


def _count_event(incident: Incident, ts: datetime) -> None:
    incident.event_count += 1
    incident.last_event_ts = max(incident.last_event_ts, ts)


def _attach_trip(incident: Incident, ts: datetime) -> None:
    incident.trip_count += 1
    incident.first_trip_ts = ts if incident.first_trip_ts is None else min(incident.first_trip_ts, ts)
    _lead_time(incident)


def _lead_time(incident: Incident) -> None:
    """How long before the pump's first trip heatwatch had raised the fault (0: no warning)."""
    assert incident.first_trip_ts is not None
    warned = incident.fault != PUMP_TRIP
    lead = (incident.first_trip_ts - incident.first_event_ts).total_seconds() if warned else 0.0
    incident.lead_time_s = max(lead, 0.0)


def _withdraw_if_later(incident: Incident, ts: datetime) -> bool:
    """An event of the fault after its clear: the recovery did not last, the proposal goes."""
    if incident.cleared_ts is not None and ts > incident.cleared_ts:
        incident.cleared_ts = incident.close_proposed_at = None
        return True
    return False


__all__ = [
    "DEFAULT_SILENT_AFTER", "EventOutcome", "IncidentError", "IncidentNotFound", "Incidents", "NoCloseProposed",
    "SilentSweep", "heating_at_risk", "incident_title", "needs_ticket",
]
