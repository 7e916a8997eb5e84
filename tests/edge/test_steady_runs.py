"""process_batch's runs of steady rule rows (RuleEngine.steady_run) say what a steady_advance per row says.

While a raised fault goes on matching the same rules (the table's same hits, a sensor's same failed
checks) and nothing is due, a replay's rule rows each moved only the matched tracks' last sighting:
COLLAPSE_STEADY_RUNS takes such a run in one call. Held here against the row-by-row loop it
replaced (the flag off): the same events, the same state after every chunk.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import heatwatch.edge.pipeline as pl
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.rules.engine import RuleEngine
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario

SCENARIO = """
name: steady_runs
description: a leak raised and tripping, a drifting and a stuck sensor, a healthy pump
fleet:
  size: 4
climate: stockholm
start: 2025-01-10
duration: 20d
step: 60s
seed: 11
refrigerant: R32
devices:
  hp-000:
    faults:
      - type: refrigerant_leak
        onset: 4d
        time_to_trip: 8d
  hp-001:
    faults:
      - type: sensor_drift
        channel: t_flow
        onset: 5d
        rate: 1.5
  hp-002:
    faults:
      - type: sensor_stuck
        channel: t_return
        onset: 6d
"""


@pytest.fixture(scope="module")
def chunks(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[tuple[np.ndarray, np.ndarray]]]:
    path = Path(tmp_path_factory.mktemp("scen")) / "steady_runs.yaml"
    path.write_text(SCENARIO)
    fleet = Fleet(load_scenario(str(path)))
    # every 5 minutes (the eval's poll: every reading a rule row), in chunks of a day and a half
    out = [(c.ts[::5].copy(), c.values[::5].copy()) for c in fleet.chunks(steps=2160)]
    return list(fleet.devices), out


def _replay(devices: list[str], chunks: list) -> tuple[list[str], list[str]]:
    events, states = [], []
    for d, dev in enumerate(devices):
        pipe = PumpPipeline(device=dev)
        for ts, X in chunks:
            events.extend(e.model_dump_json() for e in pipe.process_batch(ts, X[:, d, :])[1])
            states.append(json.dumps(pipe.state(), sort_keys=True))
    return events, states


def test_steady_runs_say_what_the_row_by_row_loop_says(chunks, monkeypatch) -> None:
    devices, parts = chunks
    taken = {"calls": 0, "rows": 0, "cut": 0}
    run = RuleEngine.steady_run

    def counted(self, ts, matched):  # noqa: ANN001, ANN202
        k = run(self, ts, matched)
        taken["calls"] += 1
        taken["rows"] += k
        taken["cut"] += k < len(ts)
        return k

    monkeypatch.setattr(RuleEngine, "steady_run", counted)
    monkeypatch.setattr(pl, "COLLAPSE_STEADY_RUNS", True)
    runs = _replay(devices, parts)
    assert taken["calls"] > 50 and taken["rows"] > 2000 and taken["cut"]  # the runs were taken, some cut short
    monkeypatch.setattr(pl, "COLLAPSE_STEADY_RUNS", False)
    calls = taken["calls"]
    rows = _replay(devices, parts)
    assert taken["calls"] == calls  # (the loop took none)
    assert len(rows[0]) > 5
    assert runs[0] == rows[0]
    assert runs[1] == rows[1]
    kinds = {json.loads(e)["kind"] for e in rows[0]}
    assert {"fault", "sensor_fault", "trip"} <= kinds, kinds


def _runs_reference(pipe: PumpPipeline, res, todo: list[int], rules: set, due: set, need: np.ndarray,
                    findings: np.ndarray) -> list[int]:
    """_steady_runs position by position: the rows after todo[p] whose tabled matches the loop would
    read as todo[p]'s (the table's hit list, the failed checks' flags), rule rows with nothing else due."""

    def key(j: int):  # noqa: ANN202
        if j not in rules or j in due:
            return None
        if j not in pipe._table_rows or need[j] or (findings[j] and j in pipe._table_hits):
            return None  # not the table's path
        if findings[j] and res.flags is None:
            return object()  # equal to nothing
        return id(pipe._table_hits.get(j)), bool(findings[j]), res.flags[j].tobytes() if findings[j] else b""

    out = []
    for p, j in enumerate(todo):
        q, k = p + 1, key(j)
        while k is not None and q < len(todo) and key(todo[q]) == k:
            q += 1
        out.append(q)
    return out


def test_steady_runs_end_where_the_loop_would_read_other_matches() -> None:
    """Chunks of made-up rows: the table's hit lists shared by runs of rows, failed checks whose flags
    change under a run (never seen in a replay, so made here), rows needing the offset, refreshes."""
    from heatwatch.edge.heatpump.detector import BatchResults
    from heatwatch.edge.heatpump.sensor_checks import CHECKED

    rng = np.random.default_rng(5)
    pipe = PumpPipeline(device="hp-000")
    runs = 0
    for _ in range(200):
        n = int(rng.integers(2, 120))
        flags = np.zeros((n, len(CHECKED)), dtype=np.uint8)  # per channel its failed checks' bits
        pattern = [np.where(rng.random(len(CHECKED)) < 0.1, rng.integers(1, 16, len(CHECKED)), 0) for _ in range(3)]
        k = 0
        while k < n:  # stretches of rows with the same checks failed (or none)
            m = int(rng.integers(1, 30))
            flags[k:k + m] = pattern[int(rng.integers(0, 3))] if rng.random() < 0.4 else False
            k += m
        z = np.zeros(n)
        res = BatchResults(np.arange(n) * 300.0, z > 0, z == 0, z, flags, z[:, None], z[:, None], z[:, None],
                           z[:, None], z[:, None], np.zeros(n, dtype=np.int64), None)
        todo = np.flatnonzero(rng.random(n) < 0.9)
        rules = set(todo[rng.random(len(todo)) < 0.95].tolist())
        refresh = todo[rng.random(len(todo)) < 0.05]
        other = todo[rng.random(len(todo)) < 0.02].tolist()
        lists = [[("a", 1)], [("b", 2)], [("a", 1)]]  # two equal lists are not the same list
        pipe._table_rows = set(todo[rng.random(len(todo)) < 0.9].tolist())
        hit = (np.arange(n) // int(rng.integers(1, 20))) % 4
        pipe._table_hits = {j: lists[hit[j]] for j in range(n) if hit[j] < 3 and rng.random() < 0.97}
        need = rng.random(n) < 0.05
        findings = flags.any(axis=1)
        rule_arr = np.array(sorted(rules), dtype=np.int64)
        got = pipe._steady_runs(res, todo, rule_arr, refresh, other, need, findings)
        want = _runs_reference(pipe, res, todo.tolist(), rules, set(refresh.tolist()) | set(other), need, findings)
        assert got == want
        runs += sum(e > p + 2 for p, e in enumerate(got))
        res._findings = [{}] * n  # results made row by row (no flags): no run through a failed check
        res.flags = None
        got = pipe._steady_runs(res, todo, rule_arr, refresh, other, need, findings)
        assert got == _runs_reference(pipe, res, todo.tolist(), rules, set(refresh.tolist()) | set(other), need, findings)
    assert runs > 200
