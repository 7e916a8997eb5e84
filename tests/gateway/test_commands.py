"""Device commands end to end, on a real Mosquitto, SQLite and PostgreSQL, with a real edge agent.

A dispatcher resolves a ticket -> the gateway's command sender publishes
``repaired`` on the device's command topic (QoS 1) -> the agent (an EdgeAgent
in a thread, fed by an MQTT source; commands come over its publisher's
connection) clears the standing fault, learns the pump afresh, saves its
state and answers on its ack topic -> the gateway's ingest marks the command
answered. Also: an agent away when the command is sent gets it from its
persistent session when it returns; a copy is acted on once and answered
again; malformed commands are refused and counted, never a crash; answers to
unknown or foreign commands are refused; two senders never send one command
twice; an unanswered command is given up after its last attempt.
"""

from __future__ import annotations

import json
import threading
import tomllib
from datetime import timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import select, update

from heatwatch.contract import Ack, EventKind, agent_topic, command_topic
from heatwatch.edge.agent import EdgeAgent
from heatwatch.edge.config import AgentConfig, BrokerConfig, DetectorSection, OutboxConfig, SourceConfig, load_config
from heatwatch.gateway.commands.sender import CommandSender, SendPolicy
from heatwatch.gateway.db import Database, utcnow
from heatwatch.gateway.ingest.models import ProcessedEvent
from heatwatch.gateway.ingest.service import Ingest
from heatwatch.gateway.ingest.subscriber import Subscriber
from heatwatch.gateway.settings import BrokerSettings, DatabaseSettings, GatewaySettings
from heatwatch.gateway.tickets import service as tickets
from heatwatch.gateway.tickets.models import DeviceCommand, Ticket
from tests.gateway.api_world import make_api  # noqa: F401 - a fixture
from tests.gateway.command_loop_support import QUICK_RETRIES, ingest_and_sender
from tests.gateway.incidents_support import event, message, place_devices
from tests.gateway.test_provision import GATEWAY_USER, fleet  # noqa: F401 - a fixture: a broker secured by provision
from tests.support.mqtt import Subscriber as Recorder
from tests.support.mqtt import wait_for
from tests.support.repair import CONFIG, DAY, judge, pipeline, repaired_pump

DEVICE = "hp-000"
DISPATCHER = tickets.Actor("Dana Dispatcher")


# ---- the agent's past: a learned pump with a raised fault --------------------------------------
@pytest.fixture(scope="module")
def learned_state() -> dict:
    """What the agent's state file holds: the old pump learned, low_water_flow raised on the new one."""
    readings = repaired_pump(days=6.5)
    pipe = pipeline(DEVICE)
    events = judge(pipe, readings.ts, readings.X)
    [raised] = [ev for ev in events if ev.kind is EventKind.FAULT]
    assert raised.fault == "low_water_flow" and pipe.detector.ready
    return {**pipe.state(), "active": {raised.fault: raised.model_dump(mode="json")}}


class Agent:
    """An EdgeAgent in a thread, its pump on MQTT (silent here), its state file and outbox in ``home``."""

    def __init__(self, broker, home: Path) -> None:
        self.cfg = AgentConfig(
            device=DEVICE,
            source=SourceConfig(kind="mqtt", url=broker.url),
            broker=BrokerConfig(url=broker.url, status_interval=0.5),
            outbox=OutboxConfig(path=str(home / "outbox.db")),
            detector=DetectorSection(commissioning_days=CONFIG.commissioning_seconds / DAY,
                                     min_training_rows=CONFIG.min_training_rows,
                                     state_path=str(home / "state.json")),
        )
        self.agent = EdgeAgent(self.cfg)
        self.agent.publisher.config.reconnect_max_delay = 1.0
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.agent.run, args=(self.stop_event,), daemon=True)
        self.thread.start()
        assert self.agent.publisher.commands_subscribed.wait(10), "the agent did not subscribe to its commands"

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(20)
        assert not self.thread.is_alive()

    @property
    def state(self) -> dict:
        return json.loads(Path(self.cfg.detector.state_path).read_text())


@pytest.fixture
def home(tmp_path, learned_state) -> Path:
    (tmp_path / "state.json").write_text(json.dumps(learned_state))
    return tmp_path


# ---- the gateway ----------------------------------------------------------------------------
@pytest.fixture
def gateway(broker, db):
    """Ingest on the broker (plain subscription) and a command sender that re-sends after 2 s."""
    place_devices(db, DEVICE, "hp-002")
    with ingest_and_sender(broker.url, db, "gw-cmd") as running:
        yield running


