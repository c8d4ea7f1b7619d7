"""Code open answers from a file: CSV or JSONL records in, one JSON line per record out.

This is how a researcher codes survey answers without building a study: ``kwali tag``. Each
output line keeps the input's id and order::

    {"id": "r12", "themes": ["trust"], "codes": [{"code": "trust.distrust", "theme": "trust",
     "score": 1.0, "method": "rules", "polarity": "negative", "evidence": [...]}]}
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pipeline.codebook import Codebook
from pipeline.embed.cache import VectorStore
from pipeline.config import NlpOptions, TagOptions
from pipeline.errors import InvalidInput
from pipeline.ingest import normalise
from pipeline.jsonl import read_objects
from pipeline.models import Segment, Tag, Unit, stable_id
from pipeline.nlp import build_nlp
from pipeline.tagging import RuleTagger, annotate


def read_records(path: Path, id_field: str = "id", text_field: str = "text") -> list[tuple[str, str]]:
    """Read (id, text) records from a CSV (with header) or JSONL file.

    Raises:
        InvalidInput: Unknown format, missing column/field, bad JSON (with its line number) or a
            duplicate id.
    """
    if not path.is_file():
        raise InvalidInput(f"{path}: file not found (give a CSV or JSONL file with '{id_field}' and '{text_field}')")
    suffix = path.suffix.lower()
    records: list[tuple[str, str]] = []
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            for needed in (id_field, text_field):
                if needed not in columns:
                    raise InvalidInput(f"{path}:1: no column '{needed}' (columns: {', '.join(columns) or 'none'}); "
                                       f"rename the column or pass --id-field/--text-field")
            for row in reader:
                records.append((str(row[id_field]), row[text_field] or ""))
    elif suffix in (".jsonl", ".ndjson"):
        hint = f"each line needs '{id_field}' and '{text_field}' fields"
        for _, obj in read_objects(path, (id_field, text_field), hint):
            records.append((str(obj[id_field]), str(obj[text_field] or "")))
    else:
        raise InvalidInput(f"{path}: unknown input format '{suffix}'; use .csv (with a header) or .jsonl")
    seen: set[str] = set()
    for record_id, _ in records:
        if record_id in seen:
            raise InvalidInput(f"{path}: duplicate id {record_id!r}; ids must be unique so output lines can be matched")
        seen.add(record_id)
    return records


def _tag_json(tag: Tag) -> dict[str, Any]:
    return {"code": tag.code_id, "theme": tag.theme_id, "score": tag.score, "method": tag.method,
            "polarity": tag.polarity.value, "evidence": [asdict(e) for e in tag.evidence]}


def tag_records(records: Iterable[tuple[str, str]], codebook: Codebook, nlp_options: NlpOptions | None = None,
                tag_options: TagOptions | None = None, method: str = "rules",
                vectors: VectorStore | None = None) -> Iterator[dict[str, Any]]:
    """Tag (id, text) records; yields one output dict per record, in input order.

    Texts are normalised as documents are (so evidence offsets refer to the normalised text,
    which is included as ``text`` only when it differs from the input).

    Args:
        method: rules | semantic | supervised | ensemble (see ``pipeline.tagging.build``).
        vectors: Embedding cache (e.g. a ``Store``); default: in memory for this call.
    """
    nlp_options = nlp_options or NlpOptions()
    tag_options = tag_options or TagOptions()
    nlp = build_nlp(nlp_options)
    if method == "rules":
        tagger = RuleTagger(codebook, nlp, tag_options.negation_window, tag_options.min_score)
    else:
        from pipeline.tagging.build import build_tagger

        records = list(records)
        tagger = build_tagger(method, codebook, nlp, tag_options, vectors, fit_texts=[t for _, t in records])
    theme_order = [theme.id for theme in codebook.themes]

    changed: set[int] = set()  # records whose normalised text differs from the input

    def segments() -> Iterator[Segment]:
        for index, (record_id, text) in enumerate(records):
            clean = normalise(text) if text.strip() else ""
            if clean != text:
                changed.add(index)
            yield Segment(id=stable_id("tag", record_id), document_id=record_id, case_id=record_id, index=index,
                          start=0, end=len(clean), text=clean, unit=Unit.PARAGRAPH)

    for segment, tag_list in annotate(segments(), nlp, [tagger], nlp_options.batch_size):
        themes = {tag.theme_id for tag in tag_list}
        out: dict[str, Any] = {"id": segment.document_id, "themes": [t for t in theme_order if t in themes],
                               "codes": [_tag_json(tag) for tag in tag_list]}
        if segment.index in changed:
            changed.discard(segment.index)
            out["text"] = segment.text
        yield out
