# ruff: noqa  (bench/heldout50_last.md: the measurement's join as run)
"""The loop's half-days in force (prognosis_in_force walk) joined to the hook's latest estimate at or before each:
late ones split into told stale / table / raw late, by indicator and held peak.

    PYTHONPATH=bench/heldout50_tools/hook LD64_HOOK=/tmp/ld64/hook heatwatch eval service_area_200 --workers 2 --report R
    python bench/heldout50_tools/loop_join.py R_OF_MAIN /tmp/ld64/hook 0 2
"""
import sys, json, math, glob, bisect
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collections import Counter, defaultdict
from prognosis_in_force import half_days
DAY = 86400
rep, hook, lo_b, hi_b = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
H = defaultdict(list)
for f in glob.glob(hook + "/*.jsonl"):
    for line in open(f):
        r = json.loads(line); H[(r["dev"], r["fault"])].append(r)
for k in H: H[k].sort(key=lambda r: r["ts"])
def cls(a, d):
    x = math.log2(max(a, 1/24) / max(d, 1/24)); return "late" if x < -1 else "early" if x > 1 else "ok"
c = Counter(); per = defaultdict(Counter); n = 0; miss = 0
for p, g, t, t0 in half_days(rep):
    left = (p["trip_ts"] - t) / DAY
    if not (lo_b <= left < hi_b): continue
    recs = H.get((p["device"], p["fault"]))
    if not recs: miss += 1; continue
    n += 1
    told = (g["predicted_ts"] - t) / DAY
    if cls(left, told) != "late": continue
    i = bisect.bisect_right([r["ts"] for r in recs], t) - 1
    r = recs[i]
    if r["pred"] is None: k = "no estimate"
    else:
        lat = (r["pred"] - t) / DAY
        ch = r["ind"]; info = r["chans"].get(ch)
        raw = info[0] - (t - r["ts"]) / DAY if info and info[0] is not None else None
        if cls(left, lat) != "late": k = "told stale"
        elif raw is not None and cls(left, raw) != "late": k = "table"
        else: k = "raw late"
        held = info[1] if info else None
        k = (k, ch, "held" if held is not None and held < 1 else "")
    c[(p["fault"],) + (k if isinstance(k, tuple) else (k,))] += 1
    per[(p["site"], p["device"], p["fault"])][k if isinstance(k, str) else k[0]] += 1
print(f"{n} half-days {lo_b}-{hi_b} d joined ({miss} not in the hook yet); late:", sum(c.values()))
tot = Counter()
for k, v in c.items(): tot[k[1]] += v
print(" by source", dict(tot))
for k, v in sorted(c.items()): print(" ", k, v)
for k, v in sorted(per.items()): print(" ", k, dict(v))
