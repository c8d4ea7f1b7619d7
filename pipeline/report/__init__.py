"""Reports: heatmap figures and the HTML/Markdown report of a run."""

from pipeline.report.figures import as_data_uri, heatmap_png
from pipeline.report.render import DocumentOverview, ReportData, as_overview, document_overview, render_report

__all__ = [
    "DocumentOverview",
    "ReportData",
    "as_data_uri",
    "as_overview",
    "document_overview",
    "heatmap_png",
    "render_report",
]
