"""`heatwatch sim run SCENARIO --serial PORT | --tcp HOST:PORT | --mqtt mqtt://HOST:PORT [--speed X]`.

Plays a scenario's fleet live: every simulated row is released at its time,
scaled by ``--speed`` (simulated seconds per wall second), to the Modbus
slave (one slave id per pump on the serial line, or one unit id per pump on
a Modbus TCP port; the row is what each slave answers from then on, in the
layout of ``--register-map``) and/or to MQTT (one PumpState per pump per row).

The serving loop is :func:`serve`, separate from the command so the demo and
tests can drive it with any block source. Blocks (``fleet.chunks()``) are
produced in a worker thread so a slow chunk never stalls the Modbus slave.
"""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterator, Protocol

import numpy as np
import typer
from rich.console import Console
from rich.live import Live
from rich.text import Text

from heatwatch.sim.modbus_server import DEFAULT_BAUDRATE, ModbusPumpServer, ModbusServerError
from heatwatch.sim.mqtt_publisher import MqttPublisherError, PumpStatePublisher

CHUNK_STEPS = 256


class Block(Protocol):
    """A run of rows: what ``Fleet.chunks()`` yields."""

    ts: np.ndarray  # (n,)
    values: np.ndarray  # (n, n_devices, n_channels)
    tripped: np.ndarray  # (n, n_devices)


