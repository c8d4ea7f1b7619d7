"""`kwali run` end to end in a subprocess, on a corpus full of bad input (real Prefect, ephemeral)."""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_run import TURNS

ROOT = Path(__file__).resolve().parent.parent


def bad_corpus(folder: Path) -> Path:
    folder.mkdir()
    interview = "\n\n".join(TURNS)
    files: dict[str, bytes] = {
        "goed_01.txt": interview.encode(),
        "goed_02.md": ("# Gesprek\n\n**Sanne:** Wij vertrouwen elkaar blind.\n\n"
                       "**Interviewer:** En de eigenaar?\n\n**Sanne:** Daar is geen vertrouwen meer.\n").encode(),
        "windows.txt": "Interviewer: En het café?\n\nRespondent: Café ‘De Hoek’ is onze kartrekker.".encode("cp1252"),
        "leeg.txt": b"",
        "plaatje.txt": b"\x89PNG\r\n\x1a\n\x00\x00" + random.Random(1).randbytes(400),
        "kapot.docx": random.Random(2).randbytes(1500),
        "kapot.pdf": b"%PDF-1.4\n1 0 obj << /Kids [" + random.Random(3).randbytes(300),
        "kopie.txt": interview.encode(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    with (folder / "groot.txt").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    (folder / "cases.csv").write_text("document,case,city\ngoed_01.txt,keilehaven,Rotterdam\n"
                                      "goed_02.md,werkspoor,Utrecht\n", encoding="utf-8")
    return folder


BAD = {"leeg.txt": "empty file", "plaatje.txt": "binary", "kapot.docx": ".docx", "kapot.pdf": "PDF",
       "kopie.txt": "duplicate of goed_01.txt", "groot.txt": "50.0 MB"}


@pytest.mark.slow
def test_run_on_bad_corpus_processes_good_files_and_lists_bad_ones(tmp_path, small_codebook_path):
    corpus = bad_corpus(tmp_path / "studie")
    out = tmp_path / "uit"
    env = {**os.environ, "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    result = subprocess.run([sys.executable, "-m", "flows.cli", "run", str(corpus), "--out", str(out),
                             "--codebook", str(small_codebook_path)],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    summary = result.stdout
    counts = {cells[0]: cells[1] for cells in
              ([c.strip() for c in ln.strip("│ ").split("│")] for ln in summary.splitlines() if "│" in ln)}
    assert counts["documents"] == "3" and counts["skipped files"] == str(len(BAD))
    for name, reason in BAD.items():
        line = next((ln for ln in summary.splitlines() if f"skipped {name}:" in ln), None)
        assert line is not None and reason in line, (name, summary)
    assert "no row in cases.csv, own case: windows.txt" in summary
    html = (out / "report.html").read_text(encoding="utf-8")
    for name in BAD:
        assert name in html
    with (out / "matrices" / "case_by_code.csv").open(encoding="utf-8") as handle:
        rows = {row["case"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"keilehaven", "werkspoor", "windows.txt"}
    assert int(rows["werkspoor"]["trust.building"]) == 2
    assert int(rows["windows.txt"]["roles.leader"]) == 1
    assert (out / "matrices" / "case_by_theme.csv").is_file() and (out / "report.md").is_file()
