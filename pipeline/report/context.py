"""Turn ``ReportData`` into the values the report templates (and the DOCX writer) show."""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pandas as pd

from pipeline.analysis.matrices import CASE_ID, attribute_columns, crosstab_filename
from pipeline.analysis.code_source import CodeSource
from pipeline.report.figure_cache import FigureCache, figure_key
from pipeline.report.figures import as_data_uri, heatmap_png
from pipeline.report.framework import framework_matrix
from pipeline.report.matrix_files import matrix_folder
from pipeline.report.quote_chapter import case_sections
from pipeline.report.data import DocumentOverview, ReportData, as_overview

#: Above this many columns (and more columns than rows) a matrix table is turned on its side.
WIDE_COLUMNS = 12


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
#: ``disk`` (a ``FigureCache``) keeps them across processes, for the next run's report.
_FIGURE_CACHE: dict[str, bytes] = {}
_FIGURE_CACHE_SIZE = 64
_FIGURE_LOCK = threading.Lock()


def _figure(name: str, matrix: pd.DataFrame, title: str, share: bool, xlabel: str, ylabel: str,
            disk: FigureCache | None = None) -> dict[str, Any]:
    if matrix.shape[1] > 12 and matrix.shape[1] > matrix.shape[0]:
        # Forty codes side by side shrink to unreadable labels on a page: put them down the side.
        matrix, xlabel, ylabel = matrix.T, ylabel, xlabel
    value_format = "{:.0%}" if share else None
    key = figure_key(matrix, title=title, value_format=value_format, xlabel=xlabel, ylabel=ylabel)
    png = _FIGURE_CACHE.get(key)
    if disk is not None:
        png = disk.get(key) or png
    if png is None:
        png = heatmap_png(matrix, title, value_format=value_format, xlabel=xlabel, ylabel=ylabel, frames=disk)
    if disk is not None and key not in disk.found:
        disk.put(key, png)
    with _FIGURE_LOCK:  # figures are drawn in threads
        if key not in _FIGURE_CACHE:
            if len(_FIGURE_CACHE) >= _FIGURE_CACHE_SIZE:
                _FIGURE_CACHE.pop(next(iter(_FIGURE_CACHE)))
            _FIGURE_CACHE[key] = png
    return {"name": name, "png": png, "uri": as_data_uri(png), "path": f"figures/{name}.png", "title": title}


class _Figures:
    """The figures of one report: listed while the context is built, drawn together at the end.

    Each ``add`` returns the figure's entry at once (name, title, path); ``draw`` fills in its
    PNG bytes and data URI. Drawing is mostly PNG encoding, which runs outside the GIL, so the
    figures are drawn side by side (a report has three to six).
    """

    def __init__(self, disk: FigureCache | None):
        self.disk = disk
        self.entries: list[dict[str, Any]] = []
        self._pending: list[tuple[dict[str, Any], tuple[Any, ...]]] = []

    def add(self, name: str, matrix: pd.DataFrame, title: str, share: bool, xlabel: str,
            ylabel: str) -> dict[str, Any]:
        entry = {"name": name, "title": title, "path": f"figures/{name}.png"}
        self.entries.append(entry)
        self._pending.append((entry, (name, matrix, title, share, xlabel, ylabel)))
        return entry

    def draw(self) -> None:
        """Draw every figure added so far, side by side in threads."""
        def one(item: tuple[dict[str, Any], tuple[Any, ...]]) -> None:
            entry, args = item
            entry.update(_figure(*args, disk=self.disk))

        pending, self._pending = self._pending, []
        workers = min(len(pending), os.cpu_count() or 1, 4)
        if workers <= 1:
            for item in pending:
                one(item)
            return
        # Not overlapped with building the rest of the context: measured, the Python work and
        # the drawing then slow each other down more than they gain.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, pending))


