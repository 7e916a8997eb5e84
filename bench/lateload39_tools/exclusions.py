# ruff: noqa  (bench/lateload39.md: the measurement's scripts as run, kept to reproduce it)
import sys; sys.argv=[sys.argv[0]]
exec(open('bench/lateload39_tools/variants.py').read().split("if __name__")[0])
base = V['main: graded on today (frac)']
wa = (fault == 'compressor_wear') & (ind == 'compressor_a'); cp = (fault == 'condenser_fouling') & (ind == 'p_high')
cf = fault == 'condenser_fouling'; ls = LOADSHARE
b = stats(base, ALL)
print(f"{'main':40s} late<16 {b['late16']} late8-16 {b['late8_16']} x2<16 {b['x2near']:.1f} x2 16+ {b['x2far']:.1f} x2all {b['x2all']:.1f} early {b['early_all']} late {b['late_all']} cost {b['cost']}")
for lab, msk in (('no lift: evap+cond fouling', ls), ('no lift: condenser fouling', cf), ('no lift: wear compressor_a', wa), ('no lift: wear compressor_a + condenser fouling', wa | cf),
                 ('no lift: wear compressor_a + evap/cond fouling', wa | ls)):
    m = np.where(msk & (base > 0), 0.0, base); st = stats(m, ALL)
    out = []
    for k in (4, 7, 10):
        lw = hg = 0
        for fs in sorted(set(seed)):
            x = stats(m, seed == fs); y = stats(base, seed == fs)
            cx = x['early_all'] + k * x['late_all']; cy = y['early_all'] + k * y['late_all']; lw += cx < cy; hg += cx > cy
        d = (st['early_all'] + k * st['late_all']) - (b['early_all'] + k * b['late_all'])
        out.append(f"k{k} {d:+d} ({lw} lower/{hg} higher)")
    lf = sum(stats(m, seed == fs)['late16'] < stats(base, seed == fs)['late16'] for fs in set(seed))
    print(f"{lab:40s} late<16 {st['late16']} late8-16 {st['late8_16']} x2<16 {st['x2near']:.1f} x2 16+ {st['x2far']:.1f} x2all {st['x2all']:.1f} early {st['early_all']} late {st['late_all']} | late<16 down on {lf} fleets | " + '; '.join(out))
