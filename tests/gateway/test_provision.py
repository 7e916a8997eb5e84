"""`heatwatch provision` against a real Mosquitto: the broker loads the written password and ACL
files, a device speaks and listens only under its own topics, the gateway user reads every
device's streams and writes their commands, the written edge.toml loads and the agent's own
publisher gets in with it, and a rotation locks the old password out after a reload.
Refusals (unknown site, duplicate, bad id) are one line and exit 2, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from heatwatch.cli import app as heatwatch_cli
from heatwatch.contract import DEVICE_ID_PATTERN, STREAMS
from heatwatch.demo.services import Mosquitto, mosquitto_binary
from heatwatch.edge.agent import publisher_config
from heatwatch.edge.config import load_config
from heatwatch.edge.outbox import Outbox
from heatwatch.edge.publisher import Publisher
from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.db import Database
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.ingest.service import Ingest
from heatwatch.gateway.ingest.subscriber import Subscriber, subscription_topics
from heatwatch.gateway.provision import command as provision_command
from heatwatch.gateway.provision.mosquitto_files import (
    DEVICE_PUBLISHES,
    BrokerFileError,
    device_acl,
    gateway_acl,
    merge_acl_block,
    merge_password_line,
    password_line,
    password_matches,
)
from heatwatch.gateway.settings import BrokerSettings
from tests.support.mqtt import AS_ROOT, wait_for

GATEWAY_USER = "heatwatch-gateway"
runner = CliRunner()


def provision(*args: str):
    return runner.invoke(heatwatch_cli, ["provision", *map(str, args)])


def _site(db_url: str) -> int:
    db = Database.open(db_url)
    try:
        with db.transaction() as s:
            customer = Customer(name="Anna Albers")
            s.add(customer)
            s.flush()
            site = Site(customer_id=customer.id, name="home")
            s.add(site)
            s.flush()
            return site.id
    finally:
        db.close()


def _gateway_toml(path: Path, db_url: str, broker_url: str) -> Path:
    path.write_text(f"[database]\nurl = '{db_url}'\n\n[broker]\nurl = '{broker_url}'\nusername = '{GATEWAY_USER}'\n")
    return path


# ---- a broker secured with what provision wrote ---------------------------------------------

@dataclass
class Fleet:
    broker: Mosquitto
    config: Path
    site: int
    out: Path
    passwd: Path
    acl: Path
    passwords: dict[str, str] = field(default_factory=dict)

    def provision(self, device: str, *extra: str) -> str:
        """Provision (or rotate) a device into the broker's files; returns its password from edge.toml."""
        res = provision(device, *extra, "--config", self.config, "--out", self.out / device,
                        "--passwd-file", self.passwd, "--acl-file", self.acl)
        assert res.exit_code == 0, res.output
        password = tomllib.loads((self.out / device / "edge.toml").read_text())["broker"]["password"]
        self.passwords[device] = password
        return password

    def reload(self) -> None:
        """What `systemctl reload mosquitto` does; Mosquitto then answers a CONNECT with the new files."""
        self.broker.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)


@pytest.fixture(scope="module")
def fleet(sqlite_template, tmp_path_factory):
    if mosquitto_binary() is None:
        # the ACL is the feature under test: without a real broker it must fail, not pass unseen
        pytest.fail("mosquitto is not installed: deploy/install-system-deps.sh (run by make test) installs it")
    tmp = tmp_path_factory.mktemp("provision")
    db_path = tmp / "gateway.db"
    shutil.copy(sqlite_template, db_path)
    db_url = f"sqlite:///{db_path}"
    broker = Mosquitto(allow_anonymous=False, extra_config=(
        f"{AS_ROOT}password_file {tmp / 'passwd'}\nacl_file {tmp / 'acl'}\n"))
    f = Fleet(broker=broker, config=_gateway_toml(tmp / "gateway.toml", db_url, broker.url), site=_site(db_url),
              out=tmp / "out", passwd=tmp / "passwd", acl=tmp / "acl")
    f.passwd.touch()
    f.acl.touch()
    res = provision("--gateway-user", GATEWAY_USER, "--config", f.config, "--out", f.out / GATEWAY_USER,
                    "--passwd-file", f.passwd, "--acl-file", f.acl)
    assert res.exit_code == 0, res.output
    f.passwords[GATEWAY_USER] = tomllib.loads((f.out / GATEWAY_USER / "broker.toml").read_text())["broker"]["password"]
    for device in ("hp-a", "hp-b"):
        f.provision(device, "--site", f.site)
    broker.start()
    try:
        yield f
    finally:
        broker.stop()


