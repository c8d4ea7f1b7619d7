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
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from pipeline import __version__
from pipeline.analysis.matrices import CASE_ID, Matrices, attribute_columns, crosstab_filename
from pipeline.analysis.code_source import CodeSource
from pipeline.analysis.quotes import Quote, escape_markdown, mark_evidence
from pipeline.codebook import Codebook
from pipeline.errors import InvalidInput
from pipeline.models import SkippedFile
from pipeline.report.figures import as_data_uri, heatmap_png
from pipeline.report.framework import framework_matrix, quote_anchor

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "reports" / "templates"
HTML_TEMPLATE = "report.html.j2"
MD_TEMPLATE = "report.md.j2"
FORMATS = ("html", "md", "docx", "pdf")
#: Above this many columns (and more columns than rows) a matrix table is turned on its side.
WIDE_COLUMNS = 12
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
        crosstabs: Attribute -> measure ("segments", "share") -> value x theme, one per case
            attribute; default: the one crosstab in ``matrices``.
        code_source: Which codes the numbers count (machine proposals or human decisions).
        decision_counts: Current human decisions per coder (``agreement.decision_counts``);
            None or empty when there are none.
        agreement: Agreement per code and coder pair (``agreement.code_agreement``); shown
            when decisions by two or more coders exist.
        topics: Topic model output (one row per topic, any columns); the topics chapter is
            shown only when this is given and not empty.
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
    crosstabs: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)
    code_source: CodeSource = field(default_factory=lambda: CodeSource("machine"))
    decision_counts: pd.DataFrame | None = None
    agreement: pd.DataFrame | None = None
    topics: pd.DataFrame | None = None
    case_by_topic: pd.DataFrame | None = None


# --- values for the templates ----------------------------------------------------------------


def _table(matrix: pd.DataFrame, share: bool, source: str | None = None,
           labels: dict[str, str] | None = None, turn_wide: bool = False) -> dict[str, Any]:
    """A matrix as header and rows of formatted cells; ``alpha`` shades share cells.

    With ``turn_wide``, a matrix with many more columns than rows (forty codes across four
    cases) is transposed, so it runs down a page instead of off its edge.
    """
    labels = labels or {}
    transposed = turn_wide and matrix.shape[1] > WIDE_COLUMNS and matrix.shape[1] > matrix.shape[0]
    if transposed:
        matrix = matrix.T
    top = float(matrix.to_numpy().max()) if matrix.size else 0.0
    rows = []
    for label, values in zip(matrix.index, matrix.to_numpy()):
        cells = []
        for value in values:
            text = f"{value:.1%}" if share else f"{int(value)}"
            # Capped below 1 so that the darkest cell still reads as shading, not a filled block.
            alpha = round(0.85 * float(value) / top, 2) if share and top > 0 else 0.0
            cells.append({"text": text, "alpha": alpha})
        rows.append({"label": str(label), "title": labels.get(str(label), str(label)), "cells": cells})
    return {
        "index_name": str(matrix.index.name or ""),
        "columns": [{"id": str(c), "label": labels.get(str(c), str(c))} for c in matrix.columns],
        "rows": rows,
        "source": source,
        "transposed": transposed,
        "wide": matrix.shape[1] > WIDE_COLUMNS,
    }


#: PNGs of recently drawn figures by their content: drawing is most of a report's render time,
#: and a run's report re-rendered in the same process (other formats, other codes) reuses them.
_FIGURE_CACHE: dict[tuple[Any, ...], bytes] = {}
_FIGURE_CACHE_SIZE = 64


