"""`heatwatch demo`: from pump to customer on one machine.

What a newcomer sees in two minutes: twenty simulated pumps run days of
winter at thousands of times real speed. One talks Modbus RTU over a serial
line (a pty pair), the others publish their state over MQTT, as pumps with a
Wi-Fi module do. An edge agent per pump learns its pump, watches it drift,
names the fault, predicts the trip and publishes through a real broker
(Mosquitto when installed, else an embedded MQTT 3.1.1 broker). The gateway
(its own process, SQLite, the embedded telemetry store) turns the events into
tickets on its board and emails each customer through a local SMTP mailbox
that the board shows at /demo/mailbox. When a pump trips, the table says how
long before it the ticket opened. docs/demo.md tells what runs where.
"""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.live import Live

DEFAULT_PUMPS = 20
# simulated seconds per wall second: 20 pumps x 1800 / 60 s = 600 readings/s; the agents of one Python
# process judge ~1,000 a CPU second (docs/demo.md); a day of pump time is 48 s
DEFAULT_SPEED = 1800.0
DRAIN_SECONDS = 45.0  # at the end: the agents judge what the simulator sent
SETTLE_SECONDS = 20.0  # then the gateway writes what they sent and mails what it queued (worker: every 5 s)


def _start_broker(console: Console, which: str, work: Path):
    from heatwatch.demo.services import EmbeddedBroker, Mosquitto, mosquitto_binary

    if which == "mosquitto" or (which == "auto" and mosquitto_binary()):
        (work / "mosquitto").mkdir()
        broker = Mosquitto(workdir=work / "mosquitto").start()
        console.print(f"broker: Mosquitto on {broker.url} (MQTT 5)")
        return broker, True
    broker = EmbeddedBroker().start()
    console.print(f"broker: embedded amqtt on {broker.url} (MQTT 3.1.1: agents fall back; the gateway "
                  "needs MQTT 5, so this run has no gateway: install mosquitto for tickets and messages)")
    return broker, False


def _quiet_logs(work: Path) -> None:
    logging.basicConfig(level=logging.WARNING, filename=work / "demo.log",
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("pymodbus", "paho", "amqtt", "transitions"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)


def demo(
    minutes: float = typer.Option(2.0, min=0.05, help="stop on its own after this many minutes"),
    pumps: int = typer.Option(DEFAULT_PUMPS, min=1, max=200, help="simulated pumps (one on the serial line)"),
    scenario: str = typer.Option("demo_fleet", help="built-in scenario name or a YAML path"),
    speed: float = typer.Option(DEFAULT_SPEED, min=1.0, help="simulated seconds per wall-clock second"),
    broker_kind: str = typer.Option("auto", "--broker", help="auto (Mosquitto when installed), mosquitto, or "
                                                             "embedded (amqtt; no gateway)"),
    port: int = typer.Option(8000, "--port", min=1, max=65535,
                             help="the board's port (the next free one when taken)"),
) -> None:
    """Run the whole loop on embedded defaults: pumps, agents, broker, gateway, board, mailbox."""
    from heatwatch.sim.scenario import ScenarioError

    from heatwatch.demo.fleet_plan import plan

    tty = sys.stdout.isatty()
    console = Console(width=None if tty else 160, force_terminal=tty, highlight=False, markup=False, soft_wrap=not tty)
    if broker_kind not in ("auto", "mosquitto", "embedded"):
        console.print(f"--broker {broker_kind!r}: use auto, mosquitto or embedded")
        raise typer.Exit(2)
    work = Path(tempfile.mkdtemp(prefix="heatwatch-demo-"))
    # Ctrl-C (or a service manager's SIGTERM) at any moment, even during start-up, only asks the demo
    # to stop; everything started so far is stopped, and the work folder removed, in the finally below
    interrupted = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: interrupted.set())
    run = None
    try:
        try:
            scen, scen_path = plan(scenario, pumps, minutes, speed, work)
        except ScenarioError as exc:
            console.print(f"scenario error: {exc}")
            raise typer.Exit(2) from None
        _quiet_logs(work)
        run = DemoRun(console, work, scen, scen_path, speed, interrupted, tty)
        try:
            run.start(broker_kind, port)
        except _Interrupted:
            console.print("stopped while starting: everything started so far is stopped")
            return
        except RuntimeError as exc:  # a service that would not start says why; nothing is left running
            console.print(f"demo: {exc}")
            raise typer.Exit(1) from None
        run.watch(minutes)
        run.finish()
    finally:
        if run is not None:
            run.stop()
        shutil.rmtree(work, ignore_errors=True)
    if run is not None and run.progress.wall_start is not None:
        run.summary()


class _Interrupted(Exception):
    """Ctrl-C came while the services were starting."""


