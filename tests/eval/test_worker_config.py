"""eval.runner's local workers run no statistical profiler: it would take the part's thread's GIL
every 10 ms, in the process whose CPU is the eval's speed figure, for a dashboard not served."""

from __future__ import annotations

import dask
from distributed import Client, LocalCluster

from heatwatch.eval.runner import LOCAL_WORKER_CONFIG


def _profiling(dask_worker) -> bool:  # noqa: ANN001
    return "profile" in dask_worker.periodic_callbacks or "profile-cycle" in dask_worker.periodic_callbacks


def test_local_workers_take_no_profile() -> None:
    with dask.config.set(LOCAL_WORKER_CONFIG):
        cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0",
                               silence_logs=40)
    try:
        with Client(cluster) as client:
            assert list(client.run(_profiling).values()) == [False]
    finally:
        cluster.close()
    # the same worker without the runner's config does profile (the test can tell)
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0", silence_logs=40)
    try:
        with Client(cluster) as client:
            assert list(client.run(_profiling).values()) == [True]
    finally:
        cluster.close()