def resolve_a_ticket(db: Database, ingest: Ingest, code: str = "fault_confirmed") -> int:
    """The agent's fault opened a ticket; a technician fixed it. Returns the queued command's id."""
    assert ingest.handle(*message(event("fault", device=DEVICE, fault="low_water_flow", at=utcnow(),
                                        failure_in=timedelta(days=10)))).accepted
    with db.transaction() as s:
        ticket = s.scalars(select(Ticket).where(Ticket.device_id == DEVICE)).one()
        t = tickets.acknowledge(s, ticket.id, version=ticket.version, actor=DISPATCHER)
        tickets.resolve(s, t.id, version=t.version, actor=DISPATCHER, code=code,
                        note="circulation pump replaced (a smaller model)")
    with db.transaction() as s:
        return s.scalars(select(DeviceCommand.id).where(DeviceCommand.ticket_id == ticket.id)).one()


def answered(db: Database, command_id: int) -> bool:
    """Answered, and the send recorded (the answer can overtake the sender's record of it)."""
    row = command_row(db, command_id)
    return row.acked_at is not None and row.attempts >= 1


def command_row(db: Database, command_id: int) -> DeviceCommand:
    with db.transaction() as s:
        row = s.get(DeviceCommand, command_id)
        s.expunge(row)
        return row


def raw_client(broker, client_id: str) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    return client


# ---- the tests ------------------------------------------------------------------------------
def test_a_resolved_ticket_has_the_agent_learn_the_pump_afresh(broker, db, gateway, home):
    ingest, sender = gateway
    agent = Agent(broker, home)
    try:
        assert agent.agent.pipeline.detector.ready and "low_water_flow" in agent.agent.status.active
        command_id = resolve_a_ticket(db, ingest)
        wait_for(lambda: answered(db, command_id), 30, "the agent's answer recorded")
        row = command_row(db, command_id)
        assert row.ack_ok is True and row.attempts == 1 and row.sent_at <= row.acked_at
        assert row.next_attempt_at is None and row.given_up_at is None
        assert row.detail == "relearning the pump; faults cleared: low_water_flow"
        assert sender.counters.snapshot().get("sent") == 1
        # counted once its transaction committed: a moment after the row the test reads
        wait_for(lambda: ingest.counters.get("accepted.ack") == 1, 10, "the answer counted")
        # the agent forgot the old pump and the fault, and told the gateway the fault is gone
        a = agent.agent
        assert not a.pipeline.detector.ready and a.status.active == {} and a.pipeline.raised_faults == {}
        assert a.counters()["commands"] == {"received": 1, "done": 1, "duplicates": 0, "refused": 0, "failed": 0}
        wait_for(lambda: _cleared(db), 30, "the fault_cleared event at the gateway")
        # saved before the answer: a state file without a model, the command remembered
        state = agent.state
        assert state["detector"]["model"] is None and state["active"] == {} and state["commands_done"] == [command_id]
    finally:
        agent.stop()
    again = Agent(broker, home)  # a restart keeps the reset: it commissions afresh
    try:
        assert not again.agent.pipeline.detector.ready and list(again.agent.commands.done) == [command_id]
    finally:
        again.stop()


def _cleared(db: Database) -> bool:
    with db.transaction() as s:
        return s.scalars(select(ProcessedEvent.fault).where(ProcessedEvent.kind == "fault_cleared")).all() == [
            "low_water_flow"]


def test_an_agent_away_gets_the_command_when_it_returns(broker, db, gateway, home):
    ingest, sender = gateway
    agent = Agent(broker, home)  # its first connect subscribes the session to its command topic
    agent.stop()
    sender.policy = SendPolicy(first_retry_seconds=3600.0, max_retry_seconds=3600.0)  # no re-send in this test
    command_id = resolve_a_ticket(db, ingest, code="no_fault_found")
    wait_for(lambda: command_row(db, command_id).sent_at is not None, 30, "the command sent")
    assert command_row(db, command_id).acked_at is None  # nobody there to answer
    back = Agent(broker, home)  # same client id: the broker hands over what waited in its session
    try:
        wait_for(lambda: answered(db, command_id), 30, "the answer after the return")
        row = command_row(db, command_id)
        assert row.attempts == 1 and row.ack_ok  # it came from the session, not from a re-send
        assert row.detail.startswith("findings cleared, learned behaviour kept")
        assert back.agent.pipeline.detector.ready  # no fault found: what it learned stays
        assert back.agent.status.active == {}
    finally:
        back.stop()


