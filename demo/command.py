"""`heatwatch demo`: simulated pumps, edge agents, a broker and a live health table.

What a newcomer sees in two minutes: four simulated pumps run days of winter
at thousands of times real speed. One talks Modbus RTU over a serial line (a
pty pair), the others publish their state over MQTT, as pumps with a Wi-Fi
module do. An edge agent per pump learns its pump, watches it drift, names the
fault, predicts the trip and publishes through a real broker (Mosquitto when
installed, else an embedded MQTT 3.1.1 broker, which makes the agents fall
back from MQTT 5). When a pump trips, the table says how long before it the
agent knew.
"""

from __future__ import annotations

import logging
import math
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table


def _start_broker(console: Console, which: str = "auto"):
    from heatwatch.demo.services import EmbeddedBroker, Mosquitto, mosquitto_binary

    if which == "mosquitto" or (which == "auto" and mosquitto_binary()):
        broker = Mosquitto().start()
        console.print(f"broker: Mosquitto on {broker.url} (MQTT 5)")
    else:
        broker = EmbeddedBroker().start()
        console.print(f"broker: embedded amqtt on {broker.url} (MQTT 3.1.1: agents fall back)")
    return broker


class _BrokerWatch:
    """A gateway-side subscriber: counts what the agents really delivered."""

    def __init__(self, url: str):
        from heatwatch.contract import TOPIC_ROOT
        from heatwatch.mqtt import KEEPALIVE, BrokerLink, make_client

        link = BrokerLink.from_url(url)
        self.counts: Counter[tuple[str, str]] = Counter()
        self.client = make_client(link)  # MQTT 3.1.1, a fresh session: any broker, nothing kept
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *_: c.subscribe(f"{TOPIC_ROOT}/+/+", qos=1)
        self.client.connect(link.host, link.port, keepalive=KEEPALIVE)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg) -> None:  # noqa: ANN001
        parts = msg.topic.split("/")
        if len(parts) == 4:
            self.counts[(parts[2], parts[3])] += 1

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _fmt_ts(ts: float) -> str:
    if not math.isfinite(ts):
        return "-"
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%b %d %H:%M")


def _table(agents, links, watch: _BrokerWatch) -> Table:
    t = Table(title="heatwatch demo: an edge agent per pump (Ctrl-C stops)", expand=True)
    for col in ("pump", "pump time", "health", "diagnosis", "predicted trip", "trip", "broker tel/ev"):
        t.add_column(col, overflow="fold")
    for agent in agents:
        st = agent.status
        dev = agent.cfg.device
        if not st.ready:
            health = f"learning ({st.readings})"
        else:
            health = f"{st.health:.1f}"
            if st.health >= 1.0:
                health = f"[bold red]{health}[/]"
        diag, trip_pred = [], "-"
        for fault, ev in st.active.items():
            title = ev.explanation.split(":", 1)[0] if ev.explanation else fault
            diag.append(f"{title} {ev.confidence:.0%}")
            p = ev.prognosis
            if p is not None:
                trip_pred = f"{_fmt_ts(p.predicted_trip_ts)}\n({_fmt_ts(p.lower_ts)} .. {_fmt_ts(p.upper_ts)})"
        trip = "-"
        if st.trips:
            first = st.trips[0]
            trip = f"[bold]{first.fault}[/] {_fmt_ts(first.ts)}\n{first.explanation.split('. ', 1)[-1]}"
        t.add_row(f"{dev}\n{links[dev]}", _fmt_ts(st.last_ts), health,
                  "\n".join(diag) or ("[green]healthy[/]" if st.ready else "-"), trip_pred, trip,
                  f"{watch.counts[(dev, 'telemetry')]}/{watch.counts[(dev, 'event')]}")
    return t


