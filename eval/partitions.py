"""The fleet cut into parts that run independently: pumps do not interact.

A part is one site of a scenario (scenario.site_scenarios()): a plain scenario with its own
weather and refrigerant, simulated as the simulator would simulate it alone. Cutting by site, not
by worker count, keeps the figures the same on any number of workers. Big sites are the
scenario author's to split (a town of 50-100 pumps is a good part: the simulator stays vectorized).
"""

from __future__ import annotations

from dataclasses import dataclass

from heatwatch.sim.scenario import Scenario


@dataclass(frozen=True)
class Part:
    key: str  # "<scenario>/<site>"
    scenario_name: str
    site: str
    scenario: Scenario  # one site: one climate, one refrigerant

    @property
    def device_steps(self) -> int:
        return self.scenario.size * self.scenario.n_steps


def parts_of(scenarios: list[Scenario]) -> list[Part]:
    """Every site of every scenario, largest first (so the long ones start first)."""
    parts = []
    for sc in scenarios:
        for site in sc.site_scenarios():
            name = site.name.rsplit("/", 1)[-1] if sc.sites else sc.name
            parts.append(Part(f"{sc.name}/{name}", sc.name, name, site))
    return sorted(parts, key=lambda p: -p.device_steps)
