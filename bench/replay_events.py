"""Every event the heat pump pipeline makes on the shipped scenarios, recorded and compared.

A change for speed must not change what the pipeline says. This replays scenarios through
``PumpPipeline.process_batch`` (in chunks of four simulated days, as bench/lead_time.py) and
writes, per scenario, every event (all its fields: kind, fault, ts, confidence, explanation,
findings, prognosis) and per pump a fingerprint of the detector's scores (sha256 of the
float64 bytes, their sum and count of ready readings). ``--check DIR`` compares a new run with
a recorded one exactly (floats by their repr) and prints each difference.

    python bench/replay_events.py --out DIR [SCENARIO ...]     (default: fault_* and healthy_fleet)
    python bench/replay_events.py --check DIR [--out DIR2] [--devices N] [SCENARIO ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

# one BLAS thread, as bench/replay_speed.py: on a shared machine OpenBLAS's threads made the printed
# per-scenario rates swing 5-20x on the same code; OPENBLAS_NUM_THREADS given in the environment wins
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402  (after the thread count)

from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "firmware_sim" / "scenarios"
CHUNK_STEPS = 1440 * 4


def default_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIOS.glob("fault_*.yaml")) + ["healthy_fleet"]


def record(name: str, max_devices: int | None = None) -> dict:
    """Replay one scenario (its first ``max_devices`` pumps); every event and a fingerprint of every pump's scores."""
    scenario = load_scenario(name)
    fleet = Fleet(scenario)
    site_of = scenario.site_of()  # each pump judged with its site's refrigerant (a scenario without sites: its own)
    pipes = {d: PumpPipeline.with_config(d, HeatPumpDetectorConfig(refrigerant=site_of[d].refrigerant))
             for d in fleet.devices[:max_devices]}
    events: dict[str, list[dict]] = {d: [] for d in pipes}
    hashes = {d: hashlib.sha256() for d in pipes}
    sums = {d: 0.0 for d in pipes}
    ready = {d: 0 for d in pipes}
    t_pipe = 0.0
    n = 0
    t0 = time.perf_counter()
    for chunk in fleet.chunks(steps=CHUNK_STEPS):
        for j, dev in enumerate(pipes):
            t1 = time.perf_counter()
            results, evs = pipes[dev].process_batch(chunk.ts, chunk.values[:, j, :])
            t_pipe += time.perf_counter() - t1
            n += len(chunk.ts)
            scores = np.array([r.score for r in results], dtype=np.float64)
            hashes[dev].update(scores.tobytes())
            sums[dev] += float(scores.sum())
            ready[dev] += sum(1 for r in results if r.ready)
            events[dev].extend(ev.model_dump(mode="json") for ev in evs)
    return {
        "scenario": name, "readings": n, "pipeline_seconds": t_pipe, "wall_seconds": time.perf_counter() - t0,
        "devices": {d: {"events": events[d], "scores_sha256": hashes[d].hexdigest(), "scores_sum": sums[d],
                        "ready": ready[d], "counters": pipes[d].counters()} for d in pipes},
    }


def compare(old: dict, new: dict) -> list[str]:
    """Differences between two recordings of one scenario, as lines (none: identical)."""
    out = []
    for dev, o in old["devices"].items():
        nw = new["devices"].get(dev)
        if nw is None:
            out.append(f"{dev}: missing")
            continue
        if o["events"] != nw["events"]:
            a, b = o["events"], nw["events"]
            out.append(f"{dev}: events differ ({len(a)} recorded, {len(b)} now)")
            for k, (ea, eb) in enumerate(zip(a, b)):
                if ea != eb:
                    keys = [key for key in set(ea) | set(eb) if ea.get(key) != eb.get(key)]
                    out.append(f"  first at #{k}: fields {sorted(keys)}")
                    for key in sorted(keys):
                        out.append(f"    {key}: {ea.get(key)!r} -> {eb.get(key)!r}")
                    break
        for key in ("scores_sha256", "scores_sum", "ready", "counters"):
            if o[key] != nw[key]:
                out.append(f"{dev}: {key} {o[key]!r} -> {nw[key]!r}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="*")
    ap.add_argument("--out", type=Path, help="write one JSON file per scenario here")
    ap.add_argument("--check", type=Path, help="compare with the recording in this directory")
    ap.add_argument("--devices", type=int, help="only the first N pumps of each scenario")
    args = ap.parse_args()
    names = args.scenarios or default_scenarios()
    differ = 0
    for name in names:
        rec = record(name, args.devices)
        line = (f"{name}: {rec['readings']:,} readings, {sum(len(d['events']) for d in rec['devices'].values())} "
                f"events; pipeline {rec['pipeline_seconds']:.1f} s = {rec['readings'] / rec['pipeline_seconds']:,.0f} "
                f"readings/s (wall with the simulator {rec['wall_seconds']:.1f} s)")
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{name}.json").write_text(json.dumps(rec, indent=1))
        if args.check:
            diffs = compare(json.loads((args.check / f"{name}.json").read_text()), rec)
            differ += bool(diffs)
            line += "; identical" if not diffs else "; DIFFERENT:\n" + "\n".join(diffs)
        print(line, flush=True)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
