"""process_batch reads whether a rule row needs the single-sensor offset from one table per chunk
(PumpPipeline._needs_offset_rows); it must answer as _needs_offset does row by row, at a 5-minute
poll (every reading a rule row) and at 60 s, on a leaking pump and a pump with a drifting sensor."""

from __future__ import annotations

import yaml

from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import parse_scenario

SCENARIO = """name: needs_offset
fleet:
  size: 2
climate: stockholm
start: 2025-01-10
duration: 9d
step: 60s
seed: 5
refrigerant: R32
devices:
  hp-000:
    faults:
      - type: refrigerant_leak
        onset: 2d
        time_to_trip: 6d
  hp-001:
    faults:
      - type: sensor_drift
        channel: t_outdoor
        onset: 2d
        rate: 1.5
"""


class _Checked(PumpPipeline):
    """The pipeline, comparing the table with the row-by-row answer on every chunk."""

    compared = 0
    needed = 0

    def _needs_offset_rows(self, res, rows):  # noqa: ANN001, ANN202
        table = super()._needs_offset_rows(res, rows)
        for i in rows:
            assert table[i] == bool(self._needs_offset(res, i)), i
        type(self).compared += len(rows)
        type(self).needed += sum(table.values())
        return table


def test_table_answers_as_row_by_row() -> None:
    sc = parse_scenario(yaml.safe_load(SCENARIO))
    fleet = Fleet(sc)
    config = HeatPumpDetectorConfig(refrigerant=sc.refrigerant, commissioning_seconds=86400.0, min_training_rows=600)
    pipes = {(stride, j): _Checked.with_config(f"hp-{j}", config) for stride in (1, 5) for j in range(2)}
    for chunk in fleet.chunks(steps=1440):
        for (stride, j), pipe in pipes.items():
            pipe.process_batch(chunk.ts[::stride], chunk.values[::stride, j, :])
    assert _Checked.compared > 10_000  # 4 pumps x 9 days x 288 rule rows
    assert _Checked.needed > 0  # some rows did read the offset: the table was tried on both answers
