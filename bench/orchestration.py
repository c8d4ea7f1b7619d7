"""Orchestration overhead: the full-run flow through Prefect vs the same steps called directly.

50 documents; the Prefect server is started (and warmed up with one small run) before timing.
Each variant writes into a fresh output folder and starts without the report's in-process
figure caches, so both do the full cold work of a new ``kwali run``; the flow runs as
``kwali run`` runs it (``flows.runners.terminal_run``: no heartbeat thread) after a pause that
lets the server finish writing the last run's events. The variants alternate over ``ROUNDS``
rounds and the best time of each counts. Target: ratio <= 1.15.

    python bench/orchestration.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from bench._corpus import build_corpus  # noqa: E402
from bench._runs import as_new_process, pause_for_server  # noqa: E402

N_DOCS = 50
ROUNDS = 2
TARGET = 1.15


def direct(config) -> int:
    """The steps in the flow's order, without Prefect."""
    from flows.full_run import ANNOTATE_BATCH
    from pipeline import run as steps

    plan = steps.prepare(config)
    skipped, ids = list(plan.skipped), []
    for source in plan.sources:
        outcome = steps.ingest_source(config, plan, source)
        ids += outcome.document_ids
        skipped += [outcome.skipped] if outcome.skipped else []
    ids.sort()
    for i in range(0, len(ids), ANNOTATE_BATCH):
        steps.annotate_documents(config, plan, ids[i:i + ANNOTATE_BATCH])
    analysis = steps.analyse(config, plan)
    return steps.report(config, plan, sorted(skipped, key=lambda s: s.path), analysis).documents


def main() -> dict:
    from prefect.testing.utilities import prefect_test_harness

    from flows.full_run import full_run
    from flows.runners import terminal_run
    from pipeline.config import NlpOptions, RunConfig

    with tempfile.TemporaryDirectory() as tmp, prefect_test_harness(server_startup_timeout=120), terminal_run():
        tmp_path = Path(tmp)
        corpus = build_corpus(tmp_path / "corpus", N_DOCS)
        warm = build_corpus(tmp_path / "warm", 2)

        def config(out: str) -> RunConfig:
            return RunConfig(corpus=corpus, out=tmp_path / out, nlp=NlpOptions(model="blank"))

        full_run(RunConfig(corpus=warm, out=tmp_path / "warm-out", nlp=NlpOptions(model="blank")))
        times: dict[str, list[float]] = {"direct": [], "prefect": []}
        for r in range(ROUNDS):
            as_new_process()
            start = time.perf_counter()
            n_direct = direct(config(f"direct{r}"))
            times["direct"].append(time.perf_counter() - start)
            as_new_process()
            pause_for_server()
            start = time.perf_counter()
            n_prefect = full_run(config(f"prefect{r}")).documents
            times["prefect"].append(time.perf_counter() - start)
            assert n_direct == n_prefect == N_DOCS, (n_direct, n_prefect)
    best = {k: min(v) for k, v in times.items()}
    ratio = best["prefect"] / best["direct"]
    return {"documents": N_DOCS, "direct_s": round(best["direct"], 2), "prefect_s": round(best["prefect"], 2),
            "ratio": round(ratio, 3), "target": TARGET, "ok": ratio <= TARGET,
            "all_times_s": {k: [round(t, 2) for t in v] for k, v in times.items()}}


if __name__ == "__main__":
    result = main()
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["ok"] else 1)
