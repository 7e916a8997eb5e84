"""The fleet prior end to end, on a real Mosquitto and the test databases, with a real edge agent.

Agents that commissioned their pumps send their models (an ``agent`` event, fault
``commissioned``) -> the gateway keeps each device's latest and forms the fleet prior of
a pump model, refrigerant and emitters (GET /fleet/prior) -> a new agent of that model, which has
neither its own model nor a prior, says so in its status -> the gateway queues a
``prior`` command, the sender delivers it, the agent judges with it and answers.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, update

from heatwatch.contract import COMMISSIONED, Event, EventBody, EventKind, agent_topic
from heatwatch.edge.agent import EdgeAgent
from heatwatch.edge.config import AgentConfig, BrokerConfig, DetectorSection, OutboxConfig, SourceConfig
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.heatpump.fleet_prior import FleetJudge
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES, HealthyModel
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.fleet_prior import Commissioned, form
from heatwatch.gateway.fleet.service import prior_for, record_commissioned
from heatwatch.eval.fleet_prior import simulated_commissioned
from heatwatch.gateway.db import Database, utcnow
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.fleet.models import CommissionedModel
from heatwatch.gateway.tickets.models import DeviceCommand
from heatwatch.gateway.users.models import Role
from heatwatch.gateway.users.service import add_user
from tests.gateway.api_world import make_api  # noqa: F401 - a fixture
from tests.gateway.command_loop_support import ingest_and_sender
from tests.gateway.incidents_support import place_devices
from tests.gateway.test_commands import raw_client
from tests.support.mqtt import wait_for
from tests.edge.heatpump.test_fleet_prior import growing_window, handed_to_own_start
from tests.support.repair import CONFIG, DAY, judge, pipeline, repaired_pump

MODEL = "Acme AW-7"
MEMBERS = ("hp-001", "hp-002", "hp-003")
NEW = "hp-000"


@pytest.fixture(scope="module")
def members() -> list[Commissioned]:
    """Three healthy 7 kW pumps, commissioned by their own detectors."""
    got = simulated_commissioned("healthy_fleet", capacity_kw=7.0, pumps=4, days=10.0, seed=11)
    assert len(got) >= 3
    return got[:3]


@pytest.fixture
def gateway(broker, db):
    place_devices(db, NEW, *MEMBERS, "hp-009")
    with db.transaction() as s:
        s.execute(update(Device).values(model=MODEL, refrigerant="R32", emitters="underfloor"))
        s.execute(update(Device).where(Device.id == "hp-009").values(model="Other AW-12"))
    with ingest_and_sender(broker.url, db, "gw-fleet") as running:
        yield running


def _commissioned_event(device: str, model: Commissioned, seq: int) -> Event:
    body = EventBody(device=device, ts=1.7e9 + seq, kind=EventKind.AGENT, fault=COMMISSIONED, severity="info",
                     commissioned=model.to_dict())
    return Event(**body.model_dump(), seq=seq, event_id=f"{device}-commissioned-{seq}")


def _stored(db: Database) -> list[str]:
    with db.transaction() as s:
        return list(s.scalars(select(CommissionedModel.device_id).order_by(CommissionedModel.device_id)))


def _prior_command(db: Database, device: str) -> DeviceCommand | None:
    with db.transaction() as s:
        row = s.scalars(select(DeviceCommand).where(DeviceCommand.device_id == device,
                                                    DeviceCommand.command == "prior")).one_or_none()
        if row is not None:
            s.expunge(row)
        return row


def _agent(broker, home: Path, device: str, **detector) -> tuple[EdgeAgent, threading.Event, threading.Thread]:
    cfg = AgentConfig(device=device, source=SourceConfig(kind="mqtt", url=broker.url),
                      broker=BrokerConfig(url=broker.url, status_interval=0.5),
                      outbox=OutboxConfig(path=str(home / "outbox.db")),
                      detector=DetectorSection(state_path=str(home / "state.json"), **detector))
    agent = EdgeAgent(cfg)
    agent.publisher.config.reconnect_max_delay = 1.0
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    assert agent.publisher.commands_subscribed.wait(10)
    return agent, stop, thread


def test_a_new_agent_gets_its_fleets_prior_over_mqtt_and_acks_it(broker, db, gateway, members, make_api, tmp_path):
    ingest, sender = gateway
    client = raw_client(broker, "members")
    try:
        for dev, model in zip(MEMBERS, members):  # the members' agents send their models, as agents do
            client.publish(agent_topic(dev, "event"), _commissioned_event(dev, model, 1).to_json(), qos=1)
        wait_for(lambda: _stored(db) == list(MEMBERS), 30, "the commissioned models at the gateway")
    finally:
        client.loop_stop()
        client.disconnect()
    assert ingest.counters.get("commissioned_models") == 3
    # the prior over HTTP: the fleet of the model, none for a model without a fleet
    api = make_api()
    with db.transaction() as s:
        _, issued = add_user(s, "Olga Office", Role.DISPATCHER)
    headers = {"Authorization": f"Bearer {issued.token}"}
    r = api.get("/fleet/prior", params={"model": MODEL, "refrigerant": "R32", "emitters": "underfloor"},
                headers=headers)
    assert r.status_code == 200 and r.json()["members"] == 3
    assert (r.json()["emitters"], r.json()["note"]) == ("underfloor", "3 pumps with underfloor")
    bad = api.get("/fleet/prior", params={"model": MODEL, "refrigerant": "R32", "emitters": "floor"}, headers=headers)
    assert bad.status_code == 422 and "fan_coils" in bad.text  # says which would do
    assert api.get("/fleet/prior", params={"model": "Other AW-12", "refrigerant": "R32"},
                   headers=headers).status_code == 404
    # a new agent of the model: nothing to judge by, says so in its status; the gateway sends the prior
    agent, stop, thread = _agent(broker, tmp_path, NEW)
    try:
        assert not agent.pipeline.detector.ready
        wait_for(lambda: (c := _prior_command(db, NEW)) is not None and c.acked_at is not None, 30,
                 "the prior sent and answered")
        row = _prior_command(db, NEW)
        assert row.ack_ok is True and "fleet prior of 3 pumps (3 pumps with underfloor)" in row.detail
        det = agent.pipeline.detector
        assert det.provisional and det.ready and det.fleet.prior.members == 3
        np.testing.assert_allclose(det.model.coef, form(members).coef, equal_nan=True)  # the members' prior
        assert agent.counters()["fleet"]["prior_members"] == 3
        assert ingest.counters.get("fleet_priors_queued") == 1
    finally:
        stop.set()
        thread.join(20)
    # the agent keeps the prior across a restart (its state file), and is not sent another one
    assert json.loads((tmp_path / "state.json").read_text())["detector"]["fleet"]["prior"]["members"] == 3
    with db.transaction() as s:
        assert len(s.scalars(select(DeviceCommand).where(DeviceCommand.command == "prior")).all()) == 1


def test_an_agent_its_fleet_handed_to_its_own_start_is_not_sent_the_prior_again(broker, db, gateway, members,
                                                                                tmp_path):
    """A pump faulty from installation: its fleet's prior refused its commissioning window for the
    fault's growth and handed it to its own start. Its status says it holds that fleet's prior, so the
    gateway, which has a fleet for the model, does not send one (which would judge it by the fleet's
    widened levels again)."""
    ingest, _ = gateway
    now = utcnow()
    with db.transaction() as s:
        for seq, (dev, model) in enumerate(zip(MEMBERS, members), 1):
            assert record_commissioned(s, dev, _commissioned_event(dev, model, seq), now) == ""
        assert prior_for(s, MODEL, "R32", "underfloor") is not None  # a fleet the gateway could send
    pipe = PumpPipeline.with_config(NEW, HeatPumpDetectorConfig())
    window = growing_window()
    handed_to_own_start(window, pipe.detector)
    assert pipe.detector.fleet.own and pipe.detector.fleet.refused_by is window.prior
    (tmp_path / "state.json").write_text(json.dumps({**pipe.state(), "active": {}, "commands_done": []}))

    def fleet_status() -> dict:
        with db.transaction() as s:
            status = s.get(Device, NEW).last_status or {}
        return (status.get("counters") or {}).get("fleet") or {}

    agent, stop, thread = _agent(broker, tmp_path, NEW)
    try:
        wait_for(lambda: fleet_status().get("judged_by_own_start") is True, 30, "the agent's status at the gateway")
        seen = _status_ts(db)  # several statuses later (one each 0.5 s): still none queued
        wait_for(lambda: _status_ts(db) > seen + 1.0, 30, "two more statuses")
        assert _prior_command(db, NEW) is None
        assert fleet_status()["prior_members"] == window.prior.members and fleet_status()["own_model"] is False
        assert ingest.counters.get("fleet_priors_queued") in (0, None)
        assert agent.pipeline.detector.fleet.own  # still judged against its own start
    finally:
        stop.set()
        thread.join(20)


def _status_ts(db: Database) -> float:
    with db.transaction() as s:
        return float((s.get(Device, NEW).last_status or {}).get("ts", 0.0))


def test_an_agent_that_learns_its_pump_sends_its_model_to_the_fleet(broker, db, gateway, tmp_path):
    """A learned pump's agent sends its model once, on its first reading judged by it."""
    ingest, _ = gateway
    readings = repaired_pump(days=4.5)
    pipe = pipeline("hp-001")
    judge(pipe, readings.ts, readings.X)
    assert pipe.detector.ready
    (tmp_path / "state.json").write_text(json.dumps({**pipe.state(), "active": {}, "commands_done": []}))
    agent, stop, thread = _agent(broker, tmp_path, "hp-001", commissioning_days=CONFIG.commissioning_seconds / DAY,
                                 min_training_rows=CONFIG.min_training_rows)
    try:
        agent.handle(float(readings.ts[-1]) + 60.0, readings.X[-1])
        agent.handle(float(readings.ts[-1]) + 120.0, readings.X[-1])
        wait_for(lambda: _stored(db) == ["hp-001"], 30, "the model at the gateway")
        assert agent.counters()["fleet"]["models_published"] == 1  # once, not on every reading
    finally:
        stop.set()
        thread.join(20)
    with db.transaction() as s:
        row = s.get(CommissionedModel, "hp-001")
        assert (row.model, row.refrigerant, row.emitters) == (MODEL, "R32", "underfloor")
        got = Commissioned.from_dict(row.payload)
    np.testing.assert_allclose(got.coef, pipe.detector.model.coef, equal_nan=True)
    assert ingest.counters.get("commissioned_models") == 1


