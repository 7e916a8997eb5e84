"""Rule files: validation errors that name file, rule and field; hold/clear timing; signatures."""

from __future__ import annotations

import pytest

from rules.engine import ChannelShift, Evidence, RuleEngine
from rules.schema import RuleFileError, load_rule_file

HOUR = 3600.0


def shifts(**levels: float) -> dict[str, ChannelShift]:
    return {ch: ChannelShift(level=lv, expected=5.0, observed=5.0 + lv) for ch, lv in levels.items()}


def run(engine: RuleEngine, ev_shifts: dict, hours: float, start: float = 0.0, step: float = 600.0,
        sensor: dict | None = None):
    out = []
    t = start
    while t <= start + hours * HOUR:
        out += engine.evaluate(Evidence(ts=t, shifts=ev_shifts, sensor_findings=sensor or {}))
        t += step
    return out


def test_default_rules_load_and_cover_every_pump_fault():
    from heatwatch.faults import FAULTS
    engine = RuleEngine.from_files()
    assert {r.fault for r in engine.rules} == set(FAULTS)


LEAK = dict(superheat=2.5, p_low=-1.5, eev_pct=1.8, t_discharge=1.2, subcooling=-0.5)


def test_leak_fires_only_after_hold_and_clears_after_quiet():
    engine = RuleEngine.from_files()
    early = run(engine, shifts(**LEAK), hours=5)
    assert early == []  # hold is 6 h
    raised = run(engine, shifts(**LEAK), hours=2, start=5 * HOUR + 600)
    assert [(d.fault, d.state) for d in raised] == [("refrigerant_leak", "raised")]
    d = raised[0]
    assert d.since_ts == 0.0 and d.severity == "critical"
    assert "superheat" in d.explanation and "7.5 K" in d.explanation  # observed 5 + 2.5
    assert "electronic leak detector" in d.parts
    assert {f.channels[0] for f in d.findings} >= {"superheat", "p_low", "eev_pct"}
    quiet = run(engine, shifts(), hours=30, start=8 * HOUR)
    assert [(x.fault, x.state) for x in quiet] == [("refrigerant_leak", "cleared")]


def test_subcooling_up_tells_stuck_valve_from_leak():
    engine = RuleEngine.from_files()
    out = run(engine, shifts(superheat=2.5, subcooling=2.0, p_low=-1.5, t_discharge=1.5), hours=8)
    assert {d.fault for d in out} == {"eev_stuck_closed"}


def test_broken_sensor_under_required_channel_blocks_pump_fault():
    engine = RuleEngine.from_files()
    out = run(engine, shifts(**LEAK), hours=8, sensor={"p_low": ["stuck"]})
    faults = {(d.fault, d.channel) for d in out}
    assert ("refrigerant_leak", None) not in faults
    assert ("sensor_stuck", "p_low") in faults


def test_isolated_drift_is_a_sensor_fault_and_two_channels_are_not():
    engine = RuleEngine.from_files()
    out = run(engine, shifts(t_discharge=3.0, discharge_superheat=3.0), hours=25)
    assert [(d.fault, d.channel) for d in out] == [("sensor_drift", "t_discharge")]
    engine = RuleEngine.from_files()
    out = run(engine, shifts(t_discharge=3.0, compressor_a=3.0), hours=25)
    assert all(d.fault != "sensor_drift" for d in out)


def test_short_blips_do_not_fire():
    engine = RuleEngine.from_files()
    out = []
    for k in range(48):  # one hour of leak-like evidence every 2 hours for two days
        out += run(engine, shifts(**LEAK), hours=1, start=k * 2 * HOUR)
        out += run(engine, shifts(), hours=0.9, start=k * 2 * HOUR + HOUR + 600)
    assert out == []


@pytest.mark.parametrize("body, message", [
    ("rules: [{name: x, fault: nope, confidence: 0.5, explanation: e, require: {superheat: up}}]",
     "rule 'x': field 'fault': unknown fault 'nope'"),
    ("rules: [{name: x, fault: refrigerant_leak, confidence: 0.5, explanation: e, require: {supreheat: up}}]",
     "rule 'x': field 'require': unknown channel 'supreheat'"),
    ("rules: [{name: x, fault: refrigerant_leak, confidence: 1.5, explanation: e, require: {superheat: up}}]",
     "rule 'x': field 'confidence'"),
    ("rules: [{name: x, fault: refrigerant_leak, confidence: 0.5, explanation: e, hold: soon, require: {superheat: up}}]",
     "rule 'x': field 'hold': not a duration"),
    ("rules: [{name: x, fault: refrigerant_leak, confidence: 0.5, explanation: e}]",
     "rule 'x': field '(rule)': a rule needs exactly one of"),
    ("rules: {x: 1}", "field 'rules'"),
    ("rules: [", "not valid YAML"),
])
def test_bad_rule_files_name_file_rule_and_field(tmp_path, body, message):
    f = tmp_path / "site.yaml"
    f.write_text(body)
    with pytest.raises(RuleFileError) as exc:
        load_rule_file(f)
    assert str(exc.value).startswith("site.yaml")
    assert message in str(exc.value)
