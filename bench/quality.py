"""Theme-level coding quality of ``kwali tag`` on the development gold set.

The gold set (bench/gold/seeds_dev.jsonl) holds offsets into the seed documents in
../shared/corpora/seeds, never their text. This script cuts the paragraphs out, codes them with
the given codebook exactly as ``kwali tag`` does, and prints precision, recall and F1 per theme
and the macro-F1 over trust, temporality and roles.

    python bench/quality.py [--codebook FILE] [--json OUT] [--errors]
                            [--method rules|semantic|supervised|ensemble|ensemble+supervised|rules+supervised|all]
                            [--embedder e5|use|tfidf|st:FOLDER] [--seeds DIR]
                            [--gold seeds|partypanel|written|fieldnotes|heldout|all]
                            [--train-on SET[,SET]]

Four development gold sets (bench/gold/README.md): ``seeds`` (paragraphs of the seed documents,
the default), ``partypanel`` (real Dutch open survey answers from ../shared/external), ``written``
and ``fieldnotes`` (field paragraphs written for Kwali); ``--gold all`` scores each in turn. The
held-out test set ``heldout`` is scored only when named, never trained on, and ``--errors`` is
refused on it: it stays a measure of unseen text.

Methods that learn (supervised, ensemble+supervised, and rules+supervised: a bench-only union of
the rules and an ungated supervised model) are scored by leave-one-document-out cross-validation:
each document is coded by a model trained on the others (a set from one file is cut into four
folds), so no paragraph is ever scored by a model that saw its label. With
``--train-on SET[,SET]`` they are instead trained once on all units of those sets and score the
other sets (cross-set transfer: ``--train-on written,partypanel --gold seeds``); a set trained
on is never scored. Embeddings are cached in bench/.cache/embeddings.sqlite, so a second run does
not embed again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.codebook import load_codebook  # noqa: E402
from pipeline.config import DEFAULT_CODEBOOK  # noqa: E402
from pipeline.tagfile import tag_records  # noqa: E402

sys.path.insert(0, str(ROOT / "bench" / "gold"))
from sets import SETS, GoldError, load_set  # noqa: E402

#: Scored, never tuned on: left out of ``--gold all`` and ``--train-on``, and no error listing.
TEST_SETS = ("heldout",)
DEV_SETS = tuple(name for name in SETS if name not in TEST_SETS)

THEMES = ("trust", "temporality", "roles")
GOLD = ROOT / "bench" / "gold" / "seeds_dev.jsonl"
SEEDS = ROOT.parent / "shared" / "corpora" / "seeds"


def load_gold(gold: Path = GOLD, seeds: Path = SEEDS) -> list[dict]:
    """Gold rows with their paragraph text cut from the seed files (sha1-checked)."""
    texts: dict[str, str] = {}
    rows = []
    for line in gold.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["file"] not in texts:
            texts[row["file"]] = (seeds / row["file"]).read_text(encoding="utf-8")
        text = texts[row["file"]][row["start"]:row["end"]]
        if hashlib.sha1(text.encode("utf-8")).hexdigest() != row["sha1"]:
            raise SystemExit(f"gold row {row['file']}:{row['start']} does not match the seed text (sha1)")
        rows.append({**row, "text": text, "id": f"{row['file']}:{row['start']}"})
    return rows


def scores(gold: list[set[str]], predicted: list[set[str]], themes=THEMES) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per theme, plus the macro average."""
    out: dict[str, dict[str, float]] = {}
    for theme in themes:
        tp = sum(theme in g and theme in p for g, p in zip(gold, predicted))
        fp = sum(theme not in g and theme in p for g, p in zip(gold, predicted))
        fn = sum(theme in g and theme not in p for g, p in zip(gold, predicted))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[theme] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn, "tp": tp, "fp": fp,
                      "fn": fn}
    out["macro"] = {k: sum(out[t][k] for t in themes) / len(themes) for k in ("precision", "recall", "f1")}
    return out


METHODS = ("rules", "semantic", "ensemble", "supervised", "ensemble+supervised", "rules+supervised")


