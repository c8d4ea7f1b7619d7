"""Render a run's report as one self-contained HTML file and a Markdown file with PNG figures.

The templates (Jinja2, in ``reports/templates``) decide the layout; this module only prepares
plain values for them: formatted table cells, figure URIs, quotes with escaped and highlighted
text. HTML templates are autoescaped; the only markup that bypasses escaping is the quote text
from ``mark_evidence``, which escapes every piece of interview text itself.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from pipeline.analysis.quotes import escape_markdown
from pipeline.errors import InvalidInput
# ReportData and friends are re-exported: callers import them from here with render_report.
from pipeline.report.context import build_context
from pipeline.report.figure_cache import FigureCache
from pipeline.report.quote_chapter import render_parts
from pipeline.report.data import DocumentOverview, ReportData, as_overview, document_overview  # noqa: F401

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "reports" / "templates"
HTML_TEMPLATE = "report.html.j2"
MD_TEMPLATE = "report.md.j2"
FORMATS = ("html", "md", "docx", "pdf")


@lru_cache(maxsize=16)
def _environment(templates_dir: Path, html: bool) -> Environment:
    # Cached: compiling the templates took ~0.3 s per report. Jinja still checks each template
    # file's modification time on use (auto_reload), so an edited template is picked up.
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
    env = _environment(folder, html=True)
    # Case parts of the quotes chapter that no kept copy supplied (see ``render_report``).
    render_parts([case for case in context["quote_cases"] if "html" not in case.rendered], env, "html")
    return env.get_template(HTML_TEMPLATE).render(context)


def render_report(data: ReportData, out_dir: str | Path, templates_dir: str | Path | None = None,
                  formats: tuple[str, ...] | list[str] = ("html", "md"), basename: str = "report",
                  figure_cache: str | Path | None = None, quote_cache: str | Path | None = None) -> dict[str, Path]:
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
        figure_cache: Folder where figures are kept by what they draw (see
            ``pipeline.report.figure_cache``): unchanged figures are not drawn again, and the
            folder is left holding this report's figures only. Default: no folder.
        quote_cache: Folder where each case's part of the quotes chapter is kept by what it
            shows (see ``pipeline.report.quote_chapter``): only changed cases are rendered
            again. Default: no folder.

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
    cache = FigureCache(figure_cache) if figure_cache is not None else None
    context = build_context(data, cache)
    if cache is not None:
        cache.keep_only_used()
    written: dict[str, Path] = {}
    if "md" in formats:
        # Only the Markdown report links its figures as files; the others embed them.
        (out / "figures").mkdir(parents=True, exist_ok=True)
        for figure in context["figures"].values():
            path = out / figure["path"]
            path.write_bytes(figure["png"])
            written[f"figure:{figure['name']}"] = path
    if {"html", "pdf"} & set(formats):
        render_parts(context["quote_cases"], _environment(folder, html=True), "html", quote_cache)
    if "md" in formats:
        render_parts(context["quote_cases"], _environment(folder, html=False), "md", quote_cache)
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
