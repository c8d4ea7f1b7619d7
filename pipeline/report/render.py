"""Render a run's report as one self-contained HTML file and a Markdown file with PNG figures.

The templates (Jinja2, in ``reports/templates``) decide the layout; this module only prepares
plain values for them: formatted table cells, figure URIs, quotes with escaped and highlighted
text. HTML templates are autoescaped; the only markup that bypasses escaping is the quote text
from ``mark_evidence``, which escapes every piece of interview text itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from pipeline import __version__
from pipeline.analysis.matrices import CASE_ID, Matrices, attribute_columns, crosstab_filename
from pipeline.analysis.quotes import Quote, escape_markdown, mark_evidence
from pipeline.codebook import Codebook
from pipeline.errors import InvalidInput
from pipeline.models import SkippedFile
from pipeline.report.figures import as_data_uri, heatmap_png

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "reports" / "templates"
HTML_TEMPLATE = "report.html.j2"
MD_TEMPLATE = "report.md.j2"
POLARITY_LABELS = {"positive": "positief (positive)", "negative": "negatief (negative)"}


@dataclass(frozen=True, slots=True)
class DocumentOverview:
    """One row of the report's document table.

    Attributes:
        document_id: Document id (path relative to the corpus folder).
        case_id: Case of the document.
        format: Source format ("txt", "docx", "vtt", ...).
        n_words: Words in the normalised text.
        n_segments: Segments cut from it.
        speakers: Distinct speaker labels in order of first appearance.
    """

    document_id: str
    case_id: str
    format: str
    n_words: int
    n_segments: int
    speakers: tuple[str, ...] = ()


def document_overview(documents: pd.DataFrame, segments: pd.DataFrame) -> list[DocumentOverview]:
    """Build the document table from the store's documents and segments frames.

    Args:
        documents: ``document_id``, ``case_id``, ``format``, ``n_words`` (one row per document).
        segments: Segments (the analysis contract), for segment counts and speakers.

    Returns:
        One overview per document, in the order of ``documents``.
    """
    rows = []
    by_document = {key: group for key, group in segments.groupby("document_id", sort=False)}
    for doc in documents.to_dict("records"):
        segs = by_document.get(doc["document_id"])
        speakers: tuple[str, ...] = ()
        if segs is not None:
            ordered = segs.sort_values("start")["speaker"].dropna().astype(str)
            speakers = tuple(dict.fromkeys(ordered))
        rows.append(DocumentOverview(
            document_id=str(doc["document_id"]), case_id=str(doc["case_id"]), format=str(doc.get("format") or ""),
            n_words=int(doc["n_words"]), n_segments=0 if segs is None else len(segs), speakers=speakers))
    return rows


def as_overview(row: DocumentOverview | Mapping[str, Any]) -> DocumentOverview:
    """Accept a document row as ``DocumentOverview`` or as a mapping.

    A mapping may use the short keys ``id`` and ``case`` or the long ``document_id`` and
    ``case_id``; ``format`` and ``speakers`` are optional.
    """
    if isinstance(row, DocumentOverview):
        return row
    return DocumentOverview(
        document_id=str(row["document_id"] if "document_id" in row else row["id"]),
        case_id=str(row["case_id"] if "case_id" in row else row["case"]),
        format=str(row.get("format") or ""), n_words=int(row["n_words"]), n_segments=int(row["n_segments"]),
        speakers=tuple(str(s) for s in row.get("speakers") or ()),
    )


@dataclass(kw_only=True)
class ReportData:
    """Everything a report shows; assembled by the flow from the store and the run.

    Attributes:
        study: Study name (title of the report).
        codebook: The codebook used.
        matrices: Matrices of the run (``build_matrices``).
        quotes: Strongest quotes (``strongest_quotes``).
        documents: Document table rows, as ``DocumentOverview`` or mappings (see
            ``as_overview``).
        cases: ``case_id`` plus attribute columns (may be empty).
        generated_at: When the report was made.
        kwali_version: Version of Kwali that made it.
        config: The run's full configuration (``RunConfig.model_dump(mode="json")``).
        codebook_sha256: Content hash of the codebook; computed when left empty.
        skipped: Source files that were not used, with reasons.
        uncased: Ids of documents without a row in cases.csv (each became its own case).
        methods: Further facts for the methods appendix (taggers, NLP model, unit...), shown
            as a key/value list.
    """

    study: str
    codebook: Codebook
    matrices: Matrices
    quotes: list[Quote] = field(default_factory=list)
    documents: list[DocumentOverview | Mapping[str, Any]] = field(default_factory=list)
    cases: pd.DataFrame = field(default_factory=pd.DataFrame)
    generated_at: datetime | str = field(default_factory=lambda: datetime.now(timezone.utc))
    kwali_version: str = __version__
    config: dict[str, Any] = field(default_factory=dict)
    codebook_sha256: str = ""
    skipped: list[SkippedFile] = field(default_factory=list)
    uncased: list[str] = field(default_factory=list)
    methods: dict[str, Any] = field(default_factory=dict)
    topics: pd.DataFrame | None = None
    case_by_topic: pd.DataFrame | None = None


# --- values for the templates ----------------------------------------------------------------


def _table(matrix: pd.DataFrame, share: bool, source: str | None = None,
           labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A matrix as header and rows of formatted cells; ``alpha`` shades share cells."""
    labels = labels or {}
    top = float(matrix.to_numpy().max()) if matrix.size else 0.0
    rows = []
    for label, values in zip(matrix.index, matrix.to_numpy()):
        cells = []
        for value in values:
            text = f"{value:.1%}" if share else f"{int(value)}"
            # Capped below 1 so that the darkest cell still reads as shading, not a filled block.
            alpha = round(0.85 * float(value) / top, 2) if share and top > 0 else 0.0
            cells.append({"text": text, "alpha": alpha})
        rows.append({"label": str(label), "cells": cells})
    return {
        "index_name": str(matrix.index.name or ""),
        "columns": [{"id": str(c), "label": labels.get(str(c), str(c))} for c in matrix.columns],
        "rows": rows,
        "source": source,
    }