def folds(rows: list[dict], train_rows: list[dict] | None = None) -> list[tuple[list[dict], list[dict]]]:
    """(training rows, rows to code) pairs for a learned method.

    Without ``train_rows``: leave one document out (a set from one file is cut into four folds),
    so no row is coded by a model that saw its label. With ``train_rows`` (``--train-on``): one
    model trained on all of them codes every row; the two may not share a row.
    """
    if train_rows is not None:
        shared = {r["id"] for r in rows} & {r["id"] for r in train_rows}
        if shared:
            raise SystemExit(f"--train-on: {len(shared)} row(s) are both trained on and scored "
                             f"(e.g. {sorted(shared)[0]}); score another set than the one trained on")
        return [(list(train_rows), list(rows))]
    keys = [r["file"] for r in rows]
    if len(set(keys)) == 1:
        keys = [f"fold{i % 4}" for i in range(len(rows))]
    return [([r for r, k in zip(rows, keys) if k != held_out], [r for r, k in zip(rows, keys) if k == held_out])
            for held_out in sorted(set(keys))]


def code_rows(rows: list[dict], book, method: str, embedder: str, vectors,
              train_rows: list[dict] | None = None) -> list[dict]:
    """Code the gold paragraphs with one method.

    Learned methods are trained per fold (see ``folds``): leave one document out, or, with
    ``train_rows``, on another gold set.
    """
    from pipeline.config import TagOptions

    options = TagOptions(embedder=embedder)
    records = [(r["id"], r["text"]) for r in rows]
    if method in ("rules", "semantic", "ensemble"):
        return list(tag_records(records, book, tag_options=options, method=method, vectors=vectors))
    from pipeline.config import NlpOptions
    from pipeline.nlp import build_nlp
    from pipeline.tagging.build import build_tagger
    from pipeline.models import Segment, Unit
    from pipeline.tagging import annotate

    nlp = build_nlp(NlpOptions())
    base = "ensemble" if method == "ensemble+supervised" else "supervised"
    out: dict[str, dict] = {}
    for train_part, test in folds(rows, train_rows):
        train = [(r["text"], set(r["labels"]) & set(THEMES)) for r in train_part]
        tagger = build_tagger(base, book, nlp, options, vectors, fit_texts=[r["text"] for r in rows], training=train)
        if method == "rules+supervised":
            tagger = rules_or_supervised(book, nlp, options, tagger)
        elif hasattr(tagger, "supervised_labels") and train_rows is not None:
            print(f"   supervised member trusted for: {sorted(tagger.supervised_labels or ()) or 'nothing'}")
        segments = [Segment(r["id"], r["file"], r["file"], i, 0, len(r["text"]), r["text"], unit=Unit.PARAGRAPH)
                    for i, r in enumerate(test)]
        for segment, tags in annotate(segments, nlp, [tagger]):
            out[segment.id] = {"id": segment.id, "themes": sorted({t.theme_id for t in tags}),
                               "codes": [{"theme": t.theme_id, "code": t.code_id,
                                          "evidence": [{"text": e.pattern} for e in t.evidence]} for t in tags]}
    return [out[r["id"]] for r in rows]


