"""Replay speed of the heat pump pipeline on one core: readings per second, batch and streaming.

    python bench/replay_speed.py [--fault SCENARIO] [--healthy SCENARIO] [--pumps N] [--stream-days D]
    python bench/replay_speed.py --against /path/to/other/checkout [--rounds R] [same options]

For a fault scenario (default fault_refrigerant_leak: 1 healthy and 3 leaking pumps, 90 days at
60 s) and a healthy one (default healthy_fleet, its first N pumps), simulated first (not timed):

* detector alone: ``HeatPumpDetector.score`` over every pump in chunks of four simulated days
  (as bench/lead_time.py and heatwatch eval feed it);
* whole pipeline: ``PumpPipeline.process_batch`` (detector, rules, prognosis, events) the same way;
* streaming (the agent on a Pi): ``PumpPipeline.process`` reading by reading over the first
  faulty pump's first D days (commissioning, fit, judging), in µs per reading, and the time spent
  inside ``HeatPumpDetector.update`` there.

Figures are CPU seconds of this process (``time.process_time``), so a shared machine's other
load does not count, with OpenBLAS on one thread (OPENBLAS_NUM_THREADS, printed); the wall time
is printed beside them. The first batch call of a process loads the compiled kernels (numba's
cache; compiled on the very first run): that one-off cost is printed apart and left out of the rates.

``--against CHECKOUT``: the same bench of this checkout and of another (its own bench/replay_speed.py,
run by its .venv's python: its code, e.g. a worktree of main), in turns, R rounds (other, this; this,
other; ...), each in a fresh process; the rates of each round and their medians. A shared machine's load
moves both sides of a round alike, so the pair's ratio is the figure to read.
"""

from __future__ import annotations

import os

# one core: numpy's OpenBLAS would start a worker per core for the healthy model's products and
# leave them spinning between calls, CPU time of this process that is no replay work (on the
# shared 2-core machine it was half the pipeline's CPU seconds). Set before numpy loads; an
# OPENBLAS_NUM_THREADS given in the environment wins. The results are the same either way.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from heatwatch.edge.heatpump.detector import HeatPumpDetector, HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario

CHUNK = 1440 * 4


def simulate(name: str, pumps: int | None) -> tuple[np.ndarray, np.ndarray, list[str], list[str], list[str]]:
    """(ts, values (n, pumps, channels), devices, their faults, their refrigerants: each its site's,
    as its agent's edge.toml says)."""
    scenario = load_scenario(name)
    fleet = Fleet(scenario)
    k = len(fleet.devices) if pumps is None else min(pumps, len(fleet.devices))
    ts, X = [], []
    for chunk in fleet.chunks(steps=CHUNK):
        ts.append(chunk.ts)
        X.append(chunk.values[:, :k, :].copy())
    faults = {t.device: t.fault for t in fleet.truth}
    sites = scenario.site_of()
    return (np.concatenate(ts), np.concatenate(X), fleet.devices[:k], [faults.get(d, "") for d in fleet.devices[:k]],
            [sites[d].refrigerant for d in fleet.devices[:k]])


