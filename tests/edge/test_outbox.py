"""The durable outbox: order, acks, the disk bound, kill -9, corrupt files. Real SQLite files."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from heatwatch.edge.outbox import Outbox, OutboxError, merge_telemetry
from heatwatch.contract import Event, Telemetry


def telemetry(i: int, device: str = "hp-1", n: int = 12, mean: float | None = None) -> dict:
    m = float(i) if mean is None else mean
    return dict(device=device, ts_start=i * 60.0, ts_end=i * 60.0 + 60.0, n=n, health=i / 1000.0,
                channels={"t_flow": {"mean": m, "min": m - 1.0, "max": m + 1.0, "n": n},
                          "p_high": {"mean": 2.0 * m, "min": 2.0 * m, "max": 2.0 * m, "n": max(0, n - 2)}})


def event(ts: float, device: str = "hp-1") -> dict:
    return dict(device=device, ts=ts, kind="fault", fault="refrigerant_leak", severity="critical")


def test_events_first_each_stream_in_seq_order_and_ack_deletes(tmp_path):
    ob = Outbox(tmp_path / "o.db")
    assert [ob.put_telemetry(telemetry(i)) for i in range(5)] == [0, 1, 2, 3, 4]
    assert ob.put_event(event(1.0)) == 0
    assert ob.put_telemetry(telemetry(5, device="hp-2")) == 0  # per device, per stream
    assert ob.put_event(Event(device="hp-1", seq=99, event_id="x" * 12, ts=2.0, kind="trip")) == 1

    batch = ob.next_batch(4)
    assert [(b.stream, b.device, b.seq) for b in batch] == [
        ("event", "hp-1", 0), ("event", "hp-1", 1), ("telemetry", "hp-1", 0), ("telemetry", "hp-1", 1)]
    assert json.loads(batch[1].payload)["seq"] == 1 and json.loads(batch[1].payload)["event_id"] == "x" * 12
    assert batch[0].topic == "heatwatch/v1/hp-1/event"
    # handed-out items are not handed out again until acked or released
    assert [(b.stream, b.seq) for b in ob.next_batch(2)] == [("telemetry", 2), ("telemetry", 3)]
    assert ob.ack(batch) == 4 and ob.ack(batch) == 0
    s = ob.stats()
    assert (s["acked"], s["pending_events"], s["pending_telemetry"]) == (4, 0, 4)
    ob.release()
    assert [b.seq for b in ob.next_batch(10)] == [2, 3, 4, 0]
    ob.close()
    # numbering survives a restart: no seq is ever reused
    ob = Outbox(tmp_path / "o.db")
    assert ob.put_telemetry(telemetry(6)) == 5 and ob.put_event(event(3.0)) == 2
    assert ob.stats()["pending_telemetry"] == 5


def test_bad_input_is_refused_clearly_and_counted(tmp_path):
    ob = Outbox(tmp_path / "o.db")
    with pytest.raises(OutboxError, match="field 'device'"):
        ob.put_event(event(1.0, device="no spaces allowed"))
    with pytest.raises(OutboxError, match="field 'kind'"):
        ob.put_event(dict(event(1.0), kind="gossip"))
    with pytest.raises(OutboxError, match="mapping"):
        ob.put_telemetry(42)  # type: ignore[arg-type]
    assert ob.stats()["rejected"] == 3
    assert ob.stats()["pending_events"] == 0
    # nothing was numbered: the next good put still gets seq 0
    assert ob.put_event(event(1.0)) == 0


def test_disk_bound_downsamples_old_telemetry_and_never_drops_an_event(tmp_path):
    ob = Outbox(tmp_path / "o.db", max_telemetry_rows=40)
    ob.put_telemetry(telemetry(0))
    early = ob.next_batch(1)  # handed to the publisher: must never be rewritten
    rows, events = 1, []
    for i in range(1, 400):
        ob.put_telemetry(telemetry(i, n=(i % 5) + 1))
        rows += 1
        if i % 37 == 0:
            events.append(ob.put_event(event(float(i))))
    s = ob.stats()
    assert s["pending_telemetry"] <= 40 and s["downsampled_rows"] == rows - s["pending_telemetry"]
    assert [e.seq for e in ob.pending("event")] == events == list(range(10))

    pend = [Telemetry.model_validate_json(it.payload) for it in ob.pending("telemetry")]
    assert pend[0].seq == 0 and not pend[0].downsampled and pend[0] == Telemetry.model_validate_json(early[0].payload)
    assert any(t.downsampled for t in pend)
    # intervals stay adjacent, in seq order, and cover the whole span exactly once
    assert [t.seq for t in pend] == sorted(t.seq for t in pend)
    assert all(a.ts_end == b.ts_start for a, b in zip(pend, pend[1:]))
    assert (pend[0].ts_start, pend[-1].ts_end) == (0.0, 400 * 60.0)
    # nothing silently lost: n summed, weighted means, extremes and the worst health preserved
    originals = [telemetry(0)] + [telemetry(i, n=(i % 5) + 1) for i in range(1, 400)]
    for ch in ("t_flow", "p_high"):
        n_orig = sum(o["channels"][ch]["n"] for o in originals)
        mean_orig = sum(o["channels"][ch]["mean"] * o["channels"][ch]["n"] for o in originals) / n_orig
        n_kept = sum(t.channels[ch].n for t in pend)
        mean_kept = sum(t.channels[ch].mean * t.channels[ch].n for t in pend if t.channels[ch].n) / n_kept
        assert n_kept == n_orig and mean_kept == pytest.approx(mean_orig, rel=1e-12)
        assert min(t.channels[ch].min for t in pend if t.channels[ch].n) == min(
            o["channels"][ch]["min"] for o in originals if o["channels"][ch]["n"])
    assert sum(t.n for t in pend) == sum(o["n"] for o in originals)
    assert max(t.health for t in pend) == pytest.approx(0.399)
    # the older, the coarser, but evenly: no merged row swallowed the backlog
    spans = [t.ts_end - t.ts_start for t in pend[1:]]
    assert spans == sorted(spans, reverse=True) and max(spans) <= 400 * 60.0 / 16


def test_byte_bound_also_downsamples(tmp_path):
    ob = Outbox(tmp_path / "o.db", max_telemetry_bytes=20_000)
    for i in range(500):
        ob.put_telemetry(telemetry(i))
    s = ob.stats()
    assert 0 < s["pending_telemetry_bytes"] <= 20_000 and s["downsampled_rows"] > 0
    actual = sum(len(it.payload) for it in ob.pending("telemetry"))
    assert actual == s["pending_telemetry_bytes"]


def test_merge_keeps_first_seq_and_weights_by_n():
    a = Telemetry.model_validate(dict(telemetry(3, n=1, mean=10.0), seq=3))
    b = Telemetry.model_validate(dict(telemetry(4, n=3, mean=20.0), seq=4))
    b.channels["t_flow"].min = 2.0
    m = merge_telemetry(a, b)
    assert (m.seq, m.n, m.downsampled, m.ts_start, m.ts_end) == (3, 4, True, 180.0, 300.0)
    assert m.channels["t_flow"].mean == pytest.approx(17.5) and m.channels["t_flow"].min == 2.0
    assert m.channels["t_flow"].max == 21.0 and m.channels["p_high"].n == 1  # 0 + 1


WRITER = textwrap.dedent("""
    import sys
    from heatwatch.edge.outbox import Outbox
    ob = Outbox(sys.argv[1])
    i = 0
    while True:
        seq = ob.put_telemetry(dict(device="hp-1", ts_start=i * 60.0, ts_end=i * 60.0 + 60.0, n=1,
                                    channels={"t_flow": {"mean": 1.0, "min": 1.0, "max": 1.0, "n": 1}}))
        print("telemetry", seq, flush=True)
        if i % 7 == 0:
            print("event", ob.put_event(dict(device="hp-1", ts=float(i), kind="trip")), flush=True)
        i += 1