def _figure(name: str, matrix: pd.DataFrame, title: str, share: bool, xlabel: str, ylabel: str) -> dict[str, Any]:
    if matrix.shape[1] > 12 and matrix.shape[1] > matrix.shape[0]:
        # Forty codes side by side shrink to unreadable labels on a page: put them down the side.
        matrix, xlabel, ylabel = matrix.T, ylabel, xlabel
    key = (title, share, xlabel, ylabel, matrix.to_csv())
    png = _FIGURE_CACHE.get(key)
    if png is None:
        png = heatmap_png(matrix, title, value_format="{:.0%}" if share else None, xlabel=xlabel, ylabel=ylabel)
        if len(_FIGURE_CACHE) >= _FIGURE_CACHE_SIZE:
            _FIGURE_CACHE.pop(next(iter(_FIGURE_CACHE)))
        _FIGURE_CACHE[key] = png
    return {"name": name, "png": png, "uri": as_data_uri(png), "path": f"figures/{name}.png", "title": title}


def _quote_view(quote: Quote) -> dict[str, Any]:
    markdown = mark_evidence(quote.text, quote.evidence, "markdown")
    return {
        "q": quote,
        "anchor": quote_anchor(quote),
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
    # Quotes are numbered through the chapter, so the framework matrix can cite them as "C12".
    number = 0
    for section in sections:
        for entry in section["codes"]:
            for view in entry["quotes"]:
                number += 1
                view["no"] = number
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


def _chapters(has_crosstabs: bool, has_topics: bool) -> list[dict[str, Any]]:
    """Numbered chapters in reading order; optional ones only when they have content."""
    entries = [
        ("summary", "samenvatting", "Samenvatting", "summary"),
        ("corpus", "corpus", "Corpus", "corpus overview"),
        ("codebook", "codeboek", "Codeboek", "codebook"),
        ("case_theme", "case-thema", "Case × thema", "case × theme"),
        ("case_code", "case-code", "Case × code", "case × code"),
        ("framework", "vergelijking", "Vergelijking van cases", "framework matrix"),
        ("cooccurrence", "co-occurrence", "Samen voorkomen van codes", "co-occurrence"),
    ]
    if has_crosstabs:
        entries.append(("crosstabs", "kruistabellen", "Kruistabellen naar casekenmerk", "crosstabs by case attribute"))
    if has_topics:
        entries.append(("topics", "topics", "Onderwerpen", "topics"))
    entries.append(("quotes", "citaten", "Citaten per case", "quotes per case"))
    return [{"key": key, "id": anchor, "no": i, "nl": nl, "en": en}
            for i, (key, anchor, nl, en) in enumerate(entries, start=1)]


def _code_source_view(source: CodeSource) -> dict[str, Any]:
    if source.name == "machine" or source.decisions == 0:
        fallback = "" if source.name == "machine" else (
            f" Er zijn geen {'consensus' if source.name == 'consensus' else 'menselijke'}beslissingen vastgelegd, "
            "dus ook hier tellen de machinevoorstellen (no decisions recorded: machine proposals are counted).")
        return {"name": source.name, "human": False,
                "nl": "machinevoorstellen: door Kwali voorgesteld en (nog) niet door een onderzoeker beoordeeld"
                      + fallback,
                "en": "machine proposals, not yet reviewed"}
    which = "consensusbeslissingen" if source.name == "consensus" else "menselijke beslissingen"
    coders = ", ".join(source.coders)
    return {"name": source.name, "human": True,
            "nl": (f"{which} waar die er zijn ({source.decisions} beslissingen van {coders} over "
                   f"{source.decided_pairs} segment-codeparen, waarvan {source.applied} toegekend); "
                   "elders machinevoorstellen"),
            "en": (f"current {'consensus' if source.name == 'consensus' else 'human'} decisions where they exist, "
                   "machine proposals elsewhere")}


def _number(value: Any, pattern: str) -> str:
    return "—" if value is None or pd.isna(value) else pattern.format(value)


def _reliability(data: ReportData, code_labels: dict[str, str]) -> dict[str, Any] | None:
    counts = data.decision_counts
    if counts is None or counts.empty:
        return None
    agreement = data.agreement if data.agreement is not None else pd.DataFrame()
    rows = [{"code_id": r["code_id"], "label": code_labels.get(r["code_id"], r["code_id"]),
             "pair": f"{r['coder_a']} × {r['coder_b']}", "units": int(r["units"]),
             "applied_a": int(r["applied_a"]), "applied_b": int(r["applied_b"]), "both": int(r["both"]),
             "agreement": _number(r["percent_agreement"], "{:.0%}"), "kappa": _number(r["cohen_kappa"], "{:.2f}")}
            for r in agreement.to_dict("records")]
    summary = None
    if not agreement.empty:
        summary = {"agreement": _number(agreement["percent_agreement"].mean(), "{:.0%}"),
                   "kappa": _number(agreement["cohen_kappa"].mean(), "{:.2f}"),
                   "codes": agreement["code_id"].nunique(),
                   "undefined": int(agreement["cohen_kappa"].isna().sum())}
    return {"coders": counts.to_dict("records"), "total": int(counts["decisions"].sum()),
            "agreement": rows, "summary": summary}


def _top_pairs(matrix: pd.DataFrame, labels: dict[str, str], limit: int = 15) -> list[dict[str, Any]]:
    pairs = []
    keys = list(matrix.columns)
    values = matrix.to_numpy()
    for i, a in enumerate(keys):
        for j in range(i + 1, len(keys)):
            if values[i, j] > 0:
                pairs.append({"a": str(a), "a_label": labels.get(str(a), str(a)), "b": str(keys[j]),
                              "b_label": labels.get(str(keys[j]), str(keys[j])), "n": int(values[i, j])})
    return sorted(pairs, key=lambda p: (-p["n"], p["a"], p["b"]))[:limit]


def build_context(data: ReportData) -> dict[str, Any]:
    """Plain values for the templates (and the DOCX writer): tables, figures, quotes, chapters.

    Args:
        data: What to report.

    Returns:
        The template context; figures carry their PNG bytes and a data URI.
    """
    book, matrices = data.codebook, data.matrices
    documents = [as_overview(row) for row in data.documents]
    code_labels = {code.id: code.label for code in book.codes}
    theme_labels = {theme.id: theme.label for theme in book.themes}
    attributes, attribute_values = _case_attributes(data.cases)
    machine = data.code_source.name == "machine"

    def source(path: str) -> str | None:
        # Matrix files are written from machine proposals; a report on human codes must not
        # point at them as the source of its numbers.
        return path if machine else None

    figures = [
        _figure("case_by_theme", matrices.case_by_theme["share"],
                "Aandeel segmenten per case en thema (share of segments, case × theme)", True, "thema", "case"),
        _figure("case_by_code", matrices.case_by_code["share"],
                "Aandeel segmenten per case en code (share of segments, case × code)", True, "code", "case"),
        _figure("cooccurrence_codes", matrices.cooccurrence_codes,
                "Co-occurrence van codes (segments carrying both codes)", False, "code", "code"),
    ]
    by_attribute = data.crosstabs or ({matrices.attribute: matrices.crosstab}
                                      if matrices.attribute is not None and matrices.crosstab else {})
    crosstabs = []
    for i, (attribute, tables) in enumerate(by_attribute.items()):
        name = "crosstab" if i == 0 else f"crosstab_{crosstab_filename(attribute)[len('crosstab_'):-len('.csv')]}"
        figure = _figure(name, tables["share"], f"Aandeel segmenten per {attribute} en thema "
                         f"(share, {attribute} × theme)", True, "thema", attribute)
        figures.append(figure)
        crosstabs.append({
            "attribute": attribute, "id": f"kruistabel-{i + 1}", "figure": figure,
            "share": _table(tables["share"], True, labels=theme_labels),
            "segments": _table(tables["segments"], False,
                               source(f"matrices/{crosstab_filename(attribute)}") if attribute == matrices.attribute
                               else None, theme_labels),
        })
    topics = _topics_view(data, figures)
    chapters = _chapters(bool(crosstabs), topics is not None)
    generated = data.generated_at
    generated_text = generated.isoformat(timespec="seconds") if isinstance(generated, datetime) else str(generated)
    speakers = {s for doc in documents for s in doc.speakers}
    quote_cases = _quotes_by_case(data, attribute_values)
    case_rows = _cases_table(documents, attributes, attribute_values)
    return {
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
                                          source("matrices/case_by_theme.xlsx, sheet share"), theme_labels),
            "case_by_theme_segments": _table(matrices.case_by_theme["segments"], False,
                                             source("matrices/case_by_theme.csv"), theme_labels),
            "case_by_code_share": _table(matrices.case_by_code["share"], True,
                                         source("matrices/case_by_code.xlsx, sheet share"), code_labels, True),
            "case_by_code_segments": _table(matrices.case_by_code["segments"], False,
                                            source("matrices/case_by_code.csv"), code_labels, True),
            "cooccurrence_codes": _table(matrices.cooccurrence_codes, False,
                                         source("matrices/cooccurrence_codes.csv"), code_labels),
            "cooccurrence_themes": _table(matrices.cooccurrence_themes, False,
                                          source("matrices/cooccurrence_themes.csv"), theme_labels),
        },
        "cooccurrence_pairs": _top_pairs(matrices.cooccurrence_codes, code_labels),
        # Kept for templates written before there was one crosstab per attribute.
        "crosstab": crosstabs[0] if crosstabs else None,
        "crosstabs": crosstabs,
        "framework": framework_matrix(data.quotes, matrices.case_by_code["segments"], book),
        "code_labels": code_labels,
        "code_source": _code_source_view(data.code_source),
        "reliability": _reliability(data, code_labels),
        "topics": topics,
        "chapters": chapters,
        "chapter": {c["key"]: c for c in chapters},
        "quote_cases": quote_cases,
        "quote_no": {v["anchor"]: v["no"] for case in quote_cases for entry in case["codes"] for v in entry["quotes"]},
        "cases_without_quotes": [c["case_id"] for c in case_rows
                                 if c["case_id"] not in {q["case_id"] for q in quote_cases}],
        "skipped": data.skipped,
        "uncased": data.uncased,
    }


