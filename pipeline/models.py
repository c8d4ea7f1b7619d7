"""Typed records that flow through Kwali: documents, turns, segments, tags.

Offsets are sacred: every span is a pair of character offsets into ``Document.text`` (the
normalised text), and every record that carries a span also carries the text it points to, so
that a test (and a suspicious reader) can check ``document.text[start:end] == text``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum


class Unit(str, Enum):
    """Unit of analysis a document is split into."""

    TURN = "turn"
    PARAGRAPH = "paragraph"
    SENTENCE = "sentence"


class Polarity(str, Enum):
    """Whether a tag's evidence affirms or negates the code ("geen vertrouwen" is negative)."""

    POSITIVE = "positive"
    NEGATIVE = "negative"


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker turn inside a document.

    Attributes:
        start: Offset of the turn's content (after any speaker label) in ``Document.text``.
        end: End offset (exclusive) of the turn's content.
        speaker: Speaker name as written ("Interviewer", "R", "Sanne"), or None when unknown.
        timestamp: Timestamp as written in the source ("00:12:31", "00:00:01.000"), if any.
    """

    start: int
    end: int
    speaker: str | None = None
    timestamp: str | None = None


@dataclass(slots=True)
class Document:
    """One source text after reading and normalisation.

    Attributes:
        id: Stable id: the file's path relative to the corpus folder (posix), plus ``#row`` for
            one excerpt of a survey file.
        case_id: Case the document belongs to (from cases.csv, else the document's own id).
        text: Normalised text (NFC, no soft hyphens or ligatures, dehyphenated, tidy whitespace).
        turns: Speaker turns in text order; a text without speaker labels is one turn per
            paragraph with ``speaker=None``.
        metadata: Source format, title and any attributes the reader found.
        sha256: Hash of the raw source bytes (a survey row: of its file plus row id).
    """

    id: str
    case_id: str
    text: str
    turns: list[Turn]
    sha256: str
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def n_words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True, slots=True)
class Segment:
    """A unit of analysis: the thing that gets coded.

    Attributes:
        id: Stable id from document, unit, text and occurrence: it survives edits elsewhere in
            the document and changes only when the segment's own text changes.
        document_id: Id of the source document.
        case_id: Case of the source document.
        index: Position of the segment within its document (0-based).
        start: Offset in the document's normalised text.
        end: End offset (exclusive).
        text: ``document.text[start:end]``.
        speaker: Speaker of the turn the segment comes from, if known.
        timestamp: Timestamp of that turn, if any.
        unit: The unit of analysis that produced it.
    """

    id: str
    document_id: str
    case_id: str
    index: int
    start: int
    end: int
    text: str
    speaker: str | None = None
    timestamp: str | None = None
    unit: Unit = Unit.TURN

    @property
    def n_words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a tagger proposed a code: the matched tokens and where they are.

    Attributes:
        text: The matched text as it stands in the segment.
        start: Offset within the segment's text.
        end: End offset within the segment's text (exclusive).
        pattern: The codebook pattern (or example, for semantic taggers) that matched.
        negated_by: The negation word that flipped polarity, if any.
    """

    text: str
    start: int
    end: int
    pattern: str
    negated_by: str | None = None


@dataclass(frozen=True, slots=True)
class Tag:
    """A machine proposal: this segment is about this code.

    Attributes:
        segment_id: The tagged segment.
        code_id: Codebook code id.
        theme_id: Theme the code belongs to.
        score: Confidence in [0, 1].
        method: Tagger that proposed it ("rules", "semantic", ...).
        polarity: Positive, or negative when the evidence is negated.
        evidence: The matches behind the proposal.
    """

    segment_id: str
    code_id: str
    theme_id: str
    score: float
    method: str
    polarity: Polarity = Polarity.POSITIVE
    evidence: tuple[Evidence, ...] = ()


class Verdict(str, Enum):
    """What a human coder (or an imported coding) says about a code on a segment."""

    ACCEPT = "accept"  # the code applies (a machine proposal confirmed, or a code added)
    REJECT = "reject"  # the code does not apply
    UNDONE = "undone"  # an undo: the coder took back an earlier decision (no opinion now)


@dataclass(frozen=True, slots=True)
class Decision:
    """A human decision: coder X says code C does (not) apply to segment S.

    Decisions are never overwritten: a new decision for the same (segment, code, coder)
    supersedes the old one, which stays in the store as the audit trail.

    Attributes:
        segment_id: The segment decided on.
        code_id: The code decided on.
        coder: User name of the coder (imported codings: the other tool's user name).
        verdict: Accept or reject.
        polarity: Polarity the coder gives, if any.
        memo: The coder's note.
        source: Where it came from: "review", "import:<file>", "consensus".
    """

    segment_id: str
    code_id: str
    coder: str
    verdict: Verdict
    polarity: Polarity | None = None
    memo: str | None = None
    source: str = "review"


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A source file that could not be used, with a reason a researcher can act on."""

    path: str
    reason: str


def stable_id(*parts: str, length: int = 16) -> str:
    """Hash parts into a short hex id that is the same on every machine and run."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]
