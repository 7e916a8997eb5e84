"""A simulated site replayed through one agent pipeline per pump, as the agents at a real site read it:
the tests of a pump judged from installation (own start, a held window) share it."""

from __future__ import annotations

from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import Scenario, parse_scenario


def replay_site(site: dict, config: HeatPumpDetectorConfig, poll_stride: int) -> tuple[Scenario, Fleet, dict, dict]:
    """(scenario, fleet, pipelines by device, events by device): every ``poll_stride``-th simulator step read."""
    scenario = parse_scenario(site)
    fleet = Fleet(scenario)
    pipes = {d: PumpPipeline.with_config(d, config) for d in fleet.devices}
    events: dict[str, list] = {d: [] for d in fleet.devices}
    for chunk in fleet.chunks(steps=1440 * 4):
        for j, dev in enumerate(fleet.devices):
            events[dev] += pipes[dev].process_batch(chunk.ts[::poll_stride], chunk.values[::poll_stride, j, :])[1]
    return scenario, fleet, pipes, events
