"""A ticket's evidence in plain words: the findings and the prognosis of its incident's events.

The agents' events (processed_events.payload, the contract's EventBody) carry findings: which
channels, what was expected, what was observed, how far off. The board says that as a sentence
("Suction superheat 14.2 K where 6.0 K is expected") and keeps the newest finding per kind and
channels, since a fault_update repeats the evidence with newer numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from heatwatch.channels import BY_NAME
from heatwatch.faults import FAULTS
from heatwatch.gateway.incidents.models import Incident, IncidentEvent, IncidentState
from heatwatch.gateway.ingest.models import ProcessedEvent

DERIVED = {  # the edge's derived channels (heatwatch/channels.py DERIVED_NAMES): words and unit
    "superheat": ("suction superheat", "K"), "subcooling": ("subcooling", "K"),
    "delta_t": ("flow-return temperature difference", "K"), "heat_kw": ("heat output", "kW"),
    "cop": ("coefficient of performance (COP)", ""), "evap_approach": ("evaporator approach", "K"),
    "cond_approach": ("condenser approach", "K"), "discharge_superheat": ("discharge superheat", "K"),
    "cond_sat_gap": ("condenser sensor vs pressure gap", "K"),
    "evap_sat_gap": ("evaporator sensor vs pressure gap", "K"),
}
KIND_WORDS = {"residual": "differs from this pump's healthy behaviour",
              "cusum": "has drifted slowly and persistently",
              "novelty": "shows a pattern the pump never had when healthy",
              "sensor": "looks like a sensor problem",
              "prognosis": "is heading for its trip limit",
              "trip": "tripped the pump"}


def describe(channel: str) -> tuple[str, str]:
    """(words, unit) of a channel: "suction superheat", "K"."""
    if channel in DERIVED:
        return DERIVED[channel]
    known = BY_NAME.get(channel)
    return (known.description, known.unit) if known is not None else (channel.replace("_", " "), "")


@dataclass(frozen=True)
class Evidence:
    sentence: str  # the finding in plain words
    kind: str
    channels: tuple[str, ...]
    score: float
    at: datetime  # the event that carried it


@dataclass(frozen=True)
class Prognosis:
    indicator: str
    threshold: float
    trip_at: datetime
    earliest: datetime
    latest: datetime


@dataclass(frozen=True)
class EventLine:
    """An agent's event as a history line."""

    at: datetime
    kind: str
    text: str


def sentence(finding: dict[str, Any]) -> str:
    channels = [c for c in finding.get("channels") or [] if isinstance(c, str)]
    kind = str(finding.get("kind", ""))
    first = channels[0] if channels else ""
    words, unit = describe(first) if first else ("the pump", "")
    words = words[:1].upper() + words[1:]
    expected, observed = _num(finding.get("expected")), _num(finding.get("observed"))
    u = f" {unit}" if unit else ""
    if observed is not None and expected is not None:
        text = f"{words} {observed:.1f}{u} where {expected:.1f}{u} is expected"
    elif observed is not None:
        text = f"{words} at {observed:.1f}{u}"
    else:
        text = f"{words} {KIND_WORDS.get(kind, 'is unusual')}"
    if len(channels) > 1:
        text += " (with " + ", ".join(describe(c)[0] for c in channels[1:]) + ")"
    message = str(finding.get("message") or "").strip()
    return f"{text}: {message}" if message else text


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def events_of(session: Session, incident: Incident) -> list[ProcessedEvent]:
    linked = select(IncidentEvent.event_id).where(IncidentEvent.incident_id == incident.id)
    return list(session.scalars(select(ProcessedEvent).where(ProcessedEvent.event_id.in_(linked))
                                .order_by(ProcessedEvent.ts)))


def evidence(events: list[ProcessedEvent]) -> list[Evidence]:
    """The newest finding per (kind, channels), strongest first."""
    newest: dict[tuple[str, tuple[str, ...]], Evidence] = {}
    for event in events:
        for finding in (event.payload or {}).get("findings") or []:
            if not isinstance(finding, dict):
                continue
            channels = tuple(c for c in finding.get("channels") or [] if isinstance(c, str))
            kind = str(finding.get("kind", ""))
            newest[(kind, channels)] = Evidence(sentence(finding), kind, channels,
                                                _num(finding.get("score")) or 0.0, event.ts)
    return sorted(newest.values(), key=lambda e: -e.score)


def prognosis(events: list[ProcessedEvent]) -> Prognosis | None:
    """The newest event's prognosis (the incident holds the same times; this adds what is trending)."""
    for event in reversed(events):
        p = (event.payload or {}).get("prognosis")
        if not isinstance(p, dict):
            continue
        try:
            return Prognosis(str(p["indicator"]), float(p["threshold"]), _ts(p["predicted_trip_ts"]),
                             _ts(p["lower_ts"]), _ts(p["upper_ts"]))
        except (KeyError, TypeError, ValueError, OverflowError):
            continue
    return None


def awaits_date(incident: Incident | None) -> bool:
    """An open pump-fault incident without a trip date (raised before the agent could date it): the
    ticket says a date is still to come instead of saying nothing, which a dispatcher reads as no hurry.
    A sensor fault never gets one (the pump does not trip of it), nor does a pump that already tripped."""
    if incident is None or incident.state != IncidentState.OPEN or incident.predicted_failure_ts is not None:
        return False
    fault = FAULTS.get(incident.fault)
    return fault is not None and not fault.sensor_fault and not incident.trip_count


def history_lines(events: list[ProcessedEvent]) -> list[EventLine]:
    lines = []
    for event in events:
        body = event.payload or {}
        text = str(body.get("explanation") or "").strip() or (event.fault or "").replace("_", " ")
        confidence = _num(body.get("confidence"))
        if confidence is not None and event.kind in ("fault", "fault_update"):
            text += f" (confidence {confidence:.0%})"
        lines.append(EventLine(event.ts, event.kind, text))
    return lines


def _ts(value: Any) -> datetime:
    return datetime.fromtimestamp(float(value), tz=timezone.utc)