def test_a_prior_file_in_edge_toml_is_used_and_a_bad_one_is_counted(broker, tmp_path, members):
    good = tmp_path / "prior.json"
    good.write_text(json.dumps(form(members).to_dict()))
    agent, stop, thread = _agent(broker, tmp_path, NEW, fleet_prior=str(good))
    stop.set()
    thread.join(20)
    assert agent.pipeline.detector.provisional and agent._fleet_counters()["prior_load_errors"] == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 99}))
    (tmp_path / "b").mkdir()
    agent, stop, thread = _agent(broker, tmp_path / "b", NEW, fleet_prior=str(bad))
    stop.set()
    thread.join(20)
    assert not agent.pipeline.detector.ready and agent._fleet_counters()["prior_load_errors"] == 1


@pytest.fixture(scope="module")
def by_emitters() -> dict[str, list[Commissioned]]:
    """Six healthy 7 kW pumps heating through underfloor pipes and six through fan coils, commissioned by
    their own detectors (one seed: the same pumps and houses, only the emitters differ)."""
    got = {e: simulated_commissioned("healthy_fleet", capacity_kw=7.0, pumps=6, days=10.0, seed=11, emitters=e)
           for e in ("underfloor", "fan_coils")}
    assert all(len(v) == 6 for v in got.values())
    return got