class Client:
    """A paho client that records what it receives and how the broker answered."""

    def __init__(self, port: int, user: str | None, password: str | None, protocol: int = mqtt.MQTTv5) -> None:
        self.got: list[tuple[str, bytes]] = []
        self.connack: list = []
        self.pubacks: dict[int, str] = {}
        self.subacks = 0
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:10]}",
                                  protocol=protocol)
        if user is not None:
            self.client.username_pw_set(user, password)
        self.client.on_connect = lambda c, u, flags, rc, props: self.connack.append(rc)
        self.client.on_message = lambda c, u, msg: self.got.append((msg.topic, msg.payload))
        self.client.on_publish = lambda c, u, mid, rc, props: self.pubacks.__setitem__(mid, str(rc))
        self.client.on_subscribe = lambda *a: setattr(self, "subacks", self.subacks + 1)
        self.client.reconnect_delay_set(60, 60)  # a refused client stays refused within a test
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        wait_for(lambda: bool(self.connack), 5, f"CONNACK for {user}")

    @property
    def accepted(self) -> bool:
        return not self.connack[0].is_failure

    def subscribe(self, *topics: str) -> None:
        before = self.subacks
        self.client.subscribe([(t, 1) for t in topics])
        wait_for(lambda: self.subacks > before, 5, "SUBACK")

    def publish(self, topic: str, payload: bytes) -> str:
        """Publish with QoS 1 and return the PUBACK's reason (MQTT 5 says "Not authorized")."""
        mid = self.client.publish(topic, payload, qos=1).mid
        wait_for(lambda: mid in self.pubacks, 5, f"PUBACK for {topic}")
        return self.pubacks[mid]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def clients(fleet):
    made: list[Client] = []

    def connect(user: str | None, password: str | None = None, **kw) -> Client:
        c = Client(fleet.broker.port, user, fleet.passwords.get(user) if password is None else password, **kw)
        made.append(c)
        return c

    yield connect
    for c in made:
        c.close()


def test_a_device_connects_with_its_password_and_nothing_else_gets_in(fleet, clients):
    assert clients("hp-a").accepted
    assert not clients("hp-a", "not-its-password").accepted
    assert not clients("hp-a", fleet.passwords["hp-b"]).accepted  # another device's password
    assert not clients("hp-zz", "whatever").accepted  # a user the broker does not know
    assert not clients(None).accepted  # anonymous


def test_a_device_cannot_publish_under_another_devices_topics(clients):
    gateway = clients(GATEWAY_USER)
    gateway.subscribe(*subscription_topics("heatwatch-gateway"), "heatwatch/v1/+/ack")
    b = clients("hp-b")
    b.subscribe("heatwatch/v1/hp-b/command")
    a = clients("hp-a")
    for stream in DEVICE_PUBLISHES:
        assert a.publish(f"heatwatch/v1/hp-b/{stream}", b"forged") == "Not authorized"
    assert a.publish("heatwatch/v1/hp-b/command", b"forged") == "Not authorized"
    assert a.publish("heatwatch/v1/hp-a/command", b"forged") == "Not authorized"  # commands come from the gateway
    assert a.publish("heatwatch/v1/hp-a/telemetry", b"marker") == "Success"
    wait_for(lambda: (("heatwatch/v1/hp-a/telemetry", b"marker") in gateway.got), 5, "A's own telemetry")
    time.sleep(0.3)
    assert gateway.got == [("heatwatch/v1/hp-a/telemetry", b"marker")]
    assert b.got == []