def rules_or_supervised(book, nlp, options, supervised):
    """Rules plus a supervised model trusted on every label it learned, without semantic
    evidence and without the CV gate: a theme is coded when the rules or the model say so.

    Bench only (not a ``kwali tag`` method): it asks whether a learned model adds to the rules.
    """
    from pipeline.tagging.ensemble import EnsembleTagger
    from pipeline.tagging.rules import RuleTagger

    rules = RuleTagger(book, nlp, options.negation_window, 0.0)
    return EnsembleTagger([rules, supervised], min_score=options.min_score, supervised_labels=None,
                          themes=[t.id for t in book.themes])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codebook", type=Path, default=DEFAULT_CODEBOOK)
    parser.add_argument("--json", type=Path, help="also write the scores as JSON here")
    parser.add_argument("--errors", action="store_true", help="list false positives and negatives")
    parser.add_argument("--method", default="rules", choices=METHODS + ("all",))
    parser.add_argument("--embedder", default="e5", help="e5 | use | tfidf | st:FOLDER")
    parser.add_argument("--seeds", type=Path, default=None, help="folder with the seed documents (default ../shared)")
    parser.add_argument("--gold", default="seeds", choices=SETS + ("all",),
                        help="which gold set; all = every development set (not the held-out test set)")
    parser.add_argument("--train-on", default=None, metavar="SET[,SET]",
                        help="learned methods: train one model on these gold sets (comma-separated) and "
                             "score the others with it, instead of leave-one-document-out")
    args = parser.parse_args()
    if args.errors and args.gold in TEST_SETS:
        raise SystemExit(f"--errors is refused on the held-out test set {args.gold!r}: reading its errors "
                         "would turn it into development data. Score it without --errors.")
    train_on = parse_train_on(args.train_on)
    book = load_codebook(args.codebook)
    from pipeline.store import Store

    (ROOT / "bench" / ".cache").mkdir(exist_ok=True)
    vectors = Store(f"sqlite:///{ROOT / 'bench' / '.cache' / 'embeddings.sqlite'}")
    args.train_rows = None
    if train_on:
        try:
            args.train_rows = [r for name in train_on for r in load_set(name, args.seeds if name == "seeds" else None)]
        except GoldError as error:
            raise SystemExit(f"--train-on: {error}") from error
        print(f"learned methods trained on {'+'.join(train_on)}: {len(args.train_rows)} units")
    results = {}
    for name in (DEV_SETS if args.gold == "all" else (args.gold,)):
        if name in train_on:
            print(f"\nskipped {name}: trained on (--train-on)")
            continue
        try:
            rows = load_set(name, args.seeds if name == "seeds" else None)  # noqa: E501
        except GoldError as error:
            print(f"skipped {name}: {error}")
            continue
        kind = "Held-out test set" if name in TEST_SETS else "Development gold set"
        print(f"\n##### {kind} {name}: {len(rows)} units from {len({r['file'] for r in rows})} files")
        args.vectors = vectors
        results[name] = score_set(rows, book, args)
    if args.json:
        single = results if args.gold == "all" else results.get(args.gold, {})
        single = single if args.method == "all" or args.gold == "all" else single.get(args.method, {})
        args.json.write_text(json.dumps(single, indent=2), encoding="utf-8")
    return 0


def parse_train_on(value: str | None) -> tuple[str, ...]:
    """The gold set names of ``--train-on`` (comma-separated); () when not given."""
    if not value:
        return ()
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    unknown = [n for n in names if n not in DEV_SETS]
    if unknown or not names:
        raise SystemExit(f"--train-on: unknown or held-out gold set(s) {', '.join(unknown) or value!r}; "
                         f"use {', '.join(DEV_SETS)}")
    return names


def score_set(rows: list[dict], book, args) -> dict:
    """Code one gold set with each asked method; print and return the scores per method."""
    import time

    gold = [set(r["labels"]) & set(THEMES) for r in rows]
    results = {}
    for method in (METHODS if args.method == "all" else (args.method,)):
        started = time.perf_counter()
        coded = code_rows(rows, book, method, args.embedder, args.vectors, getattr(args, "train_rows", None))
        elapsed = time.perf_counter() - started
        predicted = [set(c["themes"]) & set(THEMES) for c in coded]
        result = scores(gold, predicted)
        results[method] = result
        print(f"\n== {method} (embedder {args.embedder if method != 'rules' else '-'}, {elapsed:.1f} s)")
        report(result)
        if args.errors:
            errors(rows, gold, predicted, coded)
    return results


def report(result: dict) -> None:
    print(f"{'theme':<12} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
    for theme in THEMES:
        s = result[theme]
        print(f"{theme:<12} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['support']:8d}")
    m = result["macro"]
    print(f"{'macro':<12} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f}")


def errors(rows, gold, predicted, coded) -> None:
    for row, g, p, c in zip(rows, gold, predicted, coded):
        for theme in THEMES:
            if (theme in g) != (theme in p):
                kind = "FN" if theme in g else "FP"
                ev = [e["text"] for code in c["codes"] if code["theme"] == theme for e in code["evidence"]]
                print(f"{kind} {theme:<12} {row['id']:<32} evidence={ev} :: {row['rationale']}")


if __name__ == "__main__":
    sys.exit(main())
