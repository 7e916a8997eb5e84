# ruff: noqa  (bench/lateload39.md: the measurement's scripts as run, kept to reproduce it)
import sys; sys.argv=[sys.argv[0]]
exec(open('bench/lateload39_tools/variants.py').read().split("if __name__")[0])
base = V['main: graded on today (frac)']; nol = V['no lift (draw-in only)']
def r_of(m):
    p = np.clip(pred * 2 ** m, lo, hi); return np.log2(np.maximum(actual, FLOOR) / np.maximum(p, FLOOR))
rb, rn = r_of(base), r_of(nol)
print('per fault/indicator: what the lift does (no lift -> main), every estimate; cost at k=4/7/10')
for f in sorted(set(fault)):
    for i in sorted(set(ind[fault == f])):
        s = (fault == f) & (ind == i)
        if not (s & (base > 0)).any(): continue
        dl = int(((rb < -1) & near & s).sum() - ((rn < -1) & near & s).sum()); dl_all = int(((rb < -1) & s).sum() - ((rn < -1) & s).sum())
        de = int(((rb > 1) & s).sum() - ((rn > 1) & s).sum())
        fx = 100 * (np.abs(rb) <= 1)[far & s].mean() - 100 * (np.abs(rn) <= 1)[far & s].mean() if (far & s).any() else math.nan
        print(f'  {f:20s} {i:20s} lifted {int((s & (base > 0)).sum()):5d} late<16 {dl:+4d} late all {dl_all:+4d} early {de:+5d} far x2 {fx:+5.1f} | cost k4 {de + 4 * dl_all:+5d} k7 {de + 7 * dl_all:+5d} k10 {de + 10 * dl_all:+5d}')
# the lift's new late dates (late under main, not without the lift): their progress variants
new = (rb < -1) & ~(rn < -1)
print('\nnew late dates by the lift, load-share faults: n, median frac / fw14 / f_hz / fr_hz / f_out / rel_hz / rel_out; raw, actual')
for f in ('evaporator_fouling', 'condenser_fouling'):
    s = new & (fault == f)
    if s.any():
        print(f'  {f} n={s.sum()} near={int((s & near).sum())}', ' '.join(f'{k} {np.nanmedian(g(k)[s]):.3f}' for k in ('frac', 'fw14', 'f_hz', 'fr_hz', 'f_out', 'rel_hz', 'rel_out', 'raw', 'actual')))
        print('    share with each variant >= 0.2:', ' '.join(f'{k} {int((g(k)[s] >= 0.2).sum())}' for k in ('fw14', 'f_hz', 'fr_hz', 'f_out', 'fr_out')))
s = (base > 0) & np.isin(fault, ['evaporator_fouling', 'condenser_fouling'])
print('  every lifted load-share estimate: n', s.sum(), 'median rel_hz', round(np.nanmedian(g('rel_hz')[s]), 3), 'rel_out', round(np.nanmedian(g('rel_out')[s]), 3))
# per fleet: excluding the load-share lift vs main
print('\nper fleet (seed: late<16 main -> excl, cost main -> excl)')
ex = V['no lift on evap/cond fouling']
for k in (4, 7, 10):
    lower = higher = 0
    for fs in sorted(set(seed)):
        ss = seed == fs
        cb = ((rb > 1) & ss).sum() + k * ((rb < -1) & ss).sum(); re_ = r_of(ex); ce = ((re_ > 1) & ss).sum() + k * ((re_ < -1) & ss).sum()
        lower += ce < cb; higher += ce > cb
    print(f'k={k}: excl lower on {lower}, higher on {higher} of {len(set(seed))} fleets; pooled', int(((r_of(ex) > 1)).sum() + k * (r_of(ex) < -1).sum()) - int((rb > 1).sum() + k * (rb < -1).sum()))
re_ = r_of(ex)
print(' '.join(f"{fs}:{int(((rb < -1) & near & (seed == fs)).sum())}->{int(((re_ < -1) & near & (seed == fs)).sum())}/{int(((rb > 1) | (rb < -1) * 0).astype(int)[seed == fs].sum() + 7 * ((rb < -1) & (seed == fs)).sum()) - int((re_ > 1)[seed == fs].sum() + 7 * ((re_ < -1) & (seed == fs)).sum()):+d}" for fs in sorted(set(seed))))
# condenser only / condenser p_high only
for lab, msk in (('no lift on condenser fouling', fault == 'condenser_fouling'), ('no lift on condenser p_high', (fault == 'condenser_fouling') & (ind == 'p_high')),
                 ('no lift on evaporator fouling', fault == 'evaporator_fouling')):
    m = np.where(msk & (base > 0), 0.0, base); st = stats(m, ALL)
    lw = hg = 0
    for fs in sorted(set(seed)):
        a = stats(m, seed == fs)['cost']; b = stats(base, seed == fs)['cost']; lw += a < b; hg += a > b
    print(f"{lab:34s} late<16 {st['late16']} late8-16 {st['late8_16']} x2<16 {st['x2near']:.1f} x2 16+ {st['x2far']:.1f} x2all {st['x2all']:.1f} cost {st['cost']} ({st['cost'] - stats(base, ALL)['cost']:+d}); fleets lower {lw} higher {hg}")
