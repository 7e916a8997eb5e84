"""The edge agent for one pump: source -> pipeline -> outbox -> publisher.

The reading loop never waits on the network: readings and events go into the
durable outbox and the publisher drains it in its own thread. What the agent
knows right now (health, active faults, predicted trip) is in ``status`` for a
local display; what it counted (readings, line noise, refused values and
payloads, queued and acked messages) is in ``counters()``, which the
publisher also puts in the retained status message on the broker every
``[broker] status_interval`` seconds, so an operator sees it without a shell
on the Pi.

Commands from the gateway come in on the publisher's broker connection,
whatever the source (Modbus or MQTT), and are handled by ``edge/commands.py``.
``repaired`` (the device's ticket was resolved) clears the standing faults
(a ``fault_cleared`` event each) and has the pipeline learn the repaired pump
afresh (``PumpPipeline.repaired``); after ``no_fault_found`` it keeps what it
learned. The state file is written before the answer goes out, with the ids
of the commands acted on, so neither the reset nor its once-only survive a
restart being lost. A lock keeps a command and a reading from meeting in the
pipeline.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from heatwatch.edge import carried_counters
from heatwatch.edge.aggregate import TelemetryAggregator
from heatwatch.edge.commands import CommandHandler
from heatwatch.edge.config import AgentConfig
from heatwatch.edge.heatpump.coverage import coverage
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.outbox import Outbox, OutboxError
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.edge.publisher import Publisher, PublisherConfig
from heatwatch.edge.sources.base import Source, SourceFatalError
from heatwatch import __version__
from heatwatch.contract import COMMISSIONED, EXPLAINED_BY, Command, CommandKind, EventBody, EventKind, revisions
from heatwatch.edge.heatpump.fleet_prior import FleetJudge, commissioned
from heatwatch.fleet_prior import FleetPrior, FleetPriorError

log = logging.getLogger(__name__)
STATE_SAVE_EVERY = 3600.0  # seconds of reading time between state saves (and after every diagnosis)


@dataclass
class AgentStatus:
    device: str
    readings: int = 0
    last_ts: float = math.nan
    ready: bool = False
    health: float = 0.0  # the detector's score now (1 = alarm level)
    active: dict[str, EventBody] = field(default_factory=dict)  # fault -> the event that raised or last updated it
    trips: list[EventBody] = field(default_factory=list)
    events: int = 0


def build_source(cfg: AgentConfig, lines: dict | None = None) -> Source:
    """The pump's source; ``lines`` (port -> ModbusLine) lets agents in one process share an RS-485
    line or a TCP gateway connection, one request at a time (see ``ModbusLine``)."""
    s = cfg.source
    if s.kind == "modbus":
        from heatwatch.edge.sources.modbus_source import ModbusLine, ModbusSource

        key = s.port if s.transport == "rtu" else f"{s.host}:{s.tcp_port}"
        line = None if lines is None else lines.setdefault(key, ModbusLine(key))
        kwargs: dict[str, Any] = dict(slave_id=s.slave_id, register_map=s.register_map, baudrate=s.baudrate,
                                      parity=s.parity, poll_interval=s.poll_interval, timeout=s.timeout,
                                      retries=s.retries, transport=s.transport, host=s.host, tcp_port=s.tcp_port,
                                      line=line)
        if s.use_pump_clock:
            kwargs["use_pump_clock"] = True
        return ModbusSource(cfg.device, s.port, **kwargs)
    from heatwatch.edge.config import source_link
    from heatwatch.edge.sources.mqtt_source import MqttSource
    from heatwatch.edge.sources.payload_mapping import PayloadMapping

    mapping = PayloadMapping.from_config(s.fields, s.ts_field) if s.payload == "json" else None
    return MqttSource(cfg.device, s.url, topic=s.topic, mapping=mapping, link=source_link(s))


def publisher_config(cfg: AgentConfig) -> PublisherConfig:
    b = cfg.broker
    return PublisherConfig(device=cfg.device, broker=b.link(), protocol=b.protocol, keepalive=b.keepalive,
                           agent_version=__version__, status_interval=b.status_interval,
                           reconnect_max_delay=b.reconnect_max_delay)


def _snapshot(d: Any) -> dict[str, Any]:
    """A copy of a counter dict another thread may be adding keys to (or of what a function makes of such dicts)."""
    for _ in range(10):
        try:
            return dict(d() if callable(d) else d)
        except RuntimeError:  # "dictionary changed size during iteration": try again
            continue
    return {}


class EdgeAgent:
    def __init__(self, cfg: AgentConfig, source: Source | None = None,
                 on_event: Callable[[EventBody], None] | None = None, lines: dict | None = None):
        self.cfg = cfg
        self.source = source or build_source(cfg, lines)
        channels = getattr(self.source, "channels", None)
        det_cfg = HeatPumpDetectorConfig(commissioning_seconds=cfg.detector.commissioning_days * 86400.0,
                                         min_training_rows=cfg.detector.min_training_rows,
                                         max_training_rows=cfg.detector.max_training_rows,
                                         refrigerant=cfg.refrigerant, channels=channels,
                                         rated_current_a=cfg.rated_current_a, design=cfg.design)
        self.pipeline = PumpPipeline.with_config(cfg.device, det_cfg, cfg.detector.rule_files or None)
        # what this pump's channels allow judging: said once, at start, and in every status
        self.coverage = self.pipeline.coverage or coverage(channels)
        if self.coverage.not_judged:
            log.warning("%s: %s", cfg.device, self.coverage.summary())
        else:
            log.info("%s: %s", cfg.device, self.coverage.summary())
        self.state_path = Path(cfg.detector.state_path) if cfg.detector.state_path else None
        self._restored_active: dict[str, EventBody] = {}
        self._restored_commands: list[int] = []
        self._restored_published = False
        self._carried: dict[str, dict[str, float]] = {}  # the counts saved before a restart
        self._state_unreadable = 0  # a state file that could not be read at this start (commissioned afresh)
        self._restore()
        self._model_published = self._restored_published
        self.fleet_counters = {"prior_load_errors": 0, "models_published": 0}
        # the reading loop and a command (paho's thread) take turns on the pipeline and the state
        self._lock = threading.RLock()
        self.commands = CommandHandler(cfg.device, self._act, lambda: self._save(force=True),
                                       done=self._restored_commands)
        Path(cfg.outbox.path).parent.mkdir(parents=True, exist_ok=True)
        self.outbox = Outbox(cfg.outbox.path, max_telemetry_rows=cfg.outbox.max_telemetry_rows)
        self.aggregator = TelemetryAggregator(cfg.device, interval=cfg.telemetry_interval)
        hooks = []
        if cfg.home_assistant_discovery:
            from heatwatch.edge.ha_discovery import HADiscoveryConfig, on_connect_hook

            hooks.append(on_connect_hook(cfg.device, HADiscoveryConfig(enabled=True), __version__))
        self.publisher = Publisher(publisher_config(cfg), self.outbox, on_connect_hooks=hooks,
                                   status_counters=self.counters, command_handler=self.command)
        self.status = AgentStatus(cfg.device)
        self.status.active.update(self._restored_active)  # what stands since before a restart
        if cfg.detector.fleet_prior:  # a site without a gateway: the prior from a file
            self._load_prior_file(Path(cfg.detector.fleet_prior))
        self.on_event = on_event
        self._last_save = math.nan
        self.processing_errors = 0

    # -- lifecycle ------------------------------------------------------------
    def run(self, stop: threading.Event, max_readings: int | None = None) -> None:
        """Read until ``stop`` is set (or ``max_readings``); then flush and close cleanly."""
        self.publisher.start()
        try:
            self.source.open()
        except SourceFatalError:
            self.publisher.stop()
            raise
        except Exception as exc:  # retryable: the source reconnects on read
            log.warning("%s: source not ready yet: %s", self.cfg.device, exc)
        try:
            for reading in self.source.readings(stop):
                self.handle(reading.ts, reading.values)
                if max_readings is not None and self.status.readings >= max_readings:
                    break
        finally:
            # each step on its own: a full disk refusing the last interval must not keep
            # the publisher from delivering the rest and saying offline
            # saved again after the publisher's last acks: the counts a restart carries on from
            for step in (self._flush, self._final_save, self.source.close, self.publisher.stop,
                         self._final_save, self.outbox.close):
                try:
                    step()
                except Exception:  # noqa: BLE001
                    log.exception("%s: shutting down: %s failed", self.cfg.device, getattr(step, "__name__", step))

    def _flush(self) -> None:
        body = self.aggregator.flush()
        if body:
            self.outbox.put_telemetry(body)

    # -- one reading ------------------------------------------------------------
    def handle(self, ts: float, values: np.ndarray) -> None:
        """One reading: judge it, keep events and telemetry durable. Never raises:
        a reading the agent cannot process is counted and logged, and reading goes on."""
        try:
            with self._lock:
                self._handle(ts, values)
        except Exception:  # noqa: BLE001 - one bad reading must not stop the watch on a pump
            self.processing_errors += 1
            log.exception("%s: reading at %s could not be processed (counted)", self.cfg.device, ts)

    def _handle(self, ts: float, values: np.ndarray) -> None:
        result, events = self.pipeline.process(ts, values)
        if result is None:  # refused (no time, or not after the last reading): counted in pipeline.rejected
            refused = sum(self.pipeline.rejected.values())
            if refused & (refused - 1) == 0:  # the 1st, 2nd, 4th, 8th ...: the log stays short
                log.warning("%s: reading at %s refused: no time, or not after the last reading (%d so far: %s)",
                            self.cfg.device, ts, refused, dict(self.pipeline.rejected))
            return
        st = self.status
        st.readings += 1
        st.last_ts = ts
        st.ready = result.ready
        st.health = result.score
        det = self.pipeline.detector
        if not self._model_published and det.model is not None and not det.provisional and \
                det.commission_points is not None:
            events = [*events, self._commissioned_event(ts)]  # the fleet's newest member
        self._emit(events)
        body = self.aggregator.add(ts, result.values, result.derived, result.score)
        if body:
            self.outbox.put_telemetry(body)
        # a diagnosis is saved at once: after a power cut it is neither lost nor raised twice
        self._save(force=any(ev.kind is not EventKind.TRIP for ev in events))

    def _emit(self, events: list[EventBody]) -> None:
        st = self.status
        for ev in events:
            try:
                self.outbox.put_event(ev)
            except OutboxError as exc:  # counted by the outbox; never stop reading
                log.error("%s: event refused: %s", self.cfg.device, exc)
                continue
            st.events += 1
            if ev.kind.raises or ev.kind is EventKind.FAULT_UPDATE:
                st.active[ev.fault] = ev
            elif ev.kind is EventKind.FAULT_CLEARED and not _for_its_own_fault(ev):
                st.active.pop(ev.fault, None)
            elif ev.kind is EventKind.TRIP:
                st.trips.append(ev)
            if self.on_event:
                self.on_event(ev)

    # -- commands from the gateway -----------------------------------------------
    def command(self, topic: str, payload: bytes) -> bytes:
        """A command from the broker (paho's thread) -> the answer for the ack topic."""
        with self._lock:
            return self.commands.handle(topic, payload).to_json()

    def _act(self, command: Command) -> str:
        """``repaired``: clear what stands and (unless no fault was found) learn the pump afresh;
        ``prior``: judge with the fleet's prior until the pump's own model is learned."""
        if command.command is CommandKind.PRIOR:
            return self._use_prior(command.fleet_prior)
        ts = self.status.last_ts
        if not math.isfinite(ts):  # no reading since the start: the pump's clock as last seen, else ours
            last = self.pipeline.time_order.last_ts
            ts = last if math.isfinite(last) else time.time()
        relearn = not command.keeps_learning
        ticket = f"ticket {command.ticket}" if command.ticket is not None else "the ticket"
        why = (f"The pump was repaired ({ticket} resolved, {command.resolution_code}); its healthy behaviour "
               "is learned afresh." if relearn else
               f"No fault was found ({ticket}); the findings start afresh, the learned behaviour is kept.")
        events = self.pipeline.repaired(ts, relearn=relearn, why=why)
        if relearn:
            self._model_published = False  # the repaired pump's model goes to the fleet when it is learned
        self._emit(events)
        self.status.active.clear()
        self.status.ready, self.status.health = self.pipeline.detector.ready, 0.0
        cleared = ", ".join(ev.fault or "" for ev in events) or "none standing"
        return (f"relearning the pump; faults cleared: {cleared}" if relearn else
                f"findings cleared, learned behaviour kept; faults cleared: {cleared}")

    # -- the fleet ---------------------------------------------------------------------------
    def _use_prior(self, doc: dict | None) -> str:
        """A fleet prior from the gateway (or the config's file): judge with it while commissioning."""
        if doc is None:
            raise FleetPriorError("a prior command without a fleet_prior")
        prior = FleetPrior.from_dict(doc)  # FleetPriorError: the command fails, answered with why
        det = self.pipeline.detector
        if det.model is not None and not det.provisional:
            det.fleet = FleetJudge(prior)  # kept for a relearn after a repair; the own model judges
            return f"fleet prior of {prior.members} pumps kept{_group(prior)}; the pump's own model judges"
        det.use_fleet_prior(prior)
        self.status.ready = det.ready
        return (f"judging with the fleet prior of {prior.members} pumps{_group(prior)} until the pump's own model "
                "is learned")

    def _load_prior_file(self, path: Path) -> None:
        try:
            log.info("%s: %s", self.cfg.device, self._use_prior(json.loads(path.read_text())))
        except (OSError, ValueError, KeyError, TypeError) as exc:  # the physics bands judge instead
            self.fleet_counters["prior_load_errors"] += 1
            log.error("%s: fleet prior %s not used: %s", self.cfg.device, path, exc)

    def _commissioned_event(self, ts: float) -> EventBody:
        det = self.pipeline.detector
        assert det.model is not None and det.alarm is not None and det.commission_points is not None
        self._model_published = True
        self.fleet_counters["models_published"] += 1
        return EventBody(device=self.cfg.device, ts=ts, kind=EventKind.AGENT, fault=COMMISSIONED, severity="info",
                         explanation="The pump's own healthy behaviour is learned (its model goes to the fleet).",
                         commissioned=commissioned(det.model, det.alarm, det.envelope,
                                                   det.commission_points).to_dict())

    def _fleet_counters(self) -> dict[str, Any]:
        det = self.pipeline.detector
        own = det.model is not None and not det.provisional
        by_own = det.fleet is not None and det.fleet.own  # judged by its own first days, no fleet (own_start.py)
        return {**self.fleet_counters, "own_model": own, "judged_by_fleet": det.provisional and not by_own,
                "judged_by_own_start": det.provisional and by_own,
                # a fleet's prior it holds (one whose refusal handed it to its own start counts: not sent again)
                "prior_members": 0 if det.fleet is None else det.fleet.prior.members if not by_own else
                (det.fleet.refused_by.members if det.fleet.refused_by is not None else 0),
                "refused_windows": det.fleet.refused_windows if det.fleet is not None else 0,
                "postponed_fits": det.postponed_fits,
                "window_rows": det.window_rows}  # steady readings in the learning window (0 once learned)

    def counters(self) -> dict[str, dict[str, Any]]:
        """Everything counted, by part, since the agent was first started (the counts saved in the state
        file before a restart are added); safe to call from another thread (the publisher's)."""
        return carried_counters.add(self._carried, self._counters_now())

    def _counters_now(self) -> dict[str, dict[str, Any]]:
        st = self.status
        return {
            "agent": {"starts": 1, "state_unreadable": self._state_unreadable, "readings": st.readings,
                      "events": st.events, "trips": len(st.trips),
                      "last_ts": st.last_ts if math.isfinite(st.last_ts) else None, "ready": bool(st.ready),
                      "health": float(st.health) if math.isfinite(st.health) else None},
            "source": _snapshot(self.source.counters),
            "outbox": self.outbox.stats(),
            "publisher": self.publisher.stats(),
            "aggregator": _snapshot(vars(self.aggregator.counters)),
            "pipeline": {**_snapshot(self.pipeline.counters), "processing_errors": self.processing_errors},
            "coverage": self.coverage.counters(),
            "commands": dict(self.commands.counters),
            "fleet": self._fleet_counters(),
        }

    # -- what the agent knows about its pump, across restarts ------------------------
    def _restore(self) -> None:
        if self.state_path and self.state_path.is_file():
            try:
                state = json.loads(self.state_path.read_text())
                self._carried = carried_counters.carried(state.get("counters"))
                if "version" not in state:  # counts only: saved while commissioning, before the window was kept
                    log.info("%s: restored the counters from %s; commissioning again", self.cfg.device,
                             self.state_path)
                    return
                self.pipeline.load_state(state)
                self._restored_active = {fault: EventBody.model_validate(ev)
                                         for fault, ev in state.get("active", {}).items()}
                self._restored_commands = [int(i) for i in state.get("commands_done", [])]
                self._restored_published = bool(state.get("model_published", False))
                det = self.pipeline.detector
                what = ("the learned healthy model" if det.ready and not det.provisional else
                        f"the commissioning window ({det.window_rows} steady readings)")
                log.info("%s: restored %s and %d raised faults from %s", self.cfg.device, what,
                         len(self._restored_active), self.state_path)
            except (ValueError, KeyError, TypeError) as exc:
                self._state_unreadable = 1
                log.error("%s: state %s unreadable (%s); commissioning again", self.cfg.device,
                          self.state_path, exc)
                self.pipeline = PumpPipeline.with_config(self.cfg.device, self.pipeline.detector.config,
                                                         self.cfg.detector.rule_files or None)

    def _final_save(self) -> None:
        with self._lock:
            self._save(force=True)

    def _save(self, force: bool = False) -> None:
        """Write the state file: the counts and the pipeline's state, a commissioning window included (a
        restart inside it goes on with it; after ``repaired`` the file holds the new window, not the old
        model)."""
        if not self.state_path:
            return
        ts = self.status.last_ts
        if not force and not math.isnan(self._last_save) and ts - self._last_save < STATE_SAVE_EVERY:
            return
        self._last_save = ts
        active = {fault: ev.model_dump(mode="json") for fault, ev in self.status.active.items()}
        doc: dict[str, Any] = {**self.pipeline.state(), "active": active, "commands_done": list(self.commands.done),
                               "model_published": self._model_published}
        doc["counters"] = carried_counters.counts(self.counters())
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc))
        os.replace(tmp, self.state_path)  # atomic: a power cut leaves the old or the new file


def _group(prior: FleetPrior) -> str:
    """Which pumps the prior is of, as its note says (a prior formed before emitters has none)."""
    return f" ({prior.note})" if prior.note else ""


def _for_its_own_fault(ev: EventBody) -> bool:
    """A notice withdrawn for another notice of the same fault (delta-T's for the flow thermistor's):
    the fault still stands, raised by the other."""
    return any(r.fault == ev.fault for r in revisions(ev.findings, EXPLAINED_BY))
