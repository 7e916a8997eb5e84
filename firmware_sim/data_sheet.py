"""What the installer and the manufacturer's data sheet say of a simulated pump: edge.toml's
``[design]`` table, as a plain dict.

The simulator draws each unit around its model (plant.make_params): the data sheet gives the
model's nominal capacity, one of MODEL_CAPACITIES_KW, and its valve controller's superheat setpoint
(5 K for every simulated model; each unit's own draw of 4-6 K is the spread between units and their
sensors). The installer's heat-loss calculation gives the site's design outdoor temperature, the
climate's (each simulated house draws its own within 1 K of it, as such a calculation rounds the
site's). The demo's agents and ``heatwatch eval`` read it the way an installer fills edge.toml, so
both judge their pumps as the field does; a dict keeps the simulator free of the agent's code.
"""

from __future__ import annotations

from heatwatch.sim.climate import resolve_climate
from heatwatch.sim.scenario import Scenario

# the nominal capacities the simulator draws pumps from (plant.make_params): one pump model each
MODEL_CAPACITIES_KW = (5.0, 7.0, 9.0, 12.0)
SUPERHEAT_SETPOINT_K = 5.0  # every simulated model's EEV controller, as its data sheet would say


def model_of(q_nom_kw: float, capacities: tuple[float, ...] = MODEL_CAPACITIES_KW) -> float:
    """The simulated pump model (its nominal capacity class) of a pump of this capacity."""
    return min(capacities, key=lambda c: abs(c - q_nom_kw))


def site_design_c(scenario: Scenario) -> float:
    """The design outdoor temperature of a (single-site) scenario's climate: what an installer
    reads from the standard's table for the site."""
    return float(resolve_climate(scenario.weather_climate).design_c)


def design_table(q_nom_kw: float, design_outdoor_c: float | None = None,
                 capacities: tuple[float, ...] = MODEL_CAPACITIES_KW) -> dict[str, float]:
    """edge.toml's [design] table of a simulated pump of this capacity (and, if given, its site's
    design outdoor temperature): its model's capacity and superheat setpoint, not the unit's draw."""
    table = {"superheat_setpoint_k": SUPERHEAT_SETPOINT_K, "capacity_kw": model_of(q_nom_kw, capacities)}
    if design_outdoor_c is not None:
        table["design_outdoor_c"] = float(design_outdoor_c)
    return table