def test_a_copy_is_acted_on_once_and_answered_again(broker, db, gateway, home):
    ingest, _sender = gateway
    agent = Agent(broker, home)
    acks = Recorder(broker.port, agent_topic(DEVICE, "ack"), "test-acks")
    try:
        command_id = resolve_a_ticket(db, ingest)
        wait_for(lambda: answered(db, command_id), 30, "the first answer")
        first = command_row(db, command_id)
        # the broker delivers it again (a re-send that crossed the answer): same id, same payload
        gw = raw_client(broker, "gw-resend")
        payload = json.dumps({**first.payload, "id": command_id, "device": DEVICE}).encode()
        gw.publish(command_topic(DEVICE), payload, qos=1).wait_for_publish(5)
        wait_for(lambda: ingest.counters.get("refused.duplicate") == 1, 30, "the second answer refused as a duplicate")
        gw.loop_stop()
        gw.disconnect()
        answers = [Ack.model_validate_json(m.payload) for m in acks.messages()]
        assert [(a.command_id, a.ok) for a in answers] == [(command_id, True), (command_id, True)]
        assert answers[1].detail == "done before (this copy was not acted on)"
        counters = agent.agent.counters()["commands"]
        assert (counters["done"], counters["duplicates"]) == (1, 1)
        assert agent.agent.status.events == 1  # one fault_cleared, from the first copy
        assert command_row(db, command_id).acked_at == first.acked_at  # the first answer stands
    finally:
        acks.close()
        agent.stop()


def test_malformed_commands_are_refused_and_counted_never_a_crash(broker, db, gateway, home):
    ingest, _sender = gateway
    agent = Agent(broker, home)
    acks = Recorder(broker.port, agent_topic(DEVICE, "ack"), "test-acks-2")
    gw = raw_client(broker, "gw-bad")
    bad = [b"{not json", b"[]",
           json.dumps({"id": 901, "device": DEVICE, "command": "explode"}).encode(),
           json.dumps({"id": 902, "device": "hp-002", "command": "repaired"}).encode(),  # another device's
           json.dumps({"id": "x", "device": DEVICE, "command": "repaired"}).encode(),
           b" " * (300 * 1024)]
    try:
        for payload in bad:
            gw.publish(command_topic(DEVICE), payload, qos=1).wait_for_publish(5)
        wait_for(lambda: len(acks.messages()) == len(bad), 30, "an answer to each")
        answers = [Ack.model_validate_json(m.payload) for m in acks.messages()]
        assert [a.ok for a in answers] == [False] * len(bad)
        assert [a.command_id for a in answers] == [None, None, 901, 902, None, None]
        assert all(a.detail.startswith("refused: ") for a in answers)
        assert "command" in answers[2].detail and "does not match topic" in answers[3].detail
        assert agent.agent.counters()["commands"]["refused"] == len(bad)
        # the gateway refuses answers to commands it never sent
        wait_for(lambda: ingest.counters.get("refused.unknown_command") == len(bad), 30, "answers refused")
        # still at work: a real command afterwards is acted on
        command_id = resolve_a_ticket(db, ingest)
        wait_for(lambda: answered(db, command_id), 30, "the good command answered")
        assert agent.thread.is_alive() and not agent.agent.pipeline.detector.ready
    finally:
        gw.loop_stop()
        gw.disconnect()
        acks.close()
        agent.stop()


def test_an_answer_to_another_devices_command_is_refused(db, gateway):
    ingest, sender = gateway
    sender.stop()  # nobody sends: the test answers by hand
    command_id = resolve_a_ticket(db, ingest)
    with db.transaction() as s:
        s.execute(update(DeviceCommand).where(DeviceCommand.id == command_id).values(sent_at=utcnow()))
    ack = Ack(device="hp-002", command_id=command_id, ok=True, ts=utcnow().timestamp())
    outcome = ingest.handle(agent_topic("hp-002", "ack"), ack.to_json())
    assert (outcome.accepted, outcome.reason) == (False, "foreign_command")
    assert "hp-000's" in outcome.detail
    unknown = ingest.handle(agent_topic(DEVICE, "ack"), ack.model_copy(update={"device": DEVICE,
                                                                                "command_id": 9999}).to_json())
    assert (unknown.accepted, unknown.reason) == (False, "unknown_command")
    assert command_row(db, command_id).acked_at is None
    refused = ack.model_copy(update={"device": DEVICE, "ok": False, "detail": "failed: disk full"})
    assert ingest.handle(agent_topic(DEVICE, "ack"), refused.to_json()).reason == "ack_not_ok"
    row = command_row(db, command_id)
    assert row.acked_at is not None and row.ack_ok is False and row.detail == "failed: disk full"
    assert ingest.counters.get("ack_not_ok") == 1


