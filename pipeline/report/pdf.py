"""The PDF report: the self-contained HTML report laid out for A4 by WeasyPrint.

The layout lives in the stylesheet (``_style.css.j2``): its ``@media print`` rules and ``@page``
box (A4, margins, page numbers, a page break before each chapter) apply here and when a reader
prints the HTML from a browser, so the two never drift apart. The HTML holds its figures as data
URIs and names no remote resource; a URL fetcher that allows only ``data:`` URLs makes sure that
rendering the PDF never touches the network or the file system.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import InvalidInput


def write_pdf(html: str, path: str | Path) -> Path:
    """Render report HTML to a PDF file.

    Args:
        html: The HTML report (``render_html``).
        path: The PDF to write.

    Returns:
        ``path``.

    Raises:
        InvalidInput: WeasyPrint or the libraries it needs (Pango) are not installed.
    """
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:  # OSError: Pango missing from the system
        raise InvalidInput(
            f"PDF reports need WeasyPrint and Pango ({exc}); install them with "
            "`pip install weasyprint==70.0` and `apt-get install libpango-1.0-0 libpangoft2-1.0-0`, "
            "or choose --format html and print that to PDF from a browser") from None
    target = Path(path)
    HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf(target)
    return target
