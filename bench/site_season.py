"""One site's season as the eval runs it, the pipeline's and the gateway's CPU timed apart, every event kept.

    python bench/site_season.py --out events.jsonl [--scenario service_area_200] [--site milano] [--days D]

The part runs as ``eval.worker.run_part`` runs it with the fleet prior (``--priors FILE``: the
earlier cohort's priors, made once and pickled there, so two trees compare on the same priors). The
CPU of ``PumpPipeline.process_batch`` and of ``PrivateGateway.record`` is timed around each call.
Writes every event's JSON (one a line) and, beside it (``.tickets``), every ticket with its
priorities and prognoses; prints their sha256, so a change for speed shows it says the same.
Run main's tree and a branch's at once on a shared machine: the same code's CPU swings with the load.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as Dask's workers run numpy's BLAS

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import pickle  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from heatwatch.edge.pipeline import PumpPipeline  # noqa: E402
from heatwatch.eval import worker  # noqa: E402
from heatwatch.eval.fleet_prior import earlier_cohort_priors  # noqa: E402
from heatwatch.eval.gateway_side import PrivateGateway  # noqa: E402
from heatwatch.eval.partitions import parts_of  # noqa: E402
from heatwatch.sim.scenario import load_scenario  # noqa: E402
from heatwatch.units import DAY  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="service_area_200")
    ap.add_argument("--site", default="milano")
    ap.add_argument("--days", type=float, default=None, help="only the first D days")
    ap.add_argument("--poll", type=float, default=5.0, help="minutes between readings")
    ap.add_argument("--priors", type=Path, default=None, help="the priors' pickle (default: one per scenario, site, days, poll in /tmp)")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    sc = load_scenario(a.scenario)
    if a.days is not None:
        sc = dataclasses.replace(sc, duration_s=a.days * DAY)
    parts = [p for p in parts_of([sc]) if p.site == a.site]
    if not parts:
        raise SystemExit(f"error: {a.scenario} has no site {a.site!r}")
    poll = a.poll * 60
    a.priors = a.priors or Path(f"/tmp/heatwatch-priors-{a.scenario}-{a.site}-{a.days}-{a.poll:g}.pkl")
    if a.priors.exists():
        priors = pickle.loads(a.priors.read_bytes())
    else:
        priors = earlier_cohort_priors([p.scenario for p in parts], stride=worker.stride_for(sc.step_s, poll))
        a.priors.write_bytes(pickle.dumps(priors))
    events: list[str] = []
    cpu = {"pipeline": 0.0, "gateway": 0.0}
    batch, record = PumpPipeline.process_batch, PrivateGateway.record

    def timed_batch(self, ts, X):  # noqa: ANN001, ANN202
        c = time.process_time()
        out = batch(self, ts, X)
        cpu["pipeline"] += time.process_time() - c
        events.extend(ev.model_dump_json() for ev in out[1])
        return out

    def timed_record(self, ev):  # noqa: ANN001, ANN202
        c = time.process_time()
        out = record(self, ev)
        cpu["gateway"] += time.process_time() - c
        return out

    PumpPipeline.process_batch, PrivateGateway.record = timed_batch, timed_record  # type: ignore[method-assign]
    w0 = time.perf_counter()
    res = worker.run_part(parts[0], poll, None, priors)
    tickets = [json.dumps(dataclasses.asdict(t), sort_keys=True, default=str) for p in res.pumps for t in p.tickets]
    a.out.write_text("".join(e + "\n" for e in events))
    Path(f"{a.out}.tickets").write_text("".join(t + "\n" for t in tickets))
    own = res.cpu_s - res.sim_cpu_s
    print(f"{a.scenario}/{a.site}: {res.readings:,} readings, CPU {res.cpu_s:.1f} s: simulator {res.sim_cpu_s:.1f}, "
          f"pipeline {cpu['pipeline']:.1f}, gateway {cpu['gateway']:.1f}, other {own - cpu['pipeline'] - cpu['gateway']:.1f}; "
          f"wall {time.perf_counter() - w0:.1f} s; {res.readings / own:,.0f} readings per pipeline+gateway CPU s")
    print(f"events {len(events)} sha256 {hashlib.sha256(''.join(e + chr(10) for e in events).encode()).hexdigest()[:16]}, "
          f"tickets {len(tickets)} sha256 {hashlib.sha256(''.join(t + chr(10) for t in tickets).encode()).hexdigest()[:16]}")


if __name__ == "__main__":
    main()