""")


def test_kill_9_mid_write_loses_no_returned_put(tmp_path):
    path = tmp_path / "o.db"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    logged: list[tuple[str, int]] = []
    assert proc.stdout is not None
    while len(logged) < 400:
        line = proc.stdout.readline()
        assert line, "writer died early"
        stream, seq = line.split()
        logged.append((stream, int(seq)))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for line in proc.stdout:  # lines printed before the kill landed also count
        if line.endswith("\n"):
            stream, seq = line.split()
            logged.append((stream, int(seq)))

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    ob = Outbox(path)
    stored = {(it.stream, it.seq) for it in ob.pending()}
    assert set(logged) <= stored
    assert ob.stats()["corrupt_files_moved"] == 0
    # numbering continues after the highest stored seq
    assert ob.put_telemetry(telemetry(10**6)) == max(s for k, s in stored if k == "telemetry") + 1


def test_corrupt_file_is_moved_aside_and_numbering_moves_past_old_seqs(tmp_path, caplog):
    path = tmp_path / "o.db"
    path.write_bytes(b"this is not a database" * 300)
    ob = Outbox(path)
    assert ob.stats()["corrupt_files_moved"] == 1
    assert "corrupt" in caplog.text and "moved aside" in caplog.text
    aside = list(tmp_path.glob("o.db.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not")
    seq = ob.put_event(event(1.0))
    assert seq >= int((time.time() - 60) * 1000)  # past anything the lost file could have sent
    ob.close()
    assert Outbox(path).put_event(event(2.0)) == seq + 1
