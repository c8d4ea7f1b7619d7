"""The report as a Word document an author can edit: real headings, tables, captions and figures.

Built with python-docx from the same template context as the HTML report (``build_context``), so
both show the same numbers. Chapters use Word's own "Heading 1/2/3" styles (the navigation pane
and a table of contents work), figures and tables get "Caption" paragraphs with SEQ fields
("Figuur 1", "Tabel 1", so Word can build a list of figures), quotes use the "Quote" style with
their evidence in bold, and every quote is a bookmark that the framework matrix links to. Wide
code matrices arrive transposed from the context (codes down the page), so they fit A4 portrait.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from PIL import Image

from pipeline.analysis.quotes import evidence_spans

PAGE_WIDTH, PAGE_HEIGHT, MARGIN = Cm(21.0), Cm(29.7), Cm(2.0)
MAX_FIGURE_HEIGHT = Cm(21.0)
ACCENT = (0x1F, 0x4E, 0x79)
TABLE_STYLES = ("Light Grid Accent 1", "Table Grid")


class _Writer:
    """Keeps the document and the running figure and table numbers."""

    def __init__(self, context: dict[str, Any]):
        self.context = context
        self.doc: DocxDocument = Document()
        self.figures = 0
        self.tables = 0
        self.bookmarks = 0
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, MARGIN)
        self.table_style = next((s for s in TABLE_STYLES if s in [st.name for st in self.doc.styles]), None)
        self.doc.styles["Normal"].font.size = Pt(10)
        # Chapters start on a new page, as in the PDF.
        self.doc.styles["Heading 1"].paragraph_format.page_break_before = True
        # Ask Word to update fields on opening, so the table of contents fills itself in.
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        self.doc.settings.element.append(update)

    # --- fields, bookmarks, links ---------------------------------------------------------

    @staticmethod
    def _field(paragraph: Paragraph, instruction: str, shown: str) -> None:
        """A complex field (SEQ, TOC, PAGE) with ``shown`` as its current result."""
        def char(kind: str) -> None:
            run = paragraph.add_run()
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            run._r.append(element)

        char("begin")
        run = paragraph.add_run()
        text = OxmlElement("w:instrText")
        text.set(qn("xml:space"), "preserve")
        text.text = f" {instruction} "
        run._r.append(text)
        char("separate")
        paragraph.add_run(shown)
        char("end")

    def bookmark(self, paragraph: Paragraph, name: str) -> None:
        self.bookmarks += 1
        start = OxmlElement("w:bookmarkStart")
        start.set(qn("w:id"), str(self.bookmarks))
        start.set(qn("w:name"), name)
        end = OxmlElement("w:bookmarkEnd")
        end.set(qn("w:id"), str(self.bookmarks))
        paragraph._p.insert(0, start)
        paragraph._p.append(end)

    @staticmethod
    def link(paragraph: Paragraph, text: str, anchor: str, size: float = 7.5) -> None:
        """An internal hyperlink to a bookmark."""
        hyperlink = OxmlElement("w:hyperlink")
        hyperlink.set(qn("w:anchor"), anchor)
        run = OxmlElement("w:r")
        props = OxmlElement("w:rPr")
        color = OxmlElement("w:color")
        color.set(qn("w:val"), "%02X%02X%02X" % ACCENT)
        props.append(color)
        sz = OxmlElement("w:sz")
        sz.set(qn("w:val"), str(int(size * 2)))
        props.append(sz)
        run.append(props)
        t = OxmlElement("w:t")
        t.set(qn("xml:space"), "preserve")
        t.text = text
        run.append(t)
        hyperlink.append(run)
        paragraph._p.append(hyperlink)

    # --- blocks ----------------------------------------------------------------------------

    def heading(self, text: str, level: int) -> Paragraph:
        return self.doc.add_heading(text, level=level)

    def para(self, text: str = "", style: str | None = None, size: float | None = None,
             italic: bool = False) -> Paragraph:
        paragraph = self.doc.add_paragraph(style=style)
        if text:
            run = paragraph.add_run(text)
            run.italic = italic
            if size:
                run.font.size = Pt(size)
        return paragraph

    def caption(self, kind: str, text: str) -> None:
        if kind == "Figuur":
            self.figures += 1
            number = self.figures
        else:
            self.tables += 1
            number = self.tables
        paragraph = self.doc.add_paragraph(style="Caption")
        paragraph.add_run(f"{kind} ")
        self._field(paragraph, f"SEQ {kind} \\* ARABIC", str(number))
        paragraph.add_run(f". {text}")

    def figure(self, figure: dict[str, Any], caption: str) -> None:
        width, height = Image.open(io.BytesIO(figure["png"])).size
        usable = PAGE_WIDTH - 2 * MARGIN
        shown_height = int(usable * height / width)
        if shown_height > MAX_FIGURE_HEIGHT:
            self.doc.add_picture(io.BytesIO(figure["png"]), height=MAX_FIGURE_HEIGHT)
        else:
            self.doc.add_picture(io.BytesIO(figure["png"]), width=usable)
        self.doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.doc.paragraphs[-1].paragraph_format.keep_with_next = True
        self.caption("Figuur", caption)

    def table(self, header: list[str], rows: list[list[Any]], caption: str | None = None,
              numeric_from: int = 1, size: float = 8, widths: list[float] | None = None) -> Table:
        """A table with a repeating header row; cells are text or (text, shade 0..1) pairs."""
        if caption:
            self.caption("Tabel", caption)
            self.doc.paragraphs[-1].paragraph_format.keep_with_next = True
        table = self.doc.add_table(rows=1, cols=len(header))
        if self.table_style:
            table.style = self.doc.styles[self.table_style]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        header_row = table.rows[0]
        _repeat_header(header_row)
        for i, text in enumerate(header):
            _set_cell(header_row.cells[i], str(text), size, bold=True, right=i >= numeric_from)
        for values in rows:
            cells = table.add_row().cells
            for i, value in enumerate(values):
                text, shade = value if isinstance(value, tuple) else (value, 0.0)
                _set_cell(cells[i], str(text), size, right=i >= numeric_from, shade=shade)
        if widths is None and len(header) >= 3:
            # Word and LibreOffice split columns evenly; a label column needs more room than numbers.
            first = 4.0
            widths = [first] + [(17.0 - first) / (len(header) - 1)] * (len(header) - 1)
        if widths:
            _set_widths(table, widths)
        self.doc.add_paragraph()
        return table

    def matrix(self, t: dict[str, Any], caption: str, shaded: bool = False) -> None:
        header = [t["index_name"]] + [c["id"] for c in t["columns"]]
        rows = [[r["label"]] + [(c["text"], c["alpha"] if shaded else 0.0) for c in r["cells"]] for r in t["rows"]]
        source = f" Bron (source): {t['source']}." if t.get("source") else ""
        self.table(header, rows, caption + source, size=7.5 if len(header) > 8 else 8)


def _set_widths(table: Table, widths: list[float]) -> None:
    # Word reads the cell widths, LibreOffice the table grid: set both.
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Cm(width)


def _repeat_header(row: Any) -> None:
    props = row._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    props.append(element)


def _set_cell(cell: _Cell, text: str, size: float, bold: bool = False, right: bool = False,
              shade: float = 0.0) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if shade > 0:
        # Blend the accent colour into white, as the HTML's rgba() shading does.
        fill = "".join(f"{round(255 - (255 - c) * shade):02X}" for c in ACCENT)
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), fill)
        cell._tc.get_or_add_tcPr().append(shading)
        if shade > 0.5:
            run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)


def _quote_paragraph(w: _Writer, view: dict[str, Any]) -> None:
    quote = view["q"]
    paragraph = w.doc.add_paragraph(style="Quote")
    number = paragraph.add_run(f"C{view['no']}  ")
    number.bold = True
    text = quote.text
    position = 0
    for start, end in evidence_spans(text, quote.evidence):
        paragraph.add_run(text[position:start])
        paragraph.add_run(text[start:end]).bold = True
        position = end
    paragraph.add_run(text[position:])
    w.bookmark(paragraph, f"C{view['no']}")
    meta = [quote.speaker or "spreker onbekend", view["position"], view["polarity_label"], f"score {quote.score:.2f}",
            ", ".join(quote.methods)]
    if view["negations"]:
        meta.append("ontkenning (negation): " + ", ".join(view["negations"]))
    meta.append(f"segment {quote.segment_id}")
    note = w.para(" · ".join(meta), size=7.5)
    note.paragraph_format.left_indent = Cm(1)
    note.paragraph_format.space_after = Pt(8)


def _framework(w: _Writer, c: dict[str, Any]) -> None:
    framework = c["framework"]
    numbers = c["quote_no"]
    for block in framework.blocks:
        w.heading(f"{block.theme_label} ({block.theme_id})", 2)
        w.caption("Tabel", f"Vergelijking van cases, {block.theme_label} (framework matrix).")
        table = w.doc.add_table(rows=1, cols=len(block.columns) + 1)
        if w.table_style:
            table.style = w.doc.styles[w.table_style]
        _repeat_header(table.rows[0])
        _set_cell(table.rows[0].cells[0], block.corner, 7.5, bold=True)
        for i, column in enumerate(block.columns, start=1):
            _set_cell(table.rows[0].cells[i], column["label"], 7.5, bold=True)
        first = 3.5
        widths = [first] + [(17.0 - first) / len(block.columns)] * len(block.columns)
        for row in block.rows:
            cells = table.add_row().cells
            label = f"{row['label']}\n{row['id']}" if framework.codes_as_rows else row["label"]
            _set_cell(cells[0], label, 7.5, bold=True)
            for cell, value in zip(cells[1:], row["cells"]):
                if not value.count:
                    _set_cell(cell, "—", 7.5)
                    continue
                _set_cell(cell, f"{value.count} segm.", 7.5, bold=True)
                for ref in value.snippets:
                    paragraph = cell.add_paragraph()
                    run = paragraph.add_run(f"“{ref.snippet}” ")
                    run.font.size = Pt(7.5)
                    w.link(paragraph, f"[C{numbers[ref.anchor]} {ref.position}]", f"C{numbers[ref.anchor]}", 6.5)
                extra = value.refs[len(value.snippets):]
                if extra:
                    paragraph = cell.add_paragraph()
                    paragraph.add_run("ook (also): ").font.size = Pt(6.5)
                    for ref in extra:
                        w.link(paragraph, f"[C{numbers[ref.anchor]} {ref.position}] ", f"C{numbers[ref.anchor]}", 6.5)
        _set_widths(table, widths)
        w.doc.add_paragraph()
    if framework.omitted_codes:
        w.para("Codes zonder gecodeerd segment in enige case, weggelaten (codes without any coded segment): "
               + ", ".join(framework.omitted_codes) + ".", size=8, italic=True)


def _methods(w: _Writer, c: dict[str, Any]) -> None:
    w.heading("Bijlage: methoden (appendix: methods)", 1)
    facts = [("Kwali-versie", c["kwali_version"]), ("gegenereerd (generated)", c["generated_at"]),
             ("codeboek (codebook)", f"{c['codebook'].id} versie {c['codebook'].version}"),
             ("codeboek sha256", c["codebook_sha256"]),
             *[(str(k), str(v)) for k, v in c["methods"].items()],
             ("codes geteld (codes counted)", f"{c['code_source']['nl']} ({c['code_source']['en']})")]
    w.table(["gegeven (fact)", "waarde (value)"], [list(f) for f in facts], numeric_from=99, widths=[5, 12])
    w.heading("Menselijke beslissingen en betrouwbaarheid (human decisions and reliability)", 2)
    reliability = c["reliability"]
    if not reliability:
        w.para("Geen menselijke beslissingen vastgelegd (no human decisions recorded).")
    else:
        w.table(["codeur (coder)", "beslissingen", "accept", "reject", "segmenten", "codes"],
                [[r["coder"], r["decisions"], r["accept"], r["reject"], r["segments"], r["codes"]]
                 for r in reliability["coders"]],
                f"Huidige beslissingen per codeur (current decisions per coder); totaal {reliability['total']}.")
        if reliability["agreement"]:
            s = reliability["summary"]
            w.para(f"Overeenstemming per code op segmentniveau: eenheden zijn de segmenten waarover beide codeurs een "
                   f"beslissing vastlegden; een code telt als toegekend bij een accept. Gemiddeld over {s['codes']} "
                   f"codes: overeenstemming {s['agreement']}, Cohens κ = {s['kappa']}"
                   + (f" ({s['undefined']} keer κ onbepaald)" if s["undefined"] else "") + ".")
            w.table(["code", "codeurs", "eenheden", "A", "B", "beide", "overeenst.", "κ"],
                    [[f"{r['label']} ({r['code_id']})", r["pair"], r["units"], r["applied_a"], r["applied_b"],
                      r["both"], r["agreement"], r["kappa"]] for r in reliability["agreement"]],
                    "Overeenstemming en Cohens kappa per code (percent agreement and Cohen's kappa per code).",
                    numeric_from=2)
        else:
            w.para("Eén codeur: geen betrouwbaarheidsmaten (one coder: no reliability figures).")
    w.heading("Maten (measures)", 2)
    for name, text in (("segments", "aantal segmenten van de case met de code of het thema"),
                       ("share", "dat aantal gedeeld door het aantal segmenten van de case, 0–1"),
                       ("words", "som van de woorden van die segmenten"),
                       ("presence", "1 als minstens één segment de code heeft, anders 0")):
        paragraph = w.doc.add_paragraph(style="List Bullet")
        paragraph.add_run(name).bold = True
        paragraph.add_run(f": {text}")
    w.heading("Overgeslagen bestanden (skipped files)", 2)
    if c["skipped"]:
        w.table(["bestand (file)", "reden (reason)"], [[s.path, s.reason] for s in c["skipped"]], numeric_from=99)
    else:
        w.para("Geen (none).")
    w.heading("Documenten zonder regel in cases.csv (documents without a cases.csv row)", 2)
    if c["uncased"]:
        for doc_id in c["uncased"]:
            w.doc.add_paragraph(doc_id, style="List Bullet")
    else:
        w.para("Geen (none).")
    w.heading("Configuratie van de run (run configuration)", 2)
    config = w.para()
    run = config.add_run(c["config_json"])
    run.font.name = "Courier New"
    run.font.size = Pt(7)


def write_docx(context: dict[str, Any], path: str | Path) -> Path:
    """Write the report as a .docx file.

    Args:
        context: The template context (``render.build_context``).
        path: The file to write.

    Returns:
        ``path``.
    """
    c = context
    w = _Writer(c)
    chapter = c["chapter"]
    book = c["codebook"]
    w.doc.core_properties.title = f"{c['study']} — Kwali-rapport"
    w.doc.core_properties.comments = f"Gemaakt met Kwali {c['kwali_version']} op {c['generated_at']}"
    w.doc.add_heading(c["study"], 0)
    w.para(f"Kwalitatieve analyse met Kwali (qualitative analysis report) · codeboek {book.label} v{book.version} · "
           f"gegenereerd (generated) {c['generated_at']}", italic=True)
    toc = w.para()
    w._field(toc, 'TOC \\o "1-3" \\h \\z \\u',
             "Inhoudsopgave: klik met rechts en kies 'Veld bijwerken' (table of contents: right-click, update field).")

    def h1(key: str) -> None:
        entry = chapter[key]
        w.heading(f"{entry['no']}. {entry['nl']} ({entry['en']})", 1)

    totals = c["totals"]
    h1("summary")
    w.table(["documenten", "cases", "segmenten", "woorden", "sprekers", "codes", "thema's"],
            [[totals["documents"], totals["cases"], totals["segments"], totals["words"], totals["speakers"],
              len(book.codes), len(book.themes)]], numeric_from=0)
    w.para(f"Codes in dit rapport: {c['code_source']['nl']} ({c['code_source']['en']}). Eenheid van analyse is het "
           "segment; een segment telt één keer per code of thema. Elk citaat vermeldt zijn segment-id, document en "
           "tekenposities.")

    h1("corpus")
    w.heading("Cases", 2)
    w.table(["case", *c["attributes"], "documenten", "segmenten", "woorden"],
            [[r["case_id"], *r["attributes"], r["documents"], r["segments"], r["words"]] for r in c["cases"]],
            "Kenmerken uit cases.csv en omvang per case (attributes and size per case).",
            numeric_from=1 + len(c["attributes"]))
    w.heading("Documenten (documents)", 2)
    w.table(["document", "case", "formaat", "woorden", "segmenten", "sprekers"],
            [[d.document_id, d.case_id, d.format, d.n_words, d.n_segments, ", ".join(d.speakers) or "—"]
             for d in c["documents"]], "Documenten (documents).", numeric_from=3, widths=[4.5, 3.5, 1.5, 1.7, 1.8, 4])

    h1("codebook")
    w.para(f"{book.label} ({book.id}), versie {book.version}, sha256 {c['codebook_sha256']}")
    for theme in book.themes:
        w.heading(f"{theme.label} ({theme.id})", 2)
        w.para(theme.definition)
        w.table(["code", "label", "definitie (definition)"],
                [[code.id, code.label, " ".join(code.definition.split())] for code in theme.codes],
                numeric_from=99, size=7.5, widths=[4, 3.5, 9.5])

    tables, figures = c["tables"], c["figures"]
    h1("case_theme")
    w.figure(figures["case_by_theme"], "Aandeel segmenten per case en thema (share of segments per case and theme)")
    w.matrix(tables["case_by_theme_share"], "Aandeel segmenten (share of segments).", shaded=True)
    w.matrix(tables["case_by_theme_segments"], "Aantal segmenten met het thema (segments with the theme).")
    h1("case_code")
    w.figure(figures["case_by_code"], "Aandeel segmenten per case en code (share of segments per case and code)")
    w.matrix(tables["case_by_code_share"], "Aandeel segmenten per code (share of segments).", shaded=True)
    w.matrix(tables["case_by_code_segments"], "Aantal segmenten met de code (segments with the code).")
    h1("framework")
    w.para(f"Per case en code: het aantal gecodeerde segmenten en de zin rond het bewijs uit de sterkste citaten; "
           f"[Cn] verwijst naar citaat Cn in hoofdstuk {chapter['quotes']['no']} (links work in Word).")
    _framework(w, c)
    h1("cooccurrence")
    w.figure(figures["cooccurrence_codes"], "Co-occurrence van codes (code co-occurrence)")
    if c["cooccurrence_pairs"]:
        w.table(["code", "code", "segmenten"],
                [[f"{p['a_label']} ({p['a']})", f"{p['b_label']} ({p['b']})", p["n"]] for p in c["cooccurrence_pairs"]],
                "Vaakst samen voorkomende codeparen (most frequent code pairs).", numeric_from=2)
    if not tables["cooccurrence_codes"]["wide"]:
        w.matrix(tables["cooccurrence_codes"], "Codes × codes.")
    w.matrix(tables["cooccurrence_themes"], "Thema's × thema's (themes × themes).")
    if c["crosstabs"]:
        h1("crosstabs")
        for x in c["crosstabs"]:
            w.heading(f"Naar {x['attribute']} (by {x['attribute']})", 2)
            w.figure(x["figure"], f"Aandeel segmenten per {x['attribute']} en thema (share of segments)")
            w.matrix(x["share"], "Aandeel segmenten (share of segments).", shaded=True)
            w.matrix(x["segments"], "Aantal segmenten (segments).")
    if c["topics"]:
        h1("topics")
        columns = ["topic", "segmenten", "kernwoorden", "best passende code", "dekking", "kandidaat"]
        rows = [[t["label"], str(t["size"]), t["terms"], t["best_code"], t["best_share"], "ja" if t["candidate"] else ""]
                for t in c["topics"]["rows"]]
        w.table(columns, rows, "Onderwerpen (topics).", numeric_from=99)
    h1("quotes")
    for case in c["quote_cases"]:
        w.heading(f"Case {case['case_id']}", 2)
        if case["attributes"]:
            w.para(" · ".join(f"{k}: {v or '—'}" for k, v in case["attributes"].items()), size=8, italic=True)
        for entry in case["codes"]:
            w.heading(f"{entry['code'].label} ({entry['code'].id}, {entry['theme'].label})", 3)
            for view in entry["quotes"]:
                _quote_paragraph(w, view)
    if not c["quote_cases"]:
        w.para("Geen citaten: er zijn geen codes voorgesteld (no quotes: no codes were proposed).")
    _methods(w, c)
    target = Path(path)
    w.doc.save(str(target))
    return target
