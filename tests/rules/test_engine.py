"""Rule files: validation errors that name file, rule and field; hold/clear timing; signatures."""

from __future__ import annotations

import pytest

from heatwatch.edge.heatpump.sensor_offset import SensorOffset
from heatwatch.rules.engine import ChannelShift, Evidence, RuleEngine
from heatwatch.rules.schema import RuleFileError, load_rule_file

HOUR = 3600.0


def shifts(**levels: float) -> dict[str, ChannelShift]:
    return {ch: ChannelShift(level=lv, expected=5.0, observed=5.0 + lv) for ch, lv in levels.items()}


def run(engine: RuleEngine, ev_shifts: dict, hours: float, start: float = 0.0, step: float = 600.0,
        sensor: dict | None = None, offset: SensorOffset | None = None):
    out = []
    t = start
    while t <= start + hours * HOUR:
        out += engine.evaluate(Evidence(ts=t, shifts=ev_shifts, sensor_findings=sensor or {}, sensor_offset=offset))
        t += step
    return out


def test_default_rules_load_and_cover_every_pump_fault():
    from heatwatch.faults import FAULTS
    engine = RuleEngine.from_files()
    assert {r.fault for r in engine.rules} == set(FAULTS)


LEAK = dict(superheat=2.5, p_low=-1.5, eev_pct=1.8, t_discharge=1.2, subcooling=-0.5)


def test_leak_fires_only_after_hold_and_clears_only_after_a_quiet_week():
    engine = RuleEngine.from_files()
    early = run(engine, shifts(**LEAK), hours=5)
    assert early == []  # hold is 6 h
    raised = run(engine, shifts(**LEAK), hours=2, start=5 * HOUR + 600)
    assert [(d.fault, d.state) for d in raised] == [("refrigerant_leak", "raised")]
    d = raised[0]
    assert d.since_ts == 0.0 and d.severity == "critical"
    assert "expansion valve" in d.explanation and "7 %" in d.explanation  # observed 5 + 1.8
    assert "electronic leak detector" in d.parts
    # its findings: the valve and the charge's own witnesses (superheat, subcooling from half its level); the
    # suction pressure is no witness of the charge (a worn compressor run faster moves it too: rules/heatpump.yaml)
    assert {f.channels[0] for f in d.findings} == {"superheat", "subcooling", "eev_pct"}
    # a leak does not heal: a quiet day (mild weather, low load) does not clear it, a quiet week does
    quiet_day = run(engine, shifts(), hours=30, start=8 * HOUR)
    assert quiet_day == []
    quiet_week = run(engine, shifts(), hours=7 * 24, start=38 * HOUR)
    assert [(x.fault, x.state) for x in quiet_week] == [("refrigerant_leak", "cleared")]


def test_subcooling_up_tells_stuck_valve_from_leak():
    engine = RuleEngine.from_files()
    out = run(engine, shifts(eev_pct=2.0, superheat=1.5, subcooling=2.0, p_low=-1.5, t_discharge=1.5), hours=8)
    assert {d.fault for d in out} == {"eev_stuck_closed"}


def test_slow_fan_tells_fouling_from_leak():
    engine = RuleEngine.from_files()
    out = run(engine, shifts(evap_approach=2.0, fan_rpm=-1.0, p_low=-1.5, t_evap=-1.8), hours=8)
    assert {d.fault for d in out} == {"evaporator_fouling"}
    engine = RuleEngine.from_files()  # the same coil, but the valve opened wide and the fan is fine
    out = run(engine, shifts(evap_approach=2.0, eev_pct=4.0, p_low=-1.5, subcooling=-0.8), hours=8)
    assert {d.fault for d in out} == {"refrigerant_leak"}


