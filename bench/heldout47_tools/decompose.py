"""Held-out 47 (bench/heldout47_wear.md): a worn compressor's estimates on wear-only fleets taken apart, with the
code of the worktree it is run in. Per estimate every 12 h from the raise to the trip (bench/prognosis_fleets.py's
walk): the date sent, its raw date (no table), the indicator and path that dated it (own trend, the derate's room),
each indicator's own raw date, the discharge's room date and trend, whether the pump was held at its derate in its
last days (prognosis_derate.held_at_derate), the discharge's progress (prognosis.fault_progress, against the stop)
and the progress move taken. Prints the misses (over twice early / late) by time left, split by those; --dump FILE
keeps the rows as JSON.

    python bench/heldout47_tools/decompose.py FLEET.json [...] [--dump OUT.json]
"""
from __future__ import annotations

import json
import math
import sys
from collections import Counter, defaultdict

import numpy as np

sys.path.insert(0, 'bench')
import prognosis_fleets as pf  # noqa: E402
from heatwatch.edge.heatpump import prognosis as P  # noqa: E402
from heatwatch.edge.heatpump import prognosis_derate as D  # noqa: E402
from heatwatch.units import DAY, HOUR  # noqa: E402

REC: dict = {}
_orig_channel = P.PrognosisTracker._predict_channel
_orig_dated_by = P._dated_by
_orig_room = P.derate_room_days
_orig_move = P._progress_move


def _channel(self, ch, now, fault="", rows=None, cols=None):
    REC["ch"] = ch
    p = _orig_channel(self, ch, now, fault, rows, cols)
    REC.setdefault("raw_by", {})[ch] = None if p is None else (p.predicted_trip_ts - now) / DAY
    return p


def _dated(days, own, chain, room):
    REC.setdefault("parts", {})[REC.get("ch")] = dict(own=own, chain=chain, room=room)
    return _orig_dated_by(days, own, chain, room)


def _move(*a, **k):
    m = _orig_move(*a, **k)
    REC["move"] = m
    return m


P.PrognosisTracker._predict_channel = _channel
P._dated_by = _dated
P._progress_move = _move


def kind(p: dict, per_fault: int) -> str:
    return "plain" if int(p['device'].split('-')[1]) < per_fault else "mechanical"


