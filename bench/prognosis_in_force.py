"""The ticket's predicted failure as a dispatcher sees it: the date in force every 12 hours, from the
ticket's first prognosis to the trip, read from a whole-loop eval's stored prognoses.

``heatwatch eval`` judges "every update before the trip": each fault_update counts once, and a pump's
prognosis is re-sent only where its date moved by over a quarter of the time left
(edge/pipeline.py, ``_refresh_prognoses``). A change that steadies the dates sends fewer updates, and
that figure then weighs the pumps whose dates still move. Here each ticket weighs by the time it was
open: the last prognosis sent before each 12-hour step, against the real time left.

    python bench/prognosis_in_force.py REPORT_DIR   (heatwatch eval ... --report REPORT_DIR)
    python bench/prognosis_in_force.py REPORT_DIR --by-left   (each fault's half-days by the real time left:
        within x2, and the misses early (the trip came over twice as late as the date) or late)
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from pathlib import Path

from heatwatch.units import DAY

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prognosis_redate import ticketed  # noqa: E402

STEP_S = 0.5 * DAY
FLOOR_DAYS = 1.0 / 24.0  # an hour: no log of 0


LEFT_BANDS = ((0.0, 2.0), (2.0, 4.0), (4.0, 8.0), (8.0, 16.0), (16.0, math.inf))  # days left


def half_days(report_dir: Path) -> Iterator[tuple[dict, dict, float, float]]:
    """(pump, the prognosis in force, the hour, the ticket's first prognosis's hour) every STEP_S from the right
    fault's first ticket's first prognosis to its trip: the walk every reader of the dates in force shares."""
    for p, ahead in ticketed(report_dir):
        sent = sorted(ahead, key=lambda g: g["ts"])
        if not sent:
            continue
        t, i = sent[0]["ts"], 0
        while t < p["trip_ts"]:
            while i + 1 < len(sent) and sent[i + 1]["ts"] <= t:
                i += 1
            yield p, sent[i], t, sent[0]["ts"]
            t += STEP_S


def in_force(report_dir: Path, logs: dict[str, list[tuple[float, float]]] | None = None
             ) -> dict[str, list[tuple[bool, bool]]]:
    """{fault | "every": [(within a factor 2, interval holds)]} of the right fault's first ticket opened
    before the trip, every STEP_S from its first prognosis to the trip. ``logs``: filled with each
    fault's (days left, log2(actual / predicted)) of the same half-days."""
    out: dict[str, list[tuple[bool, bool]]] = {}
    for p, g, t, _ in half_days(report_dir):
        pred = max((g["predicted_ts"] - t) / DAY, FLOOR_DAYS)
        actual = max((p["trip_ts"] - t) / DAY, FLOOR_DAYS)
        cell = (abs(math.log2(actual / pred)) <= 1.0, g["earliest_ts"] <= p["trip_ts"] <= g["latest_ts"])
        for key in (p["fault"], "every"):
            out.setdefault(key, []).append(cell)
            if logs is not None:
                logs.setdefault(key, []).append((actual, math.log2(actual / pred)))
    return out


def by_left(logs: dict[str, list[tuple[float, float]]]) -> list[str]:
    """Per fault, per band of days left: half-days, within x2, misses early / late."""
    lines = []
    for key in sorted(logs, key=lambda k: (k != "every", k)):
        cells = []
        for a, b in LEFT_BANDS:
            r = [x for left, x in logs[key] if a <= left < b]
            if r:
                cells.append(f"{a:g}-{b:g}d n={len(r)} {sum(abs(x) <= 1.0 for x in r) / len(r):.0%} "
                             f"early {sum(x > 1.0 for x in r)} late {sum(x < -1.0 for x in r)}")
        lines.append(f"  {key:20s} " + " | ".join(cells))
    return lines


def main(args: list[str]) -> None:
    split = "--by-left" in args
    args = [a for a in args if a != "--by-left"]
    if len(args) != 1 or not (Path(args[0]) / "parts").is_dir():
        raise SystemExit("usage: prognosis_in_force.py REPORT_DIR [--by-left] (with its parts/*.json)")
    logs: dict[str, list[tuple[float, float]]] = {}
    out = in_force(Path(args[0]), logs if split else None)
    for key in sorted(out, key=lambda k: (k != "every", k)):
        cells = out[key]
        x2 = sum(c[0] for c in cells) / len(cells)
        holds = sum(c[1] for c in cells) / len(cells)
        print(f"{key:20s} n={len(cells):4d} within x2 {x2:.1%} holds {holds:.1%}")
    if split:
        print("BY TIME LEFT (early: the trip over twice as late as the date; late: over twice as soon)")
        print("\n".join(by_left(logs)))


if __name__ == "__main__":
    main(sys.argv[1:])