def _case_attributes(cases: pd.DataFrame) -> tuple[list[str], dict[str, dict[str, str]]]:
    if CASE_ID not in cases.columns:
        return [], {}
    attributes = attribute_columns(cases)
    values = {}
    for row in cases.drop_duplicates(CASE_ID).to_dict("records"):
        values[str(row[CASE_ID])] = {a: "" if pd.isna(row[a]) else str(row[a]) for a in attributes}
    return attributes, values


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


def build_context(data: ReportData, figure_cache: FigureCache | None = None) -> dict[str, Any]:
    """Plain values for the templates (and the DOCX writer): tables, figures, quotes, chapters.

    Args:
        data: What to report.
        figure_cache: Where figures drawn for an earlier report can be found (and this report's
            are kept); default: figures are drawn (or reused from this process's memory).

    Returns:
        The template context; figures carry their PNG bytes and a data URI.
    """
    book, matrices = data.codebook, data.matrices
    documents = [as_overview(row) for row in data.documents]
    code_labels = {code.id: code.label for code in book.codes}
    theme_labels = {theme.id: theme.label for theme in book.themes}
    attributes, attribute_values = _case_attributes(data.cases)
    folder = matrix_folder(data.code_source.name)

    def source(path: str) -> str | None:
        # matrices/ counts machine proposals; a report on human or consensus codes points at the
        # files counted from those codes (matrices-human/ ..., written by `kwali report` beside it).
        return folder + path[len("matrices"):] if path.startswith("matrices/") else path

    figures = _Figures(figure_cache)
    figures.add("case_by_theme", matrices.case_by_theme["share"],
                "Aandeel segmenten per case en thema (share of segments, case × theme)", True, "thema", "case")
    figures.add("case_by_code", matrices.case_by_code["share"],
                "Aandeel segmenten per case en code (share of segments, case × code)", True, "code", "case")
    figures.add("cooccurrence_codes", matrices.cooccurrence_codes,
                "Co-occurrence van codes (segments carrying both codes)", False, "code", "code")
    by_attribute = data.crosstabs or ({matrices.attribute: matrices.crosstab}
                                      if matrices.attribute is not None and matrices.crosstab else {})
    crosstabs = []
    for i, (attribute, tables) in enumerate(by_attribute.items()):
        name = "crosstab" if i == 0 else f"crosstab_{crosstab_filename(attribute)[len('crosstab_'):-len('.csv')]}"
        figure = figures.add(name, tables["share"], f"Aandeel segmenten per {attribute} en thema "
                             f"(share, {attribute} × theme)", True, "thema", attribute)
        crosstabs.append({
            "attribute": attribute, "id": f"kruistabel-{i + 1}", "figure": figure,
            "share": _table(tables["share"], True, labels=theme_labels),
            "segments": _table(tables["segments"], False,
                               source(f"matrices/{crosstab_filename(attribute)}") if attribute == matrices.attribute
                               else None, theme_labels),
        })
    topics = _topics_view(data, figures)
    figures.draw()
    chapters = _chapters(bool(crosstabs), topics is not None)
    generated = data.generated_at
    generated_text = generated.isoformat(timespec="seconds") if isinstance(generated, datetime) else str(generated)
    speakers = {s for doc in documents for s in doc.speakers}
    quote_cases = case_sections(data.quotes, data.codebook, attribute_values)
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
        "figures": {f["name"]: f for f in figures.entries},
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
        "quote_no": {anchor: no for case in quote_cases for anchor, no in case.numbers.items()},
        "cases_without_quotes": [c["case_id"] for c in case_rows
                                 if c["case_id"] not in {q.case_id for q in quote_cases}],
        "skipped": data.skipped,
        "uncased": data.uncased,
    }


def _topics_view(data: ReportData, figures: _Figures) -> dict[str, Any] | None:
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
        view["figure"] = figures.add("case_by_topic", data.case_by_topic,
                                     "Segmenten per case en topic (segments, case × topic)", False, "topic", "case")
    return view
