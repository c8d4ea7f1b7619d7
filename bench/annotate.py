"""Throughput and memory of ingest + NLP + tagging, as ratios measured in one run.

1. Speed: words/s of Kwali's ingest (read, normalise, turns, segments) + NLP + rule tagging
   over a corpus, against raw ``spacy.blank("nl").pipe`` over the same segment texts, timed in
   the same process one after the other. Target: ratio >= 0.2.
2. Memory: peak RSS of the same work over the corpus at 1x and at 4x its size (each in a fresh
   subprocess, so peaks do not mix). Target: 4x / 1x < 1.5, i.e. streaming, not hoarding.

The corpus is corpora/demo plus the seed documents in ../shared when present; the 4x corpus is
four copies with a distinguishing line added so that none counts as a duplicate.

    python bench/annotate.py
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_corpus(target: Path, copies: int) -> Path:
    """Copy the demo corpus (and seeds) ``copies`` times into ``target``."""
    sources = [p for p in sorted((ROOT / "corpora" / "demo").iterdir()) if p.suffix != ".csv" and p.name != "README.md"]
    seeds = ROOT.parent / "shared" / "corpora" / "seeds"
    if seeds.is_dir():
        sources += sorted(seeds.glob("*.txt"))
    target.mkdir(parents=True, exist_ok=True)
    for copy in range(copies):
        for src in sources:
            dest = target / f"c{copy}_{src.name}"
            if src.suffix in (".txt", ".md"):
                # a distinguishing line keeps copies from being skipped as duplicates
                dest.write_text(src.read_text(encoding="utf-8") + f"\n\nKopie {copy}.\n", encoding="utf-8")
            elif src.suffix == ".vtt":
                dest.write_text(src.read_text(encoding="utf-8") + f"\n\nNOTE kopie {copy}\n", encoding="utf-8")
            elif copy == 0:  # other formats would be exact duplicates: one copy only
                shutil.copy(src, dest)
    return target


def run_pipeline(corpus: Path) -> dict:
    """Ingest + NLP + tagging over a corpus, one document at a time. Returns counts and timings."""
    from pipeline.codebook import load_codebook
    from pipeline.config import DEFAULT_CODEBOOK, IngestOptions, NlpOptions, SegmentOptions
    from pipeline.ingest import discover, load_cases, read_document
    from pipeline.nlp import build_nlp
    from pipeline.segment import segment_document
    from pipeline.tagging import RuleTagger, annotate

    book = load_codebook(DEFAULT_CODEBOOK)
    nlp = build_nlp(NlpOptions(model="blank"))
    tagger = RuleTagger(book, nlp)
    options = IngestOptions()
    start = time.perf_counter()
    sources, _ = discover(corpus, options)
    cases = load_cases(corpus)
    words = tags = 0
    texts: list[str] = []
    for source in sources:
        for doc in read_document(source, cases, options):
            segments = segment_document(doc, SegmentOptions())
            for segment, found in annotate(segments, nlp, [tagger]):
                words += len(segment.text.split())
                tags += len(found)
                texts.append(segment.text)
    elapsed = time.perf_counter() - start
    return {"words": words, "tags": tags, "seconds": elapsed, "texts": texts}


def raw_spacy(texts: list[str]) -> float:
    import spacy

    nlp = spacy.blank("nl")
    start = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=64):
        pass
    return time.perf_counter() - start


def child(corpus: str) -> None:
    """Subprocess entry: run the pipeline and print counts and peak RSS as JSON."""
    result = run_pipeline(Path(corpus))
    result.pop("texts")
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        one = build_corpus(Path(tmp) / "x1", 1)
        four = build_corpus(Path(tmp) / "x4", 4)
        # speed: warm the tokenizer/lemma caches equally by running both once on a small slice
        ours = run_pipeline(one)
        raw = raw_spacy(ours["texts"])
        ours = run_pipeline(one)
        raw = min(raw, raw_spacy(ours["texts"]))
        ours_wps = ours["words"] / ours["seconds"]
        raw_wps = ours["words"] / raw
        print(f"corpus: {ours['words']} words in {len(ours['texts'])} segments, {ours['tags']} tags")
        print(f"kwali ingest+nlp+tagging: {ours_wps:,.0f} words/s")
        print(f"raw spacy.blank('nl').pipe: {raw_wps:,.0f} words/s")
        print(f"speed ratio: {ours_wps / raw_wps:.3f}x  (target >= 0.2x)")
        peaks = {}
        for name, corpus in (("1x", one), ("4x", four)):
            out = subprocess.run([sys.executable, __file__, "--child", str(corpus)], check=True,
                                 capture_output=True, text=True).stdout
            peaks[name] = json.loads(out.strip().splitlines()[-1])
            print(f"peak RSS at {name}: {peaks[name]['peak_rss_mb']:.0f} MB ({peaks[name]['words']} words)")
        ratio = peaks["4x"]["peak_rss_mb"] / peaks["1x"]["peak_rss_mb"]
        growth = peaks["4x"]["words"] / peaks["1x"]["words"]
        print(f"memory ratio 4x/1x: {ratio:.3f}  (corpus grew {growth:.1f}x; target < 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