def test_fan_coil_pumps_are_a_fleet_of_their_own(db, by_emitters):
    """Three fan-coil pumps form the prior of a fan-coil pump, nothing of the underfloor ones in it, and
    a healthy fan-coil newcomer agrees with it better than with the underfloor fleet's: its water
    runs hotter, so it condenses higher (p_high) than underfloor pumps at the same operating point."""
    fleet = {f"hp-u{i}": ("underfloor", by_emitters["underfloor"][i]) for i in range(3)}
    fleet |= {f"hp-f{i}": ("fan_coils", by_emitters["fan_coils"][i]) for i in range(3)}
    fleet["hp-r0"] = ("radiators", by_emitters["underfloor"][3])
    place_devices(db, *fleet)
    now = utcnow()
    with db.transaction() as s:
        for seq, (dev, (emitters, model)) in enumerate(fleet.items(), 1):
            s.execute(update(Device).where(Device.id == dev).values(model=MODEL, refrigerant="R32", emitters=emitters))
            assert record_commissioned(s, dev, _commissioned_event(dev, model, seq), now) == ""
    with db.transaction() as s:
        fan, under = prior_for(s, MODEL, "R32", "fan_coils"), prior_for(s, MODEL, "R32", "underfloor")
        rad = prior_for(s, MODEL, "R32", "radiators")
    assert (fan.members, fan.emitters, fan.note) == (3, "fan_coils", "3 pumps with fan_coils")
    assert (rad.members, rad.emitters) == (7, None) and rad.note.startswith("only 1 with radiators")
    for prior, kind in ((fan, "fan_coils"), (under, "underfloor")):  # exactly its own group's members
        np.testing.assert_allclose(prior.coef, form(by_emitters[kind][:3]).coef, rtol=1e-12, equal_nan=True)
    # the flow temperature the fan-coil fleet covers starts higher (features are scaled alike for every pump)
    t_flow = list(fan.envelope_features).index("t_flow")
    assert fan.envelope[0, t_flow] > under.envelope[0, t_flow]
    p_high = TARGET_NAMES.index("p_high")
    F = np.concatenate([m.points for group in by_emitters.values() for m in group])
    judged = {name: [FleetJudge(prior).disagreement(HealthyModel(m.coef, m.residual_scale), F)[p_high]
                     for m in by_emitters["fan_coils"][3:]] for name, prior in (("own", fan), ("underfloor", under))}
    print(f"\nfan-coil newcomers' p_high, in alarm levels: {judged}")
    assert all(d > 0 for d in judged["underfloor"])  # judged by underfloor pumps they read high
    assert np.mean(judged["underfloor"]) > np.mean(judged["own"]) + 0.2