def demo(
    minutes: float = typer.Option(2.0, help="stop on its own after this many minutes"),
    scenario: str = typer.Option("demo", help="built-in scenario name or a YAML path"),
    speed: float = typer.Option(4000.0, help="simulated seconds per wall-clock second"),
    broker_kind: str = typer.Option("auto", "--broker", help="auto (Mosquitto when installed), mosquitto, or embedded (amqtt)"),
) -> None:
    """Run the whole chain on embedded defaults and show each pump's health live."""
    from heatwatch.edge.agent import EdgeAgent
    from heatwatch.edge.config import AgentConfig, BrokerConfig, DetectorSection, OutboxConfig, SourceConfig
    from heatwatch.sim.fleet import Fleet
    from heatwatch.sim.scenario import ScenarioError, load_scenario
    from heatwatch.demo.services import PtyPair, terminate

    logging.basicConfig(level=logging.ERROR)
    for noisy in ("pymodbus", "paho", "amqtt", "heatwatch.edge", "transitions"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    console = Console(width=None if sys.stdout.isatty() else 140)
    try:
        scen = load_scenario(scenario)
    except ScenarioError as exc:
        console.print(f"[red]scenario error:[/] {exc}")
        raise typer.Exit(2) from None
    fleet = Fleet(scen)
    devices = fleet.devices
    work = Path(tempfile.mkdtemp(prefix="heatwatch-demo-"))
    if broker_kind not in ("auto", "mosquitto", "embedded"):
        console.print(f"[red]--broker {broker_kind!r}:[/] use auto, mosquitto or embedded")
        raise typer.Exit(2)
    # Ctrl-C (or a service manager's SIGTERM) at any moment, even during start-up, only asks
    # the demo to stop; everything started so far is stopped in the finally below
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    broker = pty = sim = watch = None
    sim_log = open(work / "sim.log", "w")
    agents: list = []
    threads: list[threading.Thread] = []
    links: dict[str, str] = {}
    try:
        broker = _start_broker(console, broker_kind)
        if shutil.which("socat"):
            pty = PtyPair().start()
            console.print(f"serial line: {pty.a} (pump side) <-> {pty.b} (agent side), Modbus RTU 115200 8N1")
        else:
            console.print("socat not installed: every pump talks MQTT")
        cmd = [sys.executable, "-m", "heatwatch.cli", "sim", "run", scenario, "--mqtt", broker.url,
               "--speed", str(speed)]
        if pty:
            cmd += ["--serial", pty.a, "--baud", "115200"]
        sim = subprocess.Popen(cmd, stdout=sim_log, stderr=subprocess.STDOUT, start_new_session=True)
        console.print(f"simulator: {len(devices)} pumps, scenario {scen.name!r}, {speed:.0f}x real time "
                      f"(log {work / 'sim.log'})")
        # the demo learns for half a simulated day instead of a week: it has only days to show
        step = fleet.step_seconds
        for i, dev in enumerate(devices):
            serial = pty is not None and i == 0
            source = (SourceConfig(kind="modbus", port=pty.b, baudrate=115200, slave_id=1,
                                   poll_interval=step / speed, timeout=0.2, use_pump_clock=True)
                      if serial else SourceConfig(kind="mqtt", url=broker.url))
            links[dev] = "Modbus RTU" if serial else "MQTT"
            cfg = AgentConfig(device=dev, source=source, broker=BrokerConfig(url=broker.url),
                              outbox=OutboxConfig(path=str(work / f"outbox-{dev}.db")),
                              detector=DetectorSection(commissioning_days=0.5, min_training_rows=240))
            agent = EdgeAgent(cfg)
            agents.append(agent)
        watch = _BrokerWatch(broker.url)
        threads = [threading.Thread(target=a.run, args=(stop,), daemon=True, name=f"agent-{a.cfg.device}")
                   for a in agents]
        for th in threads:
            th.start()
        deadline = time.monotonic() + minutes * 60.0
        with Live(_table(agents, links, watch), console=console, refresh_per_second=4) as live:
            while not stop.is_set() and time.monotonic() < deadline and sim.poll() is None:
                stop.wait(0.25)
                live.update(_table(agents, links, watch))
        if stop.is_set():
            console.print("stopping ...")
    finally:
        stop.set()
        terminate(sim, timeout=10)
        for th in threads:
            th.join(10)
        if watch:
            watch.stop()
        if broker:
            broker.stop()
        if pty:
            pty.stop()
        sim_log.close()
    if watch:
        _summary(console, agents, watch)


def _summary(console: Console, agents, watch: _BrokerWatch) -> None:
    console.print("\n[bold]What the agents saw[/]")
    for agent in agents:
        st = agent.status
        dev = agent.cfg.device
        raised = ", ".join(f"{f} at {_fmt_ts(t)}" for f, t in agent.pipeline.first_raised.items()) or "nothing"
        line = f"{dev}: {st.readings} readings; raised {raised}"
        for trip in st.trips[:1]:
            line += f"; tripped ({trip.fault}) at {_fmt_ts(trip.ts)}: {trip.explanation.split('. ', 1)[-1]}"
        console.print(line)
        refused = {k: v for k, v in agent.pipeline.counters().items() if v}
        console.print(f"   delivered to the broker: {watch.counts[(dev, 'telemetry')]} telemetry, "
                      f"{watch.counts[(dev, 'event')]} events; source counters: "
                      f"{ {k: v for k, v in agent.source.counters.items() if v} }; refused by the pipeline: {refused}")