class DemoRun:
    """The services of one demo run, started in order and stopped in reverse."""

    def __init__(self, console: Console, work: Path, scen, scen_path: Path, speed: float,  # noqa: ANN001
                 interrupted: threading.Event, tty: bool) -> None:
        from heatwatch.demo.fleet_plan import pump_designs, pump_refrigerants
        from heatwatch.demo.progress import Progress

        self.console, self.work, self.scen, self.scen_path = console, work, scen, scen_path
        self.speed, self.interrupted, self.tty = speed, interrupted, tty
        self.broker = self.pty = self.gateway = self.view = None
        self.sims: list[subprocess.Popen] = []
        self.agents: list = []
        self.threads: list[threading.Thread] = []
        self.links: dict[str, str] = {}
        self.refrigerants = pump_refrigerants(scen)
        self.designs = pump_designs(scen)
        self.agents_stop = threading.Event()
        self.progress = Progress(scen, speed)
        self.sim_log = None
        self.world = None
        self.final = None  # the last gateway snapshot, for the summary
        self.mail_count: int | None = None

    # ---- start ---------------------------------------------------------------------------------
    def start(self, broker_kind: str, port: int) -> None:
        from heatwatch.demo.gateway_side import DemoGateway, board_port
        from heatwatch.demo.gateway_view import GatewayView
        from heatwatch.demo.services import PtyPair, free_port
        from heatwatch.demo.world import seed
        from heatwatch.gateway.db import Database

        console, work = self.console, self.work
        console.print(f"work folder: {work} (removed when the demo ends)")
        self.broker, with_gateway = _start_broker(console, broker_kind, work)
        self._check()
        if with_gateway:
            gw = DemoGateway(work, self.broker.url, board_port(port), free_port())
            gw.write_settings()
            db = Database.open(gw.db_url)
            try:
                self.world = seed(db, self.refrigerants)
            finally:
                db.close()
            self.progress.customers = self.world.customers
            self._check()
            self.gateway = gw  # before it is up: stop() ends it whatever happens next
            gw.start(cancel=self.interrupted)
            self._check()
            self.view = GatewayView(gw.db_url)
            console.print(f"gateway: board on {gw.url}/board (sign in with the dispatcher token below); "
                          "SQLite and the embedded telemetry store in the work folder")
            console.print(f"   dispatcher token: {self.world.dispatcher_token}")
            console.print(f"   customers' mailbox: {gw.url}/demo/mailbox (SMTP on 127.0.0.1:{gw.smtp_port})")
        self._check()
        if shutil.which("socat"):
            self.pty = PtyPair().start()
            console.print(f"serial line: {self.pty.a} (pump side) <-> {self.pty.b} (agent side), "
                          "Modbus RTU 115200 8N1")
        else:
            console.print("socat not installed: every pump talks MQTT")
        self._start_agents()
        self._start_sim()

    def _check(self) -> None:
        if self.interrupted.is_set():
            raise _Interrupted

    def _start_agents(self) -> None:
        from heatwatch.edge.agent import EdgeAgent
        from heatwatch.edge.config import AgentConfig, BrokerConfig, DetectorSection, OutboxConfig, SourceConfig
        from heatwatch.edge.heatpump.kernel_warmup import warm

        # numba compiles a kernel on its first call: in an agent's thread, mid-run, with the other agents
        # taking turns at the GIL, 4 CPU seconds of it left that agent up to 33 pump hours behind. Here, before
        # any reading, it is about a second from numba's cache (10-20 s the first time in a checkout)
        took = warm()
        if took > 8.0:  # loading them from the cache takes a second or two, three on a busy machine
            self.console.print(f"compiled the agents' kernels in {took:.0f} s (numba keeps them: the next run "
                               "loads them in about a second)")
        self._check()
        step = float(self.scen.step_s)
        for i, dev in enumerate(self.scen.device_ids):
            serial = self.pty is not None and i == 0
            source = (SourceConfig(kind="modbus", port=self.pty.b, baudrate=115200, slave_id=1,
                                   poll_interval=step / self.speed, timeout=1.0, use_pump_clock=True)
                      if serial else SourceConfig(kind="mqtt", url=self.broker.url))
            self.links[dev] = "Modbus RTU" if serial else "MQTT"
            # the demo learns for half a simulated day instead of a week: it has only days to show. One
            # telemetry interval per 15 pump minutes, not per reading: each is a durable outbox write
            cfg = AgentConfig(device=dev, refrigerant=self.refrigerants[dev], source=source, broker=BrokerConfig(url=self.broker.url),
                              outbox=OutboxConfig(path=str(self.work / f"outbox-{dev}.db")),
                              detector=DetectorSection(commissioning_days=0.5, min_training_rows=240),
                              telemetry_interval=900.0, design=self.designs[dev])
            self.agents.append(EdgeAgent(cfg))
        self.threads = [threading.Thread(target=a.run, args=(self.agents_stop,), daemon=True,
                                         name=f"agent-{a.cfg.device}") for a in self.agents]
        for th in self.threads:
            th.start()
        time.sleep(1.0)  # the MQTT agents subscribe before the first reading is published

    def _start_sim(self) -> None:
        """The pumps: one simulator process publishes over MQTT, another (the same fleet, the same seed:
        the same rows) answers on the serial line, so the Modbus slave is never kept waiting behind
        hundreds of MQTT publishes a second."""
        from heatwatch.demo.services import die_with_parent

        base = [sys.executable, "-m", "heatwatch.cli", "sim", "run", str(self.scen_path), "--speed", str(self.speed)]
        self.sim_log = open(self.work / "sim.log", "w")
        self.sims = [subprocess.Popen([*base, "--mqtt", self.broker.url], stdout=self.sim_log,
                                      stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent)]
        if self.pty:
            self.sims.append(subprocess.Popen([*base, "--serial", self.pty.a, "--baud", "115200"], stdout=self.sim_log,
                                              stderr=subprocess.STDOUT, start_new_session=True,
                                              preexec_fn=die_with_parent))
        self.progress.started()
        self.console.print(f"simulator: {len(self.scen.device_ids)} pumps, scenario {self.scen.name!r}, "
                           f"{self.speed:.0f}x real time (a pump day every {86400 / self.speed:.0f} s), "
                           f"pump time starts now")

    def sims_running(self) -> bool:
        return all(p.poll() is None for p in self.sims)

    # ---- run -----------------------------------------------------------------------------------
    def snapshot(self):  # noqa: ANN201
        if self.view is None:
            return None
        try:
            return self.view.snapshot()
        except Exception:  # noqa: BLE001 - a busy database: the next refresh reads again
            logging.getLogger(__name__).debug("gateway snapshot failed", exc_info=True)
            return self.final

    def watch(self, minutes: float) -> None:
        from heatwatch.demo.table import pump_table

        deadline = time.monotonic() + minutes * 60.0
        if self.tty:
            with Live(console=self.console, refresh_per_second=2, vertical_overflow="ellipsis") as live:
                while not self.interrupted.is_set() and time.monotonic() < deadline and self.sims_running():
                    self.final = self.snapshot()
                    live.update(pump_table(self.agents, self.links, self.final, self.progress,
                                           self.gateway.url if self.gateway else ""))
                    self.interrupted.wait(1.0)
        else:  # piped: a plain line every few seconds, and a line for each ticket and trip as they come
            while not self.interrupted.is_set() and time.monotonic() < deadline and self.sims_running():
                self.final = self.snapshot()
                for line in self.progress.lines(self.agents, self.final):
                    print(line, flush=True)
                self.interrupted.wait(1.0)
        if self.interrupted.is_set():
            self.console.print("stopping ...")

    def finish(self) -> None:
        """After the clock ran out: stop the pumps, let the agents judge what was sent, let the
        gateway write what they sent and mail what it queued."""
        from heatwatch.demo.services import terminate

        if self.interrupted.is_set():
            return
        for sim in self.sims:
            terminate(sim, timeout=10)
        self.progress.sim_stopped()
        # the MQTT agents judge every row the simulator sent (the broker holds what their queues do not);
        # the Modbus agent only ever reads the latest row. Done when they reach the last row or stall
        last_row = self.progress.pump_now() - 2 * float(self.scen.step_s)
        mqtt_agents = [a for a in self.agents if self.links[a.cfg.device] == "MQTT"]
        deadline = time.monotonic() + DRAIN_SECONDS
        seen, still_since = None, time.monotonic()
        while time.monotonic() < deadline and not self.interrupted.is_set():
            now = [a.status.readings for a in mqtt_agents]
            if all(a.status.last_ts >= last_row for a in mqtt_agents) or time.monotonic() - still_since > 5:
                break
            if now != seen:
                seen, still_since = now, time.monotonic()
            time.sleep(0.2)
        self.agents_stop.set()
        for th in self.threads:
            th.join(10)
        last, deadline = None, max(deadline, time.monotonic() + SETTLE_SECONDS)
        while time.monotonic() < deadline and not self.interrupted.is_set() and self.view is not None:
            snap = self.snapshot()
            if snap is not None and last is not None and snap.waiting == 0 \
                    and len(snap.tickets) == len(last.tickets) and snap.sent == last.sent:
                break
            last = snap
            time.sleep(2.0)
        self.final = self.snapshot()
        if not self.tty:
            for line in self.progress.lines(self.agents, self.final, force=True):
                print(line, flush=True)

    # ---- stop ----------------------------------------------------------------------------------
    def stop(self) -> None:
        """Everything started, in reverse; each step on its own, so one failing stops the rest."""
        from heatwatch.demo.mailbox import Maildir
        from heatwatch.demo.services import terminate

        self.agents_stop.set()
        mailbox = self.work / "mailbox"
        if mailbox.is_dir():
            self.mail_count = Maildir(mailbox).count()
        steps = [lambda sim=sim: terminate(sim, timeout=10) for sim in self.sims]
        steps += [lambda th=th: th.join(10) for th in self.threads]
        steps += [lambda: self.view and self.view.close(), lambda: self.gateway and self.gateway.stop(),
                  lambda: self.broker and self.broker.stop(), lambda: self.pty and self.pty.stop(),
                  lambda: self.sim_log and self.sim_log.close()]
        for step in steps:
            try:
                step()
            except Exception:  # noqa: BLE001
                logging.getLogger(__name__).exception("demo: stopping a service failed")

    def summary(self) -> None:
        from heatwatch.demo.table import summary

        for line in summary(self.agents, self.links, self.final, self.progress, self.world,
                            self.view is not None, self.mail_count):
            self.console.print(line)