@dataclass
class ServeStats:
    """What the serving loop has done so far; read by the status line and the final summary."""

    devices: list[str]
    speed: float
    rows: int = 0
    sim_ts: float | None = None
    sim_start: float | None = None
    wall_start: float = field(default_factory=time.monotonic)
    lag_max: float = 0.0  # worst lateness of a row against its due wall time, seconds
    tripped: int = 0
    finished: bool = False  # the scenario ran to its end
    modbus: ModbusPumpServer | None = None
    mqtt: PumpStatePublisher | None = None

    @property
    def actual_speed(self) -> float:
        wall = time.monotonic() - self.wall_start
        if self.sim_ts is None or self.sim_start is None or wall <= 0:
            return 0.0
        return (self.sim_ts - self.sim_start) / wall

    def line(self) -> str:
        when = "-" if self.sim_ts is None else datetime.fromtimestamp(self.sim_ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        parts = [
            f"sim {when}",
            f"speed {self.speed:g}x (actual {self.actual_speed:.3g}x)",
            f"rows {self.rows}",
            f"pumps {len(self.devices)} (tripped {self.tripped})",
        ]
        if self.modbus is not None:
            parts.append(f"modbus {self.modbus.port} requests {self.modbus.counters['requests']}")
        if self.mqtt is not None:
            c = self.mqtt.counters
            state = "up" if self.mqtt.connected else "DOWN"
            parts.append(f"mqtt {state} sent {c['published'] + c['queued_offline']} dropped {c['dropped_offline']}")
        if self.lag_max > 1.0:
            parts.append(f"behind by up to {self.lag_max:.1f} s")
        return " | ".join(parts)


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` unless stopped first; True if stopped."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
        return True
    except asyncio.TimeoutError:
        return stop.is_set()


async def serve(
    blocks: Iterator[Block],
    stats: ServeStats,
    stop: asyncio.Event,
    *,
    wall_limit: float | None = None,
) -> ServeStats:
    """Release rows at simulated time / speed to the Modbus slave and/or MQTT until done or stopped.

    A row is due at ``wall_start + (ts - ts_first) / speed``. Rows run late
    (a slow machine, a huge speed) are still all delivered, in order: MQTT
    consumers get every row; the Modbus slave ends up holding the latest.
    """
    deadline = None if wall_limit is None else stats.wall_start + wall_limit
    it = iter(blocks)
    while not stop.is_set():
        block = await asyncio.to_thread(next, it, None)
        if block is None:
            stats.finished = True
            break
        tripped = getattr(block, "tripped", None)
        for k in range(len(block.ts)):
            ts = float(block.ts[k])
            if stats.sim_start is None:
                stats.sim_start = ts
                stats.wall_start = time.monotonic()
                deadline = None if wall_limit is None else stats.wall_start + wall_limit
            due = stats.wall_start + (ts - stats.sim_start) / stats.speed
            if deadline is not None and due >= deadline:
                await _wait(stop, max(0.0, deadline - time.monotonic()))
                stop.set()
                break
            delay = due - time.monotonic()
            if delay > 0:
                if await _wait(stop, delay):
                    break
            else:
                stats.lag_max = max(stats.lag_max, -delay)
            row = block.values[k]
            if stats.modbus is not None:
                stats.modbus.set_row(row, ts)
            if stats.mqtt is not None:
                stats.mqtt.publish_row(ts, row)
            stats.rows += 1
            stats.sim_ts = ts
            if tripped is not None:
                stats.tripped = int(np.count_nonzero(tripped[k]))
            if k % 64 == 63:
                await asyncio.sleep(0)  # let the slave answer between rows when running behind
    return stats


def fleet_blocks(fleet, steps: int = CHUNK_STEPS) -> Iterator[Block]:  # noqa: ANN001
    return iter(fleet.chunks(steps=steps))


async def _run_async(
    scenario: str, serial: str | None, mqtt_url: str | None, speed: float, minutes: float | None,
    baudrate: int, console: Console, tcp: tuple[str, int] | None = None, register_map: str = "heatwatch_generic",
) -> ServeStats:
    from heatwatch.sim.fleet import Fleet  # the simulator model; imported here so the CLI loads without it
    from heatwatch.sim.scenario import load_scenario

    fleet = Fleet(load_scenario(scenario))
    stats = ServeStats(devices=list(fleet.devices), speed=speed)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if serial or tcp:
            from heatwatch.registers import RegisterMap

            stats.modbus = ModbusPumpServer(serial or "", stats.devices, RegisterMap.load(register_map),
                                            baudrate=baudrate, tcp=tcp)
            await stats.modbus.start()
            slaves = ", ".join(f"{d}=slave {i + 1}" for i, d in enumerate(stats.devices))
            where = f"Modbus TCP on {tcp[0]}:{tcp[1]}" if tcp else f"Modbus RTU on {serial} ({baudrate} 8N1)"
            console.print(f"{where}, map {register_map}: {slaves}")
        if mqtt_url:
            stats.mqtt = PumpStatePublisher(mqtt_url, stats.devices)
            await asyncio.to_thread(stats.mqtt.connect)
            console.print(f"MQTT {mqtt_url}: pumps/{{device}}/state for {len(stats.devices)} pumps")
        with Live(Text(stats.line()), console=console, refresh_per_second=4, transient=False) as live:

            async def refresh() -> None:
                while True:
                    live.update(Text(stats.line()))
                    await asyncio.sleep(0.25)

            ticker = asyncio.create_task(refresh())
            try:
                await serve(fleet_blocks(fleet), stats, stop, wall_limit=None if minutes is None else minutes * 60)
            finally:
                ticker.cancel()
                live.update(Text(stats.line()))
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if stats.modbus is not None:
            await stats.modbus.stop()
        if stats.mqtt is not None:
            await asyncio.to_thread(stats.mqtt.close)
    return stats


def run(
    scenario: str = typer.Argument(..., help="Built-in scenario name or path to a scenario YAML file."),
    serial: str | None = typer.Option(None, "--serial", help="Serial port to serve Modbus RTU on (one slave id per pump)."),
    mqtt_url: str | None = typer.Option(None, "--mqtt", help="Broker to publish pumps/{device}/state to, mqtt://host:port."),
    speed: float = typer.Option(1.0, "--speed", min=1e-6, help="Simulated seconds per wall second (1 = real time)."),
    minutes: float | None = typer.Option(None, "--minutes", min=0.0, help="Stop after this many wall-clock minutes."),
    baudrate: int = typer.Option(DEFAULT_BAUDRATE, "--baud", help="Serial speed (8N1)."),
    tcp: str | None = typer.Option(None, "--tcp", help="Serve Modbus TCP on HOST:PORT (one unit id per pump)."),
    register_map: str = typer.Option("heatwatch_generic", "--register-map",
                                     help="Register map the pumps answer in (a shipped name or a CSV path)."),
) -> None:
    """Serve a scenario's pumps live until the scenario ends, --minutes pass, or Ctrl-C."""
    if not serial and not mqtt_url and not tcp:
        typer.echo("heatwatch sim run: give --serial PORT and/or --mqtt mqtt://HOST:PORT (or --tcp HOST:PORT for Modbus TCP)", err=True)
        raise typer.Exit(2)
    if serial and tcp:
        typer.echo("heatwatch sim run: --serial or --tcp, not both", err=True)
        raise typer.Exit(2)
    tcp_addr: tuple[str, int] | None = None
    if tcp:
        host, _, port_s = tcp.rpartition(":")
        if not host or not port_s.isdigit() or not 1 <= int(port_s) <= 65535:
            typer.echo(f"heatwatch sim run: --tcp {tcp!r}: expected HOST:PORT", err=True)
            raise typer.Exit(2)
        tcp_addr = (host, int(port_s))
    from heatwatch.registers import RegisterMap, RegisterMapError

    try:
        RegisterMap.load(register_map)
    except RegisterMapError as exc:
        typer.echo(f"heatwatch sim run: register map: {exc}", err=True)
        raise typer.Exit(2) from None
    from heatwatch.sim.scenario import ScenarioError

    console = Console(stderr=True)
    if not console.is_terminal:  # a log file: one long line per status, not wrapped at 80
        console = Console(stderr=True, width=240)
    try:
        stats = asyncio.run(_run_async(scenario, serial, mqtt_url, speed, minutes, baudrate, console, tcp_addr,
                                       register_map))
    except ScenarioError as exc:
        typer.echo(f"heatwatch sim run: scenario: {exc}", err=True)
        raise typer.Exit(2) from None
    except (ModbusServerError, MqttPublisherError) as exc:
        typer.echo(f"heatwatch sim run: {exc}", err=True)
        raise typer.Exit(1) from None
    end = "scenario finished" if stats.finished else "stopped"
    typer.echo(f"{end}: {stats.line()}")
