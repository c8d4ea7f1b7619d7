"""Embedding speed per embedder, and the cache: a re-run must be >= 20x faster than cold.

Segments are the demo corpus's turns (plus the seed documents' paragraphs when ../shared is
there), so lengths are those of real interview material. For each embedder: segments/s cold
(through an empty store cache, so the cache's writes count) and on a re-run against the same
store (every text a cache hit).

    python bench/embed.py [--embedders e5,use,tfidf] [--seeds DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import IngestOptions, SegmentOptions  # noqa: E402
from pipeline.embed import CachedEmbedder, make_embedder  # noqa: E402
from pipeline.ingest import discover, load_cases, read_document  # noqa: E402
from pipeline.segment import segment_document  # noqa: E402
from pipeline.store import Store  # noqa: E402


def corpus_segments(seeds: Path | None) -> list[str]:
    """Segment texts of the demo corpus (turns) and the seed documents (paragraphs)."""
    from pipeline.models import Unit

    texts: list[str] = []
    folders = [(ROOT / "corpora" / "demo", Unit.TURN)]
    if seeds is not None and seeds.is_dir():
        folders.append((seeds, Unit.PARAGRAPH))
    for folder, unit in folders:
        cases = load_cases(folder)
        sources, _ = discover(folder, IngestOptions())
        for source in sources:
            for doc in read_document(source, cases, IngestOptions()):
                texts += [s.text for s in segment_document(doc, SegmentOptions(unit=unit))]
    return texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedders", default="e5,use,tfidf")
    parser.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "corpora" / "seeds")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    texts = corpus_segments(args.seeds)
    words = sum(len(t.split()) for t in texts)
    print(f"{len(texts)} segments, {words / len(texts):.0f} words on average")
    print(f"{'embedder':<10} {'cold seg/s':>11} {'re-run seg/s':>13} {'speed-up':>9}")
    results = {}
    for name in args.embedders.split(","):
        embedder = make_embedder(name)
        if getattr(embedder, "needs_fit", False):
            embedder.fit(texts)
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(f"sqlite:///{tmp}/cache.sqlite")
            started = time.perf_counter()
            CachedEmbedder(embedder, store).embed(texts)
            cold = time.perf_counter() - started
            started = time.perf_counter()
            again = CachedEmbedder(embedder, store)
            again.embed(texts)
            warm = time.perf_counter() - started
            store.close()
        assert again.misses == 0
        results[name] = {"segments": len(texts), "cold_s": cold, "cold_per_s": len(texts) / cold,
                         "rerun_s": warm, "rerun_per_s": len(texts) / warm, "speedup": cold / warm}
        r = results[name]
        print(f"{name:<10} {r['cold_per_s']:11.0f} {r['rerun_per_s']:13.0f} {r['speedup']:8.0f}x")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
