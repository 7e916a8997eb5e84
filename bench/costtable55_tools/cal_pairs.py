"""The calibration fleets' raw estimates once, for the cost table's fit (fit_cost.py): per fleet its design and per
fault every raw estimate's log2 raw days, log2 actual days and whether its pump had not tripped when the run
ended (bench/prognosis_calibration.py's log_pairs(censored=True), the table not applied). A fleet's replay takes
minutes; the fit is tried many ways.

    python bench/costtable55_tools/cal_pairs.py OUT.json /tmp/sc51/c1001.json ... slow:/tmp/sc51/s1001.json ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from prognosis_calibration import log_pairs, read_fleets  # noqa: E402


def main(out: Path, args: list[str]) -> None:
    fleets, designs = read_fleets(args)
    rows = {}
    for path, pumps in fleets.items():
        pairs = log_pairs(pumps, censored=True)
        rows[Path(path).stem] = {"design": designs[path], "faults": {f: r.tolist() for f, r in pairs.items()}}
        print(f"{Path(path).stem} ({designs[path]}): {sum(len(r) for r in pairs.values())} estimates", flush=True)
    out.write_text(json.dumps(rows))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
