"""A corpus of N distinct documents built from the demo transcripts (shared by the benchmarks)."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_corpus(target: Path, n_docs: int = 50) -> Path:
    """Write ``n_docs`` text/Markdown/VTT transcripts, each made distinct by a closing line."""
    demo = ROOT / "corpora" / "demo"
    sources = [p for p in sorted(demo.iterdir()) if p.suffix in (".txt", ".md", ".vtt") and p.name != "README.md"]
    target.mkdir(parents=True, exist_ok=True)
    for i in range(n_docs):
        src = sources[i % len(sources)]
        closing = f"\n\nNOTE kopie {i}\n" if src.suffix == ".vtt" else f"\n\nInterviewer: Dank, gesprek {i}.\n"
        (target / f"d{i:03d}_{src.name}").write_text(src.read_text(encoding="utf-8") + closing, encoding="utf-8")
    shutil.copy(demo / "cases.csv", target / "cases.csv")
    return target
