"""The house's emitters set the heating curve: underfloor runs the coolest water, radiators the
hottest, fan coils in between; a scenario names them as the gateway's device records do."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.channels import INDEX
from heatwatch.fleet_prior import EMITTERS
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.plant import emitter_types
from heatwatch.sim.scenario import ScenarioError, parse_scenario

WINTER = {"climate": "stockholm", "start": "2024-12-01", "duration": "4d", "seed": 23, "step": "60s"}


def _fleet(emitters: dict[str, str | None], size: int = 3, **extra) -> Fleet:
    devices = {d: {"capacity_kw": 7, **({"emitters": e} if e else {})} for d, e in emitters.items()}
    return Fleet(parse_scenario({"fleet": {"size": size}, **WINTER, **extra, "devices": devices}))


def test_a_scenario_names_the_emitters_a_device_record_does():
    fleet = _fleet({"hp-000": "fan_coils", "hp-001": "radiators", "hp-002": "underfloor"})
    assert emitter_types(fleet.params) == ["fan_coils", "radiators", "underfloor"]
    assert list(fleet.params.fan_coils) == [True, False, False]
    with pytest.raises(ScenarioError, match="unknown emitters 'floor heating'.*fan_coils"):
        _fleet({"hp-000": "floor heating"})


def test_fan_coils_are_drawn_only_where_a_scenario_names_them():
    """The draw makes underfloor and radiator houses as before; a fleet of 40 has both and no fan coils."""
    kinds = emitter_types(Fleet(parse_scenario({"fleet": {"size": 40}, **WINTER})).params)
    assert set(kinds) == {"underfloor", "radiators"}


@pytest.fixture(scope="module")
def one_pump_each_way() -> dict[str, dict[str, float]]:
    """The same pump and house (one seed) with each kind of emitter: steady space heating, averaged."""
    out = {}
    for kind in EMITTERS:
        fleet = _fleet({"hp-000": kind}, size=1)
        chunks = list(fleet.chunks(1440))
        vals = np.concatenate([c.values for c in chunks])[:, 0, :]
        truth = {k: np.concatenate([c.truth[k] for c in chunks])[:, 0] for k in ("running", "defrost", "mode", "cop")}
        steady = truth["running"] & (truth["defrost"] == 0) & (truth["mode"] == 1)
        assert steady.sum() > 500, kind  # hours of heating to average over
        out[kind] = {"design": float(fleet.params.flow_design[0]),
                     **{ch: float(np.mean(vals[steady, INDEX[ch]])) for ch in ("t_flow", "p_high", "t_discharge")},
                     "cop": float(np.mean(truth["cop"][steady]))}
    return out


def test_fan_coils_run_hotter_water_than_underfloor_and_cooler_than_radiators(one_pump_each_way):
    u, f, r = (one_pump_each_way[k] for k in ("underfloor", "fan_coils", "radiators"))
    print(f"\nunderfloor {u}\nfan coils  {f}\nradiators  {r}")
    assert u["design"] < f["design"] < r["design"]
    assert u["t_flow"] + 1.0 < f["t_flow"] < r["t_flow"] - 1.0  # kelvin apart, on the same days
    # hotter water: a higher condensing pressure and discharge temperature, a lower COP
    assert u["p_high"] < f["p_high"] < r["p_high"]
    assert u["t_discharge"] < f["t_discharge"] < r["t_discharge"]
    assert u["cop"] > f["cop"] > r["cop"]
