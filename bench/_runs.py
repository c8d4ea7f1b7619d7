"""What the flow benchmarks do between timed runs, so each run is timed as a researcher meets it."""

from __future__ import annotations

import time

#: A Prefect server on SQLite is still writing the last run's events for a moment after it
#: ends, and answers 503 ("database is locked") meanwhile: a flow run started at once then waits
#: ~2 s for the client's retry. Nobody starts runs back to back like that; benchmarks do.
SERVER_PAUSE_S = 3.0


def pause_for_server() -> None:
    """Wait (untimed) until the Prefect server has written the previous run's events."""
    time.sleep(SERVER_PAUSE_S)


def as_new_process() -> None:
    """Forget the report's in-process figure and frame caches, as a fresh ``kwali run`` would not
    have them (the on-disk caches in each output folder stay what they are)."""
    from pipeline.report import context, figures

    context._FIGURE_CACHE.clear()
    figures._FRAMES.clear()
