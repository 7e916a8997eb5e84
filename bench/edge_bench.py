"""Edge cost and detection quality of heatwatch next to River's HalfSpaceTrees, same data, same run.

    .venv/bin/python bench/edge_bench.py [--data DIR] [--synthetic] [--scenario NAME] [--days D]
                                         [--speed X] [--agent-readings N] [--no-agent]

Three parts, each detector measured in its own subprocess so peak RSS is its own:

1. Generic detector (``heatwatch.edge.generic_detector.HealthyBehaviourDetector``) vs HST on SKAB
   valve1 when present (train on the first 400 rows of each run, score the
   rest, pooled), else synthetic runs made here (8 features, a correlated pair,
   a step, a drift or a correlation break in each run).
2. The heat-pump detector the agent really runs (``heatwatch.edge.heatpump.detector.
   HeatPumpDetector``) and the whole per-pump pipeline (``heatwatch.edge.pipeline.
   PumpPipeline``: detector + rules + prognosis) vs HST, on a simulator scenario
   (default ``fault_refrigerant_leak``: 4 pumps, 90 days, one reading a minute,
   hp-000 healthy, hp-001..003 leaking from day 14/21/28). Every pump gets its
   own detector / pipeline / HST, all with the default 7-day commissioning.
   Scored: every reading after those 7 days, all pumps pooled; label = the
   simulator's ``fault_active`` (true from the fault's onset to the end, also
   after a trip: early in a slow fault nothing is visible yet, which costs
   every detector recall alike).
3. A running agent: ``heatwatch sim run SCENARIO --mqtt URL --speed X`` and
   ``heatwatch edge run --config edge.toml`` (MQTT source, default detector
   settings) as subprocesses against a private Mosquitto; the agent's VmHWM
   is read from /proc/<pid>/status after a few thousand readings and again at
   the end (by default past the 7-day commissioning, so the fitted model runs).

What each figure means:

* ``µs/sample``: wall time of one streaming step per reading, averaged over
  every reading streamed (``update``/``process`` for heatwatch, including
  commissioning and the model fit; ``score_one`` + ``learn_one`` for HST). In
  part 2 every pump's whole run streams through ``PumpPipeline.process`` as
  in the agent; the detector's figure is the time spent inside its
  ``update`` there. HST's training rows are not timed.
* ``batch/s``: readings per second through the batch entry point (part 2:
  ``HeatPumpDetector.score`` and ``PumpPipeline.process_batch`` over the first
  faulty pump's run, in chunks of four simulated days). HST has no batch
  path: its figure is 1e6 / its µs/sample.
* ``RSS MB``: peak resident memory (VmHWM) of the subprocess that streamed,
  interpreter and imports included (River's imports weigh more than its
  trees). Part 2 reads readings from a file chunk by chunk so the data set
  is not counted; the detector's row is a process running ``update`` alone
  over the first faulty pump's first 21 days (commissioning, fit, two weeks
  of judging: memory is flat after the fit), the pipeline's row the process
  that streamed every pump.
* ``F1``, ``FAR %``, ``MAR %``: pointwise F1 against the labels, false alarm
  rate (alarms among normal readings) and missed alarm rate (normal among
  anomalous readings). heatwatch detector: alarm = ready and score >= 1 (its
  own calibrated alarm level; scores from the streamed run, checked equal to
  ``score``). heatwatch pipeline: alarm = any diagnosis (fault or sensor
  fault, whatever its name) raised and not yet cleared, from ``process`` as
  the agent runs it (``process_batch`` is compared on the first faulty pump
  and any difference printed). HST: alarm = score above the 99th percentile
  of its own scores on the last training rows (part 1: the last 150 of 400;
  part 2: the last day of the 7-day commissioning), a threshold it has no
  better way to choose. A last line gives both scores' best F1 with the
  threshold chosen in hindsight on the labels: an upper bound, not a result.
* Live agent ``VmHWM``: the agent process's peak resident memory (kernel high
  water mark) at that point; ``VmRSS``: resident now. ``readings`` is counted
  from the agent's own telemetry (``n`` per interval) on the broker; the rate
  it kept is printed next to the rate the simulator offered (one pump's
  readings per second = speed / step), so a backlog would show.

HST: ``MinMaxScaler | HalfSpaceTrees(seed=42)`` (River's documented pipeline)
on the raw reading vector the agent gets (NaN carried forward from the last
value); it learns the training rows, then scores and keeps learning, as River
intends.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from heatwatch.contract import EventBody


DEFAULT_DATA = Path("skab")  # a local copy of SKAB (not shipped: GPL-3.0); absent -> synthetic runs
TRAIN = 400
DEFAULT_SCENARIO = "fault_refrigerant_leak"
CHUNK = 1440 * 4  # rows per batch call in part 2 (four simulated days), as bench/lead_time.py
HST_THRESHOLD_ROWS = 1440  # part 2: HST's threshold from its scores on the last day of commissioning


# --------------------------------------------------------------------------- part 1: generic detector
def skab_runs(data: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    from heatwatch.edge.detect_command import read_series

    runs = []
    for f in sorted((data / "valve1").glob("*.csv")):
        s = read_series(f, {"anomaly", "changepoint"})
        label = read_series(f, set(s.columns) | {"changepoint"}).X[:, 0]
        runs.append((s.X, label.astype(bool)))
    return runs


def synthetic_runs(n_runs: int = 16, n: int = 1150, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    runs = []
    for r in range(n_runs):
        X = rng.normal(size=(n, 8))
        X[:, 1] = 0.9 * X[:, 0] + 0.45 * X[:, 1]
        label = np.zeros(n, dtype=bool)
        a = int(rng.integers(600, 800))
        b = a + int(rng.integers(150, 300))
        kind = r % 3
        if kind == 0:
            X[a:b, r % 8] += 3.0
        elif kind == 1:
            X[a:b, r % 8] += 0.02 * np.arange(b - a)
        else:
            X[a:b, 1] = -X[a:b, 1]
        label[a:b] = True
        runs.append((X, label))
    return runs


def f1_far_mar(pred: np.ndarray, label: np.ndarray) -> dict[str, float]:
    tp = int(np.sum(pred & label))
    fp = int(np.sum(pred & ~label))
    fn = int(np.sum(~pred & label))
    tn = int(np.sum(~pred & ~label))
    return {"f1": tp / (tp + (fp + fn) / 2) if tp + fp + fn else 0.0,
            "far": 100.0 * fp / (fp + tn) if fp + tn else 0.0,
            "mar": 100.0 * fn / (fn + tp) if fn + tp else 0.0}


def run_heatwatch(runs: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    from heatwatch.edge.generic_detector import HealthyBehaviourDetector

    preds, labels, t_stream, t_batch, n_scored = [], [], 0.0, 0.0, 0
    for X, label in runs:
        ts = np.arange(len(X), dtype=np.float64)  # row numbers (the scores do not depend on the times)
        stream, batch = HealthyBehaviourDetector(), HealthyBehaviourDetector()
        stream.fit(ts[:TRAIN], X[:TRAIN])
        batch.fit(ts[:TRAIN], X[:TRAIN])
        t0 = time.perf_counter()
        for t, x in zip(ts[TRAIN:], X[TRAIN:]):
            stream.update(t, x)
        t_stream += time.perf_counter() - t0
        t0 = time.perf_counter()
        res = batch.score(ts[TRAIN:], X[TRAIN:])
        t_batch += time.perf_counter() - t0
        n_scored += len(X) - TRAIN
        preds.append(res.anomaly)
        labels.append(label[TRAIN:])
    out = f1_far_mar(np.concatenate(preds), np.concatenate(labels))
    out.update(us_per_sample=1e6 * t_stream / n_scored, batch_per_s=n_scored / t_batch)
    return out


def run_hst(runs: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    from river import anomaly, preprocessing

    preds, labels, t_stream, n_scored = [], [], 0.0, 0
    for X, label in runs:
        model = preprocessing.MinMaxScaler() | anomaly.HalfSpaceTrees(seed=42)
        rows = [dict(enumerate(map(float, x))) for x in X]
        train_scores = []
        for i, x in enumerate(rows[:TRAIN]):
            if i >= TRAIN - 150:
                train_scores.append(model.score_one(x))
            model.learn_one(x)
        threshold = float(np.quantile(train_scores, 0.99))
        scores = np.empty(len(rows) - TRAIN)
        t0 = time.perf_counter()
        for i, x in enumerate(rows[TRAIN:]):
            scores[i] = model.score_one(x)
            model.learn_one(x)
        t_stream += time.perf_counter() - t0
        n_scored += len(scores)
        preds.append(scores > threshold)
        labels.append(label[TRAIN:])
    out = f1_far_mar(np.concatenate(preds), np.concatenate(labels))
    us = 1e6 * t_stream / n_scored
    out.update(us_per_sample=us, batch_per_s=1e6 / us)
    return out


def measure_generic(which: str, data: Path, synthetic: bool) -> dict[str, float]:
    runs = synthetic_runs() if synthetic or not (data / "valve1").is_dir() else skab_runs(data)
    out = (run_heatwatch if which == "heatwatch" else run_hst)(runs)
    out["peak_rss_mb"] = peak_rss_mb()
    out["samples"] = float(sum(len(X) - TRAIN for X, _ in runs))
    return out


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM, which starts afresh at exec. (ru_maxrss does not on Linux: a
    child started from a big parent inherits the parent's high-water mark from the fork.)"""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# --------------------------------------------------------------------------- part 2: heat pump, simulator