def test_a_device_cannot_read_another_devices_commands(clients):
    a = clients("hp-a")
    a.subscribe("heatwatch/v1/hp-b/command", "heatwatch/v1/+/command", "heatwatch/v1/#", "#")
    a_own = clients("hp-a", protocol=mqtt.MQTTv311)  # the 3.1.1 fallback is held to the same rules
    a_own.subscribe("heatwatch/v1/hp-b/command", "heatwatch/v1/hp-a/command")
    gateway = clients(GATEWAY_USER)
    assert gateway.publish("heatwatch/v1/hp-b/command", b'{"id": 1}') == "Success"
    assert gateway.publish("heatwatch/v1/hp-a/command", b'{"id": 2}') == "Success"
    wait_for(lambda: ("heatwatch/v1/hp-a/command", b'{"id": 2}') in a_own.got, 5, "A's own command")
    wait_for(lambda: ("heatwatch/v1/hp-a/command", b'{"id": 2}') in a.got, 5, "A's own command (MQTT 5)")
    time.sleep(0.3)
    assert {topic for topic, _ in a.got + a_own.got} == {"heatwatch/v1/hp-a/command"}


def test_the_gateway_user_reads_every_stream_and_writes_commands_only(clients):
    gateway = clients(GATEWAY_USER)
    gateway.subscribe(*subscription_topics("heatwatch-gateway"), "heatwatch/v1/+/ack")
    a = clients("hp-a")
    a.subscribe("heatwatch/v1/hp-a/command")
    sent = [(f"heatwatch/v1/hp-a/{stream}", f"{stream} of A".encode()) for stream in DEVICE_PUBLISHES]
    for topic, payload in sent:
        assert a.publish(topic, payload) == "Success"
    wait_for(lambda: all(m in gateway.got for m in sent), 5, "A's streams at the gateway")
    assert gateway.publish("heatwatch/v1/hp-a/command", b'{"id": 7}') == "Success"
    wait_for(lambda: ("heatwatch/v1/hp-a/command", b'{"id": 7}') in a.got, 5, "the command at A")
    # the gateway does not speak for a device either
    assert gateway.publish("heatwatch/v1/hp-a/event", b"forged") == "Not authorized"


def test_the_written_edge_toml_loads_and_the_agent_reaches_the_gateways_ingest(fleet, tmp_path):
    """The whole path with what provision wrote: the agent's publisher logs in with edge.toml, the
    gateway's real subscriber with broker.toml's user, and ingest accepts the registered device."""
    cfg = load_config(fleet.out / "hp-b" / "edge.toml")
    assert (cfg.device, cfg.refrigerant, cfg.source.register_map) == ("hp-b", "R32", "heatwatch_generic")
    assert (cfg.broker.url, cfg.broker.username) == (fleet.broker.url, "hp-b")
    assert oct((fleet.out / "hp-b" / "edge.toml").stat().st_mode & 0o777) == "0o600"
    gw = tomllib.loads((fleet.out / GATEWAY_USER / "broker.toml").read_text())["broker"]
    settings = BrokerSettings(url=fleet.broker.url, username=gw["username"], password=gw["password"],
                              client_id=f"gw-{uuid.uuid4().hex[:8]}", shared_group="provision-test")
    database = Database.open(tomllib.loads(fleet.config.read_text())["database"]["url"])
    subscriber = Subscriber(settings, Ingest(database)).start()
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.put_telemetry({"device": "hp-b", "ts_start": time.time() - 60, "ts_end": time.time(), "n": 1,
                          "channels": {"t_flow": {"mean": 35.0, "min": 35.0, "max": 35.0, "n": 1}}})
    publisher = Publisher(publisher_config(cfg), outbox)
    try:
        assert subscriber.subscribed.wait(10), "the gateway user could not subscribe"
        publisher.start()
        assert publisher.wait_connected(10)
        wait_for(lambda: outbox.stats()["acked"] == 1, 10, "the agent's telemetry to be acknowledged")
        counters = subscriber.ingest.counters
        wait_for(lambda: counters.get("accepted.telemetry") == 1 and counters.get("accepted.status") >= 1, 10,
                 "ingest to accept the agent's telemetry and status")
        assert publisher.stats()["refused"] == 0
        with database.transaction() as s:
            assert s.get(Device, "hp-b").online is True
    finally:
        publisher.stop()
        outbox.close()
        subscriber.stop()
        database.close()


