"""The quotes chapter, case by case: each case's part is rendered once for what it shows.

The quotes chapter is most of a report (three quotes per case and code: 2,700 quotes in a study
of fifty interviews), and a re-run after one edited transcript changes one case's part of it.
Each case's part is therefore rendered on its own (templates ``_quote_case.html.j2`` and
``_quote_case.md.j2``) and kept on disk under a hash of everything it shows: its number, case id
and attributes, the codes and themes with their labels, every field of every quote, the template
text and the code that prepares the quotes. A hit gives the text a fresh render would.

Quotes are numbered per case ("C8.3": case 8, quote 3), so that one case gaining a quote does
not renumber, and so re-render, every case after it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from pipeline.analysis import quotes as quotes_module
from pipeline.analysis.quotes import Quote, mark_evidence
from pipeline.codebook import Code, Codebook, Theme
from pipeline.report.figure_cache import FigureCache
from pipeline.report.framework import quote_anchor

#: Where a study's output folder keeps the rendered parts.
CACHE_DIR = Path(".kwali-cache") / "quotes"
TEMPLATES = {"html": "_quote_case.html.j2", "md": "_quote_case.md.j2"}
POLARITY_LABELS = {"positive": "positief (positive)", "negative": "negatief (negative)"}


def quote_view(quote: Quote, number: str) -> dict[str, Any]:
    """What the templates show of one quote: highlighted text (HTML and Markdown) and its details."""
    markdown = mark_evidence(quote.text, quote.evidence, "markdown")
    return {
        "q": quote,
        "no": number,
        "anchor": quote_anchor(quote),
        "html": Markup(mark_evidence(quote.text, quote.evidence, "html")),
        # Every line of a multi-line quote must stay inside the Markdown blockquote.
        "md": "> " + markdown.replace("\n", "\n> "),
        "position": f"{quote.document_id}, tekens {quote.start}–{quote.end}",
        "polarity_label": POLARITY_LABELS.get(quote.polarity, quote.polarity),
        "negations": sorted({e["negated_by"] for e in quote.evidence if e.get("negated_by")}),
        "patterns": sorted({str(e["pattern"]) for e in quote.evidence if e.get("pattern")}),
    }


class CaseQuotes:
    """One case's part of the quotes chapter.

    Templates read ``case.no``, ``case.case_id``, ``case.attributes``, ``case.codes`` (code,
    theme and quote views per code) and the rendered part ``case.html`` / ``case.md``; the
    DOCX writer reads the same as ``case["codes"]``. Quote views are made on first use only,
    so a case whose rendered part is cached costs no highlighting.
    """

    def __init__(self, no: int, case_id: str, attributes: dict[str, str],
                 groups: list[tuple[Code, Theme, list[Quote]]]):
        self.no = no
        self.case_id = case_id
        self.attributes = attributes
        self._groups = groups
        self._codes: list[dict[str, Any]] | None = None
        self.rendered: dict[str, str] = {}
        self._key: str | None = None
        #: Quote anchor -> its number ("8.3"), for references from the framework matrix.
        self.numbers: dict[str, str] = {}
        for _, _, found in groups:
            for quote in found:
                self.numbers[quote_anchor(quote)] = f"{no}.{len(self.numbers) + 1}"

    @property
    def codes(self) -> list[dict[str, Any]]:
        if self._codes is None:
            self._codes = [{"code": code, "theme": theme,
                            "quotes": [quote_view(q, self.numbers[quote_anchor(q)]) for q in found]}
                           for code, theme, found in self._groups]
        return self._codes

    @property
    def html(self) -> Markup:
        return Markup(self.rendered.get("html", ""))

    @property
    def md(self) -> str:
        return self.rendered.get("md", "")

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def content_key(self) -> str:
        """Hash of everything this part shows (not yet of the template that shows it)."""
        if self._key is None:
            self._key = self._content_key()
        return self._key

    def _content_key(self) -> str:
        digest = hashlib.sha256(_code_version().encode("utf-8"))
        digest.update(repr((self.no, self.case_id, sorted(self.attributes.items()))).encode("utf-8"))
        for code, theme, found in self._groups:
            digest.update(repr((code.id, code.label, theme.id, theme.label)).encode("utf-8"))
            for quote in found:
                digest.update(repr(quote).encode("utf-8"))  # every field, evidence included
        return digest.hexdigest()


@lru_cache(maxsize=1)
def _code_version() -> str:
    # The code that turns quotes into what the templates show (highlighting, these views, the
    # templates' filters in render.py): a change to it renders every part again.
    digest = hashlib.sha256()
    for path in (Path(quotes_module.__file__), Path(__file__), Path(__file__).with_name("render.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def case_sections(quotes: list[Quote], codebook: Codebook, attributes: dict[str, dict[str, str]]) -> list[CaseQuotes]:
    """The chapter's cases in order (by case id), codes in codebook order, quotes by rank."""
    themes = {code.id: theme for theme in codebook.themes for code in theme.codes}
    grouped: dict[str, dict[str, list[Quote]]] = {}
    for quote in quotes:
        grouped.setdefault(quote.case_id, {}).setdefault(quote.code_id, []).append(quote)
    sections = []
    for no, case_id in enumerate(sorted(grouped, key=str), start=1):
        groups = [(code, themes[code.id], sorted(grouped[case_id][code.id], key=lambda q: q.rank))
                  for code in codebook.codes if code.id in grouped[case_id]]
        sections.append(CaseQuotes(no, case_id, attributes.get(case_id, {}), groups))
    return sections


def render_parts(sections: list[CaseQuotes], env: Environment, fmt: str, cache_dir: str | Path | None = None) -> int:
    """Render each case's part in ``fmt`` ("html" or "md"), reusing parts kept in ``cache_dir``.

    Args:
        sections: From ``case_sections``; each gets ``rendered[fmt]``.
        env: The Jinja environment of that format (its loader decides which template is used:
            a study's own ``_quote_case.*.j2`` or the default).
        fmt: "html" or "md".
        cache_dir: Folder of kept parts; None renders every part. Parts this render did not use
            are removed from it afterwards.

    Returns:
        How many parts were rendered (the rest came from the folder).
    """
    name = TEMPLATES[fmt]
    source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    template = env.get_template(name)
    template_sha = hashlib.sha256(f"{fmt}\0{source}".encode("utf-8")).hexdigest()
    cache = FigureCache(Path(cache_dir) / fmt, suffix=f".{fmt}") if cache_dir is not None else None
    rendered = 0
    for section in sections:
        key = hashlib.sha256(f"{template_sha}{section.content_key()}".encode("utf-8")).hexdigest()
        kept = cache.get(key) if cache is not None else None
        if kept is not None:
            section.rendered[fmt] = kept.decode("utf-8")
            continue
        section.rendered[fmt] = template.render(case=section)
        rendered += 1
        if cache is not None:
            cache.put(key, section.rendered[fmt].encode("utf-8"))
    if cache is not None:
        cache.keep_only_used()
    return rendered
