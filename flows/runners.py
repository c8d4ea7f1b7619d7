"""Task runners a run can use: Prefect's thread pool on this machine (the default), or Dask.

``--runner dask`` starts a local Dask cluster of worker processes (one thread each: spaCy and
the matcher hold the GIL) or connects to a scheduler at ``--dask-address``. Tasks exchange only
ids and paths, and every step writes its results to the study store, so the Dask runner gives
the same store, matrices and report as the default one; each worker must see the same paths.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
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


def thread_workers() -> int:
    """Threads for a flow's tasks: Prefect's setting when given, else half the CPUs (1 to 4).

    Prefect's own default is one thread per submitted task, all at once: fifty ingest tasks in
    fifty threads fought over the GIL and the SQLite write lock, and five annotate batches each
    built their own spaCy pipeline. The steps are Python-bound, so threads only overlap waiting
    (files, the store); measured on two cores, 50 documents: 4.8-5.0 s with one thread, 5.0-5.5 s
    with two, 5.3-6.5 s with four, 5.4-6.3 s unbounded. CPU parallelism is the Dask runner's job.
    """
    from prefect.settings import get_current_settings

    configured = get_current_settings().tasks.runner.thread_pool_max_workers
    return configured or max(1, min(4, (os.cpu_count() or 2) // 2))


def thread_runner() -> Any:
    """Prefect's ``ThreadPoolTaskRunner`` with ``thread_workers()`` threads."""
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=thread_workers())


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


#: Prefect settings (environment variables) that ask for flow run heartbeats explicitly.
HEARTBEAT_SETTINGS = ("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "PREFECT_RUNNER_HEARTBEAT_FREQUENCY")


@contextmanager
def terminal_run() -> Iterator[None]:
    """Prefect settings for a flow run started from a terminal (``kwali run``, benchmarks).

    Prefect 3.8 gives every flow run a heartbeat thread (every 180 s by default) and ends the run
    only when that thread has stopped; it sleeps in whole seconds, so every run lasted until the
    next whole second after its work: a flow of no-op tasks took 1.08 s with it and 0.10 s
    without, and a re-run after one edited transcript 1.08 s instead of ~0.9 s. Heartbeats only
    feed an automation that marks unresponsive *deployment* runs as crashed, which Kwali does not
    set up; a run started from a terminal shows its end (or its crash) right there. So such runs
    go without, unless one of ``HEARTBEAT_SETTINGS`` is set, which is then respected. Runs that
    ``kwali serve`` starts from the UI keep Prefect's default.
    """
    if any(os.environ.get(name) for name in HEARTBEAT_SETTINGS):
        yield
        return
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings

    if get_current_settings().flows.heartbeat_frequency is None:  # already off (a profile)
        yield
        return
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield

