"""Cost per row of the online detector (AdaptiveDetector) on the stream bench's streams, with and
without one of its online views, in the same run (interleaved, so a busy machine weighs on both).

    .venv/bin/python bench/stream_speed.py [--suite hard] [--seeds 0-1] [--length 4000] [--view level]
                                           [--block 0]

``--view level`` compares AdaptConfig(level=True) (the LocalLevel view) with level=False, which is
the detector without it (main's code path before LocalLevel). ``--block``: rows per ``score`` call
(0: the whole stream in one call, as `heatwatch detect` does; 1: row by row, as a live feed).
Each variant's rows/s is total rows over total time (process CPU time, so other jobs on the
machine weigh less) over all streams; the best of ``--repeat`` runs per stream.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stream_bench import HARD_KINDS, KINDS, make_hard_stream, make_stream, parse_seeds, probation  # noqa: E402
from heatwatch.edge.generic_detector import HealthyBehaviourConfig  # noqa: E402
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector  # noqa: E402


def run(values: np.ndarray, adapt: AdaptConfig, block: int) -> float:
    """CPU seconds to stream the values through a fresh detector."""
    n = len(values)
    det = AdaptiveDetector(HealthyBehaviourConfig(warmup=probation(n)), adapt)
    t0 = time.process_time()
    if block <= 0:
        det.score(None, values)
    else:
        for i in range(0, n, block):
            det.score(None, values[i:i + block])
    return time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", choices=["classic", "hard", "both"], default="both")
    ap.add_argument("--seeds", default="0-1")
    ap.add_argument("--length", type=int, default=4000)
    ap.add_argument("--view", default="level", help="the AdaptConfig flag switched off for the baseline")
    ap.add_argument("--block", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    suites = [("classic", KINDS, make_stream), ("hard", HARD_KINDS, make_hard_stream)]
    if args.suite != "both":
        suites = [s for s in suites if s[0] == args.suite]
    with_view = AdaptConfig(memory=max(2000, probation(args.length)), seasonal=True)
    without = replace(with_view, **{args.view: False})
    total = {"with": 0.0, "without": 0.0}
    rows = 0
    for suite, kinds, make in suites:
        per = {k: [0.0, 0.0] for k in kinds}
        for seed in parse_seeds(args.seeds):
            for kind in kinds:
                s = make(kind, seed, args.length)
                a = min(run(s.values, without, args.block) for _ in range(args.repeat))
                b = min(run(s.values, with_view, args.block) for _ in range(args.repeat))
                per[kind][0] += a
                per[kind][1] += b
                total["without"] += a
                total["with"] += b
                rows += len(s.values)
        n_kind = len(parse_seeds(args.seeds)) * args.length
        for kind, (a, b) in per.items():
            print(f"  {suite:<7} {kind:<15} without {args.view}: {n_kind / a:8.0f} rows/s   with: {n_kind / b:8.0f} rows/s"
                  f"   ({b / a:.2f} x the time)")
    print(f"all {rows} rows, block {args.block or 'whole stream'}: without {args.view} {rows / total['without']:.0f} rows/s, "
          f"with {rows / total['with']:.0f} rows/s ({total['with'] / total['without']:.2f} x the time)")


if __name__ == "__main__":
    main()