def test_rotation_keeps_the_record_and_locks_the_old_password_out(fleet, clients):
    old = fleet.provision("hp-c", "--site", fleet.site, "--nickname", "cellar")
    fleet.reload()
    old_pi = clients("hp-c", old)
    assert old_pi.accepted
    new = fleet.provision("hp-c", "--rotate")
    fleet.reload()
    assert new != old
    wait_for(lambda: not old_pi.client.is_connected(), 5, "the reload to drop the client on the old password")
    assert clients("hp-c", new).accepted
    assert not clients("hp-c", old).accepted
    assert fleet.passwd.read_text().count("hp-c:") == 1
    assert fleet.acl.read_text().count("user hp-c") == 1
    db = Database.open(tomllib.loads(fleet.config.read_text())["database"]["url"])
    try:
        with db.transaction() as s:
            row = s.get(Device, "hp-c")
            assert (row.site_id, row.nickname) == (fleet.site, "cellar")
    finally:
        db.close()


# ---- the files themselves ----------------------------------------------------------------

def test_the_password_line_is_the_one_mosquitto_passwd_writes(tmp_path):
    passwd = shutil.which("mosquitto_passwd")
    if passwd is None:
        pytest.fail("mosquitto_passwd is not installed: deploy/install-system-deps.sh (run by make test) installs it")
    path = tmp_path / "passwd"
    path.touch()
    subprocess.run([passwd, "-b", str(path), "hp-1", "s3cret pass"], check=True, capture_output=True)
    theirs = path.read_text().strip()
    salt = __import__("base64").b64decode(theirs.split("$")[3])
    assert password_line("hp-1", "s3cret pass", salt=salt) == theirs
    assert password_matches(theirs, "s3cret pass") and not password_matches(theirs, "s3cret pas")
    mine = password_line("hp-1", "s3cret pass")
    assert mine != password_line("hp-1", "s3cret pass")  # a new salt each time
    assert re.fullmatch(r"hp-1:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==", mine)


def test_the_acl_follows_the_contract():
    assert provision_command.DEVICE_ID.pattern == DEVICE_ID_PATTERN
    assert set(STREAMS) <= set(DEVICE_PUBLISHES)  # a new stream needs its ACL line
    lines = device_acl("hp-1").splitlines()
    assert lines[1:-1] == ["user hp-1", *(f"topic write heatwatch/v1/hp-1/{s}" for s in DEVICE_PUBLISHES),
                           "topic read heatwatch/v1/hp-1/command"]
    for name in ("hp-1\ntopic readwrite #", "a/b", "+", "#", "a:b", ""):
        with pytest.raises(ValueError):
            device_acl(name)
        with pytest.raises(ValueError):
            password_line(name, "x")


