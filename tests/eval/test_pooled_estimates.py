"""bench/pooled_estimates.py: the held-out plans' counts and weighed dispatcher cost."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import pooled_estimates  # noqa: E402


def _est(actual: float, pred: float, lo: float, hi: float) -> dict:
    return {"actual": actual, "pred": pred, "lo": lo, "hi": hi}


def test_each_estimate_is_counted_once_and_late_weighs_k():
    sel = [_est(10.0, 8.0, 5.0, 20.0),  # within x2, held
           _est(30.0, 5.0, 2.0, 10.0),  # the trip six times later than dated: early
           _est(2.0, 9.0, 4.0, 30.0),   # over four times sooner than dated: late, not held
           _est(6.0, 12.0, 6.0, 24.0)]  # exactly x2: within, held at its bound
    assert pooled_estimates.counts(sel) == (2, 1, 1, 2)
    text = pooled_estimates.line("every", sel)
    assert "n=    4" in text and "counts x2 2 early 1 late 1 held 2" in text
    assert text.endswith("cost k4 5 k7 8 k10 11")
    assert pooled_estimates.line("none", []).endswith("n=0")
