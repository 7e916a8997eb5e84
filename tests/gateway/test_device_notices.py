"""An agent's notices about itself (agent events: no incident, no ticket) reach the operator: ingested as
an agent sends them, read per device from GET /devices/{id}/notices, newest first, staff only."""

from __future__ import annotations

from heatwatch.contract import COMMISSIONED, Event, agent_topic
from heatwatch.gateway.ingest.service import Ingest
from tests.gateway.api_world import World

pytest_plugins = ["tests.gateway.api_world"]  # its fixtures: world, api, make_api

T0 = 1_736_488_800.0  # 2025-01-10 06:00 UTC
HELD_TEXT = ("Commissioning is held open: its 1,512 steady readings stand outside the bands of any healthy pump "
             "(evap_approach averaged 18.2 K, above 13.0 K by 2.6 tolerances); the pump is judged by its own start.")


def _agent_event(seq: int, name: str, text: str, severity: str = "warning", device: str = "hp-b1") -> tuple[str, bytes]:
    msg = Event(device=device, seq=seq, event_id=f"ev-notice-{device}-{seq:04d}", ts=T0 + 3600.0 * seq, kind="agent",
                fault=name, severity=severity, confidence=1.0, explanation=text)
    return agent_topic(device, "event"), msg.to_json()


def _send(db) -> None:
    ingest = Ingest(db)
    for args in (_agent_event(0, "commissioning_held", HELD_TEXT),
                 _agent_event(1, "refrigerant_mismatch", "Configured R32, the pressures fit R290."),
                 _agent_event(2, COMMISSIONED, "The pump's own healthy behaviour is learned.", "info"),
                 _agent_event(0, "commissioning_held", "another pump's notice", device="hp-a1")):
        assert ingest.handle(*args).accepted


def test_staff_read_a_devices_agent_notices_newest_first(api, db, world: World):
    _send(db)
    got = api.get("/devices/hp-b1/notices", headers=world.auth("technician"))
    assert got.status_code == 200, got.text
    notices = got.json()
    assert [n["name"] for n in notices] == [COMMISSIONED, "refrigerant_mismatch", "commissioning_held"]
    held = notices[-1]
    assert held["title"] == "Commissioning held open by the physics bands" and held["severity"] == "warning"
    assert held["text"] == HELD_TEXT
    assert notices[0]["severity"] == "info"
    assert [n["name"] for n in api.get("/devices/hp-b1/notices", params={"limit": 1},
                                        headers=world.auth("dispatcher")).json()] == [COMMISSIONED]
    # another device's notices are its own; a fault event is no notice
    assert [n["text"] for n in api.get("/devices/hp-a1/notices", headers=world.auth("admin")).json()] \
        == ["another pump's notice"]


def test_notices_are_refused_to_customers_and_bad_input_is_named(api, db, world: World):
    _send(db)
    assert api.get("/devices/hp-b1/notices", headers=world.auth("customer_b")).status_code == 403
    assert api.get("/devices/hp-zz/notices", headers=world.auth("admin")).status_code == 404
    bad = api.get("/devices/hp-b1/notices", params={"limit": 0}, headers=world.auth("admin"))
    assert bad.status_code == 422 and "limit" in bad.text


def test_the_device_api_reads_the_agents_last_status_into_words(api, db, world: World):
    """GET /devices/{id} answers, beside the raw last_status, what the board's device page says of the agent."""
    from heatwatch.contract import Status

    assert api.get("/devices/hp-b1", headers=world.auth("admin")).json()["agent"] is None, "no counters yet"
    status = Status(device="hp-b1", online=True, ts=T0, counters={
        "agent": {"starts": 3, "readings": 5000, "ready": True, "last_ts": T0 - 60.0},
        "fleet": {"judged_by_fleet": True, "prior_members": 9, "window_rows": 700},
        "pipeline": {"out_of_range[t_flow]": 4}})
    assert Ingest(db).handle(agent_topic("hp-b1", "status"), status.to_json()).accepted
    got = api.get("/devices/hp-b1", headers=world.auth("dispatcher"))
    assert got.status_code == 200, got.text
    agent = got.json()["agent"]
    assert agent["judged_by"] == "its fleet's prior (9 pumps) while it learns its own"
    assert agent["learning"] == "700 steady readings collected for its own model"
    assert (agent["readings"], agent["restarts"]) == (5000, 2)
    assert agent["last_reading"].startswith("2025-01-10T05:59")
    assert agent["problems"] == ["4 readings out of range (t_flow 4)"]
    listed = api.get("/devices", headers=world.auth("admin")).json()["items"]
    assert next(d for d in listed if d["id"] == "hp-b1")["agent"] == agent
