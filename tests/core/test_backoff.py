"""The one reconnect backoff: grows by its factor, stops at its cap, starts over on success."""

from __future__ import annotations

import pytest

from heatwatch.backoff import Backoff


def test_delays_double_up_to_the_cap_and_start_over_after_a_success():
    b = Backoff(initial=0.5, factor=2.0, maximum=3.0)
    assert [b.next_delay() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert b.failures == 5
    b.reset()
    assert b.next_delay() == 0.5


def test_a_day_long_outage_stays_at_the_cap():
    b = Backoff(initial=0.5, factor=2.0, maximum=60.0)
    b.failures = 5000  # 0.5 * 2**5000 does not fit a float
    assert b.next_delay() == 60.0


@pytest.mark.parametrize("initial, factor, maximum", [(0.0, 2.0, 60.0), (1.0, 0.5, 60.0), (10.0, 2.0, 5.0)])
def test_nonsense_delays_are_refused(initial, factor, maximum):
    with pytest.raises(ValueError, match="backoff needs"):
        Backoff(initial, factor, maximum)


def test_jitter_draws_each_delay_below_the_exponential_and_never_above_the_cap():
    import random

    b = Backoff(initial=0.5, factor=2.0, maximum=5.0, jitter=0.5, rng=random.Random(7))
    delays = [b.next_delay() for _ in range(200)]
    plain = [min(5.0, 0.5 * 2**i) for i in range(200)]
    assert all(p * 0.5 <= d <= p for d, p in zip(delays, plain))
    assert len({round(d, 6) for d in delays[10:]}) > 150, "spread, not lock step"
    with pytest.raises(ValueError, match="jitter"):
        Backoff(jitter=1.0)
