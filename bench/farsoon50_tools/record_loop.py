"""One site of the whole loop run as bench/prognosis_replay.py record runs it, keeping for every prognosis the
tracker gave what dated it (indicator, path, growth laws, progress move, estimate_features): the loop's far dates
read like the fleets' (replay_laws.py). A second, raw predict (no table) follows each predict on the same tracker
at the same hour, as the fleet replay does; the dates sent are checked against the loop's report (join.py).

    python bench/farsoon50_tools/record_loop.py --site milano --out /tmp/fs50/loop_milano.json
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import prognosis_fleets as pf  # noqa: E402
import replay_laws  # noqa: E402
from heatwatch.edge.heatpump.prognosis import PrognosisTracker  # noqa: E402
from heatwatch.units import DAY  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", default="milano")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    from heatwatch.eval import worker
    from heatwatch.eval.fleet_prior import earlier_cohort_priors
    from heatwatch.eval.partitions import parts_of
    from heatwatch.sim.scenario import load_scenario

    replay_laws.install()
    pf._record_rivals()
    sc = load_scenario("service_area_200")
    part = next(p for p in parts_of([sc]) if p.site == a.site)
    poll = 300.0
    cache = Path(f"/tmp/heatwatch-priors-service_area_200-{a.site}-None-5.pkl")
    if cache.exists():
        priors = pickle.loads(cache.read_bytes())
    else:
        priors = earlier_cohort_priors([part.scenario], stride=worker.stride_for(sc.step_s, poll))
        cache.write_bytes(pickle.dumps(priors))
    rows: list[dict] = []
    ids: dict[int, int] = {}
    predict = PrognosisTracker.predict

    def recorded(self, fault, now):  # noqa: ANN001, ANN202
        p = predict(self, fault, now)
        if p is None or not fault:
            return p
        cal = self.calibration
        move = replay_laws.STATE["move"]
        try:
            self.calibration = None
            pf._RECORD.clear()
            r = predict(self, fault, now)
            f = pf.estimate_features(self, now, p.indicator, p.threshold, now) if r is not None else {}
        finally:
            self.calibration = cal
        f.update(tracker=ids.setdefault(id(self), len(ids)), fault=fault, ts=now, indicator=p.indicator,
                 predicted_ts=p.predicted_trip_ts, raw=(r.predicted_trip_ts - now) / DAY if r is not None else math.nan,
                 move=move)
        rows.append(f)
        return p

    PrognosisTracker.predict = recorded  # type: ignore[method-assign]
    worker.run_part(part, poll, None, priors)
    a.out.write_text(json.dumps(rows))
    print(f"{len(rows)} prognoses of {len(ids)} trackers -> {a.out}")


if __name__ == "__main__":
    main()
