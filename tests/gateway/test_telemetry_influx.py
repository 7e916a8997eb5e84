"""The InfluxDB export against a real server: Debian's victoria-metrics, which accepts the InfluxDB
v2 write API and returns what it stored from its export API. Each test starts its own on a free
port in a temporary directory (deploy/install-system-deps.sh installs it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from heatwatch.contract import ChannelStats, Telemetry, agent_topic
from heatwatch.demo.services import free_port, terminate
from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.ingest.service import Ingest
from heatwatch.gateway.telemetry.influx import MEASUREMENT, InfluxExporter, field_names
from heatwatch.gateway.telemetry.sink import TelemetrySink


def victoria_binary() -> str:
    found = shutil.which("victoria-metrics") or ("/usr/bin/victoria-metrics"
                                                 if os.access("/usr/bin/victoria-metrics", os.X_OK) else None)
    if found is None:
        raise RuntimeError("victoria-metrics is not installed (bash deploy/install-system-deps.sh, "
                           "or apt-get install victoria-metrics)")
    return found


@dataclass
class VictoriaMetrics:
    """A private victoria-metrics; ``stop()`` then ``start()`` is an outage (same port, same data)."""

    port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="hw-vm-")))
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> VictoriaMetrics:
        self.proc = subprocess.Popen(
            [victoria_binary(), f"-httpListenAddr=127.0.0.1:{self.port}", f"-storageDataPath={self.workdir / 'data'}",
             "-loggerLevel=ERROR", "-retentionPeriod=100y"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as reply:
                    if reply.read().strip() == b"OK":
                        return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"victoria-metrics exited with {self.proc.returncode}") from None
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("victoria-metrics did not answer in time")

    def stop(self) -> None:
        terminate(self.proc)
        self.proc = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def export(self, selector: str) -> dict[tuple[str, str], dict[int, float]]:
        """{(metric name, device): {timestamp ms: value}} for the series ``selector`` matches."""
        query = urllib.parse.urlencode({"match[]": selector})
        with urllib.request.urlopen(f"{self.url}/api/v1/export?{query}", timeout=10) as reply:
            lines = reply.read().decode().splitlines()
        found: dict[tuple[str, str], dict[int, float]] = {}
        for line in lines:
            series = json.loads(line)
            key = (series["metric"]["__name__"], series["metric"].get("device", ""))
            found.setdefault(key, {}).update(zip(series["timestamps"], series["values"]))
        return found

    def wait_for(self, selector: str, points: int, timeout: float = 30.0) -> dict[tuple[str, str], dict[int, float]]:
        """Poll the export until the series hold ``points`` values in all. New data is searchable
        once flushed from the server's buffers (up to ten seconds): ask it to flush first."""
        deadline = time.monotonic() + timeout
        while True:
            with urllib.request.urlopen(f"{self.url}/internal/force_flush", timeout=10):
                pass
            found = self.export(selector)
            if sum(len(v) for v in found.values()) >= points or time.monotonic() > deadline:
                return found
            time.sleep(0.2)


@pytest.fixture
def victoria():
    server = VictoriaMetrics().start()
    yield server
    server.remove()


def interval(seq: int, start: float, device: str = "hp-001", health: float | None = 0.25) -> Telemetry:
    return Telemetry(device=device, seq=seq, ts_start=start, ts_end=start + 60, n=6, health=health,
                     channels={"t_flow": ChannelStats(mean=35.0 + seq / 8, min=34.0 + seq / 8, max=36.5 + seq / 8, n=6),
                               "p_high": ChannelStats(mean=21.5, min=21.0, max=22.25, n=5),
                               "cop": ChannelStats(n=0)})


