"""REFI-QDA codebook files (.qdc, Codebook.xsd): write a Kwali codebook, read one from any tool."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from pipeline.codebook import Codebook
from pipeline.errors import InvalidCodebook, Problem
from pipeline.exchange.code_tree import ImportedCodes, codebook_to_codes, codes_to_codebook
from pipeline.exchange.qde_model import CODEBOOK_NS, is_guid
from pipeline.exchange.qde_xml import code_element, parse_xml, read_codes


def write_qdc(book: Codebook, origin: str = "Kwali") -> bytes:
    """The codebook as .qdc bytes (UTF-8), valid against Codebook.xsd."""
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin=origin)
    codes = etree.SubElement(root, f"{{{CODEBOOK_NS}}}Codes")
    for code in codebook_to_codes(book):
        codes.append(code_element(code, CODEBOOK_NS))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def read_qdc(path: str | Path) -> ImportedCodes:
    """Read a .qdc codebook leniently.

    Codes whose ``guid`` is not a GUID (some tools write "c001") are still read, with a warning;
    a file that is not well-formed XML is an error that names the line.

    Raises:
        InvalidCodebook: Missing, not XML, not a codebook, or without codes.
    """
    path = Path(path)
    shown = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidCodebook([Problem(shown, None, f"cannot read the file ({exc.strerror})",
                                       "check the path")]) from None
    try:
        root = parse_xml(data, shown)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or None
        msg = (exc.msg or str(exc)).split(" (line")[0] if exc.msg else str(exc)
        raise InvalidCodebook([Problem(shown, line, f"not well-formed XML: {msg}",
                                       f"repair the XML at line {line} (a closing tag must repeat its opening "
                                       "tag's name exactly), or export the codebook again")]) from None
    if root.tag not in ("CodeBook", "Project"):
        raise InvalidCodebook([Problem(shown, root.sourceline, f"the root element is <{root.tag}>, not <CodeBook>",
                                       "give a REFI-QDA codebook (.qdc) file")])
    codes_el = root.find("Codes") if root.tag == "CodeBook" else root.find("CodeBook/Codes")
    codes = read_codes(codes_el) if codes_el is not None else []
    if not codes:
        raise InvalidCodebook([Problem(shown, root.sourceline, "the codebook holds no codes",
                                       "export a codebook with at least one code")])
    every = [c for top in codes for c in top.walk()]
    bad = [c for c in every if not is_guid(c.guid)]
    imported = codes_to_codebook(codes, book_id=root.get("origin") or path.stem, label=root.get("origin") or path.stem,
                                 source=path.name)
    if bad:
        sample = ", ".join(f"{c.guid!r} (line {c.line})" for c in bad[:3])
        imported.warnings.append(f"{shown}: {len(bad)} of {len(every)} codes have a guid that is not a GUID, "
                                 f"e.g. {sample}; read anyway, but the file does not validate against Codebook.xsd")
    return imported
