"""A machine at rest in a state its training never held: not judged where the load is expected low, judged where high.

A synthetic heated house at 15-minute rows whose circulation ran on every training row (a radiator
pump in the middle of its heating season). Judged days like the training's, but on the mild hours
(the air in the upper part of the training range, every hour and day-mean inside it) the controller
goes to standby: flow 0 l/min, compressor 0 Hz, a few watts. No rule of main's marks those rows (no
driver beyond its range, the day-mean inside it), so main judged the stopped flow at hundreds of
sigma and alarmed (bench/weather_bench.py fresh21: radiator pumps past their season's end, 18.86 %
of the quarter-hours). Now such a row is not judged, and counted (given.DriverModel.unseen,
aftermath.Aftermath.unseen, status 'unseen' in `heatwatch detect`'s output). The same stop on the cold
hours, where the drivers put the load above its training median, is judged and alarms.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from heatwatch.edge.generic_detector import HealthyBehaviourConfig, ThresholdConfig
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector

DAY = 96  # 15-minute rows
TRAIN = 14 * DAY
STOPS = 16 * DAY  # the stops begin


def _house(seed: int, stop: str, days: int = 24) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows [t_outdoor, flow_lpm, power_w, compressor_hz, t_lift, t_indoor], times, and the judged rows
    stopped. ``stop``: 'mild' (standby on hours warmer than 5 °C from day 16) or 'cold' (the pump stopped
    on hours colder than -1 °C from day 16); only hours inside the training's range of the air."""
    rng = np.random.default_rng(seed)
    n = days * DAY
    t = np.arange(n)
    slow = np.zeros(n)
    for i in range(1, n):
        slow[i] = 0.995 * slow[i - 1] + rng.normal(0.0, 0.08)
    hour = (t % DAY) / 4.0
    air = 2.0 + np.clip(slow, -2.0, 2.0) + 6.0 * np.sin(2 * np.pi * (hour - 9.0) / 24.0) + rng.normal(0.0, 0.3, n)
    q = 9.0 - 0.5 * air  # the demand: positive on every row, the pump always running
    off = np.zeros(n, dtype=bool)
    lo, hi = air[:TRAIN].min(), air[:TRAIN].max()  # only hours inside the training range stop (no rule of main's acts)
    a = air[STOPS:]
    off[STOPS:] = ((a > 5.0) & (a < hi)) if stop == "mild" else ((a < -1.0) & (a > lo))
    flow = np.where(off, 0.0, 20.0 + rng.normal(0.0, 0.05, n))
    power = np.where(off, 5.0, 100.0 * q + 300.0 + rng.normal(0.0, 30.0, n))
    hz = np.where(off, 0.0, 4.0 * q + 20.0 + rng.normal(0.0, 0.5, n))
    lift = 30.0 - 0.5 * air + rng.normal(0.0, 0.2, n)
    indoor = 21.0 + rng.normal(0.0, 0.05, n)
    X = np.column_stack([air, np.maximum(flow, 0.0), np.maximum(power, 0.0), np.maximum(hz, 0.0), lift, indoor])
    return X, 1.7e9 + 900.0 * t, off[TRAIN:]


def _run(X: np.ndarray, ts: np.ndarray, unseen: bool = True):
    cfg = HealthyBehaviourConfig(warmup=TRAIN, threshold=replace(ThresholdConfig(), confidence=0.95))
    det = AdaptiveDetector(cfg, AdaptConfig(enabled=False), given=[0])
    det.fit(ts[:TRAIN], X[:TRAIN])
    assert det.driver is not None and det.aftermath is not None
    if not unseen:  # as main: no row is out of the envelope
        det.driver.unseen = lambda D, Y, E: np.zeros(len(E), dtype=bool)  # type: ignore[method-assign]
    return det, det.score(ts[TRAIN:], X[TRAIN:])


def test_the_stops_are_inside_the_training_range() -> None:
    for stop in ("mild", "cold"):
        X, _, off = _house(1, stop)
        judged = X[TRAIN:, 0]
        assert off.sum() > 2 * DAY // 4  # many stopped rows
        assert judged[off].min() > X[:TRAIN, 0].min() and judged[off].max() < X[:TRAIN, 0].max()
        assert X[:TRAIN, 1].min() > 19.0  # the training never stopped


def test_a_standby_never_seen_at_a_low_expected_load_is_not_alarmed_but_counted() -> None:
    for seed in (1, 2, 3):
        X, ts, off = _house(seed, "mild")
        det, res = _run(X, ts)
        _, main = _run(X, ts, unseen=False)
        assert main.anomaly[off].mean() > 0.5  # main: the stopped flow judged at hundreds of sigma
        assert res.anomaly.mean() < 0.005  # now: not flagged ...
        # ... but not judged: marked unseen, or held where the day-mean's heating limit took over (status 1)
        assert res.status is not None and (res.status[off] != 0).mean() > 0.95
        assert (res.status[off] == 2).mean() > 0.3
        assert det.aftermath is not None and det.aftermath.unseen == int((res.status == 2).sum())
        assert (res.status[~off] == 2).sum() == 0 and (res.status[~off] == 0).mean() > 0.95  # the running rows are judged


def test_a_stopped_pump_with_a_high_expected_load_still_alarms() -> None:
    for seed in (1, 2):
        X, ts, off = _house(seed, "cold")
        det, res = _run(X, ts)
        assert res.anomaly[off].mean() > 0.8  # the cold stops are judged and flagged
        assert res.status is not None and not (res.status == 2).any()
        assert det.aftermath is not None and det.aftermath.unseen == 0


def test_the_rule_is_the_same_row_by_row_and_in_blocks() -> None:
    X, ts, _ = _house(4, "mild")
    _, block = _run(X, ts)
    cfg = HealthyBehaviourConfig(warmup=TRAIN, threshold=replace(ThresholdConfig(), confidence=0.95))
    det = AdaptiveDetector(cfg, AdaptConfig(enabled=False), given=[0])
    det.fit(ts[:TRAIN], X[:TRAIN])
    status = []
    for i in range(TRAIN, TRAIN + 3 * DAY):
        status.append(int(det.score(ts[i:i + 1], X[i:i + 1]).status[0]))
    assert block.status is not None and status == block.status[:3 * DAY].tolist()


def test_detect_says_which_rows_it_did_not_judge(tmp_path) -> None:
    """`heatwatch detect --given`: a status per row and a summary line count the rows out of the envelope."""
    import csv
    from datetime import datetime, timezone

    from typer.testing import CliRunner

    from heatwatch.cli import app

    X, ts, off = _house(1, "mild")
    src, out = tmp_path / "house.csv", tmp_path / "scores.csv"
    with src.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["timestamp", "t_outdoor", "flow_lpm", "power_w", "compressor_hz", "t_lift", "t_indoor"])
        for t, row in zip(ts, X):
            w.writerow([datetime.fromtimestamp(t, tz=timezone.utc).isoformat(), *(f"{v:.5g}" for v in row)])
    r = CliRunner().invoke(app, ["detect", str(src), "--out", str(out), "--train-rows", str(TRAIN),
                                 "--given", "t_outdoor"])
    assert r.exit_code == 0, r.output
    with out.open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["timestamp", "score", "anomaly", "status"]
    status = np.array([row["status"] for row in rows[TRAIN:]])
    assert set(status) <= {"judged", "held", "unseen"} and (status[off] == "unseen").sum() > 0.3 * off.sum()
    n = int((status == "unseen").sum())
    assert f"out of envelope: {n} rows not judged" in r.output
