"""The energy balance as the discharge thermistor's independent witness (edge/heatpump/energy_balance.py).

A cold R32 pump, learned over two days, then from day 4 either a worn compressor (its discharge
rise 5 % above the ideal's and its electrical input 5 % more per unit of heat) or a discharge
thermistor reading high by the kelvins that fake the same loss (nothing else moves). The computed
loss is the same for both; the energy balance tells them apart, and the rules follow it: the
design rule names the wear, the thermistor gets a sensor notice and no wear.
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.channels import WATER_KW_PER_LPM_K
from heatwatch.edge.heatpump import compressor_efficiency as ce
from heatwatch.refrigerant import ISENTROPIC_EXPONENT, t_sat
from heatwatch.rules.engine import ChannelShift, Evidence, RuleEngine
from heatwatch.units import DAY, HOUR

K = ISENTROPIC_EXPONENT["R32"]
LOSS = 0.05


def _reading(rng: np.random.Generator, t_out: float, wear: float, offset_share: float) -> tuple[float, ...]:
    """One steady reading: ``wear`` raises the discharge rise and the input per heat by that share,
    ``offset_share`` raises the discharge reading by that share of the rise (a thermistor's offset)."""
    p_l = 4.0 * math.exp(0.04 * (t_out + 10.0)) + rng.normal(0, 0.02)
    p_h = 33.0 + rng.normal(0, 0.2)
    t_s = t_out - 8.0 + rng.normal(0, 0.2)
    hz = 60.0 - 2.0 * (t_out + 10.0) + rng.normal(0, 1)
    rise = (t_s + 273.15) * ((p_h / p_l) ** ((K - 1) / K) - 1)
    t_d = t_s + 0.9 * rise * (1 + wear + offset_share) + rng.normal(0, 0.2)
    t_c, t_e = float(t_sat(p_h, "R32")), float(t_sat(p_l, "R32"))
    heat = 6.0 + 0.1 * (t_out + 9.0)
    cop = 0.5 * (t_c + 273.15) / (t_c - t_e) / (1 + wear)
    flow = 20.0
    t_flow = 35.0 + rng.normal(0, 0.05)
    t_return = t_flow - heat / (WATER_KW_PER_LPM_K * flow) + rng.normal(0, 0.05)
    power_w = heat / cop * 1000.0 + 80.0
    amps = (power_w - 80.0) / (230.0 * 0.95)
    return t_s, t_d, p_h, p_l, hz, amps, t_out, flow, t_flow, t_return, power_w


def _run(wear: float = 0.0, offset_share: float = 0.0, days: float = 10.0) -> ce.CompressorEfficiency:
    rng = np.random.default_rng(5)
    comp = ce.CompressorEfficiency("R32", 2 * DAY, -24.0)
    for ts in np.arange(0.0, days * DAY, 60.0):
        t_out = -9.0 + 5.0 * math.sin(2 * math.pi * ts / DAY)
        late = ts >= 4 * DAY
        comp.step(float(ts), *_reading(rng, t_out, wear if late else 0.0, offset_share if late else 0.0))
    return comp


def _levels(comp: ce.CompressorEfficiency) -> dict[str, float]:
    return {name: s.level for name, s in comp.shifts().items()}


def test_a_thermistor_reading_high_is_not_in_the_power() -> None:
    worn, drift = _levels(_run(wear=LOSS)), _levels(_run(offset_share=LOSS))
    # the computed loss cannot tell them apart ...
    assert worn["compression_loss"] >= 1.0 and drift["compression_loss"] >= 1.0
    assert abs(worn["compression_loss"] - drift["compression_loss"]) < 0.3 * worn["compression_loss"]
    # ... the energy balance does: wear draws its loss as power, a thermistor's offset does not
    assert drift[ce.ENERGY_NAME] >= 1.0, drift
    assert worn[ce.ENERGY_NAME] < 0.3, worn


def test_a_healthy_pump_leaves_the_energy_balance_quiet() -> None:
    assert abs(_levels(_run())[ce.ENERGY_NAME]) < 0.5


def test_the_energy_balance_survives_a_restart() -> None:
    comp = _run(offset_share=LOSS, days=9.0)
    again = ce.CompressorEfficiency("R32", 2 * DAY, -24.0)
    again.load_state(comp.state())
    for c in (comp, again):
        r = np.random.default_rng(9)
        for ts in np.arange(9 * DAY, 9.5 * DAY, 60.0):
            c.step(float(ts), *_reading(r, -9.0, 0.0, LOSS))
    assert _levels(again)[ce.ENERGY_NAME] == _levels(comp)[ce.ENERGY_NAME]


def test_the_batch_path_gives_the_streaming_witness() -> None:
    rng = np.random.default_rng(3)
    rows = [(float(ts), *_reading(rng, -9.0 + 5.0 * math.sin(2 * math.pi * ts / DAY), 0.0,
                                  LOSS if ts >= 3 * DAY else 0.0)) for ts in np.arange(0.0, 4 * DAY, 60.0)]
    one, many = ce.CompressorEfficiency("R32", 2 * DAY, -24.0), ce.CompressorEfficiency("R32", 2 * DAY, -24.0)
    streamed = []
    for r in rows:
        one.step(*r)
        streamed.append(one.energy_level)
    A = np.array(rows)
    states = many.steps(A[:, 0], A[:, 1:])
    assert states.shape[1] == ce.N_STATE
    known = ~np.isnan(streamed)
    assert known.sum() > 1000 and np.ptp(np.array(streamed)[known]) > 0.0  # learned, and following
    np.testing.assert_allclose(states[:, 11], streamed, rtol=1e-9, atol=1e-12)


def _run_rules(engine: RuleEngine, shifts: dict[str, float], hours: float) -> list:
    out = []
    for h in np.arange(0.0, hours * HOUR, 600.0):
        ev = Evidence(ts=float(h), ready=True, shifts={k: ChannelShift(v, 1.0, 1.0 + v) for k, v in shifts.items()})
        out.extend(engine.evaluate(ev))
    return out


def test_the_design_rule_yields_to_the_energy_balance_and_the_sensor_is_named() -> None:
    wear = {"compression_loss": 1.3, "design_discharge": 1.6, "cop": -0.3}
    named = _run_rules(RuleEngine.from_files(), {**wear, ce.ENERGY_NAME: -0.7}, hours=26)
    assert [d.fault for d in named if d.state == "raised"] == ["compressor_wear"]
    drift = _run_rules(RuleEngine.from_files(), {**wear, ce.ENERGY_NAME: 1.2}, hours=26)
    raised = [d.fault for d in drift if d.state == "raised"]
    assert "compressor_wear" not in raised and raised == ["sensor_drift"], raised


def test_a_starved_evaporator_is_not_named_a_thermistor() -> None:
    # a valve stuck closed heats the gas with motor heat the power does not show per unit of heat:
    # the witness rises, but the starved evaporator's signature keeps the sensor notice back
    starved = {"compression_loss": 1.3, "design_discharge": 1.6, ce.ENERGY_NAME: 1.5, "superheat": 2.5,
               "eev_pct": 2.2}
    raised = [d.fault for d in _run_rules(RuleEngine.from_files(), starved, hours=26) if d.state == "raised"]
    assert "sensor_drift" not in raised and "compressor_wear" not in raised, raised


def test_wear_is_not_named_while_the_balance_favours_the_thermistor() -> None:
    # at the 2-3 % loss the design rule names, a thermistor's and a wear's predictions of the balance lie
    # 2-3 sd apart: the witness reaches strong odds (1) on some days and dips to 0.7-0.9 on others
    # (tdis_drift_cold_r32's hp-003, a day after it held at 1.2-1.6). Odds of 8 to 1 for the thermistor
    # do not name wear
    wear = {"compression_loss": 1.3, "design_discharge": 1.6, "cop": -0.3}
    for level in (0.6, 0.8):
        raised = [d.fault for d in _run_rules(RuleEngine.from_files(), {**wear, ce.ENERGY_NAME: level}, hours=26)
                  if d.state == "raised"]
        assert "compressor_wear" not in raised, (level, raised)


def test_the_design_rule_waits_for_the_balance_to_lean_to_wear() -> None:
    # heldout25_tdis_stockholm_r32's hp-003 and hp-004: on mild days the balance hardly updates and stood at
    # -0.2 to +0.5 (neither cause at odds of 4.5 to 1) while the thermistor's offset, over the small rise of
    # 20 Hz hours, grew the loss; the design rule, whose evidence is that thermistor alone, named wear. It
    # now asks the balance to lean to wear by the odds at which it already stands back for the thermistor
    wear = {"compression_loss": 1.3, "design_discharge": 1.6, "cop": -0.3}
    for level in (0.3, 0.0, -0.3):
        raised = [d.fault for d in _run_rules(RuleEngine.from_files(), {**wear, ce.ENERGY_NAME: level}, hours=26)
                  if d.state == "raised"]
        assert "compressor_wear" not in raised, (level, raised)
    leaning = _run_rules(RuleEngine.from_files(), {**wear, ce.ENERGY_NAME: -0.6}, hours=26)
    assert [d.fault for d in leaning if d.state == "raised"] == ["compressor_wear"]


def test_wear_is_not_named_beside_the_thermistors_notice() -> None:
    # heldout_tdis_oslo_r32's hp-003: the notice raised on strong odds held for a day, then two mild days
    # at the lowest frequency took the balance's witness to 0.0-0.1 and the design rule, which reads
    # nothing but the thermistor, named wear beside the notice. While the notice stands it does not
    engine = RuleEngine.from_files()
    wear = {"compression_loss": 1.3, "design_discharge": 1.6, "cop": -0.3}
    first = _run_rules(engine, {**wear, ce.ENERGY_NAME: 1.2}, hours=26)
    assert [d.fault for d in first if d.state == "raised"] == ["sensor_drift"]
    dip = []
    for h in np.arange(26 * HOUR, 52 * HOUR, 600.0):
        ev = Evidence(ts=float(h), ready=True,
                      shifts={k: ChannelShift(v, 1.0, 1.0 + v) for k, v in {**wear, ce.ENERGY_NAME: 0.05}.items()})
        dip.extend(engine.evaluate(ev))
    assert "compressor_wear" not in [d.fault for d in dip if d.state == "raised"], dip


def _from(engine: RuleEngine, shifts: dict[str, float], start_h: float, hours: float) -> list:
    out = []
    for h in np.arange(start_h * HOUR, (start_h + hours) * HOUR, 600.0):
        ev = Evidence(ts=float(h), ready=True, shifts={k: ChannelShift(v, 1.0, 1.0 + v) for k, v in shifts.items()})
        out.extend(engine.evaluate(ev))
    return out


def test_no_wear_rule_names_wear_beside_the_thermistors_notice() -> None:
    # heldout25_tdis_milan_r290: the notice stood, and the two older wear rules named wear 11-30 days later
    # on the discharge superheat or the loss (both read the thermistor) with COP or current from half a
    # level, within a healthy pump's scatter
    for later in ({"discharge_superheat": 1.4, "cop": -0.6, ce.ENERGY_NAME: 0.05},
                  {"compression_loss": 1.4, "compressor_a": 1.1, ce.ENERGY_NAME: 0.05}):
        engine = RuleEngine.from_files()
        first = _run_rules(engine, {"compression_loss": 1.3, "design_discharge": 1.6, ce.ENERGY_NAME: 1.2}, hours=26)
        assert [d.fault for d in first if d.state == "raised"] == ["sensor_drift"]
        raised = [d.fault for d in _from(engine, later, 26, 48) if d.state == "raised"]
        assert "compressor_wear" not in raised, (later, raised)


def test_wear_is_named_once_the_thermistors_notice_has_cleared() -> None:
    # a compressor that wears after all: its power follows the loss, the balance turns against the
    # thermistor, the notice clears (7 days unmatched) and the wear is named
    engine = RuleEngine.from_files()
    _run_rules(engine, {"compression_loss": 1.3, "design_discharge": 1.6, ce.ENERGY_NAME: 1.2}, hours=26)
    worn = {"compression_loss": 1.8, "design_discharge": 2.0, "compression_current": 1.3, "cop": -0.8,
            ce.ENERGY_NAME: -2.0}
    out = _from(engine, worn, 26, 9 * 24)
    states = [(d.fault, d.state) for d in out]
    assert ("sensor_drift", "cleared") in states and ("compressor_wear", "raised") in states, states
    assert states.index(("sensor_drift", "cleared")) < states.index(("compressor_wear", "raised"))


def test_the_older_wear_rules_stand_back_while_the_balance_favours_the_thermistor() -> None:
    # the design rule already stood back while the balance favoured the thermistor at odds of 4.5 to 1;
    # the two older rules, whose witness is the learned current, power or COP (a level high on healthy
    # pumps of heldout26_tdis_coastal_r290 on days colder than their commissioning), did not. The balance
    # reads the power drawn per unit of heat: while it favours the thermistor, neither names wear
    for shifts in ({"discharge_superheat": 1.2, "compressor_a": 1.3},
                   {"compression_loss": 1.3, "compressor_a": 1.3}):
        for level in (0.6, 0.9):
            raised = [d.fault for d in _run_rules(RuleEngine.from_files(), {**shifts, ce.ENERGY_NAME: level},
                                                  hours=26) if d.state == "raised"]
            assert "compressor_wear" not in raised, (shifts, level, raised)
        # a balance that does not favour the thermistor leaves them as they were
        for level in (0.3, -0.6):
            raised = [d.fault for d in _run_rules(RuleEngine.from_files(), {**shifts, ce.ENERGY_NAME: level},
                                                  hours=26) if d.state == "raised"]
            assert raised == ["compressor_wear"], (shifts, level, raised)