def recent(minutes_ago: int) -> float:
    """An interval start on the minute (the server keeps what is inside its retention)."""
    return (int(time.time()) // 60 - minutes_ago) * 60.0


def test_ingested_telemetry_arrives_as_points(db, victoria):
    with db.transaction() as s:
        site = Site(customer=Customer(name="A. Customer"), city="Kassel")
        s.add_all([Device(id="hp-001", site=site), Device(id="hp-002", site=site)])
    exporter = InfluxExporter(victoria.url, "heatwatch", org="heatwatch", token="unused", batch_size=50,
                              flush_s=0.2).start()
    ingest = Ingest(db, telemetry=TelemetrySink(exporter=exporter))
    sent: list[Telemetry] = []
    for seq in range(120):
        for device in ("hp-001", "hp-002"):
            msg = interval(seq, recent(200 - seq), device, health=None if seq % 10 == 0 else seq / 100)
            assert ingest.handle(agent_topic(device, "telemetry"), msg.to_json()).accepted
            sent.append(msg)
    duplicate = interval(5, recent(195), "hp-001")
    assert not ingest.handle(agent_topic("hp-001", "telemetry"), duplicate.to_json()).accepted  # not exported
    assert exporter.close(timeout=30)
    counts = exporter.counts()
    assert (counts.submitted, counts.written, counts.dropped, counts.failed, counts.queued) == (240, 240, 0, 0, 0)

    # 7 fields a point (readings, t_flow's and p_high's four), health where the detector scored
    found = victoria.wait_for(f'{{__name__=~"{MEASUREMENT}_.*"}}', 240 * 9 + 2 * 108)
    names = {name for name, _ in found}
    assert names == {f"{MEASUREMENT}_{f}" for f in ("readings", "health", "t_flow_mean", "t_flow_min",
                                                     "t_flow_max", "t_flow_n", "p_high_mean", "p_high_min",
                                                     "p_high_max", "p_high_n")}
    assert {n.removeprefix(f"{MEASUREMENT}_") for n in names} <= field_names()
    for msg in sent:
        ts = round(msg.ts_start * 1000)
        at = {name.removeprefix(f"{MEASUREMENT}_"): values.get(ts)
              for (name, device), values in found.items() if device == msg.device}
        t_flow = msg.channels["t_flow"]
        assert (at["t_flow_mean"], at["t_flow_min"], at["t_flow_max"], at["t_flow_n"]) == (t_flow.mean, t_flow.min,
                                                                                            t_flow.max, 6)
        assert (at["p_high_mean"], at["p_high_min"], at["p_high_max"], at["p_high_n"]) == (21.5, 21.0, 22.25, 5)
        assert at["readings"] == 6 and at["health"] == msg.health  # None where the detector did not score
    assert "cop_n" not in str(names)  # a channel with no readings is not a field


def test_a_server_that_is_down_then_back_loses_nothing_acknowledged(victoria):
    victoria.stop()  # the port is known and free: InfluxDB is down
    exporter = InfluxExporter(victoria.url, "heatwatch", queue_size=5, batch_size=2, flush_s=0.2,
                              timeout_s=2, backoff_s=(0.1, 0.5)).start()
    first = [interval(seq, recent(100 - seq)) for seq in range(10)]
    assert all(exporter.submit(m) for m in first[:2])
    deadline = time.monotonic() + 20
    while exporter.counts().failed < 2 and time.monotonic() < deadline:  # the writer holds those two, retrying
        time.sleep(0.05)
    acknowledged = [m for m in first[2:] if exporter.submit(m)]
    counts = exporter.counts()
    assert len(acknowledged) == 5 and counts.dropped == 3  # the queue's bound; the rest said so
    assert counts.failed >= 2 and counts.retried >= 1 and counts.written == 0 and counts.queued == 7

    victoria.start()
    assert exporter.close(timeout=30)
    counts = exporter.counts()
    assert (counts.written, counts.queued, counts.dropped, counts.rejected) == (7, 0, 3, 0)
    found = victoria.wait_for(f'{MEASUREMENT}_t_flow_mean{{device="hp-001"}}', 7)
    assert set(found[(f"{MEASUREMENT}_t_flow_mean", "hp-001")]) == {round(m.ts_start * 1000)
                                                                   for m in first[:2] + acknowledged}


class _Refusing(BaseHTTPRequestHandler):
    """An InfluxDB that answers every write with the status the test sets."""

    status = 401
    writes = 0

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).writes += 1
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"code":"unauthorized","message":"unauthorized access"}')

    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize("status, given_up", [(401, True), (400, True), (503, False), (429, False)])
def test_a_refused_write_is_given_up_and_a_busy_server_retried(status, given_up):
    handler = type("Handler", (_Refusing,), {"status": status, "writes": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    exporter = InfluxExporter(f"http://127.0.0.1:{server.server_address[1]}", "heatwatch", batch_size=3,
                              flush_s=0.1, backoff_s=(0.05, 0.05)).start()
    try:
        for seq in range(3):
            exporter.submit(interval(seq, recent(10 - seq)))
        deadline = time.monotonic() + 10
        while handler.writes < 3 and time.monotonic() < deadline and not exporter.counts().rejected:
            time.sleep(0.02)
        time.sleep(0.2)
        counts = exporter.counts()
        if given_up:
            assert (counts.rejected, counts.failed, counts.queued, handler.writes) == (3, 0, 0, 1)
        else:
            assert counts.rejected == 0 and counts.failed >= 3 and counts.retried >= 2 and counts.queued == 3
    finally:
        assert exporter.close(timeout=0.5) is given_up
        server.shutdown()
        server.server_close()


def test_submit_never_waits_and_says_when_it_drops():
    exporter = InfluxExporter("http://127.0.0.1:9", "heatwatch", queue_size=3)  # never started
    assert not exporter.submit(interval(0, recent(1)))
    assert exporter.counts().dropped == 1
