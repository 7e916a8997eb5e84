"""The batch path (replays) is the streaming path, row for row: kernels, detector and pipeline.

Readings with every kind of sensor trouble (dropouts, a noisy, a stuck and a jumping sensor, a
gap in time, a register map without some channels), so each branch of the compiled recurrences
is walked; compared exactly, not within a tolerance, where the arithmetic is the same.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from heatwatch.channels import INDEX
from heatwatch.edge.heatpump import batch_kernels
from heatwatch.edge.heatpump.detector import HeatPumpDetector, HeatPumpDetectorConfig
from heatwatch.edge.heatpump.operating_point import SteadyStateGate
from heatwatch.edge.heatpump.sensor_checks import SensorChecks
from heatwatch.edge.pipeline import REFRIGERANT_MISMATCH, PumpPipeline
from heatwatch.refrigerant import p_sat
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario, parse_scenario
from heatwatch.units import DAY

# no skip without numba: its njit is then a no-op and these tests check the same kernels run as plain
# Python (slower), which must equal the streaming path just the same


@pytest.fixture(scope="module")
def troubled() -> tuple[np.ndarray, np.ndarray]:
    """Three and a half days of a leaking demo pump, with sensor trouble laid on top (its leak is
    named at 3.06 d: judged with the prediction's uncertainty beyond the half-day commissioning,
    0.11 d later than with the bare alarm levels, which named it an hour before a 3-day window closed)."""
    fleet = Fleet(load_scenario("demo"))
    chunk = next(iter(fleet.chunks(steps=1440 * 7 // 2)))
    ts, X = chunk.ts.copy(), chunk.values[:, 1, :].copy()
    rng = np.random.default_rng(7)
    X[rng.random(X.shape) < 0.02] = np.nan  # scattered dropouts
    X[1500:1700, INDEX["p_high"]] = np.nan  # one sensor gone for a while
    X[1800:2200, INDEX["t_flow"]] += rng.normal(0.0, 4.0, 400)  # a noisy sensor
    X[2400:3600, INDEX["t_discharge"]] = 61.0  # stuck
    X[3000:3040, INDEX["p_low"]] += np.tile([0.0, 7.0], 20)  # jumping
    ts[3700:] += 2400.0  # a gap in time
    return ts, X


def test_sensor_check_kernel_is_the_streaming_check(troubled) -> None:
    ts, X = troubled
    steady = SteadyStateGate().batch(ts, X)
    for present in (None, ("t_flow", "t_return", "t_outdoor", "t_evap", "p_low", "t_discharge")):
        stream, batch = SensorChecks(present), SensorChecks(present)
        expected = [stream.update(float(t), x, bool(s)) for t, x, s in zip(ts, X, steady)]
        flags = np.concatenate([batch_kernels.run_sensor_checks(batch, ts[k:k + 700], X[k:k + 700], steady[k:k + 700])
                                for k in range(0, len(ts), 700)])
        got = [batch_kernels.findings_of(f) for f in flags]
        names = {check for found in expected for checks in found.values() for check in checks}
        if present is None:
            assert names == {"stuck", "noise", "jump", "dropout"}, "every check fails somewhere: all branches walked"
        assert got == expected
        a, b = stream.state(), batch.state()
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(np.asarray(a[key], dtype=float), np.asarray(b[key], dtype=float))


def test_detector_batch_with_kernels_is_the_row_by_row_step(troubled, monkeypatch) -> None:
    ts, X = troubled
    cfg = HeatPumpDetectorConfig(commissioning_seconds=DAY / 2, min_training_rows=240)
    fast, rows = HeatPumpDetector(cfg), HeatPumpDetector(cfg)
    a = [r for k in range(0, len(ts), 1000) for r in fast.score(ts[k:k + 1000], X[k:k + 1000])]
    monkeypatch.setattr(batch_kernels, "AVAILABLE", False)
    b = [r for k in range(0, len(ts), 1000) for r in rows.score(ts[k:k + 1000], X[k:k + 1000])]
    assert fast.ready and sum(r.ready for r in a) > 1000
    assert max(r.score for r in a) > 1.0, "judged readings with a real shift are compared"
    for ra, rb in zip(a, b):
        assert (ra.ts, ra.steady, ra.ready, ra.score, ra.sensor_findings) == \
            (rb.ts, rb.steady, rb.ready, rb.score, rb.sensor_findings)
        for name in ("targets", "values", "derived", "residual", "observed", "steady_x"):
            va, vb = getattr(ra, name), getattr(rb, name)
            assert (va is None) == (vb is None), name
            if va is not None:
                np.testing.assert_array_equal(va, vb)
    assert json.dumps(fast.state()) == json.dumps(rows.state()), "the same end state, to the last digit"


def _events(pipe: PumpPipeline, ts, X, batch: bool) -> list[dict]:
    if batch:
        out = [e for k in range(0, len(ts), 1000) for e in pipe.process_batch(ts[k:k + 1000], X[k:k + 1000])[1]]
    else:
        out = [e for t, x in zip(ts, X) for e in pipe.process(float(t), x)[1]]
    return [e.model_dump(mode="json") for e in out]


def test_pipeline_batch_is_streaming_with_sensor_faults(troubled) -> None:
    """process_batch() says what process() says, every field, on a run where sensor checks fail
    and a pump fault is raised (the rule table, the skipped rows and the lazy findings all in play)."""
    ts, X = troubled
    cfg = HeatPumpDetectorConfig(commissioning_seconds=DAY / 2, min_training_rows=240)
    streamed = _events(PumpPipeline(device="hp", detector=HeatPumpDetector(cfg)), ts, X, batch=False)
    replayed = _events(PumpPipeline(device="hp", detector=HeatPumpDetector(cfg)), ts, X, batch=True)
    kinds = {(e["kind"], e["fault"]) for e in streamed}
    assert ("sensor_fault", "sensor_stuck") in kinds and ("fault", "refrigerant_leak") in kinds
    assert len(streamed) == len(replayed)
    for a, b in zip(streamed, replayed):
        pa, pb = a.pop("prognosis"), b.pop("prognosis")
        assert a == b
        # the healthy model's predictions: one row (f @ coef) streaming, a chunk batch: the last digits may differ
        assert (pa is None) == (pb is None)
        if pa is not None:
            assert pa.pop("indicator") == pb.pop("indicator")
            assert pa == pytest.approx(pb, rel=1e-12)


def test_pipeline_state_after_a_batch_is_the_streaming_state(troubled) -> None:
    ts, X = troubled
    cfg = HeatPumpDetectorConfig(commissioning_seconds=DAY / 2, min_training_rows=240)
    stream, batch = PumpPipeline(device="hp", detector=HeatPumpDetector(cfg)), \
        PumpPipeline(device="hp", detector=HeatPumpDetector(cfg))
    _events(stream, ts, X, batch=False)
    _events(batch, ts, X, batch=True)
    a, b = copy.deepcopy(stream.state()), copy.deepcopy(batch.state())
    for key in ("rules", "raised_faults", "first_raised", "last_ts", "last_rules_ts", "last_refresh_ts",
                "last_error", "flow_limit_set", "basis", "compressor", "refrigerant_check"):
        assert a[key] == b[key], key
    assert a["compressor"]["coef"] is not None, "the compressor's baseline was learned and followed"
    assert a["prognosis"]["bucket"] == b["prognosis"]["bucket"]
    assert len(a["prognosis"]["hours"]) == len(b["prognosis"]["hours"]) > 24


def _flags_both_ways(ts, X, steady, refrigerant="R32"):
    stream, batch = SensorChecks(None, refrigerant), SensorChecks(None, refrigerant)
    expected = [stream.update(float(t), x, bool(s)) for t, x, s in zip(ts, X, steady)]
    flags = np.concatenate([batch_kernels.run_sensor_checks(batch, ts[k:k + 700], X[k:k + 700], steady[k:k + 700])
                            for k in range(0, len(ts), 700)])
    return expected, [batch_kernels.findings_of(f) for f in flags]


def test_sensor_check_kernel_knows_end_stops_and_iced_coils(troubled) -> None:
    """A valve held at its end stop is not stuck, a coil below its thermistor's scale while
    T_sat(p_low) says it is that cold is not a dropout: the kernel says so as the streaming check
    does; the same readings off the end stop / with a warm coil are flagged (both branches walked)."""
    ts, X = troubled
    steady = SteadyStateGate().batch(ts, X)
    cold_p = float(p_sat(-45.0, "R32"))  # T_sat below t_evap's scale (-50 °C) + 8 K
    for at_stop, iced in ((True, True), (False, False)):
        Y = X.copy()
        Y[200:1400, INDEX["eev_pct"]] = 100.0 if at_stop else 57.0
        Y[400:900, [INDEX["t_evap"], INDEX["t_suction"]]] = np.nan
        Y[400:900, INDEX["p_low"]] = cold_p if iced else 6.0
        expected, got = _flags_both_ways(ts, Y, steady)
        assert got == expected
        stuck_eev = any("stuck" in f.get("eev_pct", []) for f in expected)
        dropout_evap = any("dropout" in f.get("t_evap", []) for f in expected)
        assert stuck_eev is not at_stop and dropout_evap is not iced


def _streamed_and_replayed(make, ts, X) -> tuple[list[dict], list[dict]]:
    return _events(make(), ts, X, batch=False), _events(make(), ts, X, batch=True)


def _same_events(streamed: list[dict], replayed: list[dict]) -> None:
    assert len(streamed) == len(replayed)
    for a, b in zip(streamed, replayed):
        pa, pb = a.pop("prognosis"), b.pop("prognosis")
        assert a == b
        assert (pa is None) == (pb is None)
        if pa is not None:
            assert pa.pop("indicator") == pb.pop("indicator")
            assert pa == pytest.approx(pb, rel=1e-12)


def _worn_stockholm() -> tuple[np.ndarray, np.ndarray]:
    """19 days of a Stockholm pump whose compressor wears from day 3, at a 5-minute poll."""
    sc = parse_scenario({"fleet": {"size": 1}, "climate": "stockholm", "start": "2025-01-05", "duration": "19d",
                         "seed": 4, "devices": {"hp-000": {"faults": [
                             {"type": "compressor_wear", "onset": "3d", "time_to_trip": "15d"}]}}})
    chunks = list(Fleet(sc).chunks(1440))
    return np.concatenate([c.ts for c in chunks])[::5], np.concatenate([c.values for c in chunks])[::5][:, 0, :]


def test_pipeline_batch_is_streaming_for_compressor_wear() -> None:
    """The compressor tracker is fed and its rule judged on the rows the fast path would skip:
    wear named by compressor_wear_efficiency at the same reading, with the same words."""
    # 19 days: judged with its uncertainty, the wear is named on day 15 (before: day 13)
    ts, X = _worn_stockholm()
    cfg = HeatPumpDetectorConfig(commissioning_seconds=2 * DAY, min_training_rows=300)
    streamed, replayed = _streamed_and_replayed(lambda: PumpPipeline.with_config("hp-000", cfg), ts, X)
    assert any(e["kind"] == "fault" and e["fault"] == "compressor_wear" for e in streamed), streamed
    _same_events(streamed, replayed)


def test_pipeline_batch_is_streaming_for_compressor_wear_on_the_design_day() -> None:
    """With a design outdoor temperature the design day's headroom is drawn and judged on the same
    rows streaming and replayed: the wear named at the same reading, with the same words."""
    import dataclasses

    from heatwatch.edge.heatpump.design import PumpDesign
    ts, X = _worn_stockholm()
    cfg = dataclasses.replace(HeatPumpDetectorConfig(commissioning_seconds=2 * DAY, min_training_rows=300),
                              design=PumpDesign(design_outdoor_c=-30.0))
    pipes: list[PumpPipeline] = []

    def make() -> PumpPipeline:
        pipes.append(PumpPipeline.with_config("hp-000", cfg))
        return pipes[-1]

    streamed, replayed = _streamed_and_replayed(make, ts, X)
    assert any(e["kind"] == "fault" and e["fault"] == "compressor_wear" for e in streamed), streamed
    _same_events(streamed, replayed)
    a, b = (p.compressor for p in pipes)
    assert a.design.fit is not None and a.design.upper == b.design.upper and a.design.blocks == b.design.blocks
    assert a.shifts()["design_discharge"] == b.shifts()["design_discharge"]


def test_pipeline_batch_is_streaming_for_a_wrong_refrigerant() -> None:
    sc = parse_scenario({"fleet": {"size": 2}, "climate": "oslo", "start": "2025-01-10", "duration": "2d",
                         "seed": 3, "refrigerant": "R290"})
    chunks = list(Fleet(sc).chunks(1440))
    ts = np.concatenate([c.ts for c in chunks])[::2]
    X = np.concatenate([c.values for c in chunks])[::2][:, 0, :]
    cfg = HeatPumpDetectorConfig(refrigerant="R32")
    streamed, replayed = _streamed_and_replayed(lambda: PumpPipeline.with_config("hp-000", cfg), ts, X)
    assert [e["fault"] for e in streamed if e["fault"] == REFRIGERANT_MISMATCH] == [REFRIGERANT_MISMATCH]
    _same_events(streamed, replayed)


def test_compressor_kernel_is_the_streaming_step() -> None:
    """CompressorEfficiency.steps (the compiled step, blocks closed and refitted between calls) is
    step() row for row, through the baseline, a cold spell that grows the envelope (refits), wear,
    invalid readings (compressor off, a pressure gone, a lift too small, a current missing) and a
    gap in time: every state after every row equal, not within a tolerance."""
    from heatwatch.edge.heatpump import compressor_efficiency as ce
    from tests.edge.heatpump.test_compressor_envelope import cold, mild, reading

    rng = np.random.default_rng(11)
    T, C = [], []
    t = 0.0
    for days, where, wear in ((3, mild, 0.0), (4, cold, 0.0), (3, mild, 0.15)):
        end = t + days * DAY
        while t < end:
            T.append(t)
            C.append(reading(rng, *where(rng, t), wear=wear))
            t += 300.0
        t += 5 * 3600.0  # a gap
    T, C = np.array(T), np.array(C)
    bad = rng.random(len(T))
    C[bad < 0.02, 4] = 5.0  # compressor off
    C[(bad >= 0.02) & (bad < 0.04), 3] = np.nan  # p_low gone
    C[(bad >= 0.04) & (bad < 0.06), 5] = np.nan  # no current: the loss alone
    C[(bad >= 0.06) & (bad < 0.08), 2] = C[(bad >= 0.06) & (bad < 0.08), 3] * 1.05  # a lift too small
    stream, batch = ce.CompressorEfficiency("R32", 2 * DAY), ce.CompressorEfficiency("R32", 2 * DAY)
    expected = []
    for t, c in zip(T.tolist(), C.tolist()):
        stream.step(t, *c)
        expected.append([*stream.shift, *stream.observed, *stream.uncertainty, *stream.expected, stream.last_ts,
                         stream.judged_alarm_loss(), stream.design.upper, stream.energy_level])
    got = np.concatenate([batch.steps(T[k:k + 500], C[k:k + 500]) for k in range(0, len(T), 500)])
    assert stream.refits > 0, "the envelope grew: the kernel was stopped for refits"
    np.testing.assert_array_equal(got, np.array(expected))
    assert [batch.snapshot_of(s) for s in got[-50:]] != [None] * 50
    assert json.dumps(batch.state()) == json.dumps(stream.state())


def test_compressor_snapshots_of_many_states_are_snapshot_of_each() -> None:
    """snapshots_of (levels for all rows at once) is snapshot_of row by row, None where not live."""
    from heatwatch.edge.heatpump import compressor_efficiency as ce

    rng = np.random.default_rng(3)
    comp = ce.CompressorEfficiency("R32")
    S = rng.normal(0.0, 1.0, (400, 10))
    S[:, 4:6] = rng.random((400, 2))
    S[:, 9] = rng.uniform(0.02, 0.05, 400)  # compression_loss's alarm on each row (the headroom's floor)
    d = np.random.default_rng(4)  # the design day's headroom, unknown (inf) on some rows
    S = np.column_stack([S, np.where(d.random(400) < 0.3, np.inf, d.uniform(-0.02, 0.05, 400))])
    S[rng.random(400) < 0.1, 8] = np.nan
    S[rng.random(400) < 0.1, 2] = np.nan
    S[rng.random(400) < 0.1, 3] = np.nan
    assert comp.snapshots_of(S) == [None] * 400  # no alarm yet
    for alarm in ([0.07, 0.05], [0.07, np.inf]):
        comp.alarm = np.array(alarm)
        want = [comp.snapshot_of(s) for s in S]
        assert comp.snapshots_of(S) == want
        assert sum(w is None for w in want) > 20 and sum(w is not None for w in want) > 300
        assert sum(any(name == ce.DESIGN_NAME for name, *_ in w) for w in want if w) > 200


def test_pipeline_batch_is_streaming_judged_on_the_prior_with_a_fault_from_install() -> None:
    """A pump faulty from its first reading (its valve passing too little: subcooling and superheat
    far beyond any healthy pump's) is judged against the physics bands and never learned: the rows
    process_batch() skips as quiet must be quiet on the bands too, or the fault is never named."""
    fleet = Fleet(load_scenario("demo"))
    chunk = next(iter(fleet.chunks(steps=1440 * 2)))
    ts, X = chunk.ts, chunk.values[:, 0, :].copy()  # hp-000: healthy, made faulty from the start
    X[:, INDEX["t_liquid"]] -= 12.0
    X[:, INDEX["t_suction"]] += 12.0
    cfg = HeatPumpDetectorConfig(commissioning_seconds=DAY / 2, min_training_rows=240)
    streamed = _events(PumpPipeline(device="hp", detector=HeatPumpDetector(cfg)), ts, X, batch=False)
    batch = PumpPipeline(device="hp", detector=HeatPumpDetector(cfg))
    replayed = _events(batch, ts, X, batch=True)
    assert not batch.detector.ready and batch.detector.postponed_fits > 0, "judged on the prior throughout"
    assert ("fault", "eev_stuck_closed") in {(e["kind"], e["fault"]) for e in streamed}
    assert streamed == replayed
    assert batch._basis == "prior"


def _offset_one_row_as_before(x, residual, alarm, model, refrigerant):
    """The single-sensor offset as the detector computed it row by row before it was batched
    (sensor_offset.offset_signatures and best_offset as they were): the reference."""
    from heatwatch.edge.heatpump.detector import targets_from
    from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
    from heatwatch.edge.heatpump.operating_point import features
    from heatwatch.edge.heatpump.sensor_offset import SENSOR_STEPS, SensorOffset

    names = [n for n in SENSOR_STEPS if not np.isnan(x[INDEX[n]])]
    Xp = np.repeat(x[None, :], len(names) + 1, axis=0)
    steps = np.array([SENSOR_STEPS[n] for n in names])
    for k, n in enumerate(names):
        Xp[k + 1, INDEX[n]] += steps[k]
    R = targets_from(Xp, refrigerant) - model.predict(features(Xp))
    sig = (R[1:] - R[0]) / steps[:, None]
    b = residual / alarm
    ok = np.isfinite(b)
    b = np.where(ok, b, 0.0)
    energy = float(b @ b)
    if energy <= 0.0:
        return None
    best = None
    for k, name in enumerate(names):
        a = np.where(ok & np.isfinite(sig[k]), sig[k] / alarm, 0.0)
        aa = float(a @ a)
        if aa <= 0.0:
            continue
        d = float(a @ b) / aa
        rest = b - a * d
        explained = 1.0 - float(rest @ rest) / energy
        if best is None or explained > best.explained:
            best = SensorOffset(name, d, explained, float(np.max(np.abs(a * d))),
                                {t: float(v) for t, v in zip(TARGET_NAMES, a * d) if v != 0.0})
    return best


def test_sensor_offsets_of_many_rows_are_each_rows_own(troubled) -> None:
    """The single-sensor offsets a replay computes for all its rule rows at once (detector.sensor_offsets)
    are, to the last bit, those of each row alone (the agent's) and those of the row-by-row code they
    replaced, on rows where dropouts leave different sensors present."""
    ts, X = troubled
    det = HeatPumpDetector(HeatPumpDetectorConfig(commissioning_seconds=DAY / 2, min_training_rows=240))
    res = det.score(ts, X)
    rows = [i for i in range(0, len(ts), 3) if res.ready[i]]
    assert len(rows) > 500
    batch = det.sensor_offsets(res, rows)
    have = [i for i in rows if batch[i] is not None]
    assert len(have) > 500 and len({batch[i].channel for i in have}) >= 2
    gaps = {tuple(np.isnan(res.steady_x(i)).tolist()) for i in have}
    assert len(gaps) >= 3, "rows with different sensors missing: several groups"
    for i in rows:
        one = det._sensor_offset(res[i])
        # with the levels the row was judged against (the growing envelope widens them) and its model
        scale = res.scale(i)
        old = _offset_one_row_as_before(res.steady_x(i), res.R[i], det.alarm if scale is None else scale,
                                        det.model_at(float(res.ts[i])), det.config.refrigerant)
        assert batch[i] == one == old


def test_evidence_of_a_batch_row_is_its_results(troubled) -> None:
    """The evidence a replay reads from the batch's arrays (detector.evidence_row) is, field for field,
    the evidence of the row's result (detector.evidence(res[i])): shifts, findings, offset, basis."""
    ts, X = troubled
    det = HeatPumpDetector(HeatPumpDetectorConfig(commissioning_seconds=DAY / 2, min_training_rows=240))
    res = det.score(ts, X)
    rows = list(range(0, len(ts), 7))
    offsets = det.sensor_offsets(res, rows)
    assert sum(res.ready[i] for i in rows) > 200 and any(not res.ready[i] for i in rows)
    assert any(res.findings(i) for i in rows if res.ready[i]), "rows with a failed sensor check"
    for i in rows:
        assert det.evidence_row(res, i, need_offset=False) == det.evidence(res[i], need_offset=False)
        assert det.evidence_row(res, i, offset=offsets[i]) == det.evidence(res[i], offset=offsets[i])
    assert any(det.evidence_row(res, i, offset=offsets[i]).shifts for i in rows if res.ready[i])


def test_readings_run_off_their_scale_are_judged_alike_streamed_and_batched(troubled) -> None:
    """A low-pressure transducer drifting past the end of its 30 bar scale and on, a noisy current
    dipping below 0 A: no dropout, streamed (update) or batched (score with the kernel), the state
    carried across chunks; an open thermistor's -200 degC sentinel is a dropout both ways."""
    ts, X = troubled
    Y = X.copy()
    n = len(ts)
    for c in ("p_low", "compressor_a"):  # these two lose no reading here (the fixture's scattered gaps)
        col = Y[:, INDEX[c]]
        ok = ~np.isnan(col)
        Y[:, INDEX[c]] = col[np.flatnonzero(ok)[np.maximum(np.cumsum(ok) - 1, 0)]]
    Y[3000:3040, INDEX["p_low"]] -= np.tile([0.0, 7.0], 20)  # the fixture's jumping sensor: not this one
    Y[:, INDEX["p_low"]] += np.clip(np.arange(n) - 1000, 0, None) * 0.03  # past 30 bar from ~row 1800 on
    Y[2000:2600:3, INDEX["compressor_a"]] = -0.7
    Y[2200:2700, INDEX["t_return"]] = np.where(np.arange(500) % 4 == 0, -200.0, Y[2200:2700, INDEX["t_return"]])
    assert np.nanmax(Y[:, INDEX["p_low"]]) > 60.0  # the run goes on far past the end of the scale
    cfg = HeatPumpDetectorConfig(commissioning_seconds=DAY / 2, min_training_rows=240)
    stream, batch = HeatPumpDetector(cfg), HeatPumpDetector(cfg)
    a = [stream.update(float(t), x).sensor_findings for t, x in zip(ts, Y)]
    b = [r.sensor_findings for k in range(0, n, 777) for r in batch.score(ts[k:k + 777], Y[k:k + 777])]
    assert a == b
    np.testing.assert_array_equal(stream.checks.off_scale, batch.checks.off_scale)
    assert not any("dropout" in f.get("p_low", []) or "dropout" in f.get("compressor_a", []) for f in a)
    assert any("dropout" in f.get("t_return", []) for f in a)


def test_prognosis_hours_fed_in_batch_are_the_hours_fed_row_by_row() -> None:
    """PrognosisTracker.update_rows (batch_kernels.hour_sums) and update() row by row: the same closed
    hours (means, worst and best readings) and the same open hour, to the bit, with missing values,
    an always-missing channel, gaps of hours and chunks cut inside an hour."""
    from heatwatch.edge.heatpump.prognosis import PrognosisTracker

    rng = np.random.default_rng(1)
    n, k = 3000, 23
    ts = 1e9 + np.cumsum(rng.choice([60.0, 300.0, 3 * 3600.0], size=n, p=[0.6, 0.39, 0.01]))
    R, Y = rng.normal(size=(n, k)), rng.normal(size=(n, k))
    R[rng.random(R.shape) < 0.1] = np.nan
    Y[rng.random(Y.shape) < 0.1] = np.nan
    Y[:, 3] = R[:, 4] = np.nan
    streamed, batched = PrognosisTracker(), PrognosisTracker()
    for i in range(n):
        streamed.update(float(ts[i]), R[i], Y[i])
    cuts = sorted(rng.choice(np.arange(1, n), 40, replace=False).tolist())
    for s, e in zip([0, *cuts], [*cuts, n]):
        batched.update_rows(ts[s:e], R[s:e], Y[s:e])
    assert len(streamed._hours) == len(batched._hours) > 100
    for a, b in zip(streamed._hours, batched._hours):
        assert a[0] == b[0]
        assert all(np.asarray(x).tobytes() == np.asarray(y).tobytes() for x, y in zip(a[1:], b[1:]))
    assert streamed._bucket == batched._bucket
    for x, y in zip((streamed._sum, streamed._n, streamed._hi, streamed._lo),
                    (batched._sum, batched._n, batched._hi, batched._lo)):
        assert np.asarray(x).tobytes() == np.asarray(y).tobytes()
    assert json.dumps(streamed.state()) == json.dumps(batched.state())
