"""One message from an agent, from the broker into the database: checked, deduplicated, recorded.

``handle()`` never raises for bad input: it returns an Outcome with a reason
and counts it. It raises only when the database fails; then nothing of the
message was kept and the caller must not acknowledge it.

Each message is one transaction. Locks are taken in one order (the device
row, then the stream position), so workers never deadlock each other; the
device row, written first, makes one device's messages take turns across
workers while different devices' go side by side:

- telemetry: the device must be registered; its seq is judged (sequence.py);
  a duplicate (or a message of an agent's old numbering) is refused,
  anything else accepted and handed to the telemetry sink: stored in the
  same transaction, queued for InfluxDB after the commit (telemetry/sink.py).
- event: kept in processed_events unless its event_id is there already (a
  duplicate); the seq is judged too, for gaps. An event with a new id is
  never dropped, even when its seq looks used (accepted as ``seq_reused``).
- status: the device's online flag and the agent's counters; an older
  status than the one held is refused as stale, except the last will (its
  time is when the agent connected, so it is always older and always news).

An accepted event and an accepted status go on to the incident logic
(incidents/service.py) in the same transaction: an event counts toward its
incident exactly when it is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from heatwatch.contract import Event, Status, Telemetry
from heatwatch.gateway.db import Database, from_unix, utcnow
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents.service import Incidents
from heatwatch.gateway.ingest.counters import IngestCounters
from heatwatch.gateway.ingest.models import ProcessedEvent, SeqStream
from heatwatch.gateway.ingest.sequence import SeqVerdict, count_message, judge_seq, upsert_ignore
from heatwatch.gateway.ingest.validation import AgentMessage, Rejected, Valid, parse
from heatwatch.gateway.telemetry.sink import TelemetrySink

log = logging.getLogger(__name__)
_LOG_EVERY = 1000  # a refusal reason is logged the first time and then every this many times
_WHY = {SeqVerdict.DUPLICATE: "seen before",
        SeqVerdict.OLD_NUMBERING: "sent before the agent numbered afresh (older than its new numbering)"}


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    reason: str  # accepted: first | new | late | renumbered | seq_reused | status; refused: why
    device: str | None = None
    stream: str | None = None
    message: AgentMessage | None = None
    detail: str = ""
    gap: tuple[int, int] | None = None  # seqs this message found missing


class Ingest:
    def __init__(self, db: Database, counters: IngestCounters | None = None,
                 clock: Callable[[], datetime] = utcnow, incidents: Incidents | None = None,
                 telemetry: TelemetrySink | None = None) -> None:
        self.db = db
        self.counters = counters or IngestCounters()
        self.clock = clock
        self.incidents = incidents or Incidents()
        self.telemetry = telemetry or TelemetrySink()  # the embedded store by default; counts its own

    def handle(self, topic: str, payload: bytes, retained: bool = False) -> Outcome:
        """``retained``: the broker sent a stored message on subscribing, not a live one."""
        try:
            valid = parse(topic, payload)
        except Rejected as exc:
            return self._count(Outcome(False, exc.reason, detail=exc.detail))
        now = self.clock()
        with self.db.transaction() as session:
            if valid.stream == "status":
                outcome = self._status(session, valid, now, retained)
            else:
                outcome = self._sequenced(session, valid, now)
            if outcome.accepted and isinstance(outcome.message, Event):
                self.incidents.record_event(session, outcome.message, now)
            elif outcome.accepted and isinstance(outcome.message, Status):
                self.incidents.record_status(session, valid.device, outcome.message.online, now)
        if outcome.accepted and isinstance(outcome.message, Telemetry):
            self.telemetry.export(outcome.message)  # committed: queue it for InfluxDB (never waits)
        return self._count(outcome)

    # ---- telemetry and events -----------------------------------------------------------
    def _sequenced(self, s: Session, v: Valid, now: datetime) -> Outcome:
        m = v.message
        assert isinstance(m, (Telemetry, Event))
        registered = s.execute(update(Device).where(Device.id == v.device).values(last_seen_at=now)).rowcount
        if not registered:
            return _unknown(v)
        stream = SeqStream(v.stream)
        if isinstance(m, Event):
            kept = s.execute(upsert_ignore(s)(ProcessedEvent).values(
                event_id=m.event_id, device_id=v.device, seq=m.seq, kind=m.kind, fault=m.fault,
                ts=from_unix(m.ts), received_at=now, payload=m.model_dump(mode="json", exclude_none=True),
            ).on_conflict_do_nothing().returning(ProcessedEvent.event_id)).first()
            if kept is None:
                count_message(s, v.device, stream, accepted=False, now=now)
                return Outcome(False, "duplicate", v.device, v.stream, m, f"event_id {m.event_id} seen before")
        judgement = judge_seq(s, v.device, stream, m.seq, from_unix(v.ts), now,
                              downsampled=isinstance(m, Telemetry) and m.downsampled)
        if not judgement.verdict.accepted:
            count_message(s, v.device, stream, accepted=isinstance(m, Event), now=now)
            if isinstance(m, Telemetry):
                return Outcome(False, judgement.verdict.value, v.device, v.stream, m,
                               f"telemetry seq {m.seq}: {_WHY[judgement.verdict]}")
            return Outcome(True, "seq_reused", v.device, v.stream, m, f"new event_id {m.event_id} with "
                                                                     f"seq {m.seq}: {_WHY[judgement.verdict]}")
        if isinstance(m, Telemetry):
            self.telemetry.store(s, m, now)
        return Outcome(True, judgement.verdict.value, v.device, v.stream, m, gap=judgement.gap)

    # ---- status -------------------------------------------------------------------------
    def _status(self, s: Session, v: Valid, now: datetime, retained: bool) -> Outcome:
        m = v.message
        assert isinstance(m, Status)
        row = s.execute(select(Device.last_status).where(Device.id == v.device).with_for_update()).first()
        if row is None:
            return _unknown(v)
        held = row.last_status or {}
        last_will = not m.online and m.counters is None
        if not last_will and isinstance(held.get("ts"), (int, float)) and m.ts < held["ts"]:
            return Outcome(False, "stale_status", v.device, v.stream, m,
                           f"status of {m.ts} older than the one held ({held['ts']})")
        status = m.model_dump(mode="json", exclude_none=True)
        if m.counters is None and "counters" in held:
            status["counters"] = held["counters"]  # the last counters known stay readable
        values: dict = {"online": m.online, "last_status": status}
        if not retained:  # a live message: the agent (or, for its will, the broker) speaks now
            values["last_seen_at"] = now
        s.execute(update(Device).where(Device.id == v.device).values(**values))
        return Outcome(True, "status", v.device, v.stream, m)

    # ---- counting -----------------------------------------------------------------------
    def _count(self, outcome: Outcome) -> Outcome:
        if outcome.accepted:
            self.counters.add(f"accepted.{outcome.stream}")
            if outcome.reason in ("late", "renumbered", "seq_reused"):
                self.counters.add(outcome.reason)
            if outcome.gap:
                self.counters.add("gaps")
                self.counters.add("seqs_missing", outcome.gap[1] - outcome.gap[0] + 1)
            return outcome
        key = f"refused.{outcome.reason}"
        self.counters.add(key)
        n = self.counters.get(key)
        if n == 1 or n % _LOG_EVERY == 0:
            log.warning("refused (%s, %d so far): %s", outcome.reason, n, outcome.detail)
        return outcome


def _unknown(v: Valid) -> Outcome:
    return Outcome(False, "unknown_device", v.device, v.stream, v.message, f"{v.device}: not a registered device")