def test_a_fouled_condenser_needs_the_pressure_at_half_its_level_as_witness():
    """The condenser's approach past its level is the fault; the high-pressure sensor, which reads the
    same condensing temperature through a level two to three times wider in kelvins, witnesses it at
    half its own level (service_area_200's condenser pumps: 0.33-0.5 of the approach's level)."""
    engine = RuleEngine.from_files()
    out = run(engine, shifts(cond_approach=1.3, p_high=0.6, t_cond=0.9), hours=13)
    assert [(d.fault, d.state) for d in out] == [("condenser_fouling", "raised")]
    engine = RuleEngine.from_files()  # the pressure does not agree: a misfit of the approach alone
    assert run(engine, shifts(cond_approach=1.3, p_high=0.3, t_cond=0.9), hours=13) == []
    engine = RuleEngine.from_files()  # low water flow raises the approach too: not a condenser
    out = run(engine, shifts(cond_approach=1.3, p_high=0.6, flow_lpm=-1.5), hours=13)
    assert "condenser_fouling" not in {d.fault for d in out}


def test_a_flow_thermistor_reading_low_is_not_a_fouled_condenser():
    """A t_flow reading low raises the approach (t_cond - t_flow) and lowers the COP computed from
    it (heat = flow x (t_flow - t_return)): the sensor's own error would be fouling's witness. It
    also makes the measured delta-T fall, which fouling leaves where it was: the rule yields.
    The levels are cond_drift_stockholm's hp-004 (-1 K a day) when d275ca8 named it fouling,
    judged on the prior's bands (approach 9.1 K over a 7 K edge, COP -3.4 under 1.5)."""
    drift = dict(cond_approach=1.37, cop=-16.2, delta_t=-1.2)
    engine = RuleEngine.from_files()
    out = run(engine, shifts(**drift), hours=13)
    assert "condenser_fouling" not in {d.fault for d in out}
    engine = RuleEngine.from_files()  # the same approach and COP with the water's delta-T kept: fouling
    out = run(engine, shifts(cond_approach=1.37, cop=-2.0), hours=13)
    assert [(d.fault, d.state) for d in out] == [("condenser_fouling", "raised")]
    engine = RuleEngine.from_files()  # a fouled condenser's pressure witness does not save the drift
    out = run(engine, shifts(**drift, p_high=0.6), hours=13)
    assert "condenser_fouling" not in {d.fault for d in out}


def test_broken_sensor_under_required_channel_blocks_pump_fault():
    engine = RuleEngine.from_files()
    fixed_valve_leak = dict(superheat=2.5, subcooling=-1.5, p_low=-1.5)  # superheat is computed from p_low
    out = run(engine, shifts(**fixed_valve_leak), hours=8)
    assert {d.fault for d in out} == {"refrigerant_leak"}
    engine = RuleEngine.from_files()
    out = run(engine, shifts(**fixed_valve_leak), hours=8, sensor={"p_low": ["stuck"]})
    faults = {(d.fault, d.channel) for d in out}
    assert ("refrigerant_leak", None) not in faults
    assert ("sensor_stuck", "p_low") in faults


def test_a_drift_one_sensor_offset_explains_is_a_sensor_fault():
    engine = RuleEngine.from_files()
    offset = SensorOffset("t_discharge", 12.0, 0.97, 3.0, {"t_discharge": 3.0, "discharge_superheat": 3.0})
    out = run(engine, shifts(t_discharge=3.0, discharge_superheat=3.0), hours=25, offset=offset)
    assert [(d.fault, d.channel) for d in out] == [("sensor_drift", "t_discharge")]
    assert "12.0" in out[0].findings[0].message and "97%" in out[0].findings[0].message
    # the same offset explaining only half of the drift is no sensor verdict
    engine = RuleEngine.from_files()
    half = SensorOffset("t_discharge", 12.0, 0.5, 3.0, {"t_discharge": 3.0, "discharge_superheat": 3.0})
    out = run(engine, shifts(t_discharge=3.0, discharge_superheat=3.0, compressor_a=3.0), hours=25, offset=half)
    assert all(d.fault != "sensor_drift" for d in out)