def _figure(name: str, matrix: pd.DataFrame, title: str, share: bool, xlabel: str, ylabel: str) -> dict[str, Any]:
    if matrix.shape[1] > 12 and matrix.shape[1] > matrix.shape[0]:
        # Forty codes side by side shrink to unreadable labels on a page: put them down the side.
        matrix, xlabel, ylabel = matrix.T, ylabel, xlabel
    png = heatmap_png(matrix, title, value_format="{:.0%}" if share else None, xlabel=xlabel, ylabel=ylabel)
    return {"name": name, "png": png, "uri": as_data_uri(png), "path": f"figures/{name}.png", "title": title}


def _quote_view(quote: Quote) -> dict[str, Any]:
    markdown = mark_evidence(quote.text, quote.evidence, "markdown")
    return {
        "q": quote,
        "html": Markup(mark_evidence(quote.text, quote.evidence, "html")),
        # Every line of a multi-line quote must stay inside the Markdown blockquote.
        "md": "> " + markdown.replace("\n", "\n> "),
        "position": f"{quote.document_id}, tekens {quote.start}–{quote.end}",
        "polarity_label": POLARITY_LABELS.get(quote.polarity, quote.polarity),
        "negations": sorted({e["negated_by"] for e in quote.evidence if e.get("negated_by")}),
        "patterns": sorted({str(e["pattern"]) for e in quote.evidence if e.get("pattern")}),
    }


def _case_attributes(cases: pd.DataFrame) -> tuple[list[str], dict[str, dict[str, str]]]:
    if CASE_ID not in cases.columns:
        return [], {}
    attributes = attribute_columns(cases)
    values = {}
    for row in cases.drop_duplicates(CASE_ID).to_dict("records"):
        values[str(row[CASE_ID])] = {a: "" if pd.isna(row[a]) else str(row[a]) for a in attributes}
    return attributes, values


