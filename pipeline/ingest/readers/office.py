"""Office document readers: Word (.docx), OpenDocument text (.odt) and PDF.

Their parsers (python-docx, odfpy, pypdf) are imported inside ``read`` so that importing Kwali
stays fast and a reader's dependency only matters when its format is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from pipeline.config import IngestOptions
from pipeline.errors import UnreadableFile
from pipeline.ingest.readers.base import RawText, _corrupt, _one_text, check_size


class DocxReader:
    """Word documents (.docx): body paragraphs and table cells in document order."""

    suffixes = (".docx",)

    def read(self, path: Path, options: IngestOptions) -> list[RawText]:
        check_size(path, options)
        import docx
        from docx.oxml.ns import qn

        try:
            document = docx.Document(str(path))
            style_names = {s.style_id: (s.name or "") for s in document.styles}
            title = (document.core_properties.title or "").strip()
            body = document.element.body
        except Exception as exc:  # python-docx raises zip, XML and key errors alike
            raise _corrupt(path, ".docx", exc, _RESAVE) from exc
        paragraphs = []
        w_p, w_style = qn("w:p"), qn("w:pStyle")
        for p in body.iter(w_p):
            # Paragraphs inside a text box sit inside another paragraph; Word stores them twice
            # (drawing and VML fallback), so they are left out rather than doubled.
            if _has_ancestor(p, w_p):
                continue
            text = "".join(_docx_runs(p, qn)).strip()
            if not text:
                continue
            style = p.find(f"{qn('w:pPr')}/{w_style}")
            name = style_names.get(style.get(qn("w:val")), "") if style is not None else ""
            if not title and name.lower().startswith(("title", "titel")):
                title = text
            paragraphs.append(text)
        metadata = {"format": "docx"}
        if title:
            metadata["title"] = title
        return _one_text(path, "\n\n".join(paragraphs), metadata)


_RESAVE = "it may be damaged or have the wrong extension; open it and save it again as .docx"


def _has_ancestor(element: Any, tag: str) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent.tag == tag:
            return True
        parent = parent.getparent()
    return False


def _docx_runs(element: Any, qn: Any) -> Iterable[str]:
    """The visible text of one paragraph element: text, tabs, breaks; not deleted text."""
    w_t, w_p = qn("w:t"), qn("w:p")
    breaks = {qn("w:br"): "\n", qn("w:cr"): "\n", qn("w:tab"): "\t"}
    hyphens = {qn("w:noBreakHyphen"): "-", qn("w:softHyphen"): ""}
    for child in element:
        tag = child.tag
        if tag == w_p:
            continue
        if tag == w_t:
            yield child.text or ""
        elif tag in breaks:
            yield breaks[tag]
        elif tag in hyphens:
            yield hyphens[tag]
        else:
            yield from _docx_runs(child, qn)


class OdtReader:
    """OpenDocument text (.odt): headings and paragraphs in order, tables and lists included."""

    suffixes = (".odt",)

    def read(self, path: Path, options: IngestOptions) -> list[RawText]:
        check_size(path, options)
        from odf.opendocument import load

        try:
            document = load(str(path))
            body = document.text
            title = _odf_title(document)
        except Exception as exc:  # odfpy raises zip, XML and key errors alike
            raise _corrupt(path, ".odt", exc, _RESAVE.replace(".docx", ".odt")) from exc
        paragraphs: list[str] = []
        headings: list[str] = []
        _odf_blocks(body, paragraphs, headings)
        metadata = {"format": "odt"}
        if title or headings:
            metadata["title"] = title or headings[0]
        return _one_text(path, "\n\n".join(p for p in paragraphs if p.strip()), metadata)


_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _odf_title(document: Any) -> str:
    for node in getattr(document.meta, "childNodes", []):
        if getattr(node, "qname", None) == ("http://purl.org/dc/elements/1.1/", "title"):
            return str(node).strip()
    return ""


def _odf_blocks(node: Any, paragraphs: list[str], headings: list[str]) -> None:
    for child in node.childNodes:
        qname = getattr(child, "qname", None)
        if qname in ((_TEXT_NS, "p"), (_TEXT_NS, "h")):
            text = "".join(_odf_inline(child)).strip()
            paragraphs.append(text)
            if qname[1] == "h" and text:
                headings.append(text)
        elif qname is not None and qname[1] not in ("tracked-changes", "sequence-decls"):
            _odf_blocks(child, paragraphs, headings)


def _odf_inline(node: Any) -> Iterable[str]:
    for child in node.childNodes:
        if child.nodeType == child.TEXT_NODE:
            yield child.data
            continue
        ns, name = getattr(child, "qname", (None, None))
        if ns == _TEXT_NS and name == "s":
            yield " " * int(child.getAttribute("c") or 1)
        elif ns == _TEXT_NS and name == "tab":
            yield "\t"
        elif ns == _TEXT_NS and name == "line-break":
            yield "\n"
        elif (ns, name) in ((_OFFICE_NS, "annotation"), (_TEXT_NS, "note")):
            continue  # comments and footnotes would cut through the sentence they sit in
        else:
            yield from _odf_inline(child)


class PdfReader:
    """PDF with a text layer; pages joined with a blank line."""

    suffixes = (".pdf",)

    def read(self, path: Path, options: IngestOptions) -> list[RawText]:
        check_size(path, options)
        import pypdf

        fix = "it may be damaged or only partly downloaded; open and export it again as PDF"
        try:
            pdf = pypdf.PdfReader(str(path))
            if pdf.is_encrypted and not pdf.decrypt(""):
                raise UnreadableFile(
                    str(path), "the PDF is password-protected; save an unprotected copy"
                )
            pages = [page.extract_text() or "" for page in pdf.pages]
            title = str((pdf.metadata or {}).get("/Title") or "").strip()
        except UnreadableFile:
            raise
        except Exception as exc:  # pypdf raises its own, zlib, struct and key errors
            raise _corrupt(path, "PDF", exc, fix) from exc
        text = "\n\n".join(pages)
        if not text.strip():
            raise UnreadableFile(str(path), "no text layer (scanned PDF?); run OCR first")
        metadata = {"format": "pdf", "pages": str(len(pages))}
        if title:
            metadata["title"] = title
        return [RawText(None, text, metadata)]
