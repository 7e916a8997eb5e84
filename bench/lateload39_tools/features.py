# ruff: noqa  (bench/lateload39.md: the measurement's scripts as run, kept to reproduce it)
"""replay --features with the table's date alone (USE_PROGRESS off, as s-progress36's feat.py) plus load-normalised
progress variants per estimate (bench/lateload39.md): the day's load read from the compressor's frequency (the
hours' (high+low)/2) and from the outdoor temperature (the fleet's hourly outdoor series, 20 C less the day's mean)."""
import sys, math
import numpy as np
sys.path.insert(0, 'bench')
from heatwatch.edge.heatpump import prognosis as P
P.USE_PROGRESS = False
import prognosis_fleets as pf
DAY = 86400.0
CUR = {}
_est = pf.estimates
def estimates(pump, *a, **k):
    CUR['pump'] = pump
    out = {}
    for t, v in pump.get('outdoor', ()):
        out.setdefault(int(t // DAY), []).append(v)
    CUR['out'] = {d: float(np.mean(v)) for d, v in out.items()}
    return _est(pump, *a, **k)
pf.estimates = estimates
_feat = pf.estimate_features
def features(tr, now, indicator, threshold, first_raise):
    o = _feat(tr, now, indicator, threshold, first_raise)
    lim = P.STAGE_LIMITS.get(indicator) or tr.limits.get(indicator)
    sign = -1.0 if lim is not None and lim.direction == "down" else 1.0
    rows = [h for h in tr._hours if h[0] < now]
    day_t, excess, base = P._daily(rows, P._IDX[indicator], sign)
    nan = math.nan
    fq = []
    for ch in P.FAULT_INDICATORS.get(CUR['pump']['fault'], ()):
        lm = P.STAGE_LIMITS.get(ch) or tr.limits.get(ch)
        if lm is None or ch not in P._IDX:
            continue
        q = P.fault_progress(rows, ch, lm.threshold, lm.direction)
        if q is not None:
            fq.append(q)
    o['f_maxind'] = max(fq) if fq else nan  # the fault's most advanced indicator
    o.update(fw14=nan, f_hz=nan, f_out=nan, rel_hz=nan, rel_out=nan, fr_hz=nan, fr_out=nan)
    if len(excess) < 6:
        return o
    gap = sign * threshold - float(np.median(base[-14:]))
    if gap <= 0:
        return o
    o['fw14'] = float(np.max(excess[-14:]) / gap)
    jz = P._IDX['compressor_hz']
    hz = {}
    for t, m, hi, lo in rows:
        v = 0.5 * (hi[jz] + lo[jz])
        if not math.isnan(v):
            hz.setdefault(int(t // DAY), []).append(v)
    days = [int(t // DAY) for t in day_t[-14:]]
    ex = excess[-14:]
    for name, load in (('hz', [np.mean(hz[d]) if d in hz else nan for d in days]),
                       ('out', [max(20.0 - CUR['out'].get(d, nan), 1.0) if d in CUR['out'] else nan for d in days])):
        L = np.array(load, float)
        if not np.isfinite(L[-1]) or L[-1] <= 0 or not np.isfinite(L).any():
            continue
        Lmax = float(np.nanmax(L))
        o['rel_' + name] = float(L[-1] / Lmax)
        o['f_' + name] = float(ex[-1] / L[-1] * Lmax / gap)  # today's excess at the two weeks' heaviest load
        ok = np.isfinite(L) & (L > 0)
        o['fr_' + name] = float(np.max(ex[ok] / L[ok]) * Lmax / gap)  # the two weeks' largest excess per load
    return o
pf.estimate_features = features
pf.main(sys.argv[1:])
