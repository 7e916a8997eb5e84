# ruff: noqa  (bench/lateload39.md: the measurement's scripts as run, kept to reproduce it)
"""Loop hook (bench/lateload39.md): per prognosis whose progress was read, the date sent and the progress variants
(today's excess frac; the two weeks' worst day fw14; today's excess at the two weeks' heaviest compressor frequency
f_hz; the two weeks' largest excess per hz fr_hz), appended to /tmp/s-lateload39/hooklog2/<pid>.jsonl."""
import builtins, json, math, os, sys
_imp = builtins.__import__
_done = {}
def _patch(P):
    import numpy as np
    orig_move, orig_predict = P._progress_move, P.PrognosisTracker.predict
    LAST = {}
    def move(best, now, rows, limits, fault="", dated_by=P.DATED_OWN):
        m = orig_move(best, now, rows, limits, fault, dated_by)
        LAST.clear()
        try:
            raw = (best.predicted_trip_ts - now) / 86400.0
            if raw < 4 or best.indicator not in P._IDX:
                return m
            lim = P.STAGE_LIMITS.get(best.indicator) or limits.get(best.indicator)
            sign = -1.0 if lim is not None and lim.direction == "down" else 1.0
            day_t, ex, base = P._daily(rows, P._IDX[best.indicator], sign)
            if len(ex) < 6:
                return m
            gap = sign * best.threshold - float(np.median(base[-14:]))
            if gap <= 0:
                return m
            jz = P._IDX["compressor_hz"]; hz = {}
            for t, mm, hi, lo in rows:
                v = 0.5 * (hi[jz] + lo[jz])
                if not math.isnan(v):
                    hz.setdefault(int(t // 86400), []).append(v)
            L = np.array([np.mean(hz[int(t // 86400)]) if int(t // 86400) in hz else np.nan for t in day_t[-14:]])
            e14 = ex[-14:]
            f_hz = fr_hz = rel = math.nan
            if np.isfinite(L[-1]) and L[-1] > 0:
                Lm = float(np.nanmax(L)); rel = float(L[-1] / Lm); f_hz = float(e14[-1] / L[-1] * Lm / gap)
                ok = np.isfinite(L) & (L > 0); fr_hz = float(np.max(e14[ok] / L[ok]) * Lm / gap)
            fq = []
            for ch in P.FAULT_INDICATORS.get(fault, ()):
                lm = P.STAGE_LIMITS.get(ch) or limits.get(ch)
                if lm is None or ch not in P._IDX:
                    continue
                q = P.fault_progress(rows, ch, lm.threshold, lm.direction)
                if q is not None:
                    fq.append(q)
            LAST.update(f_maxind=max(fq) if fq else math.nan)
            LAST.update(fault=fault, ind=best.indicator, dated_by=dated_by, raw=raw, move=m, frac=float(ex[-1] / gap),
                        fw14=float(np.max(e14) / gap), f_hz=f_hz, fr_hz=fr_hz, rel_hz=rel)
        except Exception as e:  # never break the loop
            LAST.update(err=repr(e))
        return m
    def predict(self, fault, now):
        LAST.clear()
        p = orig_predict(self, fault, now)
        if LAST and p is not None:
            with open(f"/tmp/s-lateload39/hooklog2/{os.getpid()}.jsonl", "a") as f:
                f.write(json.dumps(dict(LAST, now=now, pred_ts=p.predicted_trip_ts)) + "\n")
        return p
    P._progress_move = move
    P.PrognosisTracker.predict = predict
def _hook(name, *a, **k):
    mod = _imp(name, *a, **k)
    if not _done:
        P = sys.modules.get("heatwatch.edge.heatpump.prognosis")
        if P is not None and hasattr(P, "_progress_move") and hasattr(P, "PrognosisTracker") and hasattr(P, "_moved"):
            _done[1] = True
            _patch(P)
    return mod
builtins.__import__ = _hook