def rows_of(path: str) -> list[dict]:
    pumps = json.load(open(path))
    out = []
    for p in pumps:
        if p['fault'] != 'compressor_wear' or not p['raised'] or p['trip_ts'] is None:
            continue
        hours = [(float(h[0]), pf._arr(h[1]), pf._arr(h[2]), pf._arr(h[3])) for h in p['hours']]
        times = [h[0] for h in hours]
        peaks = [(float(h[0]), pf._arr(h[1]), pf._arr(h[2])) for h in p.get('peaks', ())]
        ptimes = [h[0] for h in peaks]
        end, t = p['trip_ts'], min(p['raised'])
        while t < end:
            tr = P.PrognosisTracker(refrigerant=p['refrigerant'])
            pf.set_limits(tr, p)
            k = int(np.searchsorted(times, t - HOUR, side='right'))
            tr._hours.extend(hours[max(0, k - tr._hours.maxlen):k])
            k = int(np.searchsorted(ptimes, t - HOUR, side='right'))
            tr._peaks.extend(peaks[max(0, k - tr._peaks.maxlen):k])
            REC.clear()
            g = tr.predict('compressor_wear', t)
            if g is not None:
                rec = dict(REC)
                tr.calibration = None
                REC.clear()
                raw = tr.predict('compressor_wear', t)
                rows = [h for h in tr._hours if h[0] < t]
                cols = P._stack_hours(rows)
                jd, jhz = P._IDX['t_discharge'], P._IDX['compressor_hz']
                lim = tr.limits['t_discharge']
                prog = P.fault_progress(rows, 't_discharge', lim.threshold, 'up')
                out.append(dict(
                    fleet=path.split('/')[-1], dev=p['device'], kind=kind(p, len(pumps) // 2), trip=p['trip_kind'],
                    refrigerant=p['refrigerant'], ts=t, actual=(end - t) / DAY, pred=(g.predicted_trip_ts - t) / DAY,
                    lo=(g.lower_ts - t) / DAY, hi=(g.upper_ts - t) / DAY, ind=g.indicator,
                    raw=(raw.predicted_trip_ts - t) / DAY, raw_by=rec.get('raw_by', {}),
                    parts=rec.get('parts', {}), move=rec.get('move', 0.0), dated_by=tr._dated_by.get(g.indicator, ''),
                    held_ever=D.held_at_derate(cols, t, jhz, jd, days=math.inf),
                    held_now=D.held_at_derate(cols, t, jhz, jd), prog=prog))
            t += 12 * HOUR
    return out


def verdict(r: dict) -> str:
    q = math.log2(max(r['actual'], pf.FLOOR_DAYS) / max(r['pred'], pf.FLOOR_DAYS))
    return 'x2' if abs(q) <= 1 else ('early' if q > 1 else 'late')


BANDS = ((0, 2), (2, 4), (4, 8), (8, 16), (16, 1e9))


def table(rows: list[dict], key, title: str) -> None:
    print(f"\n{title}")
    cells = defaultdict(Counter)
    for r in rows:
        band = next(f"{a}-{b if b < 1e8 else ''}" for a, b in BANDS if a <= r['actual'] < b)
        cells[(key(r), band)][verdict(r)] += 1
    keys = sorted({k for k, _ in cells}, key=str)
    print(f"{'':34s}" + "".join(f"{a}-{b if b < 1e8 else '':>3}d x2/early/late   " for a, b in BANDS))
    for k in keys:
        s = f"{str(k):34s}"
        for a, b in BANDS:
            c = cells[(k, f"{a}-{b if b < 1e8 else ''}")]
            s += f"{c['x2']:5d}/{c['early']:4d}/{c['late']:4d}        "
        print(s)


def cost(rows: list[dict]) -> str:
    v = Counter(verdict(r) for r in rows)
    late16 = sum(verdict(r) == 'late' and r['actual'] < 16 for r in rows)
    far = [r for r in rows if r['actual'] >= 16]
    farx2 = sum(verdict(r) == 'x2' for r in far)
    held = sum(r['lo'] <= r['actual'] <= r['hi'] for r in rows)
    n = len(rows)
    return (f"n={n} x2 {100 * v['x2'] / max(n, 1):.1f} % early {v['early']} late {v['late']} late<16 {late16} "
            f"cost7 {v['early'] + 7 * v['late']} 16+ x2 {100 * farx2 / max(len(far), 1):.1f} % ({len(far)}) "
            f"holds {100 * held / max(n, 1):.1f} %")


def pband(r: dict) -> str:
    q = r['prog']
    if q is None:
        return 'prog none'
    return 'prog ' + next(f"{a}-{b}" for a, b in ((-9, 0.3), (0.3, 0.6), (0.6, 0.9), (0.9, 1.2), (1.2, 99)) if q < b)


def main(argv: list[str]) -> None:
    dump = None
    if '--dump' in argv:
        i = argv.index('--dump')
        dump = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    while '--set' in argv:  # --set NAME=PYTHON: a prognosis constant for a variant (tuning only)
        i = argv.index('--set')
        name, value = argv[i + 1].split('=', 1)
        setattr(P, name, eval(value))
        print('set', name, '=', getattr(P, name))
        argv = argv[:i] + argv[i + 2:]
    rows = [r for f in argv for r in rows_of(f)]
    if dump:
        json.dump(rows, open(dump, 'w'))
    print("every", cost(rows))
    for f in argv:
        print(" ", f.split('/')[-1], cost([r for r in rows if r['fleet'] == f.split('/')[-1]]))
    table(rows, lambda r: (r['kind'], r['trip']), "by wear kind / trip kind")
    table(rows, lambda r: (r['ind'], r['dated_by']), "by indicator / path that dated it")
    table(rows, lambda r: (r['ind'], 'held now' if r['held_now'] else ('held before' if r['held_ever'] else 'never held')),
          "by indicator / derate")
    table([r for r in rows if r['ind'] == 't_discharge'], pband, "discharge-dated, by its progress against the stop")
    table(rows, lambda r: ('drawn in' if r['move'] < 0 else ('lifted' if r['move'] > 0 else 'unmoved')), "by progress move")


if __name__ == '__main__':
    main(sys.argv[1:])
