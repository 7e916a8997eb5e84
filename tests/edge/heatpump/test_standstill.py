"""The stopped coil as the outdoor sensor's witness (edge/heatpump/standstill.py)."""

from __future__ import annotations

import numpy as np

from heatwatch.channels import CHANNEL_NAMES, INDEX
from heatwatch.edge.heatpump.standstill import GAP_READINGS, StandstillWitness


def _day(t0: float, t_out: float, sensor_offset: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One day at a 5-minute poll: two hours running, one hour stopped, over and over. Stopped, the
    coil sits at the air; the outdoor sensor reads the air plus ``sensor_offset``."""
    ts = t0 + 300.0 * np.arange(288)
    X = np.full((288, len(CHANNEL_NAMES)), np.nan)
    running = (np.arange(288) % 36) < 24
    X[:, INDEX["compressor_hz"]] = np.where(running, 50.0, 0.0)
    X[:, INDEX["fan_rpm"]] = np.where(running, 600.0, 0.0)
    X[:, INDEX["defrost"]] = 0.0
    X[:, INDEX["t_outdoor"]] = t_out + sensor_offset + rng.normal(0, 0.2, 288)
    X[:, INDEX["t_evap"]] = np.where(running, t_out - 8.0, t_out) + rng.normal(0, 0.2, 288)
    return ts, X


def _fed(offsets: list[float], rowwise: bool) -> StandstillWitness:
    w, rng = StandstillWitness(), np.random.default_rng(29)
    for d, off in enumerate(offsets):
        ts, X = _day(d * 86400.0, 2.0, off, rng)
        if rowwise:
            for t, x in zip(ts, X):
                w.update(float(t), x)
        else:
            w.update_rows(ts, X)
    return w


def test_a_sensor_drift_rises_against_the_stopped_coil_a_fouled_coil_does_not():
    drift = _fed([0.0] * 3 + [0.5 * d for d in range(1, 21)], rowwise=False)
    end = 23 * 86400.0
    assert abs(drift.rise_at(end) - 10.0) < 1.0  # the last day's offset (0.5 K/day for 20 days)
    assert not drift.contradicts("t_outdoor", 10.5, end)  # the sensor's own offset stands
    fouled = _fed([0.0] * 23, rowwise=False)  # an iced coil: running shifts, the stopped coil at the air
    assert abs(fouled.rise_at(end)) < 0.5
    assert fouled.contradicts("t_outdoor", 16.3, end)  # hp-096's offset is no sensor's
    assert not fouled.contradicts("t_outdoor", 2.5, end)  # within the band: not refused
    assert not fouled.contradicts("t_flow", 16.3, end)  # the witness speaks of t_outdoor only


def test_unknown_before_enough_settled_readings_and_the_same_row_by_row():
    w = StandstillWitness()
    assert w.rise_at(1e9) is None and not w.contradicts("t_outdoor", 16.3, 1e9)
    a, b = _fed([0.0, 1.0, 3.0, 6.0], rowwise=True), _fed([0.0, 1.0, 3.0, 6.0], rowwise=False)
    assert a._ts == b._ts and a._rise == b._rise and a.last_on_ts == b.last_on_ts
    assert len(a.baseline) == GAP_READINGS


def test_an_old_witness_allows_the_drift_that_could_have_grown_since():
    fouled = _fed([0.0] * 23, rowwise=False)
    end = 23 * 86400.0
    assert fouled.contradicts("t_outdoor", 16.3, end)
    # weeks of a cold spell later (no settled stop): a drift may have reached this offset meanwhile
    assert not fouled.contradicts("t_outdoor", 16.3, end + 30 * 86400.0)



def test_a_mean_of_readings_days_apart_is_as_old_as_its_oldest():
    """heldout30_standstill's Nantes-like hp-002 (a t_outdoor drift of +0.3 K/day): twelve days running
    without a settled stop, then two stopped readings at the drifted offset join ten from before. Their
    mean (a rise of about 1 K) dated by the newest reading refused the drift's 6.3 K (fails on the commit
    before); dated by the oldest, the drift that could have grown since is allowed."""
    rng = np.random.default_rng(30)
    w = StandstillWitness()
    for d in range(3):
        w.update_rows(*_day(d * 86400.0, 2.0, 0.0, rng))
    ts, X = _day(15 * 86400.0, 2.0, 6.0, rng)
    keep = np.arange(len(ts)) < 27  # one stop: two settled readings (polls 25 and 26) after 12 days running
    ts, X = ts[keep], X[keep]
    w.update_rows(ts, X)
    end = float(ts[-1])
    assert 0.5 < w.rise_at(end) < 1.5
    assert not w.contradicts("t_outdoor", 6.3, end)
    fouled = _fed([0.0] * 23, rowwise=False)  # a fresh mean still refuses hp-096's offset
    assert fouled.contradicts("t_outdoor", 16.3, 23 * 86400.0)

def test_the_detector_reads_an_offset_the_stopped_coil_contradicts_as_none_in_stream_and_replay():
    from heatwatch.edge.heatpump.detector import HeatPumpDetector, HeatPumpDetectorConfig
    from heatwatch.edge.heatpump.sensor_offset import SensorOffset

    rng = np.random.default_rng(29)
    days = [_day(d * 86400.0, 2.0, 0.0, rng) for d in range(4)]
    streamed, replayed = HeatPumpDetector(HeatPumpDetectorConfig()), HeatPumpDetector(HeatPumpDetectorConfig())
    for ts, X in days:
        for t, x in zip(ts, X):
            streamed.update(float(t), x)
        replayed.score(ts, X)
    end = 4 * 86400.0
    iced = SensorOffset(channel="t_outdoor", offset=16.3, explained=0.97, level=3.0, predicted={})
    drifted = SensorOffset(channel="t_outdoor", offset=1.5, explained=0.97, level=1.5, predicted={})
    for det in (streamed, replayed):
        assert det._witnessed(iced, end) is None  # main: the offset vetoes the fouling rule (hp-096)
        assert det._witnessed(drifted, end) is drifted


def test_the_witness_survives_a_restart_through_the_agents_state_file():
    """A restarted agent (its pipeline's state written as JSON and read back, as edge/agent.py does) still
    reads hp-096's offset as none: without the witness in the state it would wait for 24 settled stops
    again, and meanwhile an iced coil's offset would veto its fouling (fails before: the restarted
    detector's witness is empty and lets the +16.3 K offset stand)."""
    import json

    from heatwatch.edge.heatpump.sensor_offset import SensorOffset
    from heatwatch.edge.pipeline import PumpPipeline

    rng = np.random.default_rng(29)
    before = PumpPipeline(device="hp-096")
    for d in range(4):
        before.process_batch(*_day(d * 86400.0, 2.0, 0.0, rng))
    after = PumpPipeline(device="hp-096")
    after.load_state(json.loads(json.dumps(before.state())))
    end = 4 * 86400.0
    iced = SensorOffset(channel="t_outdoor", offset=16.3, explained=0.97, level=3.0, predicted={})
    drifted = SensorOffset(channel="t_outdoor", offset=1.5, explained=0.97, level=1.5, predicted={})
    assert before.detector._witnessed(iced, end) is None
    assert after.detector._witnessed(iced, end) is None
    assert after.detector._witnessed(drifted, end) is drifted
    assert after.detector.standstill.rise_at(end) == before.detector.standstill.rise_at(end)
    # the next settled stops after the restart go on from the same baseline and latest readings
    ts, X = _day(end, 2.0, 0.0, rng)
    before.process_batch(ts, X)
    after.process_batch(ts, X)
    assert after.detector.standstill.state() == before.detector.standstill.state()


def test_a_state_file_from_before_the_witness_was_kept_still_loads():
    from heatwatch.edge.heatpump.detector import HeatPumpDetector, HeatPumpDetectorConfig

    det = HeatPumpDetector(HeatPumpDetectorConfig())
    state = det.state()
    del state["standstill"]
    det.load_state(state)
    assert det.standstill.rise_at(1e9) is None


def test_a_repair_starts_the_witness_afresh_with_the_model():
    """relearn() (a repair) makes what the pump does now its zero: an outdoor sensor left drifted +10 K
    through the repair is no offset to the new model, and a fresh 2 K drift after it is asked as +2 K. Kept
    against the old baseline (rise +12 K) the witness refused that true offset (fails before: relearn kept
    the witness)."""
    from heatwatch.edge.heatpump.detector import HeatPumpDetector, HeatPumpDetectorConfig
    from heatwatch.edge.heatpump.sensor_offset import SensorOffset

    rng = np.random.default_rng(30)
    det = HeatPumpDetector(HeatPumpDetectorConfig())
    for d, off in enumerate([0.0] * 3 + [10.0] * 3):  # drifted +10 K before the repair
        det.score(*_day(d * 86400.0, 2.0, off, rng))
    assert abs(det.standstill.rise_at(6 * 86400.0) - 10.0) < 1.0
    det.relearn()
    for d, off in enumerate([10.0] * 3 + [12.0] * 3, start=6):  # the new zero, then a true +2 K drift
        det.score(*_day(d * 86400.0, 2.0, off, rng))
    end = 12 * 86400.0
    drifted = SensorOffset(channel="t_outdoor", offset=2.0, explained=0.97, level=1.5, predicted={})
    assert det._witnessed(drifted, end) is drifted
    assert abs(det.standstill.rise_at(end) - 2.0) < 1.0


def test_a_chunk_in_any_cut_keeps_the_same_lists_as_row_by_row_to_the_bit():
    # update_rows takes a chunk's settled rows at once (each window's sum in the deque's order, the
    # old rises dropped once): the same lists as update() row by row, across cuts that fall inside the
    # baseline and the first window, over dropouts (a NaN gap) and past HISTORY_S (old rises dropped)
    rng = np.random.default_rng(31)
    days = [_day(d * 86400.0, float(rng.uniform(-5, 8)), 0.05 * d, rng) for d in range(50)]
    ts = np.concatenate([t for t, _ in days])
    X = np.concatenate([x for _, x in days]).astype(np.float32)  # the gap of float32 readings, as float() reads them
    X[rng.random(len(ts)) < 0.05, INDEX["t_evap"]] = np.nan
    row, rows = StandstillWitness(), StandstillWitness()
    for t, x in zip(ts, X):
        row.update(float(t), x)
    cuts = [0, 5, 40, 41, 100, 333] + list(range(600, len(ts), 1000)) + [len(ts)]
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        rows.update_rows(ts[lo:hi], X[lo:hi])
    assert row._ts[0] > 5 * 86400.0  # old rises were dropped
    for a, b in [(row._ts, rows._ts), (row._rise, rows._rise), (row._since, rows._since), (row.baseline, rows.baseline),
                 (list(row.recent), list(rows.recent))]:
        assert np.array(a, dtype=np.float64).tobytes() == np.array(b, dtype=np.float64).tobytes()
    assert row.last_on_ts == rows.last_on_ts