# The parent simulates the scenario once into WORK: meta.json, ts.npy (n,), label.npy (D, n) and one raw
# float64 file per pump (n x channels). Subprocesses read readings chunk by chunk with plain file reads
# (no mmap), so the data set never counts in their RSS.

def simulate(scenario: str, work: Path, days: float | None = None) -> dict:
    from heatwatch.sim.fleet import Fleet
    from heatwatch.sim.scenario import load_scenario

    scen = load_scenario(scenario)
    fleet = Fleet(scen)
    sites = scen.site_of()
    limit = fleet.n_steps if days is None else min(fleet.n_steps, int(days * 86400 / fleet.step_seconds))
    files = [open(work / f"values_{j}.f64", "wb") for j in range(len(fleet.devices))]
    ts, labels, done = [], [], 0
    try:
        for chunk in fleet.chunks(steps=CHUNK):
            keep = min(len(chunk.ts), limit - done)
            ts.append(chunk.ts[:keep])
            labels.append(chunk.fault_active[:keep])
            for j, f in enumerate(files):
                np.ascontiguousarray(chunk.values[:keep, j, :], dtype=np.float64).tofile(f)
            done += keep
            if done >= limit:
                break
    finally:
        for f in files:
            f.close()
    ts_all = np.concatenate(ts)
    np.save(work / "ts.npy", ts_all)
    np.save(work / "label.npy", np.concatenate(labels).T.copy())
    faulty = [d for d, name in zip(fleet.devices, fleet.fault_names) if name]
    meta = {"scenario": scenario, "devices": fleet.devices, "faults": fleet.fault_names,
            "n": int(len(ts_all)), "channels": int(chunk.values.shape[2]), "step_s": fleet.step_seconds,
            "start_ts": float(ts_all[0]), "stream_device": faulty[0] if faulty else fleet.devices[0],
            # each pump's agent is configured with its refrigerant (its site's), as edge.toml does
            "refrigerants": {d: sites[d].refrigerant for d in fleet.devices}}
    (work / "meta.json").write_text(json.dumps(meta))
    return meta


