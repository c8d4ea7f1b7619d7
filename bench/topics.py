"""BERTopic fit time at 5k, 20k and 50k segments, with numba's compile time reported apart.

The first UMAP call in a process compiles numba code (7-25 s); that cost is paid once per
process, so it is measured on its own (a fit on 300 points in a fresh interpreter) and kept out
of the per-size timings. Each size is then fitted in its own fresh process after a warm-up fit,
and its peak memory (RSS) is reported.

Segments: the demo corpus's turns and the seed paragraphs, embedded once with the chosen
embedder; larger sizes resample them with a little Gaussian noise on the vectors (so no two are
identical), which keeps the benchmark about clustering, not about embedding 50k texts.

    python bench/topics.py [--sizes 5000,20000,50000] [--embedder use] [--seeds DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CACHE = ROOT / "bench" / ".cache"


def base_embeddings(embedder_name: str, seeds: Path) -> tuple[list[str], "object"]:
    import numpy as np

    from embed import corpus_segments
    from pipeline.embed import CachedEmbedder, make_embedder
    from pipeline.store import Store

    texts = corpus_segments(seeds)
    CACHE.mkdir(exist_ok=True)
    store = Store(f"sqlite:///{CACHE / 'embeddings.sqlite'}")
    embedder = make_embedder(embedder_name)
    if getattr(embedder, "needs_fit", False):
        embedder.fit(texts)
    vectors = CachedEmbedder(embedder, store).embed(texts)
    store.close()
    return texts, np.asarray(vectors)


def one_size(size: int, embedder_name: str, seeds: Path) -> dict:
    """Fit topics on ``size`` segments in this (fresh) process: warm-up first, then timed."""
    import numpy as np

    from pipeline.codebook import load_codebook
    from pipeline.config import DEFAULT_CODEBOOK, TopicOptions
    from pipeline.embed import make_embedder
    from pipeline.topics.model import fit_topics

    texts, vectors = base_embeddings(embedder_name, seeds)
    embedder = make_embedder(embedder_name)
    if getattr(embedder, "needs_fit", False):
        embedder.fit(texts)
    rng = np.random.default_rng(0)
    book = load_codebook(DEFAULT_CODEBOOK)
    started = time.perf_counter()
    fit_topics(texts[:300], vectors[:300], embedder, TopicOptions(min_topic_size=5), book)
    warmup = time.perf_counter() - started
    index = rng.integers(0, len(texts), size)
    big = vectors[index] + rng.normal(scale=0.02, size=(size, vectors.shape[1])).astype(np.float32)
    big /= np.linalg.norm(big, axis=1, keepdims=True)
    started = time.perf_counter()
    result = fit_topics([texts[i] for i in index], big, embedder,
                        TopicOptions(min_topic_size=max(10, size // 500)), book)
    fit = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"size": size, "first_call_s": warmup, "fit_s": fit, "topics": int(len(result.info)),
            "peak_rss_mb": peak_mb}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5000,20000,50000")
    parser.add_argument("--embedder", default="use")
    parser.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "corpora" / "seeds")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.embedder, args.seeds)))
        return 0
    base_embeddings(args.embedder, args.seeds)  # fill the cache once, outside the timings
    probe = ("import time; t = time.perf_counter(); import numpy as np; from umap import UMAP; "
             "x = np.random.default_rng(0).normal(size=(300, 32)).astype('float32'); "
             "UMAP(n_neighbors=10, n_components=5, random_state=42).fit_transform(x); "
             "print(time.perf_counter() - t)")
    compile_s = float(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                     check=True).stdout.strip().splitlines()[-1])
    print(f"numba compile + first UMAP call (fresh process, 300 points): {compile_s:.1f} s")
    print(f"{'segments':>9} {'fit s':>7} {'topics':>7} {'peak RSS MB':>12}")
    results = {"compile_s": compile_s, "embedder": args.embedder, "sizes": []}
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--one", str(size), "--embedder", args.embedder,
                              "--seeds", str(args.seeds)], capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        results["sizes"].append(row)
        print(f"{row['size']:9d} {row['fit_s']:7.1f} {row['topics']:7d} {row['peak_rss_mb']:12.0f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
