"""Mechanisms behind the hard streaming suite (bench/stream_bench.py --suite hard), on data made here."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.generic_detector import HealthyBehaviourConfig
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector, LocalLevel, find_period


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_period_from_two_cycles_is_not_bent_by_the_trend(seed: int) -> None:
    """A counter with a day/night rate (period 288 rows), 600 rows seen (2.08 cycles): the
    period comes out within 1.5 % (fitting the line alone first gave 276-282, and a profile
    2-4 % off is a quarter cycle out of phase three cycles later)."""
    rng = np.random.default_rng(seed)
    i = np.arange(600, dtype=np.float64)
    x = rng.poisson(50 * (1 + 0.6 * np.sin(2 * np.pi * i / 288))).astype(np.float64)
    assert abs(find_period(x[:, None], i) - 288) < 0.015 * 288


@pytest.mark.parametrize("seed", [2, 3])
def test_a_cycle_found_in_two_periods_is_refreshed_before_it_slides_out_of_phase(seed: int) -> None:
    """A healthy request counter with a day/night rate (period 288 rows), learned online from
    600 rows and streamed for 3400 more: no alarm. Refreshing only every ``memory`` (2000)
    rows, the profile from two cycles slid out of phase and the counter was flagged at its
    peaks and troughs (main 06b9b39: 412 and 1162 rows in alarm)."""
    rng = np.random.default_rng(100 + seed)
    i = np.arange(4000, dtype=np.float64)
    x = rng.poisson(40 * (1 + 0.6 * np.sin(2 * np.pi * i / 288 + seed))).astype(np.float64)
    det = AdaptiveDetector(HealthyBehaviourConfig(warmup=600), AdaptConfig(memory=2000, seasonal=True))
    res = det.score(None, x[:, None])
    assert det.period > 0  # a cycle was found (288 or a multiple of it)
    assert res.anomaly.sum() == 0


def _status(rng: np.random.Generator, n: int) -> np.ndarray:
    """A status on level 3, healthy one-unit excursions of 1-5 rows on 0.4 % of the rows."""
    x = np.full(n, 3.0)
    for g in np.flatnonzero(rng.random(n) < 0.004):
        x[g:g + int(rng.integers(1, 6))] += float(rng.choice([-1, 1]))
    return x


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_a_status_that_flaps_between_its_neighbour_levels_is_flagged(seed: int) -> None:
    """2, 4, 2, 4 around a status of 3 for 100 rows keeps the mean: |z| = 1 on every row and
    the EWMA and CUSUM see nothing (main 90cedcb: no alarm). The count of changes in the
    accumulators' memory against the learned change rate flags it within a memory; the
    healthy excursions before it raise nothing."""
    rng = np.random.default_rng(seed)
    x = _status(rng, 2000)
    x[1500:1600] = 3.0 + (np.arange(100) % 2) * 2 - 1
    det = AdaptiveDetector(HealthyBehaviourConfig(warmup=600), AdaptConfig(memory=2000))
    res = det.score(None, x[:, None])
    assert not res.anomaly[:1500].any()
    assert res.anomaly[1500:1520].any()


def test_flapping_is_scored_the_same_row_by_row_as_in_blocks() -> None:
    rng = np.random.default_rng(5)
    x = _status(rng, 1200)
    x[900:960] = 3.0 + (np.arange(60) % 2) * 2 - 1
    a = AdaptiveDetector(HealthyBehaviourConfig(warmup=300), AdaptConfig(memory=1000))
    b = AdaptiveDetector(HealthyBehaviourConfig(warmup=300), AdaptConfig(memory=1000))
    block = a.score(None, x[:, None])
    rows = [b.update(float(t), x[t:t + 1]) for t in range(len(x))]
    assert np.allclose(block.score, [r[0] for r in rows]) and list(block.anomaly) == [r[1] for r in rows]
    assert block.anomaly[900:].any()


@pytest.mark.parametrize("seed", [22, 24])
def test_a_channel_that_decouples_from_its_common_factor_is_flagged(seed: int) -> None:
    """Three channels follow one slow factor (loadings 1, 0.8, -0.6) over a range of many noise
    sigma; the third then follows it with the opposite sign, inside its own range. Judged by
    what the other channels predict of it the third is ~7 noise sigma off (main 90cedcb: the
    shrunk T² saw nothing, 0 of 23 such decouplings on the hard suite's tuning seeds)."""
    rng = np.random.default_rng(seed)
    n = 1600
    t = np.arange(n)
    f = 2.5 * np.sin(2 * np.pi * t / 3000 + rng.uniform(0, 2 * np.pi)) + 0.5 * np.sin(2 * np.pi * t / 700)
    load = np.tile([1.0, 0.8, -0.6], (n, 1))
    load[1300:1450, 2] = 0.6
    X = 10 + 2.0 * f[:, None] * load + rng.normal(scale=0.3, size=(n, 3))
    det = AdaptiveDetector(HealthyBehaviourConfig(warmup=600), AdaptConfig(memory=2000))
    res = det.score(None, X)
    assert not res.anomaly[:1300].any()
    assert res.anomaly[1300:1450].any()


def test_no_cycle_is_found_in_a_counter_with_bursts() -> None:
    """A Poisson counter with heavy-tailed healthy bursts (1 % of rows, lognormal) has no cycle;
    its sample autocorrelation is that of its few largest values, and two bursts a lag apart
    made a "cycle" of that lag (main 90cedcb: 13 of these 20 windows got one, 10-508 rows).
    The autocorrelation of the ranks cannot be made by a handful of bursts."""
    import math
    found = []
    for seed in range(30, 40):
        rng = np.random.default_rng(seed)
        rate = rng.uniform(2, 20)
        x = rng.poisson(rate, size=1200).astype(np.float64)
        b = rng.random(1200) < 0.01
        x[b] += np.round(rng.lognormal(math.log(rate * 20), 1.0, size=int(b.sum())))
        found += [find_period(x[:, None]), find_period(x[:600, None])]
    assert found == [0.0] * 20


def _walk(seed: int, n: int = 4000) -> np.ndarray:
    """A level that wanders as a random walk (steps of 0.05) under unit measurement noise."""
    rng = np.random.default_rng(500 + seed)
    return 30 + np.cumsum(rng.normal(scale=0.05, size=n)) + rng.normal(size=n)


def test_a_walking_level_is_judged_by_its_innovations() -> None:
    """Six walks, each learned online from 600 rows (the walk moves less than the noise there:
    no wander allowance) and streamed for 3400 more: at most 200 rows in alarm in all (main
    9326602: 1894, the level strayed from the warm-up's and the alarm held until the re-learn;
    now 166: in one of the six the walk does not clear the two standard errors in the warm-up);
    and a 6-sigma jump lasting 100 rows at row 3000 is flagged within 12 rows, not in alarm
    before it (main: seed 4 already in alarm, seed 5 never)."""
    cfg = AdaptConfig(memory=2000, seasonal=True)
    healthy = 0
    for seed in range(1, 7):
        x = _walk(seed)
        healthy += int(AdaptiveDetector(HealthyBehaviourConfig(warmup=600), cfg).score(None, x[:, None]).anomaly.sum())
        y = x.copy()
        y[3000:3100] += 6.0
        res = AdaptiveDetector(HealthyBehaviourConfig(warmup=600), cfg).score(None, y[:, None])
        assert not res.anomaly[2900:3000].any(), seed
        assert res.anomaly[3000:3012].any(), seed
    assert healthy <= 200


def test_a_jump_at_the_end_of_the_fit_rows_does_not_choose_the_walks_gain() -> None:
    """A re-learn may begin with an anomaly: 600 rows of the walk (steps 0.05 under unit noise:
    the steady-state Kalman gain is 0.05) whose last 10 rows jumped by 7. Those rows alone
    decided between gains whose loss is the same over the other 590 (main c927ddd chose 0.19,
    0.27 and 0.10 in 3 of 12 walks, and the level then followed the next jump within a few
    rows). Now no gain passes 0.1, and without the jump the gain taken stays within a factor
    2.5 of the walk's own."""
    with_jump, without = [], []
    for seed in range(1, 13):
        x = _walk(seed, 1200)[600:]
        level = LocalLevel.fit(x[:, None])
        without += [] if level is None else [float(level.gain[0])]
        x[-10:] += 7.0
        level = LocalLevel.fit(x[:, None])
        with_jump += [] if level is None else [float(level.gain[0])]
    assert len(with_jump) >= 10 and max(with_jump) <= 0.1, with_jump
    assert len(without) >= 5 and all(0.02 <= g <= 0.125 for g in without), without


def test_innovations_are_the_same_row_by_row_as_in_blocks() -> None:
    """The local level carries its state across calls: one row at a time gives what one block gives."""
    y = _walk(2, 1200)
    y[900:950] += 6.0
    cfg = AdaptConfig(memory=2000, seasonal=False)
    block = AdaptiveDetector(HealthyBehaviourConfig(warmup=600), cfg)
    a = block.score(None, y[:, None])
    assert block.level is not None
    rows = AdaptiveDetector(HealthyBehaviourConfig(warmup=600), cfg)
    b = [rows.update(float(t), y[t:t + 1]) for t in range(len(y))]
    np.testing.assert_allclose(a.score, [s for s, _ in b], rtol=1e-9, atol=1e-12)
    assert list(a.anomaly) == [al for _, al in b]


@pytest.mark.parametrize("period", [103.0, 115.0, 150.0])
def test_the_period_is_the_cycle_not_a_multiple_of_it(period: float) -> None:
    """A cycle whose swing drifts by a quarter over 5.3 cycles, on a trend, under AR(1) noise,
    1200 rows (a refresh's worth), eight seeds: the period found is the cycle's own, within
    1 %. Taking the highest autocorrelation peak, a later one (4 or 3 cycles: 444, 459, 368,
    300 rows) stood higher in 12 of the 24 runs (main 8920756), and three harmonics of it
    cannot draw the cycle."""
    found = []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        n = 1200
        i = np.arange(n, dtype=np.float64)
        amp = 10 * (1 + 0.25 * np.sin(2 * np.pi * i / (5.3 * period) + seed))
        e = rng.normal(size=n) * np.sqrt(0.75)
        noise = np.empty(n)
        noise[0] = e[0]
        for t in range(1, n):
            noise[t] = 0.5 * noise[t - 1] + e[t]
        y = 60 + 3 * i / n + amp * np.sin(2 * np.pi * i / period) + noise
        found.append(find_period(y[:, None], i))
    assert np.all(np.abs(np.array(found) - period) < 0.01 * period), found


@pytest.mark.parametrize("seed", [31, 32, 33, 34, 35, 36])
def test_the_cross_model_follows_the_factor_beyond_the_fit_rows(seed: int) -> None:
    """Three channels on one slow factor (loadings 1, 0.8, -0.6, noise 0.3) that moves little in
    the 600 fit rows (+-0.6) and later sits at 3. Least squares on the noisy channels is
    attenuated (errors in variables): channel 0's residual was 0.64-0.77 (2-2.5 noise sigma)
    at the far level, and the MEWMA of the residuals held alarms where nothing decoupled (main efd6be8).
    The slope re-estimated with the lagged prediction as instrument leaves every channel's
    within 1 noise sigma (0.01-0.23)."""
    from heatwatch.edge.generic_detector.adaptive import CrossModel
    rng = np.random.default_rng(seed)
    t = np.arange(600)
    load = np.array([1.0, 0.8, -0.6])
    f = 0.6 * np.sin(2 * np.pi * t / 400 + rng.uniform(0, 2 * np.pi))
    X = 10 + 2.0 * f[:, None] * load + rng.normal(scale=0.3, size=(600, 3))
    model = CrossModel.fit(X)
    assert model is not None and 0 in model.cols
    far = 10 + 2.0 * 3.0 * load + rng.normal(scale=0.3, size=(2000, 3))
    bias = np.abs(np.mean(model.residuals(far), axis=0))
    assert bias.max() < 0.3, bias


def _heavy(seed: int, n: int = 4000) -> tuple[np.ndarray, float]:
    """An AR(1) (0.5) with Student-t (3 dof) innovations about 100, and its robust sigma."""
    rng = np.random.default_rng(700 + seed)
    e = rng.standard_t(3, size=n)
    x = np.empty(n)
    x[0] = e[0]
    for t in range(1, n):
        x[t] = 0.5 * x[t - 1] + e[t]
    return 100 + x, float(np.subtract(*np.percentile(x[:500], [75, 25]))) / 1.349


@pytest.mark.parametrize("seed", [1, 3])
def test_a_shift_under_heavy_tailed_noise_is_flagged(seed: int) -> None:
    """A 3-sigma shift lasting 200 rows under t(3) noise with AR(1) memory: flagged within 40
    rows, nothing flagged before it (main efd6be8: seed 1 never, seed 3 after 49 rows; the
    Gaussian references and threshold, widened by the tails, left its EWMA short of the
    threshold). The 50-row mean of the Huber-clipped values against the fit rows' sees it."""
    x, sd = _heavy(seed)
    x[2500:2700] += 3.0 * sd
    res = AdaptiveDetector(HealthyBehaviourConfig(warmup=600), AdaptConfig(memory=2000, seasonal=True)).score(None, x[:, None])
    assert not res.anomaly[:2500].any()
    assert res.anomaly[2500:2540].any()


def test_the_shift_test_is_the_same_row_by_row_as_in_blocks() -> None:
    x, sd = _heavy(2, 1600)
    x[1200:1300] += 3.0 * sd
    cfg = AdaptConfig(memory=2000)
    whole = AdaptiveDetector(HealthyBehaviourConfig(warmup=600), cfg).score(None, x[:, None])
    det = AdaptiveDetector(HealthyBehaviourConfig(warmup=600), cfg)
    assert det.score(None, x[:600, None]).warming_up.all() and det.shift is not None
    parts = [det.score(None, x[i:i + 7, None]) for i in range(600, 1600, 7)]
    np.testing.assert_allclose(np.concatenate([p.score for p in parts]), whole.score[600:], rtol=1e-9, atol=1e-12)
    assert np.array_equal(np.concatenate([p.anomaly for p in parts]), whole.anomaly[600:])


def test_which_features_are_heavy_tailed_is_decided_on_contiguous_rows() -> None:
    """Gaussian AR(1) noise learned from 600 rows has no heavy tail: no shift test. Its refresh
    2000 rows later learns from rows that hold slow drift and a few wild readings (here: 12
    rows at 8 sigma, under the alarm's persistence) and must not start one (before: the
    refresh's tails put the test on the gappy counters, false alarms 4 -> 26)."""
    rng = np.random.default_rng(5)
    x = 50 + np.convolve(rng.normal(size=4100), [1.0, 0.5, 0.25], mode="same")[:4000]
    x[np.arange(900, 2400, 125)] += 8.0 * np.std(x[:600])
    det = AdaptiveDetector(HealthyBehaviourConfig(warmup=600), AdaptConfig(memory=2000))
    det.score(None, x[:600, None])
    assert det.shift is None
    det.score(None, x[600:, None])
    assert det.refreshes >= 1 and det.shift is None