def test_an_unanswered_command_is_sent_again_then_given_up(broker, db, gateway):
    """Nobody answers: sends after 0, 2 and 2+4 s, then given up, with the reason on the row."""
    ingest, sender = gateway
    sender.stop()
    sender = CommandSender(db, BrokerSettings(url=broker.url, client_id="gw-giveup"),
                           QUICK_RETRIES)
    sender.client.connect(sender.link.host, sender.link.port)
    sender.client.loop_start()
    watcher = Recorder(broker.port, command_topic(DEVICE), "test-commands")
    try:
        assert sender.wait_connected(10)
        command_id = resolve_a_ticket(db, ingest)
        t0 = utcnow()
        plan = [(0, 1, 1), (1, 0, 1), (2, 1, 2), (5, 0, 2), (6, 1, 3), (30, 1, 3)]  # (s after t0, claimed, attempts)
        for seconds, claimed, attempts in plan:
            assert sender.run_once(t0 + timedelta(seconds=seconds)) == claimed, seconds
            assert command_row(db, command_id).attempts == attempts
        row = command_row(db, command_id)
        assert row.given_up_at is not None and row.next_attempt_at is None and row.acked_at is None
        assert row.detail.startswith("no answer after 3 attempts")
        assert sender.counters.snapshot() == {"sent": 3, "given_up": 1}
        wait_for(lambda: len(watcher.messages()) == 3, 10, "three copies at the broker")
        assert {json.loads(m.payload)["id"] for m in watcher.messages()} == {command_id}
    finally:
        watcher.close()
        sender.client.disconnect()
        sender.client.loop_stop()


def test_two_senders_send_each_command_once(broker, db, db_url, gateway):
    ingest, first = gateway
    first.stop()
    with db.transaction() as s:
        for n in range(40):
            s.add(DeviceCommand(device_id=DEVICE if n % 2 else "hp-002", command="repaired", created_at=utcnow(),
                                next_attempt_at=utcnow(), payload={"command": "repaired", "ticket": None}))
    watcher = Recorder(broker.port, command_topic("+"), "test-commands-2")
    dbs = [Database.open(db_url, busy_timeout=30.0) for _ in range(2)]
    senders = [CommandSender(d, BrokerSettings(url=broker.url, client_id="gw-race"), worker=str(i), batch=5,
                             poll_seconds=0.05).start() for i, d in enumerate(dbs)]
    try:
        wait_for(lambda: len(watcher.messages()) >= 40, 60, "40 commands at the broker")
        ids = [json.loads(m.payload)["id"] for m in watcher.messages()]
        assert len(ids) == len(set(ids)) == 40
        # a sender counts a command after the broker's PUBACK, which may come after the watcher got it
        wait_for(lambda: sum(s.counters.get("sent") for s in senders) >= 40, 10, "the senders to count 40")
        counts = [s.counters.get("sent") for s in senders]
        assert sum(counts) == 40 and min(counts) > 0, counts  # both took part
        with db.transaction() as s:
            assert set(s.scalars(select(DeviceCommand.attempts))) == {1}
    finally:
        for sender in senders:
            sender.stop()
        for d in dbs:
            d.close()
        watcher.close()


