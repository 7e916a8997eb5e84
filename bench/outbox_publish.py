"""Outbox put rate (FULL vs NORMAL sync) and drain rate to a local Mosquitto.

    .venv/bin/python bench/outbox_publish.py [N]

Figures depend on the disk's fsync latency: run it on the Pi's SD card before
trusting a number for the field.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from heatwatch.edge.outbox import Outbox
from heatwatch.edge.publisher import Publisher, PublisherConfig
from heatwatch.demo.services import Mosquitto
from heatwatch.mqtt import BrokerLink


def body(i: int) -> dict:
    return dict(device="hp-1", ts_start=i * 60.0, ts_end=i * 60.0 + 60.0, n=12,
                channels={f"c{k}": {"mean": 1.0 * i, "min": 0.0, "max": 2.0 * i, "n": 12} for k in range(21)})


def main(n: int = 3000) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="hw-bench-"))
    for sync in ("FULL", "NORMAL"):
        ob = Outbox(tmp / f"{sync}.db", synchronous=sync, max_telemetry_rows=10 * n)
        t = time.perf_counter()
        for i in range(n):
            ob.put_telemetry(body(i))
        dt = time.perf_counter() - t
        print(f"outbox put, synchronous={sync}: {n / dt:,.0f}/s ({dt / n * 1e3:.2f} ms each)")
        ob.close()
    broker = Mosquitto().start()
    try:
        for inflight in (20, 100):
            ob = Outbox(tmp / f"drain{inflight}.db", max_telemetry_rows=10 * n)
            for i in range(n):
                ob.put_telemetry(body(i))
            pub = Publisher(PublisherConfig(device="hp-1", broker=BrokerLink.from_url(broker.url), inflight=inflight), ob)
            t = time.perf_counter()
            pub.start()
            while ob.stats()["pending_telemetry"]:
                time.sleep(0.01)
            dt = time.perf_counter() - t
            print(f"drain to Mosquitto (QoS 1, ack on PUBACK, inflight={inflight}): {n / dt:,.0f} msg/s")
            pub.stop()
    finally:
        broker.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
