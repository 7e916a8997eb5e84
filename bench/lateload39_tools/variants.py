# ruff: noqa  (bench/lateload39.md: the measurement's scripts as run, kept to reproduce it)
"""Offline: main's graded progress lift (frac, today's excess) against load-normalised progress variants, on the
feat2.py dumps (table's date alone + features). Cost = early + K x late over every estimate (plan 43)."""
import json, math, glob, sys
import numpy as np
FLOOR = 0.25; K = 7
import os
files = sorted(glob.glob(os.environ.get('DUMPS', '/tmp/s-lateload39/f_h*.json')))
D = [e for f in files for e in json.load(open(f))]
print('fleets', len(files), 'estimates', len(D))
g = lambda k: np.array([e.get(k) if e.get(k) is not None else math.nan for e in D], dtype=float)
actual, pred, lo, hi, raw, frac = g('actual'), g('pred'), g('lo'), g('hi'), g('raw'), g('frac')
seed = np.array([e['seed'] for e in D]); fault = np.array([e['fault'] for e in D]); ind = np.array([e['indicator'] for e in D])
lift_ok = np.array([e['dated_by'] in ('own', 'chain') and (e['fault'], e['indicator']) != ('evaporator_fouling', 'p_low') for e in D])
draw_ok = (fault == 'compressor_wear') & (ind == 't_discharge')
LOADSHARE = np.isin(fault, ['evaporator_fouling', 'condenser_fouling'])
near = actual < 16; far = ~near

def graded(p):
    pp = np.clip(np.nan_to_num(p, nan=0.0), 0, 0.2)
    return 0.5 * np.sqrt(1 - pp / 0.2)

def moves(prog=None, scope=None, exclude=False, lift=True):
    """prog: the progress array the lift reads (default frac); scope: where it replaces frac (None: everywhere)."""
    q = frac.copy() if prog is None else np.where(scope if scope is not None else True, prog, frac)
    ok = lift & (raw >= 4) & lift_ok & np.isfinite(q) & (q < 0.2)
    if exclude:
        ok &= ~LOADSHARE
    m = np.where(ok, graded(q), 0.0)
    dr = (raw >= 8) & draw_ok & np.isfinite(frac) & (frac >= 0.7) & ~ok
    return np.where(dr, -0.5, m)

def stats(m, s):
    p = np.clip(pred * 2 ** m, lo, hi)
    r = np.log2(np.maximum(actual, FLOOR) / np.maximum(p, FLOOR))
    x2, early, late = np.abs(r) <= 1, r > 1, r < -1
    n8 = (actual >= 8) & near
    return dict(late16=int((late & near & s).sum()), late8_16=int((late & n8 & s).sum()), early_all=int((early & s).sum()),
                late_all=int((late & s).sum()), x2near=100 * x2[near & s].mean() if (near & s).any() else math.nan,
                x2far=100 * x2[far & s].mean() if (far & s).any() else math.nan, x2all=100 * x2[s].mean(),
                cost=int((early & s).sum() + K * (late & s).sum()), moved=int(((m > 0) & s).sum()))

ALL = np.ones(len(D), bool)
V = {'no lift (draw-in only)': moves(lift=False),
     'main: graded on today (frac)': moves(),
     'no lift on evap/cond fouling': moves(exclude=True)}
for k, lab in (('fw14', "two weeks' worst day"), ('f_hz', 'today at the heaviest hz'), ('f_out', 'today at the coldest day'),
               ('fr_hz', 'max excess/hz'), ('fr_out', 'max excess/(20-Tout)')) + ((('f_maxind', "the fault's most advanced indicator"),) if os.environ.get('DUMPS') else ()):
    V[f'{lab} ({k}), evap/cond only'] = moves(g(k), LOADSHARE)
    V[f'{lab} ({k}), every fault'] = moves(g(k))

if __name__ == '__main__':
    base = V['main: graded on today (frac)']
    hdr = f"{'variant':50s} late<16 late8-16 x2<16 x2 16+ x2all early late cost  moved | fleets: cost<=main, late<16<=main, both"
    print(hdr)
    fleets = sorted(set(seed))
    for name, m in V.items():
        s = stats(m, ALL)
        pf = [(stats(m, seed == f), stats(base, seed == f)) for f in fleets]
        a = sum(x['cost'] <= y['cost'] for x, y in pf); b = sum(x['late16'] <= y['late16'] for x, y in pf)
        c = sum(x['cost'] <= y['cost'] and x['late16'] <= y['late16'] for x, y in pf)
        cs = sum(x['cost'] < y['cost'] for x, y in pf); cw = sum(x['cost'] > y['cost'] for x, y in pf)
        print(f"{name:50s} {s['late16']:6d} {s['late8_16']:7d} {s['x2near']:5.1f} {s['x2far']:5.1f} {s['x2all']:5.1f} "
              f"{s['early_all']:5d} {s['late_all']:4d} {s['cost']:6d} {s['moved']:5d} | {a}/{len(fleets)} {b}/{len(fleets)} {c}/{len(fleets)} (lower {cs}, higher {cw})")
    if '--faults' in sys.argv:
        for f in ('evaporator_fouling', 'condenser_fouling'):
            for i in sorted(set(ind[fault == f])):
                s = (fault == f) & (ind == i)
                print(f'\n{f} {i} n={s.sum()} (near {(s & near).sum()})')
                for name, m in V.items():
                    x = stats(m, s)
                    print(f"  {name:48s} late<16 {x['late16']:4d} late8-16 {x['late8_16']:4d} x2<16 {x['x2near']:5.1f} x2 16+ {x['x2far']:5.1f} early {x['early_all']:4d} cost {x['cost']:5d} moved {x['moved']}")
