"""``kwali learn``: train the supervised tagger from the review app's decisions."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import app, fail, out
from pipeline.errors import KwaliError

MODEL_FILE = "learned_model.json"


class LearnSource(str, Enum):
    human = "human"
    consensus = "consensus"


def _default_out(study_or_db: str) -> Path:
    """Beside the study's store; for a database URL, in the current folder."""
    path = Path(study_or_db)
    if "://" in study_or_db:
        return Path(MODEL_FILE)
    return (path if path.is_dir() else path.parent) / MODEL_FILE


@app.command()
def learn(
    study_or_db: Annotated[str, typer.Argument(help="Output folder of `kwali run`, a .sqlite file, or a DB URL.")],
    codebook: Annotated[Path | None, typer.Option(
        "--codebook", "-c", help="Codebook YAML of the decisions (default: the one of the store's latest run).")]
    = None,
    embedder: Annotated[str, typer.Option(help="e5 | use | tfidf | st:/path/to/local/model.")] = "e5",
    out_file: Annotated[Path | None, typer.Option(
        "--out", "-o", help=f"Model file to write (default: {MODEL_FILE} beside the store).")] = None,
    coders: Annotated[list[str] | None, typer.Option(
        "--coders", help="Only these coders' decisions (repeat, or comma-separate); consensus always counts.")]
    = None,
    source: Annotated[LearnSource, typer.Option(
        help="human: coders, consensus overriding; consensus: consensus decisions only.")] = LearnSource.human,
) -> None:
    """Learn the supervised tagger from accepted and rejected codes; use it with `kwali tag --training`."""
    from flows.cli.review import store_url
    from pipeline.codebook import load_codebook
    from pipeline.config import TagOptions
    from pipeline.tagging.learn import learn_from_store

    names = [n.strip() for item in coders or () for n in item.split(",") if n.strip()] or None
    try:
        url = store_url(study_or_db)
        book = load_codebook(codebook) if codebook else None
        target = out_file or _default_out(study_or_db)
        summary = learn_from_store(url, target, TagOptions(embedder=embedder), book, source.value, names)
    except KwaliError as exc:
        fail(exc)
    labels = summary.labels
    # Plain columns rather than a Rich table: code ids stay whole in logs and narrow terminals.
    width = max([len("code")] + [len(r.code_id) for r in summary.results])
    out.print(f"Learned from {labels.source} decisions ({summary.embedder_name})", markup=False, highlight=False)
    out.print(f"{'code':<{width}}  positives  negatives  CV F1  others F1  used", markup=False, highlight=False)
    for r in summary.results:
        f1 = "-" if r.cv_f1 is None else f"{r.cv_f1:.2f}"
        other = "-" if r.other_f1 is None else f"{r.other_f1:.2f}"
        verdict = ("yes" if r.used else "no: others") if r.cv_f1 is not None else "no: too few"
        out.print(f"{r.code_id:<{width}}  {r.positives:>9}  {r.negatives:>9}  {f1:>5}  {other:>9}  {verdict}",
                  markup=False, highlight=False)
    out.print(f"{len(labels.examples)} segments from {labels.decisions} decisions by {', '.join(labels.coders)}; "
              f"{labels.disagreements} disagreeing (segment, code) pair(s) without consensus left out; "
              f"{labels.overridden} pair(s) decided by consensus over the coders.", highlight=False)
    if labels.outside_codebook:
        out.print(f"{labels.outside_codebook} decision(s) on codes this codebook does not have were ignored.",
                  highlight=False)
    out.print(f"model: {summary.path}  (kwali tag --method ensemble --embedder {embedder} --training "
              f"{summary.path})", markup=False, highlight=False)
