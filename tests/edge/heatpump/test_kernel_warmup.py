"""kernel_warmup.warm() compiles what the agent's streaming path calls: replayed reading by reading, the
demo's low-flow pump to its trip (where its fault is first dated by a growth law) calls no kernel with
a signature warm() leaves out. Run in a fresh interpreter: in the test process other tests' replays
(the batch path) have compiled kernels of their own."""

from __future__ import annotations

import json
import subprocess
import sys

from heatwatch.edge.heatpump import kernel_warmup
from heatwatch.edge.heatpump.batch_kernels import AVAILABLE

import pytest

pytestmark = pytest.mark.skipif(not AVAILABLE, reason="numba not installed: nothing is compiled")

_REPLAY = """
import json, sys, tempfile
from datetime import datetime, timezone
from pathlib import Path
from numba.core.registry import CPUDispatcher
from heatwatch.demo.fleet_plan import plan, pump_designs, pump_refrigerants
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.sim.fleet import Fleet
from heatwatch.units import DAY

start = datetime(2026, 12, 5, 23, 20, tzinfo=timezone.utc).timestamp()  # hp-001 trips at +1.8 d
with tempfile.TemporaryDirectory() as tmp:
    scen, _ = plan("demo_fleet", None, 60.0, 1800.0, Path(tmp), now=start)
fleet = Fleet(scen)
j = fleet.devices.index("hp-001")
pipe = PumpPipeline.with_config("hp-001", HeatPumpDetectorConfig(
    commissioning_seconds=0.5 * DAY, min_training_rows=240, refrigerant=pump_refrigerants(scen)["hp-001"],
    design=pump_designs(scen)["hp-001"]))
kinds = []
for chunk in fleet.chunks(steps=1440):
    if chunk.ts[0] - scen.start_ts >= 2.0 * DAY:
        break
    for t, x in zip(chunk.ts.tolist(), chunk.values[:, j, :]):
        kinds += [e.kind.value for e in pipe.process(t, x)[1]]
sigs = {}
for name, mod in list(sys.modules.items()):
    if name.startswith("heatwatch") and mod is not None:
        for obj in vars(mod).values():
            if isinstance(obj, CPUDispatcher) and obj.__module__ == name:
                sigs[name + "." + obj.py_func.__name__] = [str(s) for s in obj.signatures]
print(json.dumps({"sigs": sigs, "kinds": kinds}))
"""


def test_the_streaming_path_calls_only_warmed_signatures() -> None:
    out = subprocess.run([sys.executable, "-c", _REPLAY], capture_output=True, text=True, timeout=600, check=True)
    got = json.loads(out.stdout.splitlines()[-1])
    assert "trip" in got["kinds"] and "fault" in got["kinds"], got["kinds"]  # raised, then tripped
    called = {(k, s) for k, sigs in got["sigs"].items() for s in sigs}
    warmed = {(f"{k.py_func.__module__}.{k.py_func.__name__}", str(sig)) for k, sig in kernel_warmup._signatures()}
    # the replay dated the fault through the prognosis' kernels: the ones whose first call fell on one agent
    assert ("heatwatch.edge.heatpump.prognosis_kernels._fit_matrix_nb",
            next(s for k, s in warmed if k.endswith("_fit_matrix_nb"))) in called
    # called only from other kernels: compiled with their caller, and listed with a signature of their own only
    # when numba's cache was cold (a fresh clone), so the test passes on a warm or a cold cache
    inner = {"heatwatch.edge.heatpump.prognosis_kernels._row_sum_nb",
             "heatwatch.edge.heatpump.batch_kernels._step_from", "heatwatch.edge.heatpump.batch_kernels._ewma_row"}
    assert {c for c in called if c[0] not in inner} <= warmed


def test_warm_compiles_each_signature() -> None:
    kernel_warmup.warm()
    for kernel, sig in kernel_warmup._signatures():
        assert tuple(sig) in [tuple(s) for s in kernel.signatures], (kernel.py_func.__name__, sig)  # type: ignore[attr-defined]