def _topics_view(data: ReportData, figures: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The topics chapter: topic table, case x topic heatmap, example quotes (None without topics)."""
    if data.topics is None or data.topics.empty:
        return None
    def cell(row: Any, name: str) -> str:
        value = getattr(row, name, "")
        return "" if pd.isna(value) else str(value)

    # Any topic table with an id, label, size and terms renders; the coverage columns are optional.
    rows = []
    for r in data.topics.itertuples():
        share = cell(r, "best_share")
        rows.append({"id": cell(r, "topic_id"), "label": cell(r, "label"), "size": cell(r, "size"),
                     "terms": cell(r, "top_terms"), "best_code": cell(r, "best_code"),
                     "best_share": f"{float(share):.0%}" if share else "",
                     "candidate": cell(r, "candidate_new_code").lower() in ("true", "1"),
                     "quotes": [q for q in cell(r, "example_quotes").split(" | ") if q]})
    view: dict[str, Any] = {"rows": rows, "candidates": [r for r in rows if r["candidate"]], "figure": None}
    if data.case_by_topic is not None and not data.case_by_topic.empty:
        figure = _figure("case_by_topic", data.case_by_topic, "Segmenten per case en topic (segments, case × topic)",
                         False, "topic", "case")
        figures.append(figure)
        view["figure"] = figure
    return view


def _environment(templates_dir: Path, html: bool) -> Environment:
    # A study's own folder comes first; any template it lacks falls back to the defaults, so a
    # researcher can override one file (the stylesheet, say) and keep the rest.
    loader = ChoiceLoader([FileSystemLoader(str(templates_dir)), FileSystemLoader(str(DEFAULT_TEMPLATES))])
    env = Environment(loader=loader, autoescape=html, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md"] = lambda value: escape_markdown(str(value))
    env.filters["thousands"] = lambda value: f"{int(value):,}".replace(",", " ")
    env.filters["css_string"] = _css_string
    return env


def _css_string(value: Any) -> Markup:
    """Text for inside a quoted CSS string in a <style> block: anything but letters, digits and
    a few safe characters becomes a CSS escape, so no study name can end the string or the block."""
    safe = set(" -_.,·()")
    return Markup("".join(c if c.isalnum() or c in safe else f"\\{ord(c):x} " for c in str(value)))


def templates_folder(templates_dir: str | Path | None) -> Path:
    """Check a study's templates folder (``None``: the defaults).

    A folder may hold any subset of the default templates; the rest come from
    ``reports/templates``. A folder that does not exist or holds no template at all is most
    likely a typo, so it is an error rather than a silent fallback.

    Raises:
        InvalidInput: The folder is missing or holds no ``*.j2`` file.
    """
    if templates_dir is None:
        return DEFAULT_TEMPLATES
    folder = Path(templates_dir)
    if not folder.is_dir() or not any(folder.glob("*.j2")):
        raise InvalidInput(f"report templates folder {folder} {'holds no *.j2 template' if folder.is_dir() else 'not found'}; "
                           f"give a folder with your own {HTML_TEMPLATE}, {MD_TEMPLATE} or _style.css.j2 (any "
                           "you leave out come from reports/templates)")
    return folder


def render_html(context: dict[str, Any], templates_dir: str | Path | None = None) -> str:
    """The HTML report as a string (self-contained: inline CSS, figures as data URIs)."""
    folder = templates_folder(templates_dir)
    return _environment(folder, html=True).get_template(HTML_TEMPLATE).render(context)


def render_report(data: ReportData, out_dir: str | Path, templates_dir: str | Path | None = None,
                  formats: tuple[str, ...] | list[str] = ("html", "md"), basename: str = "report") -> dict[str, Path]:
    """Write the report in the given formats.

    ``html`` is one self-contained file; ``md`` comes with ``figures/*.png`` beside it; ``docx``
    is a Word document with real headings, tables and captioned figures; ``pdf`` is the HTML
    laid out for A4 print.

    Args:
        data: What to report.
        out_dir: The run's output folder.
        templates_dir: Folder with the study's own templates (``report.html.j2``,
            ``report.md.j2``, ``_style.css.j2``...); each one it lacks comes from
            ``reports/templates``. Default: only ``reports/templates``.
        formats: Any of ``FORMATS``.
        basename: File name stem of the reports.

    Returns:
        Format ("html", "md", "docx", "pdf") -> the report, and "figure:<name>" -> each PNG.

    Raises:
        InvalidInput: The templates folder is missing or holds no template.
        ValueError: Unknown format.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown report format(s) {unknown}; choose from {list(FORMATS)}")
    folder = templates_folder(templates_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    context = build_context(data)
    written: dict[str, Path] = {}
    if "md" in formats:
        # Only the Markdown report links its figures as files; the others embed them.
        (out / "figures").mkdir(parents=True, exist_ok=True)
        for figure in context["figures"].values():
            path = out / figure["path"]
            path.write_bytes(figure["png"])
            written[f"figure:{figure['name']}"] = path
    html = render_html(context, folder) if {"html", "pdf"} & set(formats) else ""
    if "html" in formats:
        written["html"] = out / f"{basename}.html"
        written["html"].write_text(html, encoding="utf-8")
    if "md" in formats:
        written["md"] = out / f"{basename}.md"
        written["md"].write_text(_environment(folder, html=False).get_template(MD_TEMPLATE).render(context),
                                 encoding="utf-8")
    if "docx" in formats:
        from pipeline.report.docx import write_docx  # python-docx only when asked for

        written["docx"] = write_docx(context, out / f"{basename}.docx")
    if "pdf" in formats:
        from pipeline.report.pdf import write_pdf  # WeasyPrint only when asked for

        written["pdf"] = write_pdf(html, out / f"{basename}.pdf")
    return written