def test_pump_fault_yields_to_a_sensor_that_explains_it_and_wins_otherwise():
    # a flow meter reading low: flow "down", and the COP computed from it down too
    engine = RuleEngine.from_files()
    meter = SensorOffset("flow_lpm", -6.0, 0.98, 4.0, {"flow_lpm": -4.0, "cop": -3.0})
    out = run(engine, shifts(flow_lpm=-4.0, cop=-3.0), hours=25, offset=meter)
    assert {(d.fault, d.channel) for d in out} == {("sensor_drift", "flow_lpm")}
    # a real flow loss: delta-T up, COP kept; the best flow offset explains little
    engine = RuleEngine.from_files()
    weak = SensorOffset("flow_lpm", -6.0, 0.55, 4.0, {"flow_lpm": -4.0, "cop": -3.0})
    out = run(engine, shifts(flow_lpm=-4.0, delta_t=1.2), hours=25, offset=weak)
    assert {d.fault for d in out} == {"low_water_flow"}
    # compressor wear: a t_discharge offset explains the discharge rise but not the COP loss
    engine = RuleEngine.from_files()
    disch = SensorOffset("t_discharge", 12.0, 0.92, 3.0, {"t_discharge": 3.0, "discharge_superheat": 3.0})
    out = run(engine, shifts(t_discharge=3.0, discharge_superheat=3.0, cop=-0.8), hours=25, offset=disch)
    assert {d.fault for d in out} == {"compressor_wear"}


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
    ("rules: [{name: x, fault: sensor_drift, confidence: 0.5, explanation: e, sensor: t_flw, require: {heat_deficit: up}}]",
     "rule 'x': field 'sensor': unknown sensor channel 't_flw'"),
    ("rules: [{name: x, fault: sensor_drift, confidence: 0.5, explanation: e, sensor: t_flow, sensor_check: [stuck]}]",
     "rule 'x': field '(rule)': sensor names the channel of a shift rule's match: it needs require"),
    ("rules: [{name: x, fault: sensor_drift, confidence: 0.5, explanation: e, clear_margin: 0.5, require: {heat_deficit: up}}]",
     "rule 'x': field '(rule)': clear_margin holds a sensor notice on bounds of physics: it needs sensor"),
    ("rules: [{name: x, fault: sensor_drift, confidence: 0.5, explanation: e, sensor: t_flow, clear_margin: 0.5, "
     "require: {delta_t: down, cond_approach: up}}]",
     "rule 'x': field '(rule)': clear_margin reads the excess over a bound of physics; require names none"),
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


# an outdoor sensor reading high: the healthy model expects a warmer evaporator, so p_low and
# the coil read "low", evap_approach "high", the COP "low" (the day-2 fingerprint of demo_fleet's hp-002)
OUTDOOR_HIGH = {"evap_approach": 3.2, "p_low": -2.1, "cop": -1.3, "t_discharge": 0.6, "eev_pct": 0.9,
                "subcooling": -0.1, "superheat": 0.1}


def test_a_leak_whose_valve_an_outdoor_offset_cannot_open_is_not_vetoed_by_it():
    # the leak moves the same supports as the offset, but opens the valve 6.3 alarm units where the
    # offset accounts for 0.9 of them: the offset explains 48 % of the drift, not the leak's witness
    engine = RuleEngine.from_files()
    offset = SensorOffset("t_outdoor", 5.2, 0.48, 3.3, OUTDOOR_HIGH)
    leak = shifts(eev_pct=6.3, p_low=-1.9, evap_approach=2.7, subcooling=-0.9, cop=-1.0, t_discharge=0.66, superheat=0.4)
    out = run(engine, leak, hours=25, offset=offset)
    assert [(d.fault, d.state) for d in out] == [("refrigerant_leak", "raised")]
    # the held-out case the veto is for: a valve 1.2 units high, 0.9 of them the offset's, "supported"
    # only by what the offset moves, is a drifting sensor and no leak
    engine = RuleEngine.from_files()
    drift = shifts(eev_pct=1.2, p_low=-2.0, evap_approach=3.3, cop=-1.2, t_discharge=0.5)
    out = run(engine, drift, hours=25, offset=offset)
    assert all(d.fault != "refrigerant_leak" for d in out), out


