# ruff: noqa  (bench/lateload39.md: the measurement's scripts as run, kept to reproduce it)
"""The loop's in-force half-days (as bench/prognosis_in_force.py / s-graded37's late_pumps.py read them) re-dated
offline with the progress variants, from the hook's log of every progress read (sitecustomize in hook/)."""
import sys, math, json, glob, os
from pathlib import Path
import numpy as np
sys.path.insert(0, 'bench')
from prognosis_redate import ticketed
from heatwatch.units import DAY
H = {}
for f in glob.glob(os.environ.get('HOOK', '/tmp/s-lateload39/hooklog') + '/*.jsonl'):
    for line in open(f):
        e = json.loads(line)
        H.setdefault((e['fault'], round(e['pred_ts'])), []).append(e)
def graded(q):
    return 0.5 * math.sqrt(1 - min(max(q, 0.0), 0.2) / 0.2)
LS = ('evaporator_fouling', 'condenser_fouling')
def variant(name):
    def mv(e):
        f, i = e['fault'], e['ind']
        lift_ok = e['dated_by'] in ('own', 'chain') and (f, i) != ('evaporator_fouling', 'p_low')
        q = e['frac']
        if name.startswith('norm:') and f in LS:
            q = e[name[5:]]
        if name.startswith('all:'):
            q = e[name[4:]]
        if name == 'no lift' or (name == 'excl load-share' and f in LS) or (name == 'excl condenser' and f == 'condenser_fouling') or (name == 'excl evaporator' and f == 'evaporator_fouling') or (name == 'excl wear_a+load-share' and (f in LS or (f, i) == ('compressor_wear', 'compressor_a'))) \
                or (name == 'excl wear_a' and (f, i) == ('compressor_wear', 'compressor_a')) \
                or (name == 'excl wear_a+condenser' and ((f, i) == ('compressor_wear', 'compressor_a') or f == 'condenser_fouling')):
            lift_ok = False
        if lift_ok and q is not None and not (isinstance(q, float) and math.isnan(q)) and q < 0.2:
            return graded(q)
        if (f, i) == ('compressor_wear', 't_discharge') and e['frac'] >= 0.7 and e['raw'] >= 8:
            return -0.5
        return 0.0
    return mv
VARS = ['main', 'no lift', 'excl load-share', 'excl evaporator', 'excl condenser', 'excl wear_a', 'excl wear_a+condenser', 'excl wear_a+load-share', 'norm:fw14', 'norm:f_hz', 'norm:fr_hz'] + (['norm:f_maxind', 'all:f_maxind'] if 'hooklog2' in os.environ.get('HOOK', '') else [])
res = {v: {} for v in VARS}; miss = [0, 0]; check = 0
for p, ahead in ticketed(Path(sys.argv[1])):
    sent = sorted(ahead, key=lambda g: g['ts'])
    if not sent:
        continue
    dev = p.get('device') or p.get('device_id') or str(p.get('name'))
    # per sent prognosis, its hook entry
    ent = []
    for g in sent:
        c = [e for e in H.get((p['fault'], round(g['predicted_ts'])), []) if abs(e['now'] - g['ts']) < 2 * 3600]
        ent.append(c[0] if c else None)
    for v in VARS:
        mv = None if v == 'main' else variant(v)
        c = res[v].setdefault((dev, p['fault']), dict(late16=0, late816=0, early16=0, x2near=0, x2far=0, n_near=0, n_far=0, early_all=0, late_all=0))
        t, i = sent[0]['ts'], 0
        while t < p['trip_ts']:
            while i + 1 < len(sent) and sent[i + 1]['ts'] <= t:
                i += 1
            g, e = sent[i], ent[i]
            pts = g['predicted_ts']
            if mv is not None and e is not None:
                table = (pts - e['now']) / 2 ** e['move']
                new = e['now'] + table * 2 ** mv(e)
                pts = min(max(new, g['earliest_ts']), g['latest_ts'])
            pred = max((pts - t) / DAY, 1 / 24); act = max((p['trip_ts'] - t) / DAY, 1 / 24)
            r = math.log2(act / pred)
            nr = act < 16
            c['n_near' if nr else 'n_far'] += 1
            if abs(r) <= 1:
                c['x2near' if nr else 'x2far'] += 1
            if r < -1:
                c['late_all'] += 1; c['late16'] += nr; c['late816'] += (8 <= act < 16)
            if r > 1:
                c['early_all'] += 1; c['early16'] += (not nr)
            t += 0.5 * DAY
    for g, e in zip(sent, ent):
        miss[e is None] += 1
print('sent prognoses matched to a hook entry / not:', miss, '(not: no progress read: raw under 4 days, short history, or no gap)')
tot = lambda v, k: sum(c[k] for c in res[v].values())
main_cost = tot('main', 'early_all') + 7 * tot('main', 'late_all')
print(f"{'variant':24s} late<16 late8-16 x2<16 x2 16+ x2all early late cost7 (vs main) | pumps cost lower/higher")
for v in VARS:
    nn, nf = tot(v, 'n_near'), tot(v, 'n_far')
    cost = tot(v, 'early_all') + 7 * tot(v, 'late_all')
    lw = sum((c['early_all'] + 7 * c['late_all']) < (res['main'][k]['early_all'] + 7 * res['main'][k]['late_all']) for k, c in res[v].items())
    hg = sum((c['early_all'] + 7 * c['late_all']) > (res['main'][k]['early_all'] + 7 * res['main'][k]['late_all']) for k, c in res[v].items())
    print(f"{v:24s} {tot(v, 'late16'):6d} {tot(v, 'late816'):7d} {100 * tot(v, 'x2near') / nn:5.1f} {100 * tot(v, 'x2far') / nf:5.1f} "
          f"{100 * (tot(v, 'x2near') + tot(v, 'x2far')) / (nn + nf):5.1f} {tot(v, 'early_all'):5d} {tot(v, 'late_all'):4d} {cost:5d} ({cost - main_cost:+d}) | {lw}/{hg}   n {nn}+{nf}")
print('\nper pump where a variant differs from main: late<16 (8-16) early16+')
for k in sorted(res['main'], key=str):
    row = [f"{v}: {res[v][k]['late16']}({res[v][k]['late816']}) {res[v][k]['early16']}" for v in VARS]
    if len(set(r.split(': ')[1] for r in row)) > 1:
        print(k, ' | '.join(row))

if len(sys.argv) > 2:
    for p, ahead in ticketed(Path(sys.argv[1])):
        dev = p.get('device') or p.get('device_id') or str(p.get('name'))
        if dev not in sys.argv[2:]:
            continue
        print(dev, p['fault'])
        for g in sorted(ahead, key=lambda g: g['ts']):
            c = [e for e in H.get((p['fault'], round(g['predicted_ts'])), []) if abs(e['now'] - g['ts']) < 2 * 3600]
            left = (p['trip_ts'] - g['ts']) / DAY; d = (g['predicted_ts'] - g['ts']) / DAY
            if c:
                e = c[0]
                print(f"  left {left:5.1f} date {d:5.1f} raw {e['raw']:5.1f} {e['ind']:12s} {e['dated_by']:6s} move {e['move']:.2f} frac {e['frac']:.3f} fw14 {e['fw14']:.3f} f_hz {e['f_hz']:.3f} fr_hz {e['fr_hz']:.3f} rel_hz {e['rel_hz']:.2f}")
            else:
                print(f"  left {left:5.1f} date {d:5.1f} (no progress read)")
