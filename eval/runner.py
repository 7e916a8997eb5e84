"""Run the parts on Dask distributed: a LocalCluster on every core by default, or an existing
scheduler (``--scheduler tcp://host:8786``) for a fleet larger than one machine.

One task per part, one thread per worker process (the work is numpy and Python: processes, not
threads, use the cores). Workers report simulated pump-steps as they go (a Dask event topic), so
the progress bar moves within a part, not only when one ends.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from heatwatch.eval.partitions import Part
from heatwatch.eval.results import PartResult, PumpResult
from heatwatch.eval.worker import run_part

TOPIC = "heatwatch-eval-progress"
# Dask's nanny starts each worker with MALLOC_TRIM_THRESHOLD_=65536 (memory handed back to the
# system early); a part makes and drops many arrays of a chunk's size, so every new one is fresh
# pages from the kernel: one site's season (service_area_200's milano, run_part alone) took 15.2
# instead of 8.6 CPU s for its first 40 days with it (simulator 4.8 vs 2.0 s, pipeline 9.9 vs
# 6.2). The local workers keep glibc's own threshold (None: the variable is not set).
# Nor do they run Dask's statistical profiler: every 10 ms it takes the GIL from the part's thread
# and walks its stack for a dashboard this cluster does not serve, in the worker process whose CPU
# is the figure (service_area_200's oslo, one worker: 11.7 -> 10.7 CPU s of pipeline and gateway).
LOCAL_WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                       "distributed.worker.profile.enabled": False}


@dataclass
class RunResult:
    pumps: list[PumpResult]
    readings: int
    wall_s: float
    part_wall_s: float  # the parts' own wall time, summed over workers
    workers: int
    cpu_s: float = 0.0  # CPU time of the parts, summed
    sim_cpu_s: float = 0.0  # ... of which the simulator


def _task(part: Part, poll_s: float | None, priors: dict | None = None) -> PartResult:
    from distributed import get_worker

    worker = get_worker()

    def progress(n: int) -> None:
        worker.log_event(TOPIC, {"part": part.key, "steps": n})

    return run_part(part, poll_s, progress, priors)


def run_parts(parts: list[Part], poll_s: float | None, *, workers: int | None = None, scheduler: str | None = None,
              processes: bool = True, on_progress: Callable[[int, int], None] | None = None,
              on_part: Callable[[PartResult], None] | None = None, priors: dict | None = None) -> RunResult:
    """Every part on the cluster; ``on_progress(done_steps, total_steps)`` as workers report,
    ``on_part(result)`` as each part ends (a long run keeps what it finished if it is stopped);
    ``priors``: the fleet priors the gateway hands new agents (worker.run_part)."""
    import dask
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    total = sum(p.device_steps for p in parts)
    done = [0]

    def seen(event) -> None:
        _, msg = event
        done[0] += int(msg.get("steps", 0))

    cluster = None
    if scheduler:
        client = Client(scheduler, timeout="10s")
    else:
        n = workers or os.cpu_count() or 1
        with dask.config.set(LOCAL_WORKER_CONFIG):
            # its HTTP endpoint (health, metrics) on a free port: Dask's 8787 may be another cluster's
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes, dashboard_address=":0",
                                   silence_logs=40)
        client = Client(cluster)
    try:
        client.subscribe_topic(TOPIC, seen)
        n_workers = len(client.scheduler_info()["workers"])
        futures = [client.submit(_task, p, poll_s, priors, key=f"eval-{p.key}", pure=False) for p in parts]
        handed: set[str] = set()
        while len(handed) < len(futures):
            time.sleep(0.3)
            for f in futures:
                if f.key not in handed and f.done():
                    handed.add(f.key)
                    if on_part is not None and f.status == "finished":
                        on_part(f.result())
            if on_progress is not None:
                on_progress(min(done[0], total), total)
        results: list[PartResult] = client.gather(futures)
        if on_progress is not None:
            on_progress(total, total)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    pumps = [p for r in sorted(results, key=lambda r: r.key) for p in r.pumps]
    pumps.sort(key=lambda p: (p.scenario, p.device))
    return RunResult(pumps, sum(r.readings for r in results), time.perf_counter() - t0,
                     sum(r.wall_s for r in results), n_workers, sum(r.cpu_s for r in results),
                     sum(r.sim_cpu_s for r in results))
