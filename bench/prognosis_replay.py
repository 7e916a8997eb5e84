"""Every prognosis of one site's season, recorded once and replayed alone: their CPU and their bytes.

    python bench/prognosis_replay.py record --out calls.pkl [--site milano] [--days D]
    python bench/prognosis_replay.py replay calls.pkl [--repeat N] [--save OUT]

``record`` runs the site's season as bench/site_season.py does and keeps, for every
``PrognosisTracker.predict`` call, the tracker's hours as they stood (one pickle: an hour kept by many
calls is stored once, and comes back as one object, so the tracker's per-day sums carried between
calls work as they did), its limits and the prognosis it gave. ``replay`` puts each call's hours
back into one tracker per pump, in the season's order, times the predict calls alone and checks
each prognosis against the recorded one byte for byte: a change to the prognosis for speed is
measured here in a tenth of the season's time, and what it says must not move. The replay restores
only the hours and limits, so some prognoses differ from the recorded season's even on the code that
recorded them: ``--save`` writes every replayed prognosis, to compare two checkouts' replays with diff.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as Dask's workers run numpy's BLAS

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import deque  # noqa: E402
from pathlib import Path  # noqa: E402

from heatwatch.edge.heatpump.prognosis import PrognosisTracker  # noqa: E402


def record(a: argparse.Namespace) -> None:
    from heatwatch.eval import worker
    from heatwatch.eval.fleet_prior import earlier_cohort_priors
    from heatwatch.eval.partitions import parts_of
    from heatwatch.sim.scenario import load_scenario
    from heatwatch.units import DAY

    sc = load_scenario(a.scenario)
    if a.days is not None:
        sc = dataclasses.replace(sc, duration_s=a.days * DAY)
    part = next(p for p in parts_of([sc]) if p.site == a.site)
    poll = 300.0
    cache = Path(f"/tmp/heatwatch-priors-{a.scenario}-{a.site}-{a.days}-5.pkl")
    if cache.exists():
        priors = pickle.loads(cache.read_bytes())
    else:
        priors = earlier_cohort_priors([part.scenario], stride=worker.stride_for(sc.step_s, poll))
        cache.write_bytes(pickle.dumps(priors))
    calls: list[tuple] = []
    pumps: dict[int, int] = {}
    predict = PrognosisTracker.predict

    def recorded(self, fault, now):  # noqa: ANN001, ANN202
        p = predict(self, fault, now)
        pump = pumps.setdefault(id(self), len(pumps))
        calls.append((pump, fault, now, list(self._hours), self._hours.maxlen, dict(self.limits),
                      None if p is None else p.model_dump_json()))
        return p

    PrognosisTracker.predict = recorded  # type: ignore[method-assign]
    worker.run_part(part, poll, None, priors)
    with open(a.out, "wb") as f:
        pickle.dump(calls, f, protocol=pickle.HIGHEST_PROTOCOL)
    print(f"{len(calls)} predict calls of {len(pumps)} trackers -> {a.out}")


def replay(a: argparse.Namespace) -> None:
    with open(a.calls, "rb") as f:
        calls = pickle.load(f)
    best = None
    outputs: list[str | None] = []
    for _ in range(a.repeat):
        outputs = []
        trackers: dict[int, PrognosisTracker] = {}
        differ = 0
        cpu = 0.0
        for pump, fault, now, hours, maxlen, limits, want in calls:
            tr = trackers.get(pump)
            if tr is None:
                tr = trackers[pump] = PrognosisTracker()
            tr._hours = deque(hours, maxlen=maxlen)
            tr.limits = limits
            c = time.process_time()
            p = tr.predict(fault, now)
            cpu += time.process_time() - c
            got = None if p is None else p.model_dump_json()
            outputs.append(got)
            if got != want:
                differ += 1
                if differ <= 5:
                    print(f"differs: pump {pump} {fault} at {now}: {got} != {want}", file=sys.stderr)
        best = cpu if best is None else min(best, cpu)
        print(f"{len(calls)} predict calls: CPU {cpu:.2f} s, {differ} differ")
    print(f"best CPU {best:.2f} s")
    if a.save is not None:  # every replayed prognosis, a line each: compare two checkouts' replays with diff
        a.save.write_text("".join(f"{o}\n" for o in outputs))
    if differ:
        raise SystemExit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("--scenario", default="service_area_200")
    r.add_argument("--site", default="milano")
    r.add_argument("--days", type=float, default=None)
    r.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("replay")
    p.add_argument("calls", type=Path)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--save", type=Path, default=None, help="write every replayed prognosis (JSON or None), a line each")
    a = ap.parse_args()
    record(a) if a.cmd == "record" else replay(a)


if __name__ == "__main__":
    main()
