"""A Kwali codebook as a REFI-QDA code tree, and a code tree from another tool as a codebook.

Kwali has two levels (themes with codes, codes may name a ``parent`` code); REFI-QDA has one
tree of codes of any depth. Themes become top-level codes, codes nest under their theme or
their parent code. Kwali ids do not exist in REFI-QDA, so the id is kept as a last line of the
description (``[kwali: trust.building]``): a project that went through NVivo and back keeps its
ids, and a code tree from elsewhere gets ids made from the names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from pipeline.codebook import ID_RE, Code, Codebook, Theme
from pipeline.exchange.qde_model import QdaCode, kwali_guid

MARKER_RE = re.compile(r"\s*\[kwali: ([a-z0-9_.]+)\]\s*$")
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#393b79", "#637939"]
GENERAL = "general"


def slug(name: str) -> str:
    """An id segment from a name: ASCII lower case, digits and '_' ("2. Attitűd" -> "2_attitud")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_") or "code"


def _describe(definition: str, kwali_id: str) -> str:
    return f"{definition.strip()}\n\n[kwali: {kwali_id}]"


def codebook_to_codes(book: Codebook) -> list[QdaCode]:
    """The codebook as REFI-QDA codes: themes on top, codes nested under theme or parent code.

    GUIDs are derived from codebook and code ids, so the same codebook always gives the same
    GUIDs. Colours come from a fixed palette, one per theme.
    """
    top = []
    for i, theme in enumerate(book.themes):
        color = PALETTE[i % len(PALETTE)]
        theme_code = QdaCode(guid=theme_guid(book, theme.id), name=theme.label, codable=True, color=color,
                             description=_describe(theme.definition, theme.id))
        nodes = {c.id: QdaCode(guid=code_guid(book, c.id), name=c.label, codable=True, color=color,
                               description=_describe(c.definition, c.id)) for c in theme.codes}
        top.append((theme, theme_code, nodes))
    all_nodes = {cid: node for _, _, nodes in top for cid, node in nodes.items()}
    parents = {c.id: c.parent for c in book.codes}
    for theme, theme_code, nodes in top:
        for code in theme.codes:
            parent = code.parent
            # a parent chain that loops back would make an infinite tree: hang such codes on the theme
            seen, p = {code.id}, parent
            while p is not None and p not in seen:
                seen.add(p)
                p = parents.get(p)
            if parent is not None and p is None and parent in all_nodes:
                all_nodes[parent].children.append(nodes[code.id])
            else:
                theme_code.children.append(nodes[code.id])
    return [theme_code for _, theme_code, _ in top]


def theme_guid(book: Codebook, theme_id: str) -> str:
    """GUID of a theme's code in exports."""
    return kwali_guid("theme", book.id, theme_id)


def code_guid(book: Codebook, code_id: str) -> str:
    """GUID of a code in exports."""
    return kwali_guid("code", book.id, code_id)


@dataclass
class ImportedCodes:
    """A codebook built from a REFI code tree.

    Attributes:
        codebook: The validated codebook.
        code_of_guid: REFI code GUID -> Kwali code id (a theme's GUID maps to its ``general`` code
            when it was coded or has no children).
        mapping: One row per REFI code: guid, name, kind (theme/code), id, colour.
        warnings: What was changed or dropped on the way.
    """

    codebook: Codebook
    code_of_guid: dict[str, str]
    mapping: list[dict[str, str | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _split_description(description: str | None) -> tuple[str | None, str | None]:
    """(text without the Kwali id line, the id from that line)."""
    if not description:
        return None, None
    match = MARKER_RE.search(description)
    if not match:
        return description.strip() or None, None
    return description[:match.start()].strip() or None, match.group(1)


def codes_to_codebook(codes: list[QdaCode], *, book_id: str, label: str, source: str,
                      coded_guids: set[str] | frozenset[str] = frozenset()) -> ImportedCodes:
    """Build a Kwali codebook from a REFI code tree.

    Args:
        codes: Top-level codes.
        book_id: Codebook id (made valid if needed).
        label: Codebook label.
        source: File name, used in fallback definitions ("imported from ...").
        coded_guids: GUIDs of codes that carry codings; a top-level code among them also
            becomes a code of its own (``<theme>.general``), since themes are not codable.

    Returns:
        The codebook, the GUID -> code id map, a mapping table and warnings.
    """
    used: set[str] = set()
    code_of_guid: dict[str, str] = {}
    mapping: list[dict[str, str | None]] = []
    warnings: list[str] = []
    fallback = f"Geen definitie; geïmporteerd uit {source}."

    def claim(wanted: str | None, made: str) -> str:
        if wanted and ID_RE.match(wanted) and wanted not in used:
            used.add(wanted)
            return wanted
        candidate, n = made, 2
        while candidate in used:
            candidate, n = f"{made}_{n}", n + 1
        used.add(candidate)
        return candidate

    book_slug = slug(book_id)
    themes = []
    for top in codes:
        definition, marked = _split_description(top.description)
        base = slug(top.name)
        theme_id = claim(marked, base if base[0].isalpha() else f"c_{base}")
        mapping.append(dict(guid=top.guid, name=top.name, kind="theme", id=theme_id, color=top.color))
        theme_codes: list[Code] = []

        def add(node: QdaCode, parent_id: str | None, prefix: str) -> None:
            text, wanted = _split_description(node.description)
            cid = claim(wanted, f"{prefix}.{slug(node.name)}")
            theme_codes.append(Code(id=cid, label=node.name or cid, definition=text or fallback, parent=parent_id))
            code_of_guid[node.guid] = cid
            mapping.append(dict(guid=node.guid, name=node.name, kind="code", id=cid, color=node.color))
            for child in node.children:
                add(child, cid, cid)

        if not top.children or (top.codable and top.guid in coded_guids):
            cid = claim(None, f"{theme_id}.{GENERAL}")
            theme_codes.append(Code(id=cid, label=top.name or cid, definition=definition or fallback))
            code_of_guid[top.guid] = cid
            mapping[-1]["id_as_code"] = cid
        for child in top.children:
            add(child, None, theme_id)
        themes.append(Theme(id=theme_id, label=top.name or theme_id, definition=definition or fallback,
                            codes=theme_codes))
    if not themes:
        raise ValueError("no codes")
    book = Codebook(id=claim(None, book_slug if book_slug[0].isalpha() else f"c_{book_slug}"),
                    label=label or book_id, version="1", themes=themes)
    return ImportedCodes(book, code_of_guid, mapping, warnings)
