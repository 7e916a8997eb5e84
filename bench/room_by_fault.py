"""Whether a discharge-limited fault's trip is dated better with the derate's room in kelvin (issue 13).

A worn compressor at its derate is dated with each off-derate hour's healthy worst less the kelvin its
frequency can still give up (prognosis_derate.daily_worst_less_room, prognosis.ROOM_KELVIN_FAULTS). This
asks the same of the leak and the valve stuck closed, on fleets collected by bench/prognosis_fleets.py:

    python bench/room_by_fault.py compare [--raw] FLEET.json [...]
        each leaking / stuck-closed pump's estimates every 12 h, with ROOM_KELVIN_FAULTS as main's and with
        the two faults added (same process, same table; --raw: no calibration table); pooled by fault and
        by the real time left, and split by main's own error (median actual / date over 2 or not)
    python bench/room_by_fault.py hours FLEET.json [...]
        per fault, the hours before a discharge trip: the off-derate hours' excess by days left, and in the
        last two days their hottest, healthy worst, excess and room in kelvin (how the excess sits on the hours)

Measured in docs/heatpump.md ("The leak's and the stuck-closed valve's room in kelvin").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import prognosis_fleets as pf  # noqa: E402

from heatwatch.edge.heatpump import prognosis  # noqa: E402
from heatwatch.edge.heatpump.prognosis_derate import DERATE_BAND_K, DERATE_ROOM_K, DERATE_START_C, F_MIN_HZ  # noqa: E402
from heatwatch.units import DAY  # noqa: E402

ASKED = ("refrigerant_leak", "eev_stuck_closed")
BANDS = (0.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)


def compare(paths: list[str]) -> None:
    main_set = prognosis.ROOM_KELVIN_FAULTS
    res: dict[str, dict[str, list]] = {s: {f: [] for f in ASKED} for s in ("main", "room")}
    split: dict[str, list[list[dict]]] = {"main over 2x early": [[], []], "the rest": [[], []]}
    for path in paths:
        for p in json.load(open(path)):
            if p["fault"] not in ASKED:
                continue
            got = {}
            for s, faults in (("main", main_set), ("room", main_set | set(ASKED))):
                prognosis.ROOM_KELVIN_FAULTS = frozenset(faults)
                got[s] = pf.estimates(p)
                res[s][p["fault"]] += got[s]
            prognosis.ROOM_KELVIN_FAULTS = main_set
            if got["main"]:
                f = pf.figures(got["main"])
                k = "main over 2x early" if f["median_ratio"] > 2 else "the rest"
                split[k][0] += got["main"]
                split[k][1] += got["room"]
                print(Path(path).name, p["fault"], "main", pf.fmt(f), "| room", pf.fmt(pf.figures(got["room"])), flush=True)
    for s in res:
        for f in (*ASKED, "both"):
            e = res[s][f] if f != "both" else res[s][ASKED[0]] + res[s][ASKED[1]]
            print(s, f, pf.fmt(pf.figures(e)))
        for i, a in enumerate(BANDS[:-1]):
            b = BANDS[i + 1] if i + 2 < len(BANDS) else np.inf
            e = [x for f in ASKED for x in res[s][f] if a <= x["actual"] < b]
            if e:
                print(s, f"{a:g}-{b:g}d", pf.fmt(pf.figures(e)))
    for k, (m, r) in split.items():
        if m:
            print(k, "main", pf.fmt(pf.figures(m)), "| room", pf.fmt(pf.figures(r)))


def hours_before_trip(pumps: list[dict]) -> tuple[dict[str, dict[int, list[float]]], dict[str, np.ndarray]]:
    """Per discharge-limited fault tripping on its discharge: the off-derate hours' excess by days-left band
    (BANDS index), and the last two days' hours as rows (at the derate, hottest, healthy worst, excess, room K)."""
    j, jz = prognosis._IDX["t_discharge"], prognosis._IDX["compressor_hz"]
    at = DERATE_START_C - DERATE_BAND_K
    by_left: dict[str, dict[int, list[float]]] = {}
    last: dict[str, list[tuple]] = {}
    for p in pumps:
        if p["fault"] not in (*ASKED, "compressor_wear") or p.get("trip_kind") != "discharge_overtemp":
            continue
        for h in p["hours"]:
            r, hi = h[1][j], h[2][j]
            left = (p["trip_ts"] - h[0]) / DAY
            if r is None or hi is None or left < 0:
                continue
            if hi < at:
                b = int(np.searchsorted(BANDS, left, side="right")) - 1
                by_left.setdefault(p["fault"], {}).setdefault(b, []).append(r)
            if left < 2.0:
                f = np.nan if h[2][jz] is None or h[3][jz] is None else 0.5 * (h[2][jz] + h[3][jz])
                room = DERATE_ROOM_K * (1.0 - F_MIN_HZ / f) if f > F_MIN_HZ else 0.0
                last.setdefault(p["fault"], []).append((hi >= at, hi, hi - r, r, room))
    return by_left, {f: np.array(v, dtype=float) for f, v in last.items()}


def hours(paths: list[str]) -> None:
    by_left, last = hours_before_trip([p for path in paths for p in json.load(open(path))])
    for fault, d in by_left.items():
        print(fault, "off-derate excess by days left:", " | ".join(
            f"{BANDS[b]:g}-{BANDS[b + 1] if b + 1 < len(BANDS) else np.inf:g}d {np.median(v):.1f} K" for b, v in sorted(d.items())))
    for fault, a in last.items():
        off = a[a[:, 0] == 0]
        print(f"{fault} last two days: {len(a)} hours, {100 * a[:, 0].mean():.0f} % at the derate; off it (median) hottest "
              f"{np.median(off[:, 1]):.1f} °C, healthy {np.median(off[:, 2]):.1f} °C, excess {np.median(off[:, 3]):.1f} K, "
              f"room {np.median(off[:, 4]):.1f} K")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "compare":
        if len(args) > 1 and args[1] == "--raw":
            pf.RAW["on"] = True
            args = args[1:]
        compare(args[1:])
    elif args and args[0] == "hours":
        hours(args[1:])
    else:
        raise SystemExit(__doc__)
