"""CompressorEfficiency.steps closes in its kernel the blocks _close_block would learn nothing from.

A replay's compressor ran its compiled step a block at a time (6 hours): the kernel returned at each
new block so that Python closed it, though all but a few hundred of a season's 28,000 blocks learn
nothing (a level reached, too few rows, or inside what was learned). The kernel now makes those
tests itself and returns only at a block that grows the envelope. Held here to step() row by row.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from heatwatch.edge.heatpump import compressor_efficiency as ce
from heatwatch.units import DAY
from tests.edge.heatpump.test_compressor_envelope import cold, mild, reading


def _season(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Mild days, a cold spell (the envelope grows), wear (levels reached), a short block after a gap,
    invalid readings of every kind, ties of time and a step back."""
    rng = np.random.default_rng(seed)
    T, C = [], []
    t = 0.0
    for days, where, wear in ((3, mild, 0.0), (3, cold, 0.0), (2, mild, 0.0), (2, cold, 0.12), (2, mild, 0.0)):
        end = t + days * DAY
        while t < end:
            T.append(t)
            C.append(reading(rng, *where(rng, t), wear=wear))
            t += float(rng.choice([60.0, 300.0, 300.0, 900.0, 0.0]))
        t += float(rng.choice([1800.0, 5 * 3600.0, 7 * 3600.0]))  # a gap: a block left short, or skipped
    T, C = np.array(T), np.array(C)
    T[rng.random(len(T)) < 0.003] -= 120.0  # a step back in time
    bad = rng.random(len(T))
    C[bad < 0.02, 4] = 5.0  # compressor off
    C[(bad >= 0.02) & (bad < 0.04), 3] = np.nan  # p_low gone
    C[(bad >= 0.04) & (bad < 0.06), 5] = np.nan  # no current: the loss alone
    C[(bad >= 0.06) & (bad < 0.08), 2] = C[(bad >= 0.06) & (bad < 0.08), 3] * 1.05  # a lift too small
    C[(bad >= 0.08) & (bad < 0.09), 1] = np.nan  # no discharge temperature: the current alone
    return T, C


@pytest.mark.parametrize("seed, design_c", [(3, None), (7, -20.0), (11, -5.0)])
def test_steps_close_quiet_blocks_in_the_kernel_as_step_closes_them(seed: int, design_c: float | None) -> None:
    T, C = _season(seed)
    if design_c is not None:  # an outdoor temperature (a missing one now and then): the design day's headroom
        t_out = -8.0 + 6.0 * np.sin(T / DAY)
        t_out[np.random.default_rng(seed).random(len(T)) < 0.01] = np.nan
        C = np.column_stack([C, t_out])
    stream = ce.CompressorEfficiency("R32", 2 * DAY, design_c)
    batch = ce.CompressorEfficiency("R32", 2 * DAY, design_c)
    expected = []
    for t, c in zip(T.tolist(), C.tolist()):
        stream.step(t, *c)
        expected.append([*stream.shift, *stream.observed, *stream.uncertainty, *stream.expected, stream.last_ts,
                         stream.judged_alarm_loss(), stream.design.upper, stream.energy_level])
    closed = []
    close = batch._close_block

    def counted() -> None:
        closed.append(batch.refits)
        close()

    batch._close_block = counted  # type: ignore[method-assign]
    rng = np.random.default_rng(seed + 1)
    cuts = np.unique(np.concatenate([[0, len(T)], rng.integers(0, len(T), 40)]))
    got = np.concatenate([batch.steps(T[a:b], C[a:b]) for a, b in zip(cuts[:-1], cuts[1:])])
    np.testing.assert_array_equal(got, np.array(expected))
    assert json.dumps(batch.state()) == json.dumps(stream.state())
    assert batch.refits == stream.refits > 1, "the envelope grew more than once"
    if design_c is not None:
        assert batch.design.upper < np.inf, "the design day's headroom was drawn"
    # Python closed only the blocks that grew it: each call refitted (a block without refit stayed compiled)
    assert closed == list(range(batch.refits)), (closed, batch.refits)
    n_blocks = len(np.unique(T[T >= T[0] + 2 * DAY] // ce.BLOCK_SECONDS))
    assert n_blocks > 3 * len(closed)
