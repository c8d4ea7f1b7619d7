"""The parts of a REFI-QDA project that Kwali reads and writes, as plain records.

REFI-QDA (QDA-XML 1.0) is the exchange format of NVivo, ATLAS.ti, MAXQDA, QualCoder, f4 and
others. These records are the common ground between the XML (``qde_xml``), the zip container
(``qdpx_export``/``qdpx_import``) and the Kwali store. Positions are Unicode code points into a
source's plain text, end exclusive (spec section 10.2), which is exactly a Python ``str`` slice.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

GUID_RE = re.compile(r"^(\{)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?(1)\})$")

# One fixed namespace for every GUID Kwali writes: the same study gives the same GUIDs on every
# machine, so a re-export is byte-identical and another tool sees the same objects again.
KWALI_NS = uuid.UUID("6f1b3c52-2a57-4c1e-9d4e-4b77616c6931")


def kwali_guid(kind: str, *parts: str) -> str:
    """Deterministic GUID for a Kwali object (``kind`` is e.g. "code", "source", "user")."""
    return str(uuid.uuid5(KWALI_NS, "\x1f".join((kind, *parts))))


def is_guid(value: str) -> bool:
    """Whether ``value`` is a GUID as the REFI schemas define it."""
    return bool(GUID_RE.match(value or ""))


@dataclass
class QdaCode:
    """A code of the codebook; codes nest.

    Attributes:
        guid: The code's GUID as written (other tools' files may hold non-GUIDs).
        name: Display name.
        codable: ``isCodable``: whether segments may carry this code (folders may not).
        color: ``#rrggbb`` colour, if any.
        description: Description text, if any.
        children: Nested codes.
        line: Line in the XML file, for messages.
    """

    guid: str
    name: str
    codable: bool = True
    color: str | None = None
    description: str | None = None
    children: list[QdaCode] = field(default_factory=list)
    line: int | None = None

    def walk(self):
        """This code and all codes below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class QdaCoding:
    """A code applied to a selection by a user; ``notes`` are GUIDs of notes on the coding."""

    guid: str
    code_guid: str
    user_guid: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class QdaSelection:
    """A plain-text selection: ``text[start:end]`` of its source."""

    guid: str
    start: int
    end: int
    name: str | None = None
    user_guid: str | None = None
    codings: list[QdaCoding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class QdaSource:
    """A text source with its plain text (``None`` when the text is not in the file)."""

    guid: str
    name: str
    text: str | None = None
    plain_text_path: str | None = None
    selections: list[QdaSelection] = field(default_factory=list)


@dataclass
class QdaCase:
    """A case with its variable values (variable name -> value as text) and its sources."""

    guid: str
    name: str
    values: dict[str, str] = field(default_factory=dict)
    source_guids: list[str] = field(default_factory=list)


@dataclass
class QdaNote:
    """A note (memo): a small text source of its own."""

    guid: str
    name: str | None = None
    text: str | None = None
    plain_text_path: str | None = None
    user_guid: str | None = None


@dataclass
class QdaProject:
    """A REFI-QDA project as far as Kwali uses it.

    Attributes:
        name: Project name.
        origin: The tool that wrote it ("NVivo for Windows 12.6", "Kwali 0.1").
        users: User GUID -> name.
        codes: Top-level codes of the codebook.
        variables: Variable GUID -> name (for cases).
        cases: Cases.
        sources: Text sources (picture, PDF, audio and video sources are counted, not kept).
        notes: Notes by GUID.
        other_sources: Number of non-text sources skipped.
        other_selections: Number of non-text selections (picture, PDF, media) skipped.
    """

    name: str
    origin: str | None = None
    users: dict[str, str] = field(default_factory=dict)
    codes: list[QdaCode] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    cases: list[QdaCase] = field(default_factory=list)
    sources: list[QdaSource] = field(default_factory=list)
    notes: dict[str, QdaNote] = field(default_factory=dict)
    other_sources: int = 0
    other_selections: int = 0

    def all_codes(self) -> list[QdaCode]:
        """Every code, depth first."""
        return [c for top in self.codes for c in top.walk()]