def test_merging_replaces_a_users_lines_and_keeps_everything_else(tmp_path):
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    passwd.write_text("ops:$7$101$x$y\n")
    acl.write_text("user ops\ntopic readwrite #\n")
    passwd.chmod(0o640)
    assert merge_password_line(passwd, password_line("hp-1", "one"), replace=False) == "added"
    with pytest.raises(BrokerFileError, match="already has a password for 'hp-1'"):
        merge_password_line(passwd, password_line("hp-1", "two"), replace=False)
    assert merge_password_line(passwd, password_line("hp-1", "two"), replace=True) == "replaced"
    lines = passwd.read_text().splitlines()
    assert lines[0] == "ops:$7$101$x$y" and len(lines) == 2 and password_matches(lines[1], "two")
    assert passwd.stat().st_mode & 0o777 == 0o640  # Mosquitto's user still reads it
    assert merge_acl_block(acl, device_acl("hp-1")) == "added"
    assert merge_acl_block(acl, device_acl("hp-2")) == "added"
    assert merge_acl_block(acl, device_acl("hp-1")) == "unchanged"
    text = acl.read_text()
    assert text.startswith("user ops\ntopic readwrite #\n\n# heatwatch device hp-1 (begin)\n")
    assert text.count("user hp-1") == 1 and text.count("user hp-2") == 1
    # a user's section heatwatch did not write is never doubled
    with pytest.raises(BrokerFileError, match="own 'user ops' section"):
        merge_acl_block(acl, gateway_acl("ops"))
    with pytest.raises(BrokerFileError, match="own 'user hp-1' section"):
        merge_acl_block(acl, gateway_acl("hp-1"))
    # a file that is not there would be made root's, unreadable for Mosquitto: the operator makes it
    with pytest.raises(BrokerFileError, match="no such file; make it readable by Mosquitto's user first"):
        merge_password_line(tmp_path / "new", password_line("hp-1", "x"), replace=False)
    assert not (tmp_path / "new").exists()


# ---- the registry and refusals, on SQLite and PostgreSQL -----------------------------------------

@pytest.fixture
def registry(db_url, tmp_path):
    return _gateway_toml(tmp_path / "gateway.toml", db_url, "mqtt://127.0.0.1:1883"), _site(db_url), db_url


def test_provision_registers_the_device_and_says_where_the_password_is(registry, tmp_path):
    config, site, db_url = registry
    res = provision("hp-7", "--site", site, "--model", "Acme AW-9", "--refrigerant", "R290", "--nickname", "garage",
                    "--emitters", "fan_coils", "--install-date", "2026-11-30", "--config", config,
                    "--out", tmp_path / "hp-7",
                    "--broker-url", "mqtts://broker.example.net:8883")
    assert res.exit_code == 0, res.output
    password = tomllib.loads((tmp_path / "hp-7" / "edge.toml").read_text())["broker"]["password"]
    assert len(password) >= 32 and password not in res.output
    assert "edge.toml" in res.output and "SIGHUP" in res.output
    assert password_matches((tmp_path / "hp-7" / "mosquitto.passwd").read_text(), password)
    cfg = load_config(tmp_path / "hp-7" / "edge.toml")
    assert (cfg.refrigerant, cfg.broker.url) == ("R290", "mqtts://broker.example.net:8883")
    db = Database.open(db_url)
    try:
        with db.transaction() as s:
            row = s.scalars(select(Device)).one()
            assert (row.id, row.site_id, row.model, row.refrigerant, row.emitters, row.nickname,
                    str(row.install_date)) == ("hp-7", site, "Acme AW-9", "R290", "fan_coils", "garage", "2026-11-30")
    finally:
        db.close()