def test_compressor_wear_on_the_design_day_prognosis_alone():
    """A compression loss past its floor with no electrical or COP witness (a cold R32 pump at a 2-4 %
    loss) is named when the loss would take the discharge to its trip on a design day, not otherwise,
    and only where the energy balance leans to wear (its evidence is the discharge thermistor alone)."""
    engine = RuleEngine.from_files()
    alone = run(engine, shifts(compression_loss=1.3, cop=-0.3, discharge_unexplained=-0.8), hours=13)
    assert not any(e.fault == "compressor_wear" for e in alone)
    engine = RuleEngine.from_files()
    design = run(engine, shifts(compression_loss=1.3, cop=-0.3, design_discharge=1.6, discharge_unexplained=-0.8),
                 hours=13)
    assert [(e.rule, e.state) for e in design] == [("compressor_wear_design", "raised")]
    engine = RuleEngine.from_files()
    unsure = run(engine, shifts(compression_loss=1.3, cop=-0.3, design_discharge=1.6), hours=13)
    assert not any(e.fault == "compressor_wear" for e in unsure)
    # a suction transducer reading high fakes the loss: its coil thermistor parting from p_low's
    # saturation temperature, at 0.8 of that gap's level, is enough against a rule with no other witness
    engine = RuleEngine.from_files()
    drift = run(engine, shifts(compression_loss=1.3, cop=-0.3, design_discharge=1.6, evap_sat_gap=-0.8,
                               discharge_unexplained=-0.8), hours=13)
    assert not any(e.fault == "compressor_wear" for e in drift)


def test_a_rule_naming_a_sensor_matches_on_its_channel_and_is_no_pump_fault():
    """The prior's water-thermistor notices (``sensor:``): on the prior's physics levels, a notice on
    the sensor the rule names, not a pump fault; a drift one offset explains is still said by the
    isolated sensor rule beside it (a pump rule's match would silence that one)."""
    engine = RuleEngine.from_files()
    out = run(engine, shifts(flow_over_condensing=1.4), hours=13)
    assert [(d.rule, d.fault, d.channel, d.state) for d in out] == [
        ("flow_sensor_over_condensing", "sensor_drift", "t_flow", "raised")]
    assert "t_flow sensor reads high" in out[0].explanation
    engine = RuleEngine.from_files()
    out = run(engine, shifts(heat_deficit=1.2), hours=13)
    assert [(d.rule, d.channel) for d in out] == [("water_delta_t_below_heat", "delta_t")]
    engine = RuleEngine.from_files()  # the return thermistor's own bound passed: it is named, not the pair
    out = run(engine, shifts(heat_deficit=3.0, return_over_condensing=1.1, delta_t=-2.0), hours=13)
    assert [(d.rule, d.channel) for d in out] == [("return_sensor_over_condensing", "t_return")]
    engine = RuleEngine.from_files()
    offset = SensorOffset("t_discharge", 12.0, 0.97, 3.0, {"t_discharge": 3.0, "discharge_superheat": 3.0})
    out = run(engine, shifts(t_discharge=3.0, discharge_superheat=3.0, flow_over_condensing=1.4), hours=25,
              offset=offset)
    assert {(d.fault, d.channel) for d in out} == {("sensor_drift", "t_discharge"), ("sensor_drift", "t_flow")}


def _bound(**excess: float) -> dict[str, ChannelShift]:
    """Bounds of physics as the prior gives them: the excess in K observed, 0 K the edge, its level."""
    return {ch: ChannelShift(level=max(e, 0.0), expected=0.0, observed=e) for ch, e in excess.items()}