def test_the_app_runs_the_sender_and_counts_it_in_metrics(broker, db, db_url, make_api):
    """``heatwatch gateway run``'s app: with ingest, its lifespan starts the sender beside the subscriber."""
    place_devices(db, DEVICE)
    settings = GatewaySettings(database=DatabaseSettings(url=db_url),
                               broker=BrokerSettings(url=broker.url, client_id="gw-app", shared_group=""))
    watcher = Recorder(broker.port, command_topic(DEVICE), "test-commands-app")
    try:
        api = make_api(settings, ingest=True, command_poll_seconds=0.1)
        assert api.app.state.command_sender.wait_connected(10)
        command_id = resolve_a_ticket(db, Ingest(db))
        wait_for(lambda: len(watcher.messages()) == 1, 20, "the command at the broker")
        assert json.loads(watcher.messages()[0].payload) == {
            "v": 1, "id": command_id, "device": DEVICE, "command": "repaired", "ticket": command_row(db, command_id)
            .ticket_id, "fault": "low_water_flow", "resolution_code": "fault_confirmed",
            "resolved_at": command_row(db, command_id).payload["resolved_at"]}
        wait_for(lambda: "heatwatch_command_sent_total 1.0" in api.get("/metrics").text, 10, "the send counted")
        text = api.get("/metrics").text
        assert 'heatwatch_command_queue{state="pending"} 1.0' in text  # sent, not answered: nobody runs hp-000
        assert "heatwatch_command_given_up_total 0.0" in text
    finally:
        watcher.close()


def test_a_command_that_cannot_be_sent_is_given_up_at_once_and_the_rest_go(broker, db, gateway):
    """A row written by hand (or by an older gateway) that does not make a Command: given up with the
    reason, counted, and it does not hold up the commands behind it."""
    ingest, first = gateway
    first.stop()
    with db.transaction() as s:
        rows = [DeviceCommand(device_id=DEVICE, command="reboot", payload={"command": "reboot"}),
                DeviceCommand(device_id=DEVICE, command="repaired", payload=["repaired"]),
                DeviceCommand(device_id=DEVICE, command="repaired", payload={"command": "repaired"})]
        s.add_all(rows)
        s.flush()
        bad_kind, not_object, good = (r.id for r in rows)
    sender = CommandSender(db, BrokerSettings(url=broker.url, client_id="gw-bad-rows"))
    sender.client.connect(sender.link.host, sender.link.port)
    sender.client.loop_start()
    try:
        assert sender.wait_connected(10)
        assert sender.run_once(utcnow() + timedelta(seconds=1)) == 3
        assert command_row(db, bad_kind).detail.startswith("payload does not fit the contract: command: Input should be")
        assert command_row(db, not_object).detail == "payload does not fit the contract: not a JSON object"
        assert all(command_row(db, i).given_up_at is not None for i in (bad_kind, not_object))
        assert command_row(db, good).attempts == 1 and command_row(db, good).given_up_at is None
        assert sender.counters.snapshot() == {"sent": 1, "given_up": 2}
    finally:
        sender.client.disconnect()
        sender.client.loop_stop()


def test_a_command_and_its_answer_pass_the_acl_provision_writes(fleet, tmp_path):
    """On a broker with the password and ACL files of `heatwatch provision`: the gateway's user
    sends hp-b its command, hp-b's agent (its edge.toml, its publisher's connection) answers."""
    cfg = load_config(fleet.out / "hp-b" / "edge.toml")
    cfg.outbox.path, cfg.detector.state_path = str(tmp_path / "outbox.db"), str(tmp_path / "state.json")
    agent = EdgeAgent(cfg)  # not run: no pump here; its publisher carries the commands
    gw = tomllib.loads((fleet.out / GATEWAY_USER / "broker.toml").read_text())["broker"]
    settings = BrokerSettings(url=fleet.broker.url, username=gw["username"], password=gw["password"],
                              client_id="gw-acl", shared_group="")
    database = Database.open(tomllib.loads(fleet.config.read_text())["database"]["url"])
    with database.transaction() as s:
        command = DeviceCommand(device_id="hp-b", command="repaired", next_attempt_at=utcnow(),
                                payload={"command": "repaired", "resolution_code": "no_fault_found"})
        s.add(command)
        s.flush()
        command_id = command.id
    subscriber = Subscriber(settings, Ingest(database)).start()
    agent.publisher.start()  # first: a command sent before hp-b ever subscribed waits for the re-send
    sender = None
    try:
        assert agent.publisher.commands_subscribed.wait(10), "hp-b may not read its command topic"
        assert subscriber.subscribed.wait(10)
        sender = CommandSender(database, settings, poll_seconds=0.1).start()
        assert sender.wait_connected(10)
        wait_for(lambda: answered(database, command_id), 20, "hp-b's answer through the ACL")
        row = command_row(database, command_id)
        assert row.ack_ok and row.detail.startswith("findings cleared")
        assert sender.counters.snapshot() == {"sent": 1}
    finally:
        agent.publisher.stop()
        agent.outbox.close()
        if sender is not None:
            sender.stop()
        subscriber.stop()
        database.close()