def config_of(meta: dict, dev: str):
    """The detector's configuration for pump ``dev``: its refrigerant (an R290 pump judged as R32 looks broken)."""
    from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig

    return HeatPumpDetectorConfig(refrigerant=meta["refrigerants"][dev])


def device_chunks(work: Path, meta: dict, j: int, rows: int = CHUNK):
    """(first row, X) for pump j, read from its raw file chunk by chunk."""
    n, c = meta["n"], meta["channels"]
    with open(work / f"values_{j}.f64", "rb") as f:
        for i0 in range(0, n, rows):
            X = np.fromfile(f, dtype=np.float64, count=min(rows, n - i0) * c).reshape(-1, c)
            yield i0, X


def _apply_events(active: set[str], events: list[EventBody]) -> None:
    from heatwatch.contract import EventKind

    for ev in events:
        if ev.kind.raises:
            active.add(ev.fault)
        elif ev.kind is EventKind.FAULT_CLEARED:
            active.discard(ev.fault)


def hp_stream_detector(work: Path, days: float = 21.0) -> dict:
    """Stream the chosen pump's first ``days`` (commissioning, fit, two weeks judging) through
    HeatPumpDetector.update alone: the detector's own peak RSS, and update() == score() on them."""
    from heatwatch.edge.heatpump.detector import HeatPumpDetector

    meta = json.loads((work / "meta.json").read_text())
    dev = meta["stream_device"]
    j = meta["devices"].index(dev)
    ts = np.load(work / "ts.npy")
    n = min(len(ts), int(np.searchsorted(ts, ts[0] + days * 86400.0)))
    score, ready = np.zeros(n), np.zeros(n, dtype=bool)
    det = HeatPumpDetector(config_of(meta, dev))
    for i0, X in device_chunks(work, meta, j):
        for k in range(min(len(X), n - i0)):
            r = det.update(float(ts[i0 + k]), X[k])
            score[i0 + k] = r.score
            ready[i0 + k] = r.ready
        if i0 + len(X) >= n:
            break
    np.savez(work / "stream_detector.npz", score=score, ready=ready)
    return {"samples": n, "days": days, "device": dev, "peak_rss_mb": peak_rss_mb()}