def test_the_prior_is_of_the_pumps_with_the_same_emitters_else_of_the_model_saying_so(db, members):
    """Keyed by model, refrigerant and emitters; a group of fewer than 3 falls back to the model and
    refrigerant (the note says so); another refrigerant's pumps never join."""
    fleet = {"hp-u1": ("R32", "underfloor"), "hp-u2": ("R32", "underfloor"), "hp-u3": ("R32", "underfloor"),
             "hp-r1": ("R32", "radiators"), "hp-r2": ("R32", "radiators"), "hp-n1": ("R32", None),
             "hp-p1": ("R290", "radiators"), "hp-p2": ("R290", "radiators")}
    place_devices(db, *fleet)
    now = utcnow()
    with db.transaction() as s:
        for k, (dev, (refrigerant, emitters)) in enumerate(fleet.items()):
            s.execute(update(Device).where(Device.id == dev).values(model=MODEL, refrigerant=refrigerant,
                                                                    emitters=emitters))
            assert record_commissioned(s, dev, _commissioned_event(dev, members[k % 3], 1), now) == ""
    with db.transaction() as s:
        under = prior_for(s, MODEL, "R32", "underfloor")
        assert (under.members, under.emitters, under.note) == (3, "underfloor", "3 pumps with underfloor")
        rad = prior_for(s, MODEL, "R32", "radiators")
        assert (rad.members, rad.emitters) == (6, None)
        assert rad.note == ("only 2 with radiators (a fleet needs 3): all 6 pumps of the model and refrigerant, "
                            "any emitters")
        unknown = prior_for(s, MODEL, "R32", None)
        assert unknown.members == 6 and unknown.note.startswith("the pump's emitters are not known")
        assert prior_for(s, MODEL, "R32", "fan_coils").members == 6
        assert prior_for(s, MODEL, "R290", "radiators") is None  # 2 R290 pumps: no fleet, R32's not lent
        assert prior_for(s, MODEL, "R32", "underfloor", leave_out="hp-u1").members == 5  # 2 left: the model's 5