def test_a_notice_on_a_bound_clears_only_once_the_reading_is_back_with_a_margin():
    """A drifting thermistor's excess swings with the load: a day just inside the bound (a mild day)
    cleared its notice and the next cold day raised it again. The notice now stands until every bound
    it requires holds by clear_margin (0.5 K) for all of clear_after (24 h)."""
    engine = RuleEngine.from_files()
    raised = run(engine, _bound(heat_deficit=1.5), hours=13)
    assert [(d.rule, d.state) for d in raised] == [("water_delta_t_below_heat", "raised")]
    swing = run(engine, _bound(heat_deficit=-0.3), hours=48, start=13 * HOUR + 600)  # inside, but not by 0.5 K
    assert swing == []
    back = run(engine, _bound(heat_deficit=-0.8), hours=30, start=61 * HOUR + 600)
    assert [(d.rule, d.state) for d in back] == [("water_delta_t_below_heat", "cleared")]
    assert back[0].ts == pytest.approx(61 * HOUR + 600 + 24 * HOUR, abs=600)


def test_a_held_notice_is_not_held_forever():
    """The margin holds a notice only while the bounds are judged on the prior's averages and no more
    specific notice speaks: the pump's own model learned (no bound in the evidence), or the flow
    thermistor's own notice matching, and clear_after alone clears it."""
    engine = RuleEngine.from_files()
    run(engine, _bound(heat_deficit=1.5), hours=13)
    learned = run(engine, shifts(), hours=30, start=13 * HOUR + 600)
    assert [(d.rule, d.state) for d in learned] == [("water_delta_t_below_heat", "cleared")]
    engine = RuleEngine.from_files()
    run(engine, _bound(heat_deficit=1.5), hours=13)
    named = run(engine, _bound(heat_deficit=1.5, flow_below_condenser=1.2), hours=30, start=13 * HOUR + 600)
    assert [(d.rule, d.channel, d.state) for d in named] == [
        ("flow_sensor_below_condenser", "t_flow", "raised"), ("water_delta_t_below_heat", "delta_t", "cleared")]


def test_delta_t_yields_to_the_thermistor_named_while_it_stands():
    """A return thermistor reading high: delta-T's notice first, then the return's own. When the
    return's bound dips under its raise level for a mild day (its notice held by the margin), the
    delta-T notice does not come back beside it: one notice per drift, not two by turns."""
    engine = RuleEngine.from_files()
    first = run(engine, _bound(heat_deficit=2.0), hours=13)
    named = run(engine, {**_bound(heat_deficit=3.0, return_over_condensing=1.2), **shifts(delta_t=-2.0)}, hours=40,
                start=13 * HOUR + 600)
    assert [(d.rule, d.state) for d in first + named] == [
        ("water_delta_t_below_heat", "raised"), ("return_sensor_over_condensing", "raised"),
        ("water_delta_t_below_heat", "cleared")]
    mild = run(engine, {**_bound(heat_deficit=2.0, return_over_condensing=0.2), **shifts(delta_t=-1.5)}, hours=40,
               start=54 * HOUR)
    assert mild == []
    assert engine.active == [("return_sensor_over_condensing", "t_return")]


def test_yields_to_must_name_a_rule(tmp_path):
    f = tmp_path / "site.yaml"
    f.write_text("rules: [{name: x, fault: sensor_drift, confidence: 0.5, explanation: e, sensor: delta_t, "
                 "require: {heat_deficit: up}, yields_to: [nope]}]")
    with pytest.raises(ValueError, match="yields_to names no rule: nope"):
        RuleEngine.from_files([f])


def test_a_flow_meter_reading_low_is_not_named_the_return_thermistor():
    """A flow meter reading a sixth of the flow raises the least delta-T the input delivers past what
    the water shows, and past the return's distance under condensing: the return bound breaks, yet
    the return reads below the flow (delta-T positive), which no return thermistor reading high
    leaves. Only delta-T is named; with delta-T negative the return thermistor is."""
    engine = RuleEngine.from_files()
    meter = run(engine, _bound(heat_deficit=4.0, return_over_condensing=1.5), hours=13)
    assert [(d.rule, d.channel) for d in meter] == [("water_delta_t_below_heat", "delta_t")]
    engine = RuleEngine.from_files()
    thermistor = run(engine, {**_bound(heat_deficit=4.0, return_over_condensing=1.5), **shifts(delta_t=-3.0)},
                     hours=13)
    assert [(d.rule, d.channel) for d in thermistor] == [("return_sensor_over_condensing", "t_return")]


