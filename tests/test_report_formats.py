"""Each report format looked at as a reader would: PDF pages rendered to images and checked for
content, the Word file opened and checked for headings, tables, captions, pictures and links."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from docx import Document
from docx.oxml.ns import qn
from PIL import Image

from pipeline.report.render import build_context, render_report
from pipeline.report.study import load_report_data
from tests.report_study import add_two_coders, build_study

pytestmark = pytest.mark.slow

#: Share of dark pixels in a page's body (margins with header and page number cut off) below
#: which a page counts as blank: a page holding a heading alone measures about 0.003.
MIN_INK = 0.004


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    config = build_study(tmp_path_factory.mktemp("formats"))
    add_two_coders(config)
    return config


@pytest.fixture(scope="module")
def rendered(study):
    data = load_report_data(study.out, codes="human")
    return render_report(data, study.out / "print", formats=("html", "pdf", "docx")), build_context(data)


def page_images(pdf: Path, folder: Path, dpi: int = 30) -> list[np.ndarray]:
    folder.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(pdf), str(folder / "page")], check=True)
    return [np.asarray(Image.open(p)) for p in sorted(folder.glob("page-*.pgm"))]


def body_ink(page: np.ndarray) -> float:
    height = page.shape[0]
    body = page[int(height * 0.07):int(height * 0.92)]
    return float((body < 200).mean())


def pdf_text(pdf: Path, page: int | None = None) -> str:
    args = ["pdftotext", "-layout"] + (["-f", str(page), "-l", str(page)] if page else []) + [str(pdf), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                   reason="poppler-utils (pdftoppm, pdftotext) not installed: apt-get install poppler-utils")


@needs_poppler
def test_pdf_is_a4_with_no_blank_page(rendered, tmp_path):
    pdf = rendered[0]["pdf"]
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    pages = page_images(pdf, tmp_path / "pages")
    assert len(pages) >= 8
    ink = [body_ink(p) for p in pages]
    blank = [i + 1 for i, share in enumerate(ink) if share < MIN_INK]
    assert not blank, f"pages {blank} are (nearly) blank: {[round(ink[i - 1], 4) for i in blank]}"


@needs_poppler
def test_pdf_chapters_start_on_a_new_page_with_page_numbers(rendered):
    pdf, context = rendered[0]["pdf"], rendered[1]
    n_pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                                text=True).stdout).group(1))
    starts = {}
    for page in range(1, n_pages + 1):
        text = pdf_text(pdf, page)
        assert f"{page} / {n_pages}" in text
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        for chapter in context["chapters"]:
            heading = f"{chapter['no']}. {chapter['nl']}"
            # The heading is the first line of its page after the running header.
            if any(line.startswith(heading) for line in lines[:2]):
                starts[chapter["key"]] = page
    assert set(starts) >= {c["key"] for c in context["chapters"] if c["key"] != "summary"}
    assert list(starts.values()) == sorted(starts.values())


@needs_poppler
def test_pdf_framework_matrix_quotes_and_reliability_are_readable_text(rendered):
    text = pdf_text(rendered[0]["pdf"])
    assert "Vergelijking van cases" in text and "segm." in text
    assert re.search(r"\[C\d+", text)  # references from matrix cells to quotes
    assert "Cohens" in text and "anna × bram" in text
    assert "menselijke beslissingen waar die er zijn" in " ".join(text.split())


def test_pdf_links_from_matrix_cells_reach_quote_anchors(rendered):
    html = rendered[0]["html"].read_text(encoding="utf-8")
    targets = set(re.findall(r'<a class="ref" href="#([^"]+)"', html))
    anchors = set(re.findall(r'<blockquote class="quote [a-z]+" id="([^"]+)"', html))
    assert targets and targets <= anchors


def test_docx_uses_word_headings_tables_captions_and_pictures(rendered):
    path, context = rendered[0]["docx"], rendered[1]
    doc = Document(str(path))
    headings = {p.style.name: [] for p in doc.paragraphs if p.style.name.startswith("Heading")}
    for p in doc.paragraphs:
        if p.style.name.startswith("Heading"):
            headings[p.style.name].append(p.text)
    for chapter in context["chapters"]:
        assert f"{chapter['no']}. {chapter['nl']} ({chapter['en']})" in headings["Heading 1"]
    assert "Bijlage: methoden (appendix: methods)" in headings["Heading 1"]
    assert headings.get("Heading 2") and headings.get("Heading 3")
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    figures = [c for c in captions if c.startswith("Figuur ")]
    assert [c.split(".")[0] for c in figures] == [f"Figuur {i}" for i in range(1, len(context["figures"]) + 1)]
    assert any(c.startswith("Tabel 1.") for c in captions)
    assert len(doc.inline_shapes) == len(context["figures"])
    body = doc.element.body
    assert any("SEQ Figuur" in (t.text or "") for t in body.iter(qn("w:instrText")))
    assert any("TOC" in (t.text or "") for t in body.iter(qn("w:instrText")))
    # Tables: case x theme has one row per case; the wide case x code matrix runs down the page.
    n_cases = len(context["cases"])
    shapes = [(len(t.rows), len(t.columns)) for t in doc.tables]
    assert (n_cases + 1, 1 + len(context["codebook"].themes)) in shapes
    assert (1 + len(context["codebook"].codes), 1 + n_cases) in shapes
    assert all(cols <= 10 for _, cols in shapes)
    quotes = [p for p in doc.paragraphs if p.style.name == "Quote"]
    assert len(quotes) == sum(len(e["quotes"]) for case in context["quote_cases"] for e in case["codes"])


def test_docx_matrix_links_point_at_quote_bookmarks(rendered):
    body = Document(str(rendered[0]["docx"])).element.body
    bookmarks = {b.get(qn("w:name")) for b in body.iter(qn("w:bookmarkStart"))}
    links = {h.get(qn("w:anchor")) for h in body.iter(qn("w:hyperlink"))}
    assert links and links <= bookmarks


@needs_poppler
@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice not installed (apt-get install libreoffice-writer-nogui)")
def test_docx_opens_in_libreoffice_and_its_pages_are_not_blank(rendered, tmp_path):
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(rendered[0]["docx"])],
                   check=True, capture_output=True, timeout=120)
    pages = page_images(tmp_path / "report.pdf", tmp_path / "pages")
    assert len(pages) >= 5
    ink = [body_ink(p) for p in pages]
    blank = [i + 1 for i, share in enumerate(ink) if share < MIN_INK]
    # The document's last page may hold just the tail of the appendix: short, but not blank.
    if blank and blank[-1] == len(pages) and pdf_text(tmp_path / "report.pdf", len(pages)).strip():
        blank.pop()
    assert not blank, f"pages {blank} of the Word report are blank"
