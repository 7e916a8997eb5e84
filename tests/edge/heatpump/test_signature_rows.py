"""sensor_offset.SignatureRows: the rows' signatures held as one array (PumpPipeline._estimate_offsets
hands them to detector.sensor_offsets): a mapping of the rows kept, and ``stacked`` gives the bytes,
shape and layout np.stack of the views gives, so present_signatures and best_offsets read the same."""

from __future__ import annotations

import numpy as np

from heatwatch.edge.heatpump.sensor_offset import SignatureRows, present_signatures, stacked


def test_signature_rows_stack_as_the_views_stack() -> None:
    rng = np.random.default_rng(4)
    m, ns, nt = 300, 14, 23
    sig = rng.normal(0, 1, (m, ns, nt))
    sig[rng.random(sig.shape) < 0.1] = np.nan
    rows = (np.arange(m) * 3 + 7).tolist()  # the chunk's rows of the estimate's rows
    keep = [k for k in range(m) if rng.random() < 0.6]
    held = SignatureRows({rows[k]: k for k in keep}, sig)
    views = {rows[k]: sig[k] for k in keep}
    assert len(held) == len(views) and list(held) == list(views)
    assert rows[keep[0]] in held and rows[keep[0]] + 1 not in held and held.get(-1) is None
    for want_rows in ([rows[k] for k in keep], [rows[k] for k in keep[::-3]], [rows[keep[5]]]):
        got, want = stacked(held, want_rows), stacked(views, want_rows)
        assert got.shape == want.shape and got.flags.c_contiguous and got.tobytes() == want.tobytes()
        assert all(held[i].tobytes() == views[i].tobytes() for i in want_rows)
        SX = rng.normal(0, 1, (len(want_rows), 40))
        SX[rng.random(SX.shape) < 0.2] = np.nan
        for a, b in zip(present_signatures(SX, got), present_signatures(SX, want)):
            assert a.tobytes() == b.tobytes()
