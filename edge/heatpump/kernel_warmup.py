"""The agent's compiled kernels, compiled (or loaded from numba's cache) before the readings come.

numba compiles a kernel on its first call, in whatever thread makes it. `heatwatch demo` runs twenty
agents as threads of one process, so the first agent to date a fault by a growth law (the leaking
pump's, about half a pump day after its trip) compiled the prognosis kernels while nineteen agents
and their MQTT threads took turns at the GIL: some 4 CPU seconds of compiling took 15-60 wall
seconds, and at 1800x that agent fell 8-33 pump hours behind (docs/demo.md, "Speed"). numba keeps
what it compiled on disk (``cache=True``) keyed on the source file's time stamp, so a fresh clone, or
a kernel's file changed, compiles again. ``warm()`` compiles them in the caller's thread first.

``_signatures()`` are the argument types the agent's streaming path (``PumpPipeline.process``) calls
each kernel with from Python, as numba typed them (kernels called only from other kernels come with
them); tests/edge/heatpump/test_kernel_warmup.py replays a leaking pump to its trip and past it and
finds no kernel compiled for anything else. A signature missing here is no error: that kernel
compiles on first use, as before.
"""

from __future__ import annotations

import time

from heatwatch.edge.heatpump import batch_kernels, healthy_model, prognosis_kernels, sensor_checks
from heatwatch.edge.heatpump.batch_kernels import AVAILABLE


def _signatures() -> list[tuple[object, tuple]]:
    from numba import types as T

    f8 = T.float64
    i8 = T.int64
    b1 = T.boolean

    def arr(dtype, ndim: int, layout: str = "C", readonly: bool = False) -> object:  # noqa: ANN001
        return T.Array(dtype, ndim, layout, readonly=readonly)

    f1, f2, f3, i1 = arr(f8, 1), arr(f8, 2), arr(f8, 3), arr(i8, 1)
    bk, pk = batch_kernels, prognosis_kernels
    return [
        (sensor_checks.any_off_scale, (f2, i1, f1, f1, f1)),
        (healthy_model.predict_rows, (f2, f2)),
        (bk.shift_steps, (f8, f1, f8)),
        (bk.distinct_steps, (f1, i8)),
        (bk.ewma_rows, (i1, f1, f2, f2, f1, f1, f2, f2)),
        (bk.offset_scaled, (f3, arr(f8, 2, readonly=True), arr(b1, 2))),
        (bk.offset_parts, (f3, f2, f2)),
        (bk.hour_sums, (i1, f2, f2, f2, i8, f1, f1, f1, f1, b1, i1, f2, f2, f2, f2)),
        (bk.envelope_line, (f1, f1, f8, i8)),
        (pk._fit_matrix_nb, (f1, f1, f1, b1, i8)),
        (pk._horner_nb, (f1, f1)),
        (pk._largest_v_nb, (f1, f8, f8, f1)),
        (pk._passage_free_nb, (f1, f1, f8, f1, f8, f8)),
        (pk._passage_q_free_nb, (f2, f1, f8, f8, f8, f8, arr(f8, 1, "A"), i8, b1, T.Omitted(False))),
        (pk._passage_q_free_nb, (f2, f1, f8, f8, f8, f8, f1, i8, b1, b1)),
        (pk._survival_nb, (f1, f8)),
        (pk._chain_free_nb, (f1, f1, f1, f8, f8, i1, f8, f8, f8, f8)),
        (pk._day_frontier_nb, (i1, f1, f1)),
    ]


def warm() -> float:
    """Compile (or load) every kernel of ``_signatures()`` in this thread; the wall seconds it took.
    Without numba nothing is compiled: 0."""
    if not AVAILABLE:
        return 0.0
    t0 = time.monotonic()
    for kernel, sig in _signatures():
        kernel.compile(sig)  # type: ignore[attr-defined]
    return time.monotonic() - t0