def test_a_raised_notice_is_withdrawn_when_the_rule_it_yields_to_is_raised():
    """A flow meter reading low named low_water_flow first (here the deep rule, on the flow alone),
    the meter's own notice hours or days later. From the round the meter's notice is raised the
    water-side fault is withdrawn (cleared now, naming the notice that explains it better), not a
    week later by its clear_after, and the meter's raise lists what it revised."""
    engine = RuleEngine.from_files()
    first = run(engine, shifts(flow_lpm=-3.2), hours=7)
    assert [(d.rule, d.state) for d in first] == [("low_water_flow_deep", "raised")]
    meter = run(engine, shifts(flow_lpm=-3.5, flow_meter_low=1.5), hours=8, start=7 * HOUR + 600)
    assert [(d.rule, d.channel, d.state) for d in meter] == [
        ("flow_meter_reads_low", "flow_lpm", "raised"), ("low_water_flow_deep", None, "cleared")]
    raised, withdrawn = meter
    assert withdrawn.ts == raised.ts  # the same round, not clear_after (7 days) later
    assert withdrawn.explained_by is not None
    assert (withdrawn.explained_by.rule, withdrawn.explained_by.fault, withdrawn.explained_by.channel) == (
        "flow_meter_reads_low", "sensor_drift", "flow_lpm")
    assert [(s.rule, s.fault, s.channel) for s in raised.revises] == [
        ("low_water_flow_deep", "low_water_flow", None)]
    assert engine.active == [("flow_meter_reads_low", "flow_lpm")]
    # while the meter's notice stands the flow alone names nothing again
    assert run(engine, shifts(flow_lpm=-3.5), hours=12, start=16 * HOUR) == []


def test_a_notice_raised_after_the_better_one_is_withdrawn_in_the_same_round():
    """compressor_wear comes before discharge_sensor_high in the file: the thermistor's raise
    withdraws the wear it explains in that very round, whatever the file order."""
    engine = RuleEngine.from_files()
    wear = run(engine, shifts(discharge_superheat=1.5, cop=-0.8), hours=13)
    assert [(d.rule, d.state) for d in wear] == [("compressor_wear", "raised")]
    out = run(engine, shifts(discharge_superheat=1.5, compression_loss=1.5, discharge_unexplained=1.5), hours=25,
              start=13 * HOUR + 600)
    named = [(d.rule, d.state, d.explained_by.rule if d.explained_by else None) for d in out]
    assert named == [("discharge_sensor_high", "raised", None),
                     ("compressor_wear", "cleared", "discharge_sensor_high")]
    assert out[0].ts == out[1].ts


def test_a_plain_clear_names_no_better_explanation():
    engine = RuleEngine.from_files()
    run(engine, shifts(flow_lpm=-2.0, delta_t=1.2, flow_meter_low=-1.0), hours=7)
    out = run(engine, shifts(), hours=7 * 24 + 1, start=7 * HOUR + 600, step=3600.0)
    assert [(d.rule, d.state, d.explained_by) for d in out] == [("low_water_flow", "cleared", None)]


def test_a_fleets_model_asks_the_rules_fleet_min_support():
    """Against a fleet's model (before the pump's own) low_water_flow needs no witness of the heat
    (fleet_min_support: 0): the heat's test reads the fleet's delta-T and COP, not the pump's. A loss
    from installation that trips within the week (service_area_200 hp-097) was left unwarned when the
    witness was asked there. Against the pump's own model the flow alone names nothing."""
    engine = RuleEngine.from_files()
    fleet = Evidence(ts=0.0, shifts=shifts(flow_lpm=-1.5), basis="fleet prior")
    assert engine._all_matches(fleet)["low_water_flow"]
    own = Evidence(ts=0.0, shifts=shifts(flow_lpm=-1.5), basis="model")
    assert not engine._all_matches(own)["low_water_flow"]
