"""Sensor notices on simulated pumps read every 5 minutes, as the service area's eval reads them.

Three gaps the service area's eval showed (every false ticket of it a sensor notice):
- sensor noise was never found: the noise check read second differences of consecutive
  readings, and from a stopped or defrosting pump's reading to a running one's that step is the
  transient, so it was off above a 3-minute poll. It now reads the steps between two steady
  readings, at any poll;
- a low-pressure transducer drifting up past the end of its scale (30 bar) got a dropout notice
  weeks after its drift notice: its readings past the end became gaps. A reading run off its
  scale is the drift seen on, not a lost reading;
- an evaporator-fouled pump got a t_outdoor drift notice after it tripped: the trip says the pump
  is faulted, its offset from the healthy model is no sensor's.
Each scenario has its own seed (not the service area's pumps).
"""

from __future__ import annotations

from pathlib import Path


from heatwatch.contract import EventBody, EventKind
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario

DAY = 86400.0
STRIDE = 5  # 60 s simulation steps read every 5 minutes


def _run(tmp_path: Path, text: str, devices: tuple[str, ...]) -> tuple[dict[str, list[EventBody]], Fleet]:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    scenario = load_scenario(path)
    fleet = Fleet(scenario)
    config = HeatPumpDetectorConfig(refrigerant=scenario.refrigerant)
    pipes = {d: PumpPipeline.with_config(d, config) for d in devices}
    events: dict[str, list[EventBody]] = {d: [] for d in devices}
    for chunk in fleet.chunks(steps=1440 * 4):
        for j, dev in enumerate(fleet.devices):
            if dev in pipes:
                _, evs = pipes[dev].process_batch(chunk.ts[::STRIDE], chunk.values[::STRIDE, j, :])
                events[dev].extend(evs)
    return events, fleet


def _notices(events: list[EventBody], fault: str | None = None) -> list[EventBody]:
    return [e for e in events if e.kind == EventKind.SENSOR_FAULT and (fault is None or e.fault == fault)]


def _channel(e: EventBody) -> str:
    return next(c for f in e.findings for c in f.channels)


NOISE = """
name: noise_cold_5min
description: noise on the high pressure of an Oslo pump in November, its healthy twin beside it
fleet: {size: 2}
climate: oslo
start: 2024-11-05
duration: 18d
step: 60s
seed: 3119
refrigerant: R32
devices:
  hp-001:
    faults:
      - {type: sensor_noise, channel: p_high, onset: 12d, rate: 1.3}
"""


def test_noise_on_a_channel_is_found_at_a_5_minute_poll_in_a_cold_climate(tmp_path: Path) -> None:
    events, fleet = _run(tmp_path, NOISE, ("hp-000", "hp-001"))
    onset = fleet.scenario.start_ts + 12 * DAY
    noise = _notices(events["hp-001"], "sensor_noise")
    assert noise and _channel(noise[0]) == "p_high", [(e.fault, e.explanation[:40]) for e in _notices(events["hp-001"])]
    assert onset <= noise[0].ts <= onset + DAY, (noise[0].ts - onset) / 3600
    assert not _notices(events["hp-001"], "sensor_dropout")
    assert not _notices(events["hp-000"])  # the healthy twin: nothing


DRIFT = """
name: plow_drift_off_scale
description: a low-pressure transducer of a Stockholm R290 pump drifting up past the end of its 30 bar scale
fleet: {size: 1}
climate: stockholm
start: 2024-12-01
duration: 75d
step: 60s
seed: 6607
refrigerant: R290
devices:
  hp-000:
    faults:
      - {type: sensor_drift, channel: p_low, onset: 10d, rate: 0.5}
"""


def test_a_low_pressure_drift_past_its_scale_stays_a_drift_and_gives_no_dropout_notice(tmp_path: Path) -> None:
    events, fleet = _run(tmp_path, DRIFT, ("hp-000",))
    drift = _notices(events["hp-000"], "sensor_drift")
    assert drift and _channel(drift[0]) == "p_low"
    # the drift alone (0.5 bar a day from day 10) carries the readings past the end of the 30 bar
    # scale weeks before the run ends: the case is the one meant
    assert 0.5 * (fleet.scenario.duration_s / DAY - 10) > 30.0
    assert not _notices(events["hp-000"], "sensor_dropout"), [e.explanation for e in events["hp-000"]]


FOULING = """
name: evap_fouling_trip
description: evaporator fouling that trips Oslo pumps and the weeks after the trip (no visit repairs them)
fleet: {size: 4}
climate: oslo
start: 2024-10-25
duration: 75d
step: 60s
seed: 5521
refrigerant: R32
devices:
  hp-001:
    faults:
      - {type: evaporator_fouling, onset: 10d, time_to_trip: 20d}
"""


def test_no_sensor_drift_notice_on_an_evaporator_fouled_pump_after_its_trip(tmp_path: Path) -> None:
    events, fleet = _run(tmp_path, FOULING, ("hp-001",))
    trip_ts = next(t.trip_ts for t in fleet.truth if t.device == "hp-001")
    assert trip_ts is not None
    evs = events["hp-001"]
    assert any(e.kind == EventKind.FAULT and e.fault == "evaporator_fouling" and e.ts < trip_ts for e in evs)
    late = [e for e in _notices(evs, "sensor_drift") if e.ts >= trip_ts]
    assert not late, [(e.ts - trip_ts) / DAY for e in late]
