"""Reading and writing QDA-XML: project.qde (Project.xsd) and the codes of a .qdc (Codebook.xsd).

Reading is lenient on purpose: vendors differ in namespaces (a codebook inside a project in
``urn:QDA-XML:codebook:1.0``, or no namespace at all), so elements are matched on their local
name only. Writing is strict: the output validates against the official schemas.
"""

from __future__ import annotations

from lxml import etree

from pipeline.errors import KwaliError
from pipeline.exchange.qde_model import (
    PROJECT_NS,
    XSI_NS,
    QdaCase,
    QdaCode,
    QdaCoding,
    QdaNote,
    QdaProject,
    QdaSelection,
    QdaSource,
)


class InvalidExchangeFile(KwaliError):
    """A .qdpx, .qde or .qdc file cannot be read (not a zip, not XML, no project inside...)."""


def parse_xml(data: bytes, shown: str) -> etree._Element:
    """Parse XML safely (no entities, no network) and drop namespaces from element names.

    Raises:
        etree.XMLSyntaxError: Not well-formed; callers turn it into a message with the line.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True,
                             remove_pis=True, huge_tree=False)
    root = etree.fromstring(data, parser)
    for el in root.iter():
        if isinstance(el.tag, str):
            el.tag = etree.QName(el).localname
    return root


def syntax_error(exc: etree.XMLSyntaxError, shown: str) -> InvalidExchangeFile:
    """A readable error for XML that is not well-formed, naming the line."""
    line = exc.lineno or (exc.position[0] if exc.position else None)
    msg = (exc.msg or str(exc)).split(" (line")[0]
    return InvalidExchangeFile(f"{shown}:{line}: not well-formed XML: {msg} (fix: repair the XML at line {line}, "
                               "or export the file again from the tool that made it)")


def _text(el: etree._Element | None) -> str | None:
    return el.text if el is not None and el.text is not None else None


def _bool(value: str | None, default: bool = True) -> bool:
    if value is None:
        return default
    return value.strip().lower() in ("true", "1")


def read_codes(parent: etree._Element) -> list[QdaCode]:
    """The ``Code`` children of an element, recursively."""
    codes = []
    for el in parent.findall("Code"):
        desc = el.find("Description")
        codes.append(QdaCode(
            guid=(el.get("guid") or "").strip(), name=el.get("name") or "", codable=_bool(el.get("isCodable")),
            color=el.get("color"), description=_text(desc).strip() if _text(desc) else None,
            children=read_codes(el), line=el.sourceline,
        ))
    return codes


def _note_refs(el: etree._Element) -> list[str]:
    return [r.get("targetGUID", "") for r in el.findall("NoteRef")]


def _read_source(el: etree._Element) -> QdaSource:
    source = QdaSource(guid=el.get("guid", ""), name=el.get("name") or el.get("guid", ""),
                       text=_text(el.find("PlainTextContent")), plain_text_path=el.get("plainTextPath"))
    for sel in el.findall("PlainTextSelection"):
        selection = QdaSelection(guid=sel.get("guid", ""), start=int(sel.get("startPosition")),
                                 end=int(sel.get("endPosition")), name=sel.get("name"),
                                 user_guid=sel.get("creatingUser"), notes=_note_refs(sel))
        for cod in sel.findall("Coding"):
            ref = cod.find("CodeRef")
            if ref is None:
                continue
            selection.codings.append(QdaCoding(guid=cod.get("guid", ""), code_guid=ref.get("targetGUID", ""),
                                               user_guid=cod.get("creatingUser") or sel.get("creatingUser"),
                                               notes=_note_refs(cod)))
        source.selections.append(selection)
    return source


VALUE_TAGS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue")


def read_project(root: etree._Element) -> QdaProject:
    """Turn a parsed (namespace-free) ``Project`` element into a ``QdaProject``."""
    project = QdaProject(name=root.get("name") or "", origin=root.get("origin"))
    for user in root.findall("Users/User"):
        project.users[user.get("guid", "")] = user.get("name") or user.get("id") or user.get("guid", "")
    book = root.find("CodeBook")
    if book is not None:
        codes = book.find("Codes")
        project.codes = read_codes(codes if codes is not None else book)
    for var in root.findall("Variables/Variable"):
        project.variables[var.get("guid", "")] = var.get("name") or var.get("guid", "")
    for el in root.findall("Cases/Case"):
        case = QdaCase(guid=el.get("guid", ""), name=el.get("name") or el.get("guid", ""))
        for vv in el.findall("VariableValue"):
            ref = vv.find("VariableRef")
            value = next((vv.find(t) for t in VALUE_TAGS if vv.find(t) is not None), None)
            if ref is not None and value is not None:
                name = project.variables.get(ref.get("targetGUID", ""), ref.get("targetGUID", ""))
                case.values[name] = (value.text or "").strip()
        case.source_guids = [r.get("targetGUID", "") for r in el.findall("SourceRef")]
        project.cases.append(case)
    sources = root.find("Sources")
    if sources is not None:
        for el in sources:
            if not isinstance(el.tag, str):
                continue
            if el.tag == "TextSource":
                project.sources.append(_read_source(el))
            else:
                project.other_sources += 1
                project.other_selections += sum(1 for s in el.iter() if isinstance(s.tag, str)
                                                and s.tag.endswith("Selection"))
    for el in root.findall("Notes/Note"):
        project.notes[el.get("guid", "")] = QdaNote(guid=el.get("guid", ""), name=el.get("name"),
                                                    text=_text(el.find("PlainTextContent")),
                                                    plain_text_path=el.get("plainTextPath"),
                                                    user_guid=el.get("creatingUser"))
    return project


# --- writing ---------------------------------------------------------------------------------


def code_element(code: QdaCode, ns: str, note_refs: dict[str, list[str]] | None = None) -> etree._Element:
    """A ``Code`` element (with its children) in namespace ``ns``; schema order is kept."""
    el = etree.Element(f"{{{ns}}}Code", guid=code.guid, name=code.name, isCodable="true" if code.codable else "false")
    if code.color:
        el.set("color", code.color)
    if code.description:
        etree.SubElement(el, f"{{{ns}}}Description").text = code.description
    for target in (note_refs or {}).get(code.guid, []):
        etree.SubElement(el, f"{{{ns}}}NoteRef", targetGUID=target)
    for child in code.children:
        el.append(code_element(child, ns, note_refs))
    return el


def write_project(project: QdaProject, user_order: list[str] | None = None) -> bytes:
    """Serialise a project as project.qde bytes (UTF-8, schema element order)."""
    n = f"{{{PROJECT_NS}}}"
    root = etree.Element(n + "Project", nsmap={None: PROJECT_NS, "xsi": XSI_NS}, name=project.name)
    if project.origin:
        root.set("origin", project.origin)
    if project.users:
        users = etree.SubElement(root, n + "Users")
        for guid in user_order or list(project.users):
            etree.SubElement(users, n + "User", guid=guid, name=project.users[guid])
    if project.codes:
        codes = etree.SubElement(etree.SubElement(root, n + "CodeBook"), n + "Codes")
        for code in project.codes:
            codes.append(code_element(code, PROJECT_NS))
    var_guid = {name: guid for guid, name in project.variables.items()}
    if project.variables:
        variables = etree.SubElement(root, n + "Variables")
        for guid, name in project.variables.items():
            etree.SubElement(variables, n + "Variable", guid=guid, name=name, typeOfVariable="Text")
    if project.cases:
        cases = etree.SubElement(root, n + "Cases")
        for case in project.cases:
            el = etree.SubElement(cases, n + "Case", guid=case.guid, name=case.name)
            for name, value in case.values.items():
                vv = etree.SubElement(el, n + "VariableValue")
                etree.SubElement(vv, n + "VariableRef", targetGUID=var_guid[name])
                etree.SubElement(vv, n + "TextValue").text = value
            for guid in case.source_guids:
                etree.SubElement(el, n + "SourceRef", targetGUID=guid)
    if project.sources:
        sources = etree.SubElement(root, n + "Sources")
        for source in project.sources:
            el = etree.SubElement(sources, n + "TextSource", guid=source.guid, name=source.name)
            if source.plain_text_path:
                el.set("plainTextPath", source.plain_text_path)
            else:
                etree.SubElement(el, n + "PlainTextContent").text = source.text or ""
            for sel in source.selections:
                s = etree.SubElement(el, n + "PlainTextSelection", guid=sel.guid, startPosition=str(sel.start),
                                     endPosition=str(sel.end))
                if sel.name is not None:
                    s.set("name", sel.name)
                for coding in sel.codings:
                    c = etree.SubElement(s, n + "Coding", guid=coding.guid)
                    if coding.user_guid:
                        c.set("creatingUser", coding.user_guid)
                    etree.SubElement(c, n + "CodeRef", targetGUID=coding.code_guid)
                    for target in coding.notes:
                        etree.SubElement(c, n + "NoteRef", targetGUID=target)
                for target in sel.notes:
                    etree.SubElement(s, n + "NoteRef", targetGUID=target)
    if project.notes:
        notes = etree.SubElement(root, n + "Notes")
        for note in project.notes.values():
            el = etree.SubElement(notes, n + "Note", guid=note.guid)
            if note.name:
                el.set("name", note.name)
            if note.user_guid:
                el.set("creatingUser", note.user_guid)
            etree.SubElement(el, n + "PlainTextContent").text = note.text or ""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
