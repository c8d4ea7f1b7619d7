"""The report: both files written, HTML self-contained and escaped, Markdown with tables."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timezone

import pandas as pd
import pytest

from pipeline.analysis.matrices import build_matrices
from pipeline.analysis.quotes import strongest_quotes
from pipeline.codebook import load_codebook
from pipeline.errors import InvalidInput
from pipeline.models import SkippedFile
from pipeline.report.figures import as_data_uri, heatmap_png
from pipeline.report.render import ReportData, document_overview, render_report

CODEBOOK_YAML = """\
id: wijk
label: Wijkeconomie
version: 2
themes:
  - id: trust
    label: Vertrouwen
    definition: Vertrouwen tussen ondernemers.
    codes:
      - {id: trust.general, label: Vertrouwen, definition: Iemand vertrouwen.}
  - id: time
    label: Tijd
    definition: Tijdsbesef.
    codes:
      - {id: time.long, label: Lange termijn, definition: Jaren vooruit denken.}
"""
SCRIPT = "<script>alert(1)</script>"
TEXT_A = "Ik vertrouw mijn buren, echt waar."
TEXT_B = f"Hij typte {SCRIPT} in de chat en vertrouwen was weg."
TEXT_C = "Over tien jaar zitten we hier nog."


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> ReportData:
    tmp_path = tmp_path_factory.mktemp("codebook")
    (tmp_path / "cb.yaml").write_text(CODEBOOK_YAML, encoding="utf-8")
    codebook = load_codebook(tmp_path / "cb.yaml")
    segments = pd.DataFrame(
        [("s1", "interview_01.txt", "c1", "R", 1200, 1200 + len(TEXT_A), TEXT_A, 6),
         ("s2", "interview_01.txt", "c1", "R", 1300, 1300 + len(TEXT_B), TEXT_B, 9),
         ("s3", "interview_02.txt", "c2", None, 0, len(TEXT_C), TEXT_C, 7)],
        columns=["segment_id", "document_id", "case_id", "speaker", "start", "end", "text", "n_words"])
    at = TEXT_B.index("vertrouwen")
    tags = pd.DataFrame(
        [("s1", "trust.general", "trust", 0.9, "rules", "positive",
          [{"text": "vertrouw", "start": 3, "end": 11, "pattern": "vertrouwen", "negated_by": None}]),
         ("s2", "trust.general", "trust", 0.8, "rules", "negative",
          [{"text": "vertrouwen", "start": at, "end": at + 10, "pattern": "vertrouwen", "negated_by": "weg"}]),
         ("s3", "time.long", "time", 0.7, "rules", "positive", [])],
        columns=["segment_id", "code_id", "theme_id", "score", "method", "polarity", "evidence"])
    cases = pd.DataFrame({"case_id": ["c1", "c2"], "city": ["Utrecht", "Zwolle"]})
    documents = pd.DataFrame({"document_id": ["interview_01.txt", "interview_02.txt"], "case_id": ["c1", "c2"],
                              "format": ["txt", "docx"], "n_words": [15, 7]})
    return ReportData(
        study="Wijkeconomie Utrecht", codebook=codebook,
        matrices=build_matrices(segments, tags, cases, codebook),
        quotes=strongest_quotes(segments, tags, per_code=3, codebook=codebook),
        documents=document_overview(documents, segments), cases=cases,
        generated_at=datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc),
        config={"corpus": "corpora/demo", "store_url": "https://voorbeeld.invalid/db"},
        skipped=[SkippedFile("scan.pdf", "PDF has no text layer; OCR it first")],
        uncased=["losse_notitie.txt"], methods={"taggers": "rules"},
    )


@pytest.fixture(scope="module")
def rendered(data, tmp_path_factory):
    # Rendered once for the module: drawing the figures is the slow part.
    out = tmp_path_factory.mktemp("run") / "report"
    return render_report(data, out), out


def test_render_report_writes_html_markdown_and_figures(rendered):
    paths, out = rendered
    assert paths["html"] == out / "report.html" and paths["md"] == out / "report.md"
    assert paths["html"].stat().st_size > 0 and paths["md"].stat().st_size > 0
    for name in ("case_by_theme", "case_by_code", "cooccurrence_codes", "crosstab"):
        figure = paths[f"figure:{name}"]
        assert figure == out / "figures" / f"{name}.png"
        assert figure.read_bytes().startswith(b"\x89PNG")


def test_html_is_self_contained(rendered):
    html = rendered[0]["html"].read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.IGNORECASE)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    images = re.findall(r'<img src="([^"]+)"', html)
    assert len(images) == 4 and all(src.startswith("data:image/png;base64,") for src in images)


def test_html_escapes_quote_text_and_highlights_evidence(rendered):
    html = rendered[0]["html"].read_text(encoding="utf-8")
    assert SCRIPT not in html and "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<mark>vertrouwen</mark> was weg" in html
    assert "Ik <mark>vertrouw</mark> mijn buren" in html


def test_html_traces_quotes_to_segment_document_and_span(rendered):
    html = rendered[0]["html"].read_text(encoding="utf-8")
    assert f"interview_01.txt, tekens 1200–{1200 + len(TEXT_A)}" in html
    assert re.search(r'segment <span class="id">s2</span>', html)
    assert "negatief (negative)" in html and "spreker onbekend" in html


def test_html_has_contents_and_methods_appendix(rendered, data):
    html = rendered[0]["html"].read_text(encoding="utf-8")
    assert '<nav class="toc"' in html and 'href="#methoden"' in html
    assert data.codebook.sha256() in html
    assert "scan.pdf" in html and "OCR it first" in html and "losse_notitie.txt" in html
    assert "&#34;corpus&#34;: &#34;corpora/demo&#34;" in html or "&quot;corpus&quot;" in html


def test_markdown_contains_tables_figures_and_escaped_quotes(rendered):
    md = rendered[0]["md"].read_text(encoding="utf-8")
    assert "| case | trust | time |\n|---|---:|---:|\n| c1 | 2 | 0 |\n| c2 | 0 | 1 |" in md
    assert "| case | trust.general | time.long |\n|---|---:|---:|\n| c1 | 100.0% | 0.0% |" in md
    assert "| city | trust | time |" in md
    assert "![Aandeel segmenten per case en thema](figures/case_by_theme.png)" in md
    assert SCRIPT not in md and r"\<script\>alert(1)\</script\>" in md
    assert "> Ik **vertrouw** mijn buren, echt waar." in md
    assert "segment `s1`" in md


def test_other_templates_dir_overrides_layout(data, tmp_path):
    custom = tmp_path / "templates"
    custom.mkdir()
    (custom / "report.html.j2").write_text("<p>{{ study }}: {{ quote_cases | length }}</p>", encoding="utf-8")
    (custom / "report.md.j2").write_text("# {{ study | md }}", encoding="utf-8")
    paths = render_report(data, tmp_path / "out", templates_dir=custom)
    assert paths["html"].read_text(encoding="utf-8") == "<p>Wijkeconomie Utrecht: 2</p>"


def test_missing_template_is_a_clear_error(data, tmp_path):
    with pytest.raises(InvalidInput, match="report.html.j2"):
        render_report(data, tmp_path / "out", templates_dir=tmp_path)


def test_empty_run_still_renders(data, tmp_path):
    empty_segments = pd.DataFrame(columns=["segment_id", "document_id", "case_id", "speaker", "start", "end",
                                           "text", "n_words"])
    empty_tags = pd.DataFrame(columns=["segment_id", "code_id", "theme_id", "score", "method", "polarity",
                                       "evidence"])
    empty = replace(data, matrices=build_matrices(empty_segments, empty_tags, pd.DataFrame(), data.codebook),
                    quotes=[], documents=[], cases=pd.DataFrame())
    paths = render_report(empty, tmp_path / "out")
    assert "Geen citaten" in paths["html"].read_text(encoding="utf-8")


def test_heatmap_png_and_data_uri():
    png = heatmap_png(pd.DataFrame([[1, 0], [2, 3]], index=["a", "b"], columns=["x", "y"]), "titel")
    assert png.startswith(b"\x89PNG")
    assert as_data_uri(b"\x89PNG").startswith("data:image/png;base64,iVBORw")


def test_document_rows_may_be_mappings_with_short_keys(data, tmp_path):
    rows = [{"id": "interview_01.txt", "case": "c1", "format": "txt", "n_words": 15, "n_segments": 2,
             "speakers": ["R"]}]
    paths = render_report(replace(data, documents=rows), tmp_path / "out")
    md = paths["md"].read_text(encoding="utf-8")
    assert "| interview\\_01.txt | c1 | txt | 15 | 2 | R |" in md


def test_study_name_cannot_break_out_of_the_print_stylesheet(data, tmp_path):
    name = 'Jan\'s "studie" </style><script>x()</script>'
    html = render_report(replace(data, study=name), tmp_path / "out", formats=("html",))["html"].read_text(
        encoding="utf-8")
    style = html[html.index("<style>"):html.index("</style>")]
    assert "<script" not in style and 'content: "Jan\\27 s \\22 studie\\22 ' in style
    assert "<script" not in html


def test_only_the_asked_formats_are_written_and_unknown_ones_rejected(data, tmp_path):
    paths = render_report(data, tmp_path / "out", formats=("html",), basename="verslag")
    assert set(paths) == {"html"} and paths["html"].name == "verslag.html"
    assert not (tmp_path / "out" / "figures").exists()
    with pytest.raises(ValueError, match="odt"):
        render_report(data, tmp_path / "out", formats=("odt",))


def test_framework_matrix_links_to_quotes_in_html_and_markdown(rendered):
    paths, _ = rendered
    html = paths["html"].read_text(encoding="utf-8")
    md = paths["md"].read_text(encoding="utf-8")
    for anchor in set(re.findall(r'<a class="ref" href="#([^"]+)"', html)):
        assert f'id="{anchor}"' in html and f'<a id="{anchor}"></a>' in md
    assert "[C1.1 interview_01.txt:1200–" in html  # quotes are numbered per case: case 1, quote 1


@pytest.mark.slow
def test_empty_run_renders_as_word_and_pdf_too(data, tmp_path):
    from docx import Document

    empty_segments = pd.DataFrame(columns=["segment_id", "document_id", "case_id", "speaker", "start", "end",
                                           "text", "n_words"])
    empty_tags = pd.DataFrame(columns=["segment_id", "code_id", "theme_id", "score", "method", "polarity",
                                       "evidence"])
    empty = replace(data, matrices=build_matrices(empty_segments, empty_tags, pd.DataFrame(), data.codebook),
                    quotes=[], documents=[], cases=pd.DataFrame())
    paths = render_report(empty, tmp_path / "out", formats=("docx", "pdf"))
    assert paths["pdf"].read_bytes().startswith(b"%PDF")
    texts = [p.text for p in Document(str(paths["docx"])).paragraphs]
    assert any(t.startswith("Geen citaten") for t in texts)


def test_kept_quote_parts_give_the_same_report_and_land_in_order(data, tmp_path):
    plain = render_report(data, tmp_path / "plain")
    first = render_report(data, tmp_path / "kept", quote_cache=tmp_path / "cache")
    second = render_report(data, tmp_path / "kept", quote_cache=tmp_path / "cache")  # parts read back
    for fmt in ("html", "md"):
        text = plain[fmt].read_text(encoding="utf-8")
        assert text == first[fmt].read_text(encoding="utf-8") == second[fmt].read_text(encoding="utf-8")
    html = plain["html"].read_text(encoding="utf-8")
    cases = re.findall(r'<h3 id="case-(\d+)">', html)
    assert cases == [str(i) for i in range(1, len(cases) + 1)] and cases
    assert html.index('id="citaten"') < html.index('id="case-1"') < html.index('id="methoden"')



def test_render_html_alone_renders_the_quote_parts_too(data):
    from pipeline.report.context import build_context
    from pipeline.report.render import render_html

    html = render_html(build_context(data))
    assert '<h3 id="case-1">' in html and 'class="qno">C1.1<' in html