def hp_stream_pipeline(work: Path) -> dict:
    """Stream every pump's whole run through PumpPipeline.process, as the agent does. Gives the
    pipeline's µs and F1, and (timing the detector.update call inside) the detector's µs and scores."""
    from heatwatch.edge.pipeline import PumpPipeline

    meta = json.loads((work / "meta.json").read_text())
    ts = np.load(work / "ts.npy")
    D, n = len(meta["devices"]), len(ts)
    diag, score, ready = np.zeros((D, n), dtype=bool), np.zeros((D, n)), np.zeros((D, n), dtype=bool)
    raised: dict[str, list] = {}
    spent, done = 0.0, 0
    in_detector = [0.0]
    clock = time.perf_counter
    for j, dev in enumerate(meta["devices"]):
        pipe = PumpPipeline.with_config(dev, config_of(meta, dev))
        update = pipe.detector.update

        def timed_update(t, x, update=update):  # noqa: ANN001
            t0 = clock()
            r = update(t, x)
            in_detector[0] += clock() - t0
            return r

        pipe.detector.update = timed_update  # type: ignore[method-assign]
        active: set[str] = set()
        row, srow, rrow = diag[j], score[j], ready[j]
        for i0, X in device_chunks(work, meta, j):
            t0 = clock()
            for k in range(len(X)):
                r, events = pipe.process(float(ts[i0 + k]), X[k])
                if events:
                    _apply_events(active, events)
                    for ev in events:
                        if ev.kind.raises:
                            raised.setdefault(dev, []).append([ev.fault, ev.ts])
                row[i0 + k] = bool(active)
                if r is not None:
                    srow[i0 + k] = r.score
                    rrow[i0 + k] = r.ready
            spent += clock() - t0
            done += len(X)
        del pipe
    np.savez(work / "stream_pipeline.npz", diag=diag, score=score, ready=ready)
    return {"us_per_sample": 1e6 * spent / done, "det_us_per_sample": 1e6 * in_detector[0] / done,
            "samples": done, "peak_rss_mb": peak_rss_mb(), "raised": raised}


def hp_batch(work: Path) -> dict:
    """HeatPumpDetector.score and PumpPipeline.process_batch over the streamed pump, in chunks of four
    simulated days as bench/lead_time.py."""
    from heatwatch.edge.heatpump.detector import HeatPumpDetector
    from heatwatch.edge.pipeline import PumpPipeline

    meta = json.loads((work / "meta.json").read_text())
    ts = np.load(work / "ts.npy")
    n = len(ts)
    dev = meta["stream_device"]
    j = meta["devices"].index(dev)
    det = HeatPumpDetector(config_of(meta, dev))
    pipe = PumpPipeline.with_config(dev, config_of(meta, dev))
    score, ready, diag = np.zeros(n), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    active: set[str] = set()
    t_det = t_pipe = 0.0
    for i0, X in device_chunks(work, meta, j):
        tc = ts[i0:i0 + len(X)]
        t0 = time.perf_counter()
        res = det.score(tc, X)
        t_det += time.perf_counter() - t0
        score[i0:i0 + len(X)] = [r.score for r in res]
        ready[i0:i0 + len(X)] = [r.ready for r in res]
        t0 = time.perf_counter()
        res, events = pipe.process_batch(tc, X)
        t_pipe += time.perf_counter() - t0
        del res
        # an event takes effect at the reading it was made on (a diagnosis's ts is its reading's ts)
        k0 = 0
        for ev in events:
            k = int(np.searchsorted(tc, ev.ts))
            diag[i0 + k0:i0 + k] = bool(active)
            k0 = k
            _apply_events(active, [ev])
        diag[i0 + k0:i0 + len(X)] = bool(active)
    np.savez(work / "batch.npz", score=score, ready=ready, diag=diag)
    return {"det_batch_per_s": n / t_det, "pipe_batch_per_s": n / t_pipe, "samples": n}


