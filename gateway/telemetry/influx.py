"""The full telemetry history to InfluxDB (v2 write API), for Grafana and analytics, never blocking ingest.

Ingest hands each accepted interval to ``submit()``, which only puts it on a
bounded in-memory queue: a slow or unreachable InfluxDB never slows ingest.
A background thread takes up to ``batch_size`` intervals at a time (waiting
at most ``flush_s`` for a batch to fill) and writes them with influxdb-client's
synchronous write API. A failed write is retried with growing pauses (0.5 s
doubling up to 30 s) for as long as it takes, holding the batch: nothing the
queue took is lost while the process runs. Meanwhile the queue fills; once it
is full, new intervals are dropped, counted and logged. The embedded store
keeps the recent weeks whatever InfluxDB does. A write the server refuses as
malformed or unauthorized (4xx other than 408 and 429) would fail again: its
points are given up, counted as ``rejected`` and logged.

One point per interval: measurement ``telemetry``, tag ``device``, time = the
interval's start (ms), fields ``<channel>_mean``, ``_min``, ``_max`` (float)
and ``_n`` (integer) per channel with readings, ``readings`` (integer) and
``health`` (float, when the detector scored). VictoriaMetrics, which speaks
the same write API, names its series ``telemetry_<field>`` with label device.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from heatwatch.backoff import Backoff
from heatwatch.contract import Telemetry
from heatwatch.gateway.settings import TelemetrySettings
from heatwatch.gateway.telemetry.stats import KNOWN_CHANNELS, readings_of

log = logging.getLogger(__name__)
MEASUREMENT = "telemetry"
STATS = ("mean", "min", "max", "n")
MIN_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
_LOG_EVERY = 1000  # a drop is logged the first time and then every this many


def field_names(channels: Iterable[str] = KNOWN_CHANNELS) -> frozenset[str]:
    """Every field a point may carry (the Grafana dashboard refers to these)."""
    return frozenset({f"{c}_{s}" for c in channels for s in STATS} | {"readings", "health"})


def to_point(message: Telemetry) -> Point:
    readings = readings_of(message)
    point = Point(MEASUREMENT).tag("device", message.device).time(round(message.ts_start * 1000),
                                                                    WritePrecision.MS)
    point.field("readings", int(message.n))
    if readings.health is not None:
        point.field("health", float(readings.health))
    for name, s in readings.channels.items():
        point.field(f"{name}_mean", s.mean).field(f"{name}_min", s.min).field(f"{name}_max", s.max)
        point.field(f"{name}_n", int(s.n))
    return point


@dataclass
class ExportCounts:
    submitted: int = 0  # intervals taken onto the queue
    written: int = 0  # points InfluxDB acknowledged
    dropped: int = 0  # intervals refused because the queue was full (or the exporter closed)
    failed: int = 0  # write attempts that failed (each retried)
    retried: int = 0  # write attempts that were retries
    rejected: int = 0  # points the server refused as malformed or unauthorized (given up)
    queued: int = 0  # waiting now, in the queue and in the batch being written (a gauge: while the writer
    #                  gathers a batch, the intervals it took are counted once it has them all)


class InfluxExporter:
    def __init__(self, url: str, bucket: str, org: str = "", token: str = "", *, queue_size: int = 10_000,
                 batch_size: int = 1000, flush_s: float = 1.0, timeout_s: float = 10.0,
                 backoff_s: tuple[float, float] = (MIN_BACKOFF_S, MAX_BACKOFF_S)) -> None:
        if queue_size < 1 or batch_size < 1 or flush_s <= 0 or timeout_s <= 0 or not 0 < backoff_s[0] <= backoff_s[1]:
            raise ValueError("queue_size and batch_size >= 1, flush_s and timeout_s > 0, 0 < backoff min <= max")
        self.bucket = bucket
        self.org = org
        self.batch_size = batch_size
        self.flush_s = flush_s
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self._client = InfluxDBClient(url=url, token=token, org=org, timeout=int(timeout_s * 1000))
        self._write = self._client.write_api(write_options=SYNCHRONOUS)
        self._queue: queue.Queue[Telemetry] = queue.Queue(maxsize=queue_size)
        self._lock = threading.Lock()
        self._counts = ExportCounts()
        self._in_hand = 0
        self._closing = threading.Event()
        self._abandoned = threading.Event()  # close() stopped waiting: the writer ends
        self._thread = threading.Thread(target=self._run, name="influx-export", daemon=True)
        self._started = False

    @classmethod
    def from_settings(cls, t: TelemetrySettings) -> InfluxExporter:
        return cls(t.influx_url, t.influx_bucket, t.influx_org, t.influx_token, queue_size=t.influx_queue_size,
                   batch_size=t.influx_batch_size, flush_s=t.influx_flush_s, timeout_s=t.influx_timeout_s)

    def start(self) -> InfluxExporter:
        self._started = True
        self._thread.start()
        return self

    def submit(self, message: Telemetry) -> bool:
        """Queue one interval for InfluxDB; never waits. False: dropped (queue full, or closed)."""
        if self._closing.is_set() or not self._started:
            return self._drop("the exporter is not running")
        try:
            self._queue.put_nowait(message)
        except queue.Full:
            return self._drop(f"queue full ({self._queue.maxsize} intervals waiting: InfluxDB slow or down)")
        self._add("submitted")
        return True

    def counts(self) -> ExportCounts:
        with self._lock:
            counts = ExportCounts(**asdict(self._counts))
            counts.queued = self._queue.qsize() + self._in_hand
            return counts

    def close(self, timeout: float = 10.0) -> bool:
        """Write what is queued, for up to ``timeout`` seconds, then stop; True when everything went out."""
        self._closing.set()
        if self._started:
            self._thread.join(timeout)
            self._abandoned.set()
            self._thread.join(self.timeout_s + 1.0)  # at most the write in flight
        left = self.counts().queued
        if left:
            log.warning("influx export closed with %d intervals not written (InfluxDB unreachable)", left)
        self._client.close()
        return left == 0

    # ---- the writer thread ------------------------------------------------------------------
    def _run(self) -> None:
        while not self._abandoned.is_set():
            batch = self._take()
            if not batch:
                if self._closing.is_set():
                    return
                continue
            try:
                if not self._write_until_done(batch):
                    return  # abandoned by close(): the batch stays counted as queued
            except Exception:  # a bug, not the server: the thread must outlive it
                self._add("rejected", len(batch))
                log.exception("influx export: %d intervals given up", len(batch))
            with self._lock:
                self._in_hand = 0

    def _take(self) -> list[Telemetry]:
        """Up to batch_size intervals: the first waited for, the rest gathered for up to flush_s."""
        try:
            first = self._queue.get(timeout=0.05 if self._closing.is_set() else self.flush_s)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.flush_s
        while len(batch) < self.batch_size and not self._closing.is_set():
            wait = deadline - time.monotonic()
            if wait <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=wait))
            except queue.Empty:
                break
        while len(batch) < self.batch_size:  # whatever else is there already
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        with self._lock:
            self._in_hand = len(batch)
        return batch

    def _write_until_done(self, batch: list[Telemetry]) -> bool:
        """False: close() gave up waiting before the batch could be written."""
        points = [to_point(m) for m in batch]
        backoff = Backoff(initial=self.backoff_s[0], maximum=self.backoff_s[1])
        attempt = 0
        while True:
            if attempt:
                self._add("retried")
            attempt += 1
            try:
                self._write.write(bucket=self.bucket, org=self.org, record=points, write_precision=WritePrecision.MS)
            except ApiException as exc:
                if exc.status is not None and 400 <= exc.status < 500 and exc.status not in (408, 429):
                    self._add("rejected", len(points))
                    log.error("InfluxDB refused %d points (HTTP %s %s): given up", len(points), exc.status,
                              (exc.body or b"")[:200] if isinstance(exc.body, bytes) else exc.body)
                    return True
                failure: Exception = exc
            except Exception as exc:  # connection refused, timeout, DNS: the server may come back
                failure = exc
            else:
                self._add("written", len(points))
                return True
            delay = backoff.next_delay()
            self._failed(failure, attempt, delay)
            if self._closing.is_set():  # close() is waiting: keep trying, faster, until it gives up
                if self._abandoned.wait(min(delay, 1.0)):
                    return False
            else:
                self._closing.wait(delay)

    def _failed(self, exc: Exception, attempt: int, backoff: float) -> None:
        self._add("failed")
        if attempt == 1 or attempt % 10 == 0:
            log.warning("InfluxDB write failed (attempt %d, %s: %s); retrying in %.1f s", attempt,
                        type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "", backoff)

    def _drop(self, why: str) -> bool:
        self._add("dropped")
        n = self.counts().dropped
        if n == 1 or n % _LOG_EVERY == 0:
            log.warning("telemetry for InfluxDB dropped (%d so far): %s", n, why)
        return False

    def _add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self._counts, name, getattr(self._counts, name) + n)
