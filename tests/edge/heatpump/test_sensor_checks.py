"""The heat-pump stuck check: a frozen value while the physics says it must move.

The liquid line sits in the condenser's warm water: while the compressor
cycles on and off at low load, p_high swings by bars and the liquid line
temperature, read through a 0.5 K quantization at a 5-minute poll, keeps
one value for hours. That is a healthy pump (seen on 2 of 90 healthy pumps
of the mixed winter fleet before the fix). A frozen t_liquid while the pump
runs steadily and p_high climbs is a broken sensor.
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.heatpump.sensor_checks import SensorChecks
from heatwatch.channels import CHANNELS, INDEX

POLL = 300.0


def _reading(t_liquid: float, p_high: float, running: bool) -> np.ndarray:
    x = np.full(len(CHANNELS), 20.0)
    x[INDEX["t_liquid"]] = t_liquid
    x[INDEX["p_high"]] = p_high
    x[INDEX["compressor_hz"]] = 40.0 if running else 0.0
    return x


def _stuck_seen(readings: list[tuple[np.ndarray, bool]]) -> bool:
    checks = SensorChecks()
    return any("stuck" in checks.update(i * POLL, x, steady).get("t_liquid", [])
               for i, (x, steady) in enumerate(readings))


def test_cycling_compressor_does_not_make_a_steady_liquid_line_stuck() -> None:
    readings = []
    for i in range(72):  # 6 hours: on for 5 minutes, off for 5 minutes
        running = i % 2 == 0
        readings.append((_reading(33.0, 23.4 if running else 10.5, running), running))
    assert not _stuck_seen(readings)


def test_frozen_liquid_line_while_running_pressure_climbs_is_stuck() -> None:
    readings = [(_reading(33.0, 20.0 + 0.1 * i, True), True) for i in range(48)]  # p_high +4.8 bar in 4 h
    assert _stuck_seen(readings)


def _valve_readings(eev: float, hours: float = 6.0) -> list[tuple[np.ndarray, bool]]:
    """The valve reads ``eev`` throughout while the compressor runs 30..70 Hz."""
    out = []
    for i in range(int(hours * 3600 / POLL)):
        x = np.full(len(CHANNELS), 20.0)
        x[INDEX["eev_pct"]] = eev
        x[INDEX["compressor_hz"]] = 50.0 + 20.0 * np.sin(i / 6.0)
        out.append((x, True))
    return out


def _eev_stuck_seen(readings: list[tuple[np.ndarray, bool]]) -> bool:
    checks = SensorChecks()
    return any("stuck" in checks.update(i * POLL, x, steady).get("eev_pct", [])
               for i, (x, steady) in enumerate(readings))


def test_a_valve_held_wide_open_is_the_process_not_a_stuck_sensor() -> None:
    # a leaking pump's controller opens the valve to its end stop and holds it there while the
    # frequency moves: that is the leak's own signature (every simulated leak got a stuck notice)
    assert not _eev_stuck_seen(_valve_readings(100.0))
    assert not _eev_stuck_seen(_valve_readings(0.0))


def test_a_valve_reading_frozen_mid_travel_is_stuck() -> None:
    assert _eev_stuck_seen(_valve_readings(43.0))


def _coil_gone(p_low: float, refrigerant: str = "R32") -> list[str]:
    """An hour of a running pump whose t_evap reads nothing (below its -50 °C scale: NaN)."""
    checks = SensorChecks(refrigerant=refrigerant)
    found: list[str] = []
    for i in range(60):
        x = np.full(len(CHANNELS), 20.0)
        x[INDEX["compressor_hz"]] = 60.0
        x[INDEX["p_low"]] = p_low
        x[INDEX["t_evap"]] = np.nan
        found += checks.update(i * 60.0, x, True).get("t_evap", [])
    return found


def test_an_iced_coil_colder_than_its_thermistor_scale_is_no_dropout() -> None:
    # a starved, iced evaporator boils at -46 °C (R32 at 1.0 bar): the thermistor, whose scale
    # ends at -50, reads nothing because the coil really is that cold
    assert "dropout" not in _coil_gone(1.0)
    assert "dropout" not in _coil_gone(0.6, "R290")


def test_a_coil_thermistor_gone_at_an_ordinary_pressure_is_a_dropout() -> None:
    assert "dropout" in _coil_gone(4.0)


def _dropout_flags(share: float, whole_line: bool = False, poll: float = 180.0, hours: float = 12.0) -> list[bool]:
    """A running pump polled every ``poll`` s whose flow meter loses ``share`` of its readings
    (``whole_line``: the line loses those readings, every channel at once)."""
    rng = np.random.default_rng(13)
    checks = SensorChecks()
    out = []
    for i in range(int(hours * 3600 / poll)):
        x = np.full(len(CHANNELS), 20.0)
        x[INDEX["compressor_hz"]] = 50.0 + 10.0 * np.sin(i / 7.0)
        x[INDEX["flow_lpm"]] = 18.0
        if rng.random() < share:
            x[:] = np.nan if whole_line else x
            x[INDEX["flow_lpm"]] = np.nan
        out.append("dropout" in checks.update(i * poll, x, True).get("flow_lpm", []))
    return out


def test_a_flow_meter_losing_a_fifth_of_its_readings_at_a_3_minute_poll_is_a_dropout() -> None:
    # held-out fleet (Oslo, 3-minute poll): a 20 % dropout of flow_lpm went unnoticed, the
    # flow meter was not judged at all. After two hours the notice must hold steadily
    # (the rule raises it after 30 minutes of it)
    flags = _dropout_flags(0.2)
    late = flags[len(flags) // 6:]
    assert np.mean(late) > 0.9, np.mean(late)


def test_readings_the_line_lost_on_every_channel_are_no_dropout() -> None:
    assert not any(_dropout_flags(0.2, whole_line=True))
    assert not any(_dropout_flags(0.0))


def _rough_run(modulation_after: float, discharge_noise: float, poll: float = 180.0, days: float = 3.0) -> set[str]:
    """A running pump polled every ``poll`` s: the compressor modulates by +-1 Hz the first day and a half,
    then by +-``modulation_after`` Hz; discharge, high pressure, current and power follow it. The discharge
    thermistor gets ``discharge_noise`` K of its own noise from then on. The channels given a noise notice."""
    rng = np.random.default_rng(7)
    checks = SensorChecks()
    noisy: set[str] = set()
    n = int(days * 86400 / poll)
    for i in range(n):
        late = i * poll > 1.5 * 86400
        hz = 50.0 + (modulation_after if late else 1.0) * rng.standard_normal()
        x = np.full(len(CHANNELS), 20.0)
        x[INDEX["compressor_hz"]] = hz
        x[INDEX["t_discharge"]] = 60.0 + 0.5 * (hz - 50.0) + 0.1 * rng.standard_normal() \
            + (discharge_noise * rng.standard_normal() if late else 0.0)
        x[INDEX["p_high"]] = 20.0 + 0.05 * (hz - 50.0) + 0.01 * rng.standard_normal()
        x[INDEX["t_cond"]] = 33.0 + 0.15 * (hz - 50.0) + 0.1 * rng.standard_normal()
        x[INDEX["compressor_a"]] = 8.0 + 0.15 * (hz - 50.0) + 0.02 * rng.standard_normal()
        x[INDEX["power_w"]] = 2000.0 + 40.0 * (hz - 50.0) + 5.0 * rng.standard_normal()
        for ch, found in checks.update(i * poll, x, True).items():
            if "noise" in found:
                noisy.add(ch)
    return noisy


def test_the_compressor_modulating_harder_at_a_3_minute_poll_is_no_sensor_noise() -> None:
    # held-out Oslo fleet, 3-minute poll: 4 of 18 healthy pumps got a noise notice (t_discharge,
    # p_high) once winter made the process rougher than on the day the baseline was learned; the
    # process roughens the coupled channels together
    assert _rough_run(modulation_after=8.0, discharge_noise=0.0) == set()


def test_a_discharge_thermistor_noisy_on_its_own_is_noise() -> None:
    assert _rough_run(modulation_after=1.0, discharge_noise=3.0) == {"t_discharge"}
    assert "t_discharge" in _rough_run(modulation_after=8.0, discharge_noise=12.0)


def test_a_reading_run_off_its_scale_is_no_dropout_but_a_sentinel_is() -> None:
    """A transducer drifting past the end of its scale (p_low past 30 bar, swinging by bars there
    at defrosts and compressor stops) is the drift seen on; an open thermistor's -200 degC, on
    every thermistor, is a lost reading; NaN is one too."""
    from heatwatch.edge.heatpump.sensor_checks import CHECKED

    checks = SensorChecks()
    x = np.full(len(CHANNELS), 20.0)
    rows = []
    for p in (29.5, 31.0, 36.5, 44.0, 39.0, np.nan, 47.0):  # on past the end, a defrost's swing, a gap
        r = x.copy()
        r[INDEX["p_low"]] = p
        rows.append(r)
    got = checks.beyond(np.array(rows))[:, CHECKED.index("p_low")]
    assert got.tolist() == [False, True, True, True, True, False, True]
    for ch in ("t_outdoor", "t_flow", "t_return", "t_discharge", "t_suction", "t_evap", "t_cond", "t_liquid"):
        r = x.copy()
        r[INDEX[ch]] = -200.0
        assert not checks.beyond(r)[0, CHECKED.index(ch)], ch
