"""Task runners a run can use: Prefect's thread pool on this machine (the default), or Dask.

``--runner dask`` starts a local Dask cluster of worker processes (one thread each: spaCy and
the matcher hold the GIL) or connects to a scheduler at ``--dask-address``. Tasks exchange only
ids and paths, and every step writes its results to the study store, so the Dask runner gives
the same store, matrices and report as the default one; each worker must see the same paths.
"""

from __future__ import annotations

import os
from typing import Any

from pipeline.errors import KwaliError

RUNNERS = ("threads", "dask")


def dask_runner(address: str | None = None, workers: int | None = None) -> Any:
    """A ``DaskTaskRunner`` for a scheduler address, or for a local cluster of worker processes.

    Raises:
        KwaliError: prefect-dask is not installed.
    """
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        raise KwaliError("--runner dask needs the prefect-dask package: pip install prefect-dask==0.3.7") from exc
    if address:
        return DaskTaskRunner(address=address)
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    # host=127.0.0.1: scheduler, workers and their dashboards listen on this machine only.
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                          "host": "127.0.0.1"})


def with_runner(flow: Any, runner: str = "threads", dask_address: str | None = None) -> Any:
    """The flow, set to run its tasks on the chosen runner.

    Raises:
        KwaliError: An unknown runner, or a Dask address without ``runner='dask'``.
    """
    if runner not in RUNNERS:
        raise KwaliError(f"unknown runner {runner!r}; choose one of: {', '.join(RUNNERS)}")
    if runner == "threads":
        if dask_address:
            raise KwaliError("--dask-address needs --runner dask")
        return flow
    share_api_with_workers()
    return flow.with_options(task_runner=dask_runner(dask_address))


def share_api_with_workers() -> None:
    """Make Dask worker processes report to this process's Prefect API.

    Without ``PREFECT_API_URL`` Prefect runs a temporary server per process, and every worker
    would start its own (~8 s each, and its task runs would be lost with it). Starting the
    temporary server here and exporting its address lets the workers, which inherit the
    environment, use it too.
    """
    if os.environ.get("PREFECT_API_URL"):
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the same instance Prefect's ephemeral mode uses in this process
    server.start()
    os.environ["PREFECT_API_URL"] = server.api_url