def _ffill(X: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Carry the last finite value forward over NaN (per channel), continuing ``last`` (updated in place)."""
    X = X.copy()
    for i in range(len(X)):
        bad = np.isnan(X[i])
        if bad.any():
            X[i, bad] = last[bad]
        last[:] = X[i]
    return np.nan_to_num(X, nan=0.0)


def hp_hst(work: Path) -> dict:
    """Every pump through MinMaxScaler | HalfSpaceTrees: learn commissioning, then score + learn."""
    from river import anomaly, preprocessing

    from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig

    meta = json.loads((work / "meta.json").read_text())
    ts = np.load(work / "ts.npy")
    D, n = len(meta["devices"]), len(ts)
    train_end = int(np.searchsorted(ts, ts[0] + HeatPumpDetectorConfig().commissioning_seconds))
    scores = np.zeros((D, n))
    thresholds = np.zeros(D)
    spent, timed = 0.0, 0
    for j in range(D):
        model = preprocessing.MinMaxScaler() | anomaly.HalfSpaceTrees(seed=42)
        last = np.full(meta["channels"], np.nan)
        train_scores: list[float] = []
        for i0, X in device_chunks(work, meta, j, rows=1440):
            rows = [dict(enumerate(x)) for x in _ffill(X, last).tolist()]
            i = i0
            for x in rows:
                if i < train_end:
                    if i >= train_end - HST_THRESHOLD_ROWS:
                        train_scores.append(model.score_one(x))
                    model.learn_one(x)
                    i += 1
                    continue
                t0 = time.perf_counter()
                scores[j, i] = model.score_one(x)
                model.learn_one(x)
                spent += time.perf_counter() - t0
                timed += 1
                i += 1
            del rows
        thresholds[j] = float(np.quantile(train_scores, 0.99))
    np.savez(work / "hst.npz", score=scores, threshold=thresholds, train_end=train_end)
    us = 1e6 * spent / timed
    return {"us_per_sample": us, "batch_per_s": 1e6 / us, "samples": timed, "peak_rss_mb": peak_rss_mb()}


# --------------------------------------------------------------------------- part 3: a running agent
def _vm(pid: int) -> dict[str, float]:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmHWM:", "VmRSS:")):
                key, val, _unit = line.split()
                out[key[:-1]] = int(val) / 1024.0
    return out


REPO = Path(__file__).resolve().parent.parent


def _heatwatch_cmd() -> list[str]:
    script = Path(sys.executable).parent / "heatwatch"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "heatwatch.cli"]


def _env() -> dict[str, str]:
    """The commands import heatwatch from this bench's own tree."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    return env


def live_agent(scenario: str, device: str, speed: float, target: int, early: int, wall_limit: float) -> dict:
    """Run sim + agent against a private Mosquitto; VmHWM at ``early`` readings and at ``target``."""
    from heatwatch.contract import agent_topic
    from heatwatch.demo.services import Mosquitto, terminate
    from heatwatch.mqtt import KEEPALIVE, BrokerLink, make_client

    work = Path(tempfile.mkdtemp(prefix="hw-edge-bench-agent-"))
    broker = Mosquitto().start()
    procs: list[subprocess.Popen] = []
    logs = []
    seen = {"readings": 0, "telemetry": 0, "first_health_at": None, "online": False}
    lock = threading.Lock()

    def on_message(client, userdata, msg):  # noqa: ANN001
        body = json.loads(msg.payload)
        with lock:
            if msg.topic.endswith("/status"):
                seen["online"] = seen["online"] or bool(body.get("online"))
                return
            seen["telemetry"] += 1
            seen["readings"] += int(body.get("n", 0))
            if "t_first" not in seen:
                seen["t_first"], seen["n_first"] = time.monotonic(), seen["readings"]
            if seen["first_health_at"] is None and (body.get("health") or 0.0) > 0.0:
                seen["first_health_at"] = seen["readings"]

    link = BrokerLink.from_url(broker.url)
    watcher = make_client(link, client_id=f"edge-bench-{os.getpid()}")
    watcher.on_message = on_message
    watcher.on_connect = lambda c, *a: (c.subscribe(agent_topic(device, "telemetry"), qos=1),
                                        c.subscribe(agent_topic(device, "status"), qos=1))
    out: dict = {"device": device, "speed": speed}
    try:
        watcher.connect(link.host, link.port, keepalive=KEEPALIVE)
        watcher.loop_start()
        cfg = work / "edge.toml"
        cfg.write_text(
            f'[device]\nid = "{device}"\n\n[source]\nkind = "mqtt"\nurl = "{broker.url}"\n\n'
            f'[broker]\nurl = "{broker.url}"\n\n[outbox]\npath = "{work / "outbox.db"}"\n\n'
            f'[detector]\nstate_path = "{work / "detector.json"}"\n')
        agent_log = open(work / "agent.log", "w")
        logs.append(agent_log)
        agent = subprocess.Popen([*_heatwatch_cmd(), "edge", "run", "--config", str(cfg), "--log-level", "WARNING"],
                                 stdout=agent_log, stderr=subprocess.STDOUT, env=_env())
        procs.append(agent)
        deadline = time.monotonic() + 30
        while not seen["online"] and time.monotonic() < deadline and agent.poll() is None:
            time.sleep(0.1)
        if not seen["online"]:
            raise RuntimeError(f"agent did not come online (log {work / 'agent.log'})")
        time.sleep(1.5)  # the source subscribes after the publisher is up
        sim_log = open(work / "sim.log", "w")
        logs.append(sim_log)
        minutes = wall_limit / 60.0
        sim = subprocess.Popen([*_heatwatch_cmd(), "sim", "run", scenario, "--mqtt", broker.url,
                                "--speed", f"{speed:g}", "--minutes", f"{minutes:.2f}"],
                               stdout=sim_log, stderr=subprocess.STDOUT, env=_env())
        procs.append(sim)
        t0 = time.monotonic()
        last_n, last_change = -1, t0
        while time.monotonic() - t0 < wall_limit + 10:
            time.sleep(0.2)
            if agent.poll() is not None:
                raise RuntimeError(f"agent exited with {agent.returncode} (log {work / 'agent.log'})")
            with lock:
                n = seen["readings"]
            now = time.monotonic()
            if n != last_n:
                last_n, last_change = n, now
            if "early" not in out and n >= early:
                out["early"] = {"readings": n, **_vm(agent.pid)}
            if n >= target or (sim.poll() is not None and now - last_change > 3.0):
                break
        wall = time.monotonic() - t0
        out["end"] = {"readings": seen["readings"], **_vm(agent.pid)}
        with lock:
            if "t_first" in seen and time.monotonic() > seen["t_first"]:
                out["rate"] = (seen["readings"] - seen["n_first"]) / (time.monotonic() - seen["t_first"])
        out.update(wall_s=wall, telemetry=seen["telemetry"], model_ready_at=seen["first_health_at"],
                   agent_cmd="heatwatch edge run --config edge.toml",
                   sim_cmd=f"heatwatch sim run {scenario} --mqtt {broker.url} --speed {speed:g} --minutes {minutes:.2f}")
    finally:
        for p in reversed(procs):
            terminate(p, timeout=15)
        watcher.loop_stop()
        watcher.disconnect()
        broker.stop()
        shutil.rmtree(broker.workdir, ignore_errors=True)
        for f in logs:
            f.close()
        if "end" in out:
            shutil.rmtree(work, ignore_errors=True)
    return out


# --------------------------------------------------------------------------- main
def _sub(args: list[str]) -> dict:
    r = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _row(name: str, us: float, batch: float, rss: float, q: dict) -> str:
    return (f"{name:<44}{us:>10.1f}{batch:>11.0f}{rss:>8.1f}"
            f"{q['f1']:>7.3f}{q['far']:>8.2f}{q['mar']:>8.2f}")


HEADER = f"{'detector':<44}{'µs/sample':>10}{'batch/s':>11}{'RSS MB':>8}{'F1':>7}{'FAR %':>8}{'MAR %':>8}"


def part_generic(args) -> None:
    source = "synthetic" if args.synthetic or not (args.data / "valve1").is_dir() else f"SKAB valve1 ({args.data})"
    print(f"[1] generic detector; data: {source}; train {TRAIN} rows per run, scored pooled on the rest")
    print(HEADER)
    for which, name in (("heatwatch", "heatwatch HealthyBehaviourDetector"), ("hst", "River MinMaxScaler|HalfSpaceTrees")):
        r = _sub(["--only", which, "--data", str(args.data)] + (["--synthetic"] if args.synthetic else []))
        print(_row(name, r["us_per_sample"], r["batch_per_s"], r["peak_rss_mb"], r))


def best_f1(score: np.ndarray, label: np.ndarray) -> tuple[float, float]:
    """(F1, threshold) of the best rule ``score >= t`` chosen in hindsight on the labels themselves."""
    order = np.argsort(-score, kind="stable")
    s, lab = score[order], label[order]
    tp = np.cumsum(lab)
    k = np.arange(1, len(s) + 1)
    last = np.r_[s[1:] != s[:-1], True]  # cut only between distinct scores
    f1 = np.where(last, 2 * tp / (lab.sum() + k), 0.0)
    i = int(np.argmax(f1))
    return float(f1[i]), float(s[i])


def _first_on_day(on: np.ndarray, ts: np.ndarray) -> str:
    idx = np.flatnonzero(on)
    return f"day {(ts[idx[0]] - ts[0]) / 86400:.1f}" if len(idx) else "never"


def part_heatpump(args, work: Path) -> dict:
    from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig

    t0 = time.perf_counter()
    meta = simulate(args.scenario, work, args.days)
    t_sim = time.perf_counter() - t0
    ts = np.load(work / "ts.npy")
    label = np.load(work / "label.npy")
    D, n = label.shape
    scored = ts >= ts[0] + HeatPumpDetectorConfig().commissioning_seconds
    sub = ["--work", str(work)]
    det_s = _sub(["--only", "hp-det-stream", *sub])
    pipe_s = _sub(["--only", "hp-pipe-stream", *sub])
    batch = _sub(["--only", "hp-batch", *sub])
    hst = _sub(["--only", "hp-hst", *sub])
    b, h = np.load(work / "batch.npz"), np.load(work / "hst.npz")
    sd, sp = np.load(work / "stream_detector.npz"), np.load(work / "stream_pipeline.npz")
    lab = label[:, scored].ravel()
    q_det = f1_far_mar((sp["ready"] & (sp["score"] >= 1.0))[:, scored].ravel(), lab)
    q_pipe = f1_far_mar(sp["diag"][:, scored].ravel(), lab)
    q_hst = f1_far_mar((h["score"] > h["threshold"][:, None])[:, scored].ravel(), lab)
    dev = meta["stream_device"]
    j = meta["devices"].index(dev)
    m = len(sd["score"])

    def same(s1, r1, s2, r2) -> bool:
        return bool(np.array_equal(r1, r2) and np.allclose(s1, s2, rtol=1e-9, atol=1e-12))

    det_same = same(sd["score"], sd["ready"], b["score"][:m], b["ready"][:m])
    pipe_det_same = same(sp["score"][j], sp["ready"][j], b["score"], b["ready"])
    pipe_diff = int(np.sum(sp["diag"][j] != b["diag"]))
    faults = sorted({f for f in meta["faults"] if f}) or ["none"]
    days = n * meta["step_s"] / 86400.0
    print()
    print(f"[2] heat-pump detector; data: simulator scenario {meta['scenario']} ({D} pumps x {days:.0f} days at "
          f"{meta['step_s']:.0f} s, simulated in {t_sim:.1f} s; faults: {', '.join(faults)}); scored: every reading "
          f"after the 7-day commissioning, pumps pooled: {int(scored.sum()) * D} readings, "
          f"{int(lab.sum())} labelled fault_active")
    print(HEADER)
    print(_row("heatwatch HeatPumpDetector (score >= 1)", pipe_s["det_us_per_sample"], batch["det_batch_per_s"],
               det_s["peak_rss_mb"], q_det))
    print(_row("heatwatch PumpPipeline (diagnosis active)", pipe_s["us_per_sample"], batch["pipe_batch_per_s"],
               pipe_s["peak_rss_mb"], q_pipe))
    print(_row("River MinMaxScaler|HalfSpaceTrees", hst["us_per_sample"], hst["batch_per_s"], hst["peak_rss_mb"], q_hst))
    print(f"- streamed: every pump's whole run through PumpPipeline.process() as the agent runs it "
          f"({pipe_s['samples']} readings): both heatwatch µs/sample (the detector's = time inside its update()) "
          f"and both F1; batch/s: score() and process_batch() over {dev} ({batch['samples']} readings)")
    print(f"- HeatPumpDetector alone: RSS from update() over {dev}'s first {det_s['days']:.0f} days "
          f"({det_s['samples']} readings: commissioning, fit, judging); update() == score() there: "
          f"{'yes' if det_same else 'NO'}; the pipeline's detector == score() over the whole run: "
          f"{'yes' if pipe_det_same else 'NO'}")
    if pipe_diff:
        print(f"- PumpPipeline.process_batch() != process() on {dev}: diagnosis state differs on {pipe_diff} readings "
              f"(first diagnosis {_first_on_day(b['diag'], ts)} in batch, {_first_on_day(sp['diag'][j], ts)} streaming)")
    else:
        print(f"- PumpPipeline.process_batch() == process() on {dev}: same diagnosis state on every reading")
    raised = pipe_s["raised"]
    print("- diagnoses raised (streaming): " + "; ".join(
        f"{d} ({f or 'healthy'}): " + (", ".join(f"{name} day {(t - ts[0]) / 86400:.1f}" for name, t in raised.get(d, []))
                                      or "none")
        for d, f in zip(meta["devices"], meta["faults"])))
    print(f"- HST: µs/sample over its {hst['samples']} scored readings (score_one + learn_one), batch/s = 1e6 / µs; "
          f"thresholds per pump {', '.join(f'{t:.3f}' for t in h['threshold'])}")
    f_hst, t_hst = best_f1(hst_s := h["score"][:, scored].ravel(), lab)
    f_det, t_det = best_f1(np.where(sp["ready"], sp["score"], 0.0)[:, scored].ravel(), lab)
    all_alarm = " (alarms on every reading)" if np.all(hst_s >= t_hst) else ""
    print(f"- best threshold in hindsight (chosen on the labels, an upper bound): HST F1 {f_hst:.3f} at score "
          f">= {t_hst:.3f}{all_alarm}; HeatPumpDetector F1 {f_det:.3f} at score >= {t_det:.2f}")
    return meta


def part_agent(args, meta: dict) -> None:
    from heatwatch.demo.services import mosquitto_binary

    device = meta["stream_device"]
    print()
    if mosquitto_binary() is None:
        print("[3] running agent: skipped, mosquitto is not installed (apt-get install mosquitto)")
        return
    r = live_agent(args.scenario, device, args.speed, args.agent_readings, args.agent_early, args.agent_wall)
    print(f"[3] running agent: `{r['agent_cmd']}` fed by `{r['sim_cmd']}` (device {device}, MQTT, "
          f"default 7-day commissioning, private Mosquitto)")
    print(f"{'agent after':<44}{'readings':>10}{'VmHWM MB':>11}{'VmRSS MB':>10}")
    if "early" in r:
        print(f"{'a few thousand readings (commissioning)':<44}{r['early']['readings']:>10d}"
              f"{r['early']['VmHWM']:>11.1f}{r['early']['VmRSS']:>10.1f}")
    ready = r["model_ready_at"]
    label = "the end" + (f" (model fitted by reading {ready})" if ready else " (model not fitted yet)")
    print(f"{label:<44}{r['end']['readings']:>10d}{r['end']['VmHWM']:>11.1f}{r['end']['VmRSS']:>10.1f}")
    print(f"({r['end']['readings']} readings in {r['wall_s']:.0f} s from the simulator's start, through MQTT, "
          f"pipeline, outbox and publisher; kept {r.get('rate', 0.0):.0f} readings/s, the simulator offered "
          f"{args.speed / meta['step_s']:.0f}/s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--synthetic", action="store_true", help="use synthetic runs even if SKAB is present")
    ap.add_argument("--scenario", default=DEFAULT_SCENARIO, help="simulator scenario for parts 2 and 3")
    ap.add_argument("--days", type=float, help="part 2: simulate only the scenario's first DAYS (default: all)")
    ap.add_argument("--speed", type=float, default=15000.0, help="part 3: simulated seconds per wall second")
    ap.add_argument("--agent-readings", type=int, default=11000, help="part 3: stop after this many readings")
    ap.add_argument("--agent-early", type=int, default=3000, help="part 3: first VmHWM after this many readings")
    ap.add_argument("--agent-wall", type=float, default=120.0, help="part 3: at most this many wall seconds")
    ap.add_argument("--no-agent", action="store_true", help="skip part 3")
    ap.add_argument("--only", choices=["heatwatch", "hst", "hp-det-stream", "hp-pipe-stream", "hp-batch", "hp-hst"],
                    help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.only in ("heatwatch", "hst"):
        print(json.dumps(measure_generic(args.only, args.data, args.synthetic)))
        return
    if args.only:
        fn = {"hp-det-stream": hp_stream_detector, "hp-pipe-stream": hp_stream_pipeline,
              "hp-batch": hp_batch, "hp-hst": hp_hst}[args.only]
        print(json.dumps(fn(args.work)))
        return
    t0 = time.perf_counter()
    part_generic(args)
    work = Path(tempfile.mkdtemp(prefix="hw-edge-bench-"))
    try:
        meta = part_heatpump(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not args.no_agent:
        part_agent(args, meta)
    print(f"(bench ran in {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