def timed(fn) -> tuple[float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - w0


def batch_rates(ts: np.ndarray, X: np.ndarray, refrigerants: list[str]) -> dict[str, float]:
    configs = [HeatPumpDetectorConfig(refrigerant=r) for r in refrigerants]
    n_pumps = X.shape[1]

    def detector() -> None:
        for j in range(n_pumps):
            det = HeatPumpDetector(configs[j])
            for s in range(0, len(ts), CHUNK):
                det.score(ts[s:s + CHUNK], X[s:s + CHUNK, j])

    events = [0]

    def pipeline() -> None:
        for j in range(n_pumps):
            pipe = PumpPipeline.with_config(f"hp-{j:03d}", configs[j])
            for s in range(0, len(ts), CHUNK):
                events[0] += len(pipe.process_batch(ts[s:s + CHUNK], X[s:s + CHUNK, j])[1])

    n = len(ts) * n_pumps
    cd, wd = timed(detector)
    cp, wp = timed(pipeline)
    return {"readings": n, "det_cpu": cd, "det_wall": wd, "pipe_cpu": cp, "pipe_wall": wp, "events": events[0]}


def stream_cost(ts: np.ndarray, X: np.ndarray, refrigerant: str, days: float) -> dict[str, float]:
    n = int(np.searchsorted(ts, ts[0] + days * 86400.0))
    pipe = PumpPipeline.with_config("hp-stream", HeatPumpDetectorConfig(refrigerant=refrigerant))
    update = pipe.detector.update
    inside = [0.0]
    clock = time.process_time

    def timed_update(t, x):  # noqa: ANN001
        c0 = clock()
        r = update(t, x)
        inside[0] += clock() - c0
        return r

    pipe.detector.update = timed_update  # type: ignore[method-assign]
    rows = X.tolist()
    tsl = ts.tolist()
    c0, w0 = clock(), time.perf_counter()
    for i in range(n):
        pipe.process(tsl[i], np.asarray(rows[i]))
    cpu, wall = clock() - c0, time.perf_counter() - w0
    return {"readings": n, "us": 1e6 * cpu / n, "det_us": 1e6 * inside[0] / n, "wall_us": 1e6 * wall / n}


_RATE = re.compile(r"^(\S+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+(\d+)\s")
_STREAM = re.compile(r"\): ([\d.]+) µs/reading CPU")


def _one_run(python: str, script: Path, args: list[str]) -> dict[str, float]:
    """One bench process's figures: per scenario its detector and pipeline readings/s and events; the
    streaming µs/reading."""
    out = subprocess.run([python, str(script), *args], check=True, capture_output=True, text=True,
                         cwd=script.parent.parent).stdout
    figs: dict[str, float] = {}
    for line in out.splitlines():
        m = _RATE.match(line)
        if m:
            name = m.group(1)
            figs[f"{name} detector/s"] = float(m.group(3).replace(",", ""))
            figs[f"{name} pipeline/s"] = float(m.group(4).replace(",", ""))
            figs[f"{name} events"] = float(m.group(5))
        m = _STREAM.search(line)
        if m:
            figs["streaming µs/reading"] = float(m.group(1))
    return figs


def paired(other: Path, rounds: int, args: list[str]) -> None:
    """This checkout's bench and another's, in turns; each round's figures and the medians."""
    sides = {"this": (sys.executable, Path(__file__).resolve()),
             "other": (str(other / ".venv" / "bin" / "python"), other / "bench" / "replay_speed.py")}
    runs: dict[str, list[dict[str, float]]] = {"this": [], "other": []}
    print(f"this: {Path(__file__).resolve().parent.parent}; other: {other}; {rounds} rounds, other first in odd ones")
    for r in range(rounds):
        # the order swapped every round (other, this; this, other; ...): a machine whose load drifts
        # within a round favours neither side
        for side in (("other", "this") if r % 2 == 0 else ("this", "other")):
            figs = _one_run(*sides[side], args)
            runs[side].append(figs)
            print(f"round {r + 1} {side:<6}" + "  ".join(f"{k} {v:,.1f}" for k, v in figs.items()), flush=True)
    print(f"{'median of ' + str(rounds):<44}{'other':>12}{'this':>12}{'this/other':>12}")
    for k in runs["this"][0]:
        a = statistics.median(f[k] for f in runs["other"])
        b = statistics.median(f[k] for f in runs["this"])
        print(f"{k:<44}{a:>12,.1f}{b:>12,.1f}{b / a if a else float('nan'):>12.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fault", default="fault_refrigerant_leak")
    ap.add_argument("--healthy", default="healthy_fleet")
    ap.add_argument("--pumps", type=int, default=4, help="pumps of the healthy scenario")
    ap.add_argument("--stream-days", type=float, default=21.0)
    ap.add_argument("--no-stream", action="store_true")
    ap.add_argument("--against", type=Path, help="another checkout: both benched in turns (paired)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of --against")
    args = ap.parse_args()
    if args.against is not None:
        rest = ["--fault", args.fault, "--healthy", args.healthy, "--pumps", str(args.pumps),
                "--stream-days", str(args.stream_days)] + (["--no-stream"] if args.no_stream else [])
        paired(args.against.resolve(), args.rounds, rest)
        return
    sims = {}
    for label, name, pumps in (("fault", args.fault, None), ("healthy", args.healthy, args.pumps)):
        c0 = time.perf_counter()
        sims[label] = simulate(name, pumps)
        print(f"simulated {name}: {len(sims[label][2])} pumps x {len(sims[label][0]):,} readings "
              f"in {time.perf_counter() - c0:.1f} s (not timed below)", flush=True)
    # the one-off cost of loading (or compiling) the batch kernels
    ts, X, _, _, ref = sims["fault"]
    c_warm, _ = timed(lambda: PumpPipeline.with_config("warm", HeatPumpDetectorConfig(refrigerant=ref[0]))
                      .process_batch(ts[:CHUNK], X[:CHUNK, 0]))
    print(f"first batch call of the process (kernels loaded, one chunk): {c_warm:.2f} s CPU; "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    print(f"{'scenario':<28}{'readings':>11}{'detector/s':>13}{'pipeline/s':>13}{'events':>8}  (CPU; wall/s)")
    for label in ("fault", "healthy"):
        ts, X, devices, faults, ref = sims[label]
        r = batch_rates(ts, X, ref)
        name = args.fault if label == "fault" else args.healthy
        print(f"{name:<28}{r['readings']:>11,}{r['readings'] / r['det_cpu']:>13,.0f}"
              f"{r['readings'] / r['pipe_cpu']:>13,.0f}{r['events']:>8}  "
              f"(wall {r['readings'] / r['det_wall']:,.0f}; {r['readings'] / r['pipe_wall']:,.0f})", flush=True)
    if not args.no_stream:
        ts, X, devices, faults, ref = sims["fault"]
        j = next((k for k, f in enumerate(faults) if f), 0)
        s = stream_cost(ts, X[:, j], ref[j], args.stream_days)
        print(f"streaming PumpPipeline.process, {devices[j]} ({faults[j] or 'healthy'}), first {args.stream_days:g} "
              f"days ({s['readings']:,} readings): {s['us']:.1f} µs/reading CPU, of which "
              f"HeatPumpDetector.update {s['det_us']:.1f} (wall {s['wall_us']:.1f})")


if __name__ == "__main__":
    main()
