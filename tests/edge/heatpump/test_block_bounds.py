"""BlockBounds: a chunk's block ends found once give the rows the per-block search over the tail gave."""

import numpy as np

from heatwatch.edge.heatpump.envelope import BLOCK_SECONDS, BlockBounds, GrowingEnvelope


def _tail_end(ts: np.ndarray, pos: int, block: int) -> int:
    """What _score_chunk computed per block before: floor_divide over the rest of the chunk."""
    later = np.flatnonzero(np.floor_divide(ts[pos:], BLOCK_SECONDS) != block)
    return pos + int(later[0]) if len(later) else len(ts)


def _chunks(rng: np.random.Generator):
    for _ in range(300):
        n = int(rng.integers(1, 400))
        start = float(rng.uniform(-3, 40)) * BLOCK_SECONDS
        steps = rng.choice([60.0, 60.0, 60.0, 0.0, 1800.0, BLOCK_SECONDS, -120.0, 0.5], size=n)
        ts = start + np.cumsum(steps)
        k = int(rng.integers(0, 4))
        if k:
            at = rng.integers(0, n, size=k)
            ts[at] = rng.choice([np.nan, np.inf, -np.inf, -0.0, 0.0, BLOCK_SECONDS * 7], size=k)
        if rng.random() < 0.2:  # exactly on block edges
            ts = np.round(ts / BLOCK_SECONDS) * BLOCK_SECONDS + rng.choice([0.0, -1e-9, 1e-9], size=n)
        yield ts


def test_block_ends_as_the_tail_search():
    rng = np.random.default_rng(13)
    with np.errstate(invalid="ignore"):  # NaN and inf times: floor_divide's own warning
        checked = sum(_check_chunk(rng, ts) for ts in _chunks(rng))
    assert checked > 30_000


def _check_chunk(rng: np.random.Generator, ts: np.ndarray) -> int:
    bounds = BlockBounds(ts)
    checked = 0
    for pos in range(len(ts)):
        blocks = [int(rng.integers(-5, 50))]
        if np.isfinite(ts[pos]):
            blocks.append(GrowingEnvelope.block_of(float(ts[pos])))
        for block in blocks:
            assert bounds.end(pos, block) == _tail_end(ts, pos, block), (ts.tolist(), pos, block)
            checked += 1
    return checked
