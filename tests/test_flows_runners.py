"""Task runners: the Dask runner gives exactly the results of the default thread runner."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from flows.runners import HEARTBEAT_SETTINGS, terminal_run, with_runner
from pipeline.errors import KwaliError
from tests.test_run import write_corpus

ROOT = Path(__file__).resolve().parent.parent


def test_unknown_runner_and_stray_address_are_user_errors():
    with pytest.raises(KwaliError, match="unknown runner"):
        with_runner(object(), "ray")
    with pytest.raises(KwaliError, match="needs --runner dask"):
        with_runner(object(), "threads", "tcp://127.0.0.1:8786")


def _tags(out: Path) -> list[tuple]:
    with sqlite3.connect(out / "kwali.sqlite") as conn:
        return sorted(conn.execute("SELECT segment_id, code_id, method, score, polarity FROM tags"))


def _run(corpus: Path, out: Path, codebook: Path, *extra: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "flows.cli", "run", str(corpus), "--out", str(out),
                             "--codebook", str(codebook), *extra],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=400)
    assert result.returncode == 0, result.stderr[-4000:]


@pytest.mark.slow
def test_dask_runner_gives_identical_results_to_the_thread_runner(tmp_path, small_codebook_path):
    pytest.importorskip("prefect_dask", reason="pip install prefect-dask==0.3.7")
    corpus = write_corpus(tmp_path / "studie", n=12)  # two annotate batches, so tasks really spread
    _run(corpus, tmp_path / "threads", small_codebook_path)
    _run(corpus, tmp_path / "dask", small_codebook_path, "--runner", "dask")
    csvs = sorted((tmp_path / "threads" / "matrices").glob("*.csv"))
    assert {p.name for p in csvs} >= {"case_by_code.csv", "case_by_theme.csv", "cooccurrence_codes.csv"}
    for threads in csvs:
        assert (tmp_path / "dask" / "matrices" / threads.name).read_bytes() == threads.read_bytes(), threads.name
    assert (tmp_path / "dask" / "report.html").is_file()
    tags = _tags(tmp_path / "threads")
    assert tags and _tags(tmp_path / "dask") == tags


def test_terminal_runs_go_without_heartbeats_unless_asked_for(monkeypatch):
    from prefect.settings import get_current_settings

    for name in HEARTBEAT_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    default = get_current_settings().flows.heartbeat_frequency
    assert default  # Prefect 3.8 beats by default; the reason this exists
    with terminal_run():
        assert get_current_settings().flows.heartbeat_frequency is None
    assert get_current_settings().flows.heartbeat_frequency == default
    # A researcher who set the frequency (for a lab server's crash automation) keeps it.
    monkeypatch.setenv("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "60")
    with terminal_run():
        assert get_current_settings().flows.heartbeat_frequency == default

