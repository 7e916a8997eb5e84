"""Messages from the agents, from the broker into the database: checked, deduplicated, recorded.

``handle_batch()`` takes the messages a worker collected and keeps them in one
transaction; ``handle()`` is a batch of one. Neither raises for bad input:
each message gets an Outcome with a reason, counted; a bad message never
stops the others of its batch. They raise only when the database fails; then
nothing of the batch was kept and the caller must acknowledge none of it.

Locks are taken in one order: the rows of the batch's devices (sorted by id),
then their stream positions, so workers never deadlock each other; the device
rows make one device's messages take turns across workers while different
devices' go side by side. Then each message in the order it came, by stream
(``_streams``: one method a stream):

- telemetry: the device must be registered; its seq is judged (sequence.py:
  the batch's positions are read once and written once); a duplicate (or a
  message of an agent's old numbering) is refused, anything else accepted
  and handed to the telemetry sink: stored in the same transaction (the
  batch's intervals in one INSERT), queued for InfluxDB after the commit
  (telemetry/sink.py).
- event: kept in processed_events unless its event_id is there already (a
  duplicate); the seq is judged too, for gaps. An event with a new id is
  never dropped, even when its seq looks used (accepted as ``seq_reused``).
- status: the device's online flag and the agent's counters; an older
  status than the one held is refused as stale, except the last will (its
  time is when the agent connected, so it is always older and always news).
- ack: an agent's answer to a command, recorded on the command's row
  (commands/acks.py); an answer to no command, to another device's, or a
  second one is refused with its reason.

An accepted event and an accepted status go on to the incident logic
(incidents/service.py) in the same transaction: an event counts toward its
incident exactly when it is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from heatwatch.contract import COMMISSIONED, Ack, Event, EventKind, Status, Telemetry
from heatwatch.gateway.commands.acks import record_ack
from heatwatch.gateway.fleet import service as fleet
from heatwatch.gateway.db import Database, from_unix, utcnow
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents.service import Incidents
from heatwatch.gateway.ingest.counters import IngestCounters
from heatwatch.gateway.ingest.models import ProcessedEvent, SeqStream
from heatwatch.gateway.ingest.sequence import SeqBook, SeqVerdict, upsert_ignore
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


@dataclass(frozen=True)
class Incoming:
    """One message as the broker handed it over; ``retained``: a stored one sent on subscribing."""

    topic: str
    payload: bytes
    retained: bool = False


@dataclass
class _Batch:
    """What one transaction's messages share."""

    session: Session
    now: datetime
    registered: set[str]  # the batch's devices that are in the registry (their rows locked)
    book: SeqBook
    telemetry: list[Telemetry] = field(default_factory=list)  # accepted, to store in one INSERT


