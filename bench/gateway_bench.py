"""Gateway ingest for 10,000 simulated pumps: one worker's throughput through a real Mosquitto next to
Mosquitto's own, and event-to-ticket latency, on SQLite and PostgreSQL.

    .venv/bin/python bench/gateway_bench.py [--quick] [--messages N] [--backend sqlite|postgresql|both]
                                            [--profile]

A private Mosquitto (Debian's 2.0, its defaults but for an unbounded queue
per session) on a free port; 10,000 devices registered in the
database (SQLite file in WAL mode with synchronous=NORMAL, the gateway's
default; PostgreSQL: a throwaway cluster from tests/gateway/pg_cluster.py,
with fsync and synchronous_commit turned back on so a commit costs what it
costs in production). What each figure means:

* ``Mosquitto alone``: a plain paho subscriber (QoS 1, acknowledging at once,
  counting and nothing else) drains N telemetry messages the broker held
  for its session: the ceiling the broker and a Python MQTT client make on
  this machine.
* ``ingest``: one gateway worker (gateway/ingest: Subscriber + Ingest, as
  ``heatwatch gateway run`` wires them) drains the same N messages held for
  its session: validated, sequence-judged, stored in the embedded telemetry
  store, acknowledged after the commit. msg/s from its connect to the last
  commit; the mean batch size says how the broker's in-flight window filled.
  The messages are published before either consumer connects, so the
  publisher's speed does not enter either figure.
* ``event -> ticket``: with the worker running and the fleet's telemetry
  arriving at a live rate (10,000 pumps, one interval a minute each: 167
  msg/s), fault events for pumps without an incident are published one every
  250 ms (four a second: far more than 10,000 pumps make), from another process; latency is from the publish call to the
  return of the transaction that opened the ticket (committed), both read
  from the machine's clock. The tickets are counted in the database after.
* ``--profile``: where the ingest thread's time goes (cProfile over
  ``Ingest.handle_batch``), the top entries by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.gateway.pg_cluster: the throwaway cluster

from heatwatch.channels import CHANNEL_NAMES, DERIVED_NAMES  # noqa: E402
from heatwatch.contract import ChannelStats, Event, Telemetry, agent_topic  # noqa: E402
from heatwatch.demo.services import Mosquitto  # noqa: E402
from heatwatch.gateway.customers.models import Customer, Site  # noqa: E402
from heatwatch.gateway.db import Database  # noqa: E402
from heatwatch.gateway.devices.models import Device  # noqa: E402
from heatwatch.gateway.incidents.service import Incidents  # noqa: E402
from heatwatch.gateway.ingest.counters import IngestCounters  # noqa: E402
from heatwatch.gateway.ingest.service import Ingest  # noqa: E402
from heatwatch.gateway.ingest.subscriber import Subscriber, subscription_topics  # noqa: E402
from heatwatch.gateway.migrations import upgrade  # noqa: E402
from heatwatch.gateway.settings import BrokerSettings  # noqa: E402
from heatwatch.gateway.telemetry.sink import TelemetrySink  # noqa: E402
from heatwatch.gateway.tickets.models import Ticket  # noqa: E402

PUMPS = 10_000
BROKER_CONFIG = "max_queued_messages 0\n"  # the runs queue N messages for a session before it connects
LIVE_RATE = PUMPS / 60.0  # telemetry a second from a fleet sending one interval a minute per pump
EVENT_EVERY = 0.25  # seconds between the latency run's events (a real fleet sends a few a minute)


def device_id(i: int) -> str:
    return f"hp-{i:05d}"


def telemetry_stream(n: int, t0: float, start_round: int = 0) -> list[tuple[str, bytes]]:
    """``n`` intervals round the fleet, pump after pump, each with every channel an agent sends."""
    channels = {name: ChannelStats(mean=35.0, min=34.0, max=36.0, n=6) for name in CHANNEL_NAMES + DERIVED_NAMES}
    out = []
    for k in range(n):
        seq, pump = divmod(k, PUMPS)
        seq += start_round
        msg = Telemetry(device=device_id(pump), seq=seq, ts_start=t0 + 60 * seq, ts_end=t0 + 60 * seq + 60, n=6,
                        channels=channels, health=0.1)
        out.append((agent_topic(msg.device, "telemetry"), msg.to_json()))
    return out


def _client(client_id: str, **kw) -> mqtt.Client:
    return mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, **kw)


def _session(broker: Mosquitto, client_id: str, topics: list[str]) -> None:
    """Make a persistent session with these subscriptions, then leave: the broker holds what comes."""
    done = threading.Event()
    c = _client(client_id)
    c.on_subscribe = lambda *_: done.set()
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    c.connect("127.0.0.1", broker.port, clean_start=True, properties=props)
    c.loop_start()
    c.subscribe([(t, 1) for t in topics])
    assert done.wait(10), "subscription not acknowledged"
    c.disconnect()
    c.loop_stop()


def publish(broker: Mosquitto, messages: list[tuple[str, bytes]]) -> float:
    """QoS 1, up to 1000 in flight; returns msg/s (publisher side, for the record)."""
    c = _client("bench-publisher")
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    t = time.perf_counter()
    infos = [c.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(120)
    dt = time.perf_counter() - t
    c.disconnect()
    c.loop_stop()
    return len(messages) / dt


def mosquitto_alone(broker: Mosquitto, messages: list[tuple[str, bytes]]) -> tuple[float, float]:
    """msg/s, and CPU seconds of this process per message."""
    topics = subscription_topics("bench-plain")
    _session(broker, "bench-plain", topics)
    publish(broker, messages)
    got = 0
    last = threading.Event()
    times: list[float] = []

    def on_message(*_):
        nonlocal got
        got += 1
        if got == len(messages):
            times.append(time.perf_counter())
            last.set()

    c = _client("bench-plain")
    c.on_message = on_message
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = 2000
    t, cpu = time.perf_counter(), time.process_time()
    c.connect("127.0.0.1", broker.port, clean_start=False, properties=props)
    c.loop_start()
    assert last.wait(600), f"plain subscriber got {got} of {len(messages)}"
    cpu = time.process_time() - cpu
    c.disconnect()
    c.loop_stop()
    return len(messages) / (times[0] - t), cpu / len(messages)


def register_fleet(db: Database) -> None:
    with db.transaction() as s:
        # a customer with an email address, as a real one has: a ticket then also queues the customer's
        # "problem found" message in the same transaction (the cost is part of event -> ticket)
        customer = Customer(name="Bench Fleet", preferred_channels=["email"],
                            contact_addresses={"email": "fleet@example.org"})
        site = Site(customer=customer, city="Kassel")
        s.add(site)
        s.flush()
        s.execute(insert(Device), [{"id": device_id(i), "site_id": site.id} for i in range(PUMPS)])


class Timed:
    """Wraps a worker's Ingest.handle_batch: batch sizes, commit times of ticket-opening events,
    and optionally a profile of the ingest thread."""

    def __init__(self, ingest: Ingest, profile: bool) -> None:
        self.ingest = ingest
        self.inner = ingest.handle_batch
        self.sizes: list[int] = []
        self.busy = 0.0
        self.committed: dict[str, float] = {}  # event_id -> when its transaction returned
        self.profiler = cProfile.Profile() if profile else None
        ingest.handle_batch = self  # type: ignore[method-assign]

    def __call__(self, messages):
        t = time.perf_counter()
        if self.profiler:
            self.profiler.enable()
        try:
            outcomes = self.inner(messages)
        finally:
            if self.profiler:
                self.profiler.disable()
        now = time.perf_counter()
        self.busy += now - t
        self.sizes.append(len(messages))
        wall = time.time()
        for o in outcomes:
            if o.accepted and isinstance(o.message, Event):
                self.committed[o.message.event_id] = wall
        return outcomes

    def handled(self) -> int:
        return sum(n for k, n in self.ingest.counters.snapshot().items() if k.startswith(("accepted.", "refused.")))


def open_database(backend: str, workdir: Path, cluster_holder: list) -> tuple[Database, str]:
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'gateway.db'}"
        return Database.open(url, pool_size=5), "SQLite (WAL, synchronous=NORMAL)"
    from tests.gateway.pg_cluster import PostgresCluster

    cluster = PostgresCluster().start()
    cluster_holder.append(cluster)
    with cluster.connect() as conn:  # the test cluster skips fsync; a bench must not
        for setting in ("fsync = on", "synchronous_commit = on", "full_page_writes = on"):
            conn.execute(f"ALTER SYSTEM SET {setting}")
        conn.execute("SELECT pg_reload_conf()")
    url = cluster.create_database("hw_bench")
    return Database.open(url, pool_size=5), "PostgreSQL 15 (local socket, fsync on)"


def gateway_run(backend: str, broker: Mosquitto, n: int, events: int, profile: bool) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="hw-gwbench-"))
    clusters: list = []
    db, label = open_database(backend, workdir, clusters)
    try:
        upgrade(db)
        register_fleet(db)
        group = f"bench-{backend}"
        settings = BrokerSettings(url=broker.url, client_id=f"bench-gw-{backend}", shared_group=group)
        _session(broker, f"{settings.client_id}-1", subscription_topics(group))
        t0 = time.time() - 86_400  # yesterday: inside the store's full-resolution window
        publish(broker, telemetry_stream(n, t0))

        counters = IngestCounters()
        ingest = Ingest(db, counters, incidents=Incidents(), telemetry=TelemetrySink(counters=counters))
        timed = Timed(ingest, profile)
        t, cpu = time.perf_counter(), time.process_time()
        worker = Subscriber(settings, ingest, worker="1").start()
        try:
            while timed.handled() < n:
                time.sleep(0.01)
                if time.perf_counter() - t > 900:
                    raise RuntimeError(f"ingest handled {timed.handled()} of {n} in 900 s")
            drain, cpu = time.perf_counter() - t, time.process_time() - cpu
            sizes, busy = list(timed.sizes), timed.busy
            profile_text = _profile_text(timed.profiler) if timed.profiler else ""
            timed.profiler = None
            latencies = event_latency(broker, timed, events, t0, start_round=-(-n // PUMPS))
        finally:
            worker.stop()
        with db.transaction() as s:
            tickets = s.scalar(select(func.count()).select_from(Ticket))
        return dict(label=label, rate=n / drain, cpu=cpu / n, batch=statistics.mean(sizes), busy=busy / drain,
                    refused={k: v for k, v in counters.snapshot().items() if k.startswith("refused.")},
                    latencies=latencies, tickets=tickets, profile=profile_text)
    finally:
        db.close()
        for cluster in clusters:
            cluster.stop()


def event_latency(broker: Mosquitto, timed: Timed, events: int, t0: float, start_round: int) -> list[float]:
    """Events on a live fleet, published by another process (no GIL shared with the worker): each
    opens an incident and a ticket; seconds from its publish call to its commit (one clock)."""
    proc = subprocess.Popen([sys.executable, __file__, "--live-publisher", str(broker.port), str(events), str(t0),
                             str(start_round)], stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"the live publisher failed ({proc.returncode})")
    published: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    deadline = time.monotonic() + 60
    while len(timed.committed) < len(published) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [timed.committed[k] - published[k] for k in published if k in timed.committed]


def live_publisher(port: int, events: int, t0: float, start_round: int) -> None:
    """The fleet's telemetry at its live rate, and one fault event every EVENT_EVERY seconds on a
    pump without an incident; prints {event_id: publish time} as JSON."""
    c = _client("bench-fleet")
    c.max_inflight_messages_set(1000)
    c.connect("127.0.0.1", port)
    c.loop_start()
    background = telemetry_stream(int(LIVE_RATE * (events * EVENT_EVERY + 2)), t0, start_round)
    published: dict[str, float] = {}
    start = time.perf_counter()
    next_event, i = start + 1.0, 0
    for k, (topic, payload) in enumerate(background):
        due = start + k / LIVE_RATE
        while i < events and next_event <= due:
            _sleep_until(next_event)
            e = Event(device=device_id((i * 37) % PUMPS), seq=0, event_id=f"ev-bench-{i:06d}", ts=time.time(),
                      kind="fault", fault="refrigerant_leak", severity="warning", confidence=0.8, explanation="bench")
            payload_e = e.to_json()
            published[e.event_id] = time.time()
            c.publish(agent_topic(e.device, "event"), payload_e, qos=1)
            next_event += EVENT_EVERY
            i += 1
        _sleep_until(due)
        c.publish(topic, payload, qos=1)
    time.sleep(0.5)
    c.disconnect()
    c.loop_stop()
    print(json.dumps(published))


def _sleep_until(t: float) -> None:
    wait = t - time.perf_counter()
    if wait > 0:
        time.sleep(wait)


def _profile_text(profiler: cProfile.Profile) -> str:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return out.getvalue()


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10,000 messages, 30 events (a few minutes)")
    ap.add_argument("--messages", type=int, default=50_000, help="telemetry messages drained per run")
    ap.add_argument("--events", type=int, default=100, help="events for the latency figures")
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--profile", action="store_true", help="print where the ingest thread's time goes")
    ap.add_argument("--live-publisher", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.live_publisher:
        port, count, t0, start_round = args.live_publisher
        live_publisher(int(port), int(count), float(t0), int(start_round))
        return
    n, events = (10_000, 30) if args.quick else (args.messages, args.events)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)

    broker = Mosquitto(extra_config=BROKER_CONFIG).start()
    try:
        print(f"{PUMPS:,} pumps registered; {n:,} telemetry messages of {len(telemetry_stream(1, 0)[0][1]):,} "
              f"bytes (31 channels) per run; QoS 1")
        alone, alone_cpu = mosquitto_alone(broker, telemetry_stream(n, time.time()))
        print(f"Mosquitto alone (paho subscriber, counting only): {alone:,.0f} msg/s; "
              f"{alone_cpu * 1e6:.0f} µs CPU/msg in the subscriber")
        for backend in backends:
            r = gateway_run(backend, broker, n, events, args.profile)
            lat = r["latencies"]
            print(f"\n{r['label']}")
            print(f"  ingest, one worker: {r['rate']:,.0f} msg/s ({r['rate'] / alone:.0%} of Mosquitto alone); "
                  f"{r['cpu'] * 1e6:.0f} µs CPU/msg in the worker process; mean batch {r['batch']:.0f} messages; "
                  f"ingest thread busy {r['busy']:.0%} of the time")
            if r["refused"]:
                print(f"  refused: {r['refused']}")
            if lat:
                print(f"  event -> ticket committed ({len(lat)} of {events} events, fleet at {LIVE_RATE:.0f} msg/s): "
                      f"p50 {_pct(lat, 50) * 1e3:.1f} ms, p99 {_pct(lat, 99) * 1e3:.1f} ms, "
                      f"max {max(lat) * 1e3:.1f} ms; tickets in the database: {r['tickets']}")
            else:
                print("  event -> ticket: no event committed")
            if r["profile"]:
                print(r["profile"])
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
