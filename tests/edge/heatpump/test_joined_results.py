"""A fleet-judged pump's chunk scored in parts (its window due mid-chunk) is joined only when read,
and read it is what joining at once (BatchResults.from_results of every row) made: every field."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from heatwatch.edge.heatpump import joined_results
from heatwatch.edge.heatpump.detector import BatchResults, HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.eval.fleet_prior import simulated_fleet_prior
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario
from heatwatch.units import DAY

CFG = HeatPumpDetectorConfig(commissioning_seconds=DAY, min_training_rows=300)
FIELDS = ("ts", "steady", "ready", "score", "X", "D", "Y", "R", "O", "S", "sx_idx")


ADMITTED = """
name: admitted
description: a healthy 7 kW pump of the fleet's make and weather (and one faulty from its first reading)
fleet: {size: 2}
climate: stockholm
start: 2024-11-01
duration: 4d
step: 60s
seed: 113
refrigerant: R32
devices:
  hp-000: {capacity_kw: 7}
  hp-001:
    capacity_kw: 7
    faults: [{type: eev_stuck_closed, onset: 0, time_to_trip: 5d}]
"""


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    """Two pumps judged against a fleet prior of healthy 7 kW pumps, in chunks of 500 readings: a
    window falls due mid-chunk once for the healthy one (admitted) and every day for demo's leaking
    one (refused)."""
    prior = simulated_fleet_prior("healthy_fleet", capacity_kw=7.0, pumps=6, days=3.0, seed=7, config=CFG)
    path = tmp_path_factory.mktemp("sc") / "admitted.yaml"
    path.write_text(ADMITTED)
    pumps = []
    for sc, j in ((load_scenario(str(path)), 0), (dataclasses.replace(load_scenario("demo"), duration_s=4 * DAY), 1)):
        chunk = next(iter(Fleet(sc).chunks(steps=1440 * 4)))
        pumps.append((chunk.ts, chunk.values[:, j, :]))
    return prior, pumps


def _replay(prior, pumps, monkeypatch, eager: bool):
    """Every chunk's (results, events, pump) of both pumps; ``eager``: joined at once, as before."""
    if eager:
        monkeypatch.setattr("heatwatch.edge.pipeline.JoinedResults", joined_results.join)
    out = []
    for j, (ts, X) in enumerate(pumps):
        pipe = PumpPipeline.with_config(f"hp-{j:03d}", CFG)
        pipe.detector.use_fleet_prior(prior)
        for lo in range(0, len(ts), 500):
            out.append((*pipe.process_batch(ts[lo:lo + 500], X[lo:lo + 500]), pipe))
    monkeypatch.undo()
    return out


def test_a_chunk_scored_in_parts_is_joined_when_read_into_what_joining_at_once_made(season, monkeypatch) -> None:
    prior, pumps = season
    made = []  # rows made into a HeatPumpResult while the chunks were replayed
    orig = BatchResults.__getitem__
    monkeypatch.setattr(BatchResults, "__getitem__", lambda self, i: made.append(i) or orig(self, i))
    lazy = _replay(prior, pumps, monkeypatch, eager=False)
    assert made == []  # nothing read, nothing taken apart row by row
    joined = [k for k, (res, _, _) in enumerate(lazy) if isinstance(res, joined_results.JoinedResults)]
    assert all("_unjoined" in lazy[k][0].__dict__ for k in joined)
    admitted, refused = lazy[0][2].detector, lazy[-1][2].detector
    assert not admitted.provisional and admitted.fleet.refused_windows == 0
    assert refused.provisional and refused.fleet.refused_windows >= 2
    assert len(joined) == 1 + refused.fleet.refused_windows  # every window fell due mid-chunk
    eager = _replay(prior, pumps, monkeypatch, eager=True)  # read after every later chunk was scored
    for (a, ev_a, _), (b, ev_b, _) in zip(lazy, eager, strict=True):
        assert [e.model_dump() for e in ev_a] == [e.model_dump() for e in ev_b]
        assert len(a) == len(b) and hasattr(a, "_results") == hasattr(b, "_results")
        for name in FIELDS:
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None) == (y is None), name
            if x is not None:
                np.testing.assert_array_equal(x, y, err_msg=name, strict=True)
        for i in range(len(a)):
            assert a.findings(i) == b.findings(i)
            ra, rb = a[i], b[i]
            for f in dataclasses.fields(ra):
                x, y = getattr(ra, f.name), getattr(rb, f.name)
                if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
                    np.testing.assert_array_equal(x, y, err_msg=f.name, strict=True)
                else:
                    assert x == y or (x != x and y != y), f.name
    with pytest.raises(AttributeError):
        lazy[joined[0]][0].no_such_field