def _quotes_by_case(data: ReportData, attributes: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    themes = {code.id: theme for theme in data.codebook.themes for code in theme.codes}
    grouped: dict[str, dict[str, list[Quote]]] = {}
    for quote in data.quotes:
        grouped.setdefault(quote.case_id, {}).setdefault(quote.code_id, []).append(quote)
    sections = []
    for case_id in sorted(grouped, key=str):
        codes = [
            {"code": code, "theme": themes[code.id],
             "quotes": [_quote_view(q) for q in sorted(grouped[case_id][code.id], key=lambda q: q.rank)]}
            for code in data.codebook.codes if code.id in grouped[case_id]
        ]
        sections.append({"case_id": case_id, "attributes": attributes.get(case_id, {}), "codes": codes})
    return sections


def _cases_table(documents: list[DocumentOverview], attributes: list[str],
                 values: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    stats: dict[str, dict[str, int]] = {}
    for doc in documents:
        entry = stats.setdefault(doc.case_id, {"documents": 0, "segments": 0, "words": 0})
        entry["documents"] += 1
        entry["segments"] += doc.n_segments
        entry["words"] += doc.n_words
    rows = []
    # Cases from cases.csv without any document are listed too: a researcher should see them.
    for case_id in sorted(set(stats) | set(values), key=str):
        entry = stats.get(case_id, {"documents": 0, "segments": 0, "words": 0})
        rows.append({"case_id": case_id, "attributes": [values.get(case_id, {}).get(a, "") for a in attributes],
                     **entry})
    return rows


def _context(data: ReportData) -> dict[str, Any]:
    book, matrices = data.codebook, data.matrices
    documents = [as_overview(row) for row in data.documents]
    code_labels = {code.id: code.label for code in book.codes}
    theme_labels = {theme.id: theme.label for theme in book.themes}
    attributes, attribute_values = _case_attributes(data.cases)
    figures = [
        _figure("case_by_theme", matrices.case_by_theme["share"],
                "Aandeel segmenten per case en thema (share of segments, case × theme)", True, "thema", "case"),
        _figure("case_by_code", matrices.case_by_code["share"],
                "Aandeel segmenten per case en code (share of segments, case × code)", True, "code", "case"),
        _figure("cooccurrence_codes", matrices.cooccurrence_codes,
                "Co-occurrence van codes (segments carrying both codes)", False, "code", "code"),
    ]
    crosstab: dict[str, Any] | None = None
    if matrices.attribute is not None and matrices.crosstab:
        attribute = matrices.attribute
        figures.append(_figure("crosstab", matrices.crosstab["share"],
                               f"Aandeel segmenten per {attribute} en thema (share, {attribute} × theme)",
                               True, "thema", attribute))
        crosstab = {
            "attribute": matrices.attribute,
            "share": _table(matrices.crosstab["share"], True, labels=theme_labels),
            "segments": _table(matrices.crosstab["segments"], False,
                               f"matrices/{crosstab_filename(matrices.attribute)}", theme_labels),
        }
    generated = data.generated_at
    generated_text = generated.isoformat(timespec="seconds") if isinstance(generated, datetime) else str(generated)
    speakers = {s for doc in documents for s in doc.speakers}
    quote_cases = _quotes_by_case(data, attribute_values)
    case_rows = _cases_table(documents, attributes, attribute_values)
    topics = _topics_view(data, figures)
    return {
        "topics": topics,
        "study": data.study,
        "generated_at": generated_text,
        "kwali_version": data.kwali_version,
        "codebook": book,
        "codebook_sha256": data.codebook_sha256 or book.sha256(),
        "config_json": json.dumps(data.config, indent=2, ensure_ascii=False, default=str),
        "methods": data.methods,
        "documents": documents,
        "totals": {
            "documents": len(documents),
            "cases": len({doc.case_id for doc in documents}),
            "segments": sum(doc.n_segments for doc in documents),
            "words": sum(doc.n_words for doc in documents),
            "speakers": len(speakers),
            "quotes": len(data.quotes),
        },
        "attributes": attributes,
        "cases": case_rows,
        "figures": {f["name"]: f for f in figures},
        "tables": {
            "case_by_theme_share": _table(matrices.case_by_theme["share"], True,
                                          "matrices/case_by_theme.xlsx, sheet share", theme_labels),
            "case_by_theme_segments": _table(matrices.case_by_theme["segments"], False,
                                             "matrices/case_by_theme.csv", theme_labels),
            "case_by_code_share": _table(matrices.case_by_code["share"], True,
                                         "matrices/case_by_code.xlsx, sheet share", code_labels),
            "case_by_code_segments": _table(matrices.case_by_code["segments"], False,
                                            "matrices/case_by_code.csv", code_labels),
            "cooccurrence_codes": _table(matrices.cooccurrence_codes, False, "matrices/cooccurrence_codes.csv",
                                         code_labels),
            "cooccurrence_themes": _table(matrices.cooccurrence_themes, False, "matrices/cooccurrence_themes.csv",
                                          theme_labels),
        },
        "crosstab": crosstab,
        "quote_cases": quote_cases,
        "cases_without_quotes": [c["case_id"] for c in case_rows
                                 if c["case_id"] not in {q["case_id"] for q in quote_cases}],
        "skipped": data.skipped,
        "uncased": data.uncased,
    }


def _topics_view(data: ReportData, figures: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The topics chapter: topic table, case x topic heatmap, example quotes (None without topics)."""
    if data.topics is None or data.topics.empty:
        return None
    rows = [{"id": int(r.topic_id), "label": str(r.label), "size": int(r.size), "terms": str(r.top_terms),
             "best_code": str(r.best_code) if isinstance(r.best_code, str) else "",
             "best_share": f"{float(r.best_share):.0%}", "candidate": bool(r.candidate_new_code),
             "quotes": [q for q in str(r.example_quotes).split(" | ") if q and q != "nan"]}
            for r in data.topics.itertuples()]
    view: dict[str, Any] = {"rows": rows, "candidates": [r for r in rows if r["candidate"]], "figure": None}
    if data.case_by_topic is not None and not data.case_by_topic.empty:
        figure = _figure("case_by_topic", data.case_by_topic, "Segmenten per case en topic (segments, case × topic)",
                         False, "topic", "case")
        figures.append(figure)
        view["figure"] = figure
    return view


def _environment(templates_dir: Path, html: bool) -> Environment:
    env = Environment(loader=FileSystemLoader(str(templates_dir)), autoescape=html, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md"] = lambda value: escape_markdown(str(value))
    env.filters["thousands"] = lambda value: f"{int(value):,}".replace(",", " ")
    return env


def render_report(data: ReportData, out_dir: str | Path, templates_dir: str | Path | None = None) -> dict[str, Path]:
    """Write ``report.html`` (self-contained) and ``report.md`` (+ ``figures/*.png``).

    Args:
        data: What to report.
        out_dir: The run's output folder.
        templates_dir: Folder with ``report.html.j2`` and ``report.md.j2``; default: the
            repository's ``reports/templates``.

    Returns:
        "html" and "md" -> the reports, and "figure:<name>" -> each PNG.

    Raises:
        InvalidInput: The templates folder lacks a template.
    """
    folder = Path(templates_dir) if templates_dir is not None else DEFAULT_TEMPLATES
    for name in (HTML_TEMPLATE, MD_TEMPLATE):
        if not (folder / name).is_file():
            raise InvalidInput(f"report template {folder / name} not found; pass a templates folder that holds "
                               f"{HTML_TEMPLATE} and {MD_TEMPLATE}, or use the ones in reports/templates")
    out = Path(out_dir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    context = _context(data)
    written: dict[str, Path] = {}
    for figure in context["figures"].values():
        path = out / figure["path"]
        path.write_bytes(figure["png"])
        written[f"figure:{figure['name']}"] = path
    html_path, md_path = out / "report.html", out / "report.md"
    html_path.write_text(_environment(folder, html=True).get_template(HTML_TEMPLATE).render(context), encoding="utf-8")
    md_path.write_text(_environment(folder, html=False).get_template(MD_TEMPLATE).render(context), encoding="utf-8")
    return {"html": html_path, "md": md_path, **written}