class Ingest:
    def __init__(self, db: Database, counters: IngestCounters | None = None,
                 clock: Callable[[], datetime] = utcnow, incidents: Incidents | None = None,
                 telemetry: TelemetrySink | None = None) -> None:
        self.db = db
        self.counters = counters or IngestCounters()
        self.clock = clock
        self.incidents = incidents or Incidents()
        self.telemetry = telemetry or TelemetrySink()  # the embedded store by default; counts its own
        self._streams: dict[str, Callable[[_Batch, Valid, bool], Outcome]] = {
            "telemetry": self._telemetry, "event": self._event, "status": self._status, "ack": self._ack}

    def handle(self, topic: str, payload: bytes, retained: bool = False) -> Outcome:
        """One message in its own transaction."""
        return self.handle_batch([Incoming(topic, payload, retained)])[0]

    def handle_batch(self, messages: Sequence[Incoming]) -> list[Outcome]:
        """The messages in one transaction; their outcomes in the same order."""
        outcomes: list[Outcome | None] = [None] * len(messages)
        valid: list[tuple[int, Valid, bool]] = []
        for i, incoming in enumerate(messages):
            try:
                valid.append((i, parse(incoming.topic, incoming.payload), incoming.retained))
            except Rejected as exc:
                outcomes[i] = Outcome(False, exc.reason, detail=exc.detail)
        if valid:
            now = self.clock()
            with self.db.transaction() as session:
                batch = self._begin(session, now, [v for _, v, _ in valid])
                for i, v, retained in valid:
                    stream = self._streams.get(v.stream)
                    outcomes[i] = (stream(batch, v, retained) if stream is not None else
                                   Outcome(False, "unhandled_stream", v.device, v.stream, v.message,
                                           f"{v.device}: no ingest for stream {v.stream!r}"))
                self._store_telemetry(batch)
                batch.book.flush()
            for outcome in outcomes:  # committed: queue telemetry for InfluxDB (never waits)
                if outcome is not None and outcome.accepted and isinstance(outcome.message, Telemetry):
                    self.telemetry.export(outcome.message)
        return [self._count(outcome) for outcome in outcomes if outcome is not None]

    def _begin(self, s: Session, now: datetime, valid: list[Valid]) -> _Batch:
        """Lock the batch's device rows (in id order), note which are registered, mark the ones whose
        agents speak now as seen, and read their stream positions."""
        devices = sorted({v.device for v in valid})
        # FOR NO KEY UPDATE, the lock an UPDATE of the row takes: rows that refer to the device (a
        # command queued by a ticket change) only need KEY SHARE and do not wait for it
        registered = set(s.scalars(select(Device.id).where(Device.id.in_(devices)).order_by(Device.id)
                                   .with_for_update(key_share=True)))
        sequenced = sorted({v.device for v in valid if v.stream in _SEQUENCED} & registered)
        if sequenced:
            s.execute(update(Device).where(Device.id.in_(sequenced)).values(last_seen_at=now))
        book = SeqBook(s, now).load((v.device, SeqStream(v.stream)) for v in valid
                                    if v.stream in _SEQUENCED and v.device in registered)
        return _Batch(s, now, registered, book)

    # ---- telemetry and events -----------------------------------------------------------
    def _telemetry(self, b: _Batch, v: Valid, _retained: bool) -> Outcome:
        m = v.message
        assert isinstance(m, Telemetry)
        if v.device not in b.registered:
            return _unknown(v)
        judgement = b.book.judge(v.device, SeqStream.TELEMETRY, m.seq, from_unix(m.ts_end), m.downsampled)
        if not judgement.verdict.accepted:
            b.book.count(v.device, SeqStream.TELEMETRY, accepted=False)
            return Outcome(False, judgement.verdict.value, v.device, v.stream, m,
                           f"telemetry seq {m.seq}: {_WHY[judgement.verdict]}")
        b.telemetry.append(m)
        return Outcome(True, judgement.verdict.value, v.device, v.stream, m, gap=judgement.gap)

    def _store_telemetry(self, b: _Batch) -> None:
        if b.telemetry:
            self.telemetry.store_many(b.session, b.telemetry, b.now)
            b.telemetry.clear()

    def _event(self, b: _Batch, v: Valid, _retained: bool) -> Outcome:
        m = v.message
        assert isinstance(m, Event)
        if v.device not in b.registered:
            return _unknown(v)
        s = b.session
        kept = s.connection().execute(_keep_event(s), dict(
            event_id=m.event_id, device_id=v.device, seq=m.seq, kind=m.kind, fault=m.fault, ts=from_unix(m.ts),
            received_at=b.now, payload=m.model_dump(mode="json", exclude_none=True))).first()
        if kept is None:
            b.book.count(v.device, SeqStream.EVENT, accepted=False)
            return Outcome(False, "duplicate", v.device, v.stream, m, f"event_id {m.event_id} seen before")
        judgement = b.book.judge(v.device, SeqStream.EVENT, m.seq, from_unix(m.ts))
        if judgement.verdict.accepted:
            outcome = Outcome(True, judgement.verdict.value, v.device, v.stream, m, gap=judgement.gap)
        else:
            b.book.count(v.device, SeqStream.EVENT, accepted=True)
            outcome = Outcome(True, "seq_reused", v.device, v.stream, m,
                              f"new event_id {m.event_id} with seq {m.seq}: {_WHY[judgement.verdict]}")
        self._store_telemetry(b)  # the incident logic may read the site's latest readings
        self.incidents.record_event(s, m, b.now)
        if m.kind is EventKind.AGENT and m.fault == COMMISSIONED and m.commissioned is not None:
            why = fleet.record_commissioned(s, v.device, m, b.now)  # the fleet's newest member
            self.counters.add("commissioned_unusable" if why else "commissioned_models")
            if why:
                log.warning("%s", why)
        return outcome

    # ---- status -------------------------------------------------------------------------
    def _ack(self, b: _Batch, v: Valid, _retained: bool) -> Outcome:
        assert isinstance(v.message, Ack)
        verdict = record_ack(b.session, v.device, v.message, b.now)
        return Outcome(verdict.accepted, verdict.reason, v.device, v.stream, v.message, verdict.detail)

    def _status(self, b: _Batch, v: Valid, retained: bool) -> Outcome:
        m = v.message
        assert isinstance(m, Status)
        if v.device not in b.registered:
            return _unknown(v)
        s, now = b.session, b.now
        row = s.execute(select(Device.last_status).where(Device.id == v.device)).one()
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
        self.incidents.record_status(s, v.device, m.online, now)
        if m.online and not retained and fleet.wants_prior(m.counters) and fleet.offer_prior(s, v.device, now):
            self.counters.add("fleet_priors_queued")  # an agent with nothing to judge by: its fleet's prior
        return Outcome(True, "status", v.device, v.stream, m)

    def refuse(self, reason: str, detail: str) -> Outcome:
        """Count a message refused outside a batch's outcomes (the subscriber's ``unstorable``)."""
        return self._count(Outcome(False, reason, detail=detail))

    # ---- counting -----------------------------------------------------------------------
    def _count(self, outcome: Outcome) -> Outcome:
        if outcome.accepted:
            self.counters.add(f"accepted.{outcome.stream}")
            if outcome.reason in ("late", "renumbered", "seq_reused", "ack_not_ok"):
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


_SEQUENCED = frozenset(stream.value for stream in SeqStream)  # the streams whose messages carry a seq
_KEEP_EVENT: dict[str, Any] = {}


def _keep_event(s: Session) -> Any:
    """INSERT into processed_events unless the event_id is there, one constant statement per backend."""
    dialect = s.get_bind().dialect.name
    if dialect not in _KEEP_EVENT:
        _KEEP_EVENT[dialect] = (upsert_ignore(s)(ProcessedEvent).on_conflict_do_nothing()
                                .returning(ProcessedEvent.event_id))
    return _KEEP_EVENT[dialect]


def _unknown(v: Valid) -> Outcome:
    return Outcome(False, "unknown_device", v.device, v.stream, v.message, f"{v.device}: not a registered device")
