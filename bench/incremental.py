"""Incremental runs: after editing 1 of 50 documents, a re-run takes <= 15% of the cold run.

Both runs go through the full-run flow on a Prefect server started (and warmed up) before
timing. The re-run reads and tags the edited document only; analyse and report always run.

    python bench/incremental.py
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

N_DOCS = 50
TARGET = 0.15


def main() -> dict:
    from prefect.testing.utilities import prefect_test_harness

    from flows.full_run import RunStats, full_run
    from pipeline.config import NlpOptions, RunConfig

    with tempfile.TemporaryDirectory() as tmp, prefect_test_harness(server_startup_timeout=120):
        tmp_path = Path(tmp)
        corpus = build_corpus(tmp_path / "corpus", N_DOCS)
        warm = build_corpus(tmp_path / "warm", 2)
        full_run(RunConfig(corpus=warm, out=tmp_path / "warm-out", nlp=NlpOptions(model="blank")))
        config = RunConfig(corpus=corpus, out=tmp_path / "out", nlp=NlpOptions(model="blank"))
        start = time.perf_counter()
        cold_stats = RunStats()
        full_run(config, stats=cold_stats)
        cold = time.perf_counter() - start
        edited = sorted(corpus.glob("*.txt"))[7]
        edited.write_text(edited.read_text(encoding="utf-8") + "\nRespondent: Het vertrouwen is terug.\n",
                          encoding="utf-8")
        start = time.perf_counter()
        stats = RunStats()
        full_run(config, stats=stats)
        rerun = time.perf_counter() - start
        assert stats.read == [edited.name] and stats.tagged == 1, stats
        assert cold_stats.tagged == N_DOCS, cold_stats
    ratio = rerun / cold
    return {"documents": N_DOCS, "cold_s": round(cold, 2), "rerun_after_one_edit_s": round(rerun, 2),
            "ratio": round(ratio, 3), "target": TARGET, "ok": ratio <= TARGET}


if __name__ == "__main__":
    result = main()
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["ok"] else 1)