@pytest.mark.parametrize("args, message", [
    (["hp-1", "--site", "999"], "error: site 999 does not exist"),
    (["hp-dup", "--site", "{site}"], "error: device hp-dup already exists"),
    (["hp-dup", "--rotate", "--site", "{site}"], "error: --rotate changes only the credentials; it takes no --site"),
    (["hp-new", "--rotate"], "error: device hp-new is not provisioned"),
    (["hp-1"], "error: --site is required"),
    (["hp/1", "--site", "{site}"], "error: device id 'hp/1'"),
    (["hp+1", "--site", "{site}"], "error: device id 'hp+1'"),
    (["-", "--site", "{site}"], "error: device id '-'"),
    (["hp-1\n", "--site", "{site}"], "error: device id 'hp-1\\n'"),
    (["x" * 65, "--site", "{site}"], f"error: device id '{'x' * 65}'"),
    ([GATEWAY_USER, "--site", "{site}"], "error: device id 'heatwatch-gateway' is the gateway's own broker user"),
    (["hp-1", "--site", "{site}", "--refrigerant", "R22"], "error: --refrigerant 'R22'"),
    (["hp-1", "--site", "{site}", "--emitters", "floor"], "error: --emitters 'floor': one of underfloor, radiators"),
    (["hp-1", "--site", "{site}", "--register-map", "/etc/passwd"], "error: --register-map '/etc/passwd'"),
    (["hp-1", "--site", "{site}", "--install-date", "30.11.2026"], "error: --install-date '30.11.2026'"),
    (["hp-1", "--site", "{site}", "--broker-url", "http://x"], "error: --broker-url: broker URL 'http://x'"),
    (["hp-1", "--gateway-user", "gw"], "error: give a device id or --gateway-user, not both"),
    ([], "error: missing DEVICE_ID"),
])
def test_bad_input_is_one_line_and_exit_2(registry, tmp_path, args, message):
    config, site, db_url = registry
    if "hp-dup" in args:
        assert provision("hp-dup", "--site", site, "--config", config, "--out", tmp_path / "first").exit_code == 0
    out = tmp_path / "out"
    res = provision(*[a.replace("{site}", str(site)) for a in args], "--config", config, "--out", out)
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith(message) and res.stderr.count("\n") == 1, res.stderr
    assert res.stdout == "" and not out.exists()
    db = Database.open(db_url)
    try:
        with db.transaction() as s:
            assert s.scalars(select(Device.id)).all() == (["hp-dup"] if "hp-dup" in args else [])
    finally:
        db.close()


def test_an_unmigrated_database_is_exit_3(empty_db_url, tmp_path):
    config = _gateway_toml(tmp_path / "gateway.toml", empty_db_url, "mqtt://127.0.0.1:1883")
    res = provision("hp-1", "--site", "1", "--config", config, "--out", tmp_path / "out")
    assert res.exit_code == 3 and "heatwatch gateway migrate" in res.stderr and res.stderr.count("\n") == 1


def test_the_example_mosquitto_conf_secures_the_broker(fleet, tmp_path):
    """deploy/mosquitto.conf as written (its listener moved to a free port, its paths to the
    fleet's files): Mosquitto starts with it, refuses anonymous clients, lets a device in."""
    text = (Path(__file__).parents[2] / "deploy" / "mosquitto.conf").read_text()
    text = (text.replace("/etc/mosquitto/heatwatch.passwd", str(fleet.passwd))
                .replace("/etc/mosquitto/heatwatch.acl", str(fleet.acl)))
    text = "\n".join(ln for ln in text.splitlines() if not ln.startswith("listener "))
    assert "allow_anonymous false" in text and f"password_file {fleet.passwd}" in text
    broker = Mosquitto(allow_anonymous=False, extra_config=AS_ROOT + text).start()
    anonymous = device = None
    try:
        anonymous = Client(broker.port, None, None)
        assert not anonymous.accepted
        device = Client(broker.port, "hp-a", fleet.passwords["hp-a"])
        assert device.accepted
        assert device.publish("heatwatch/v1/hp-b/event", b"forged") == "Not authorized"
        assert device.publish("heatwatch/v1/hp-a/event", b"{}") in ("Success", "No matching subscribers")
    finally:
        for c in (anonymous, device):
            if c is not None:
                c.close()
        broker.stop()


def test_a_broker_file_that_refuses_the_lines_leaves_nothing_behind(registry, tmp_path):
    config, site, db_url = registry
    passwd = tmp_path / "passwd"
    passwd.write_text(password_line("hp-1", "set by hand") + "\n")
    before = passwd.read_text()
    acl = tmp_path / "acl"
    acl.touch()
    res = provision("hp-1", "--site", site, "--config", config, "--out", tmp_path / "out", "--passwd-file", passwd,
                    "--acl-file", acl)
    assert res.exit_code == 2 and res.stderr.startswith(f"error: {passwd}: already has a password for 'hp-1'")
    assert res.stderr.count("\n") == 1 and not (tmp_path / "out").exists() and passwd.read_text() == before
    assert acl.read_text() == device_acl("hp-1")  # harmless alone, and merged again unchanged
    db = Database.open(db_url)
    try:
        with db.transaction() as s:
            assert s.get(Device, "hp-1") is None
    finally:
        db.close()
