"""Speaker turns in a normalised transcript.

A speaker label sits at the start of a line: ``Interviewer:``, ``R:``, ``Joost de Vries:``,
``SANNE:``, ``[00:12:31] Sanne:``, ``00:12:31 Sanne:``, ``(00:12) Sanne:`` or
``Sanne [00:12:31]:``. The content of a turn runs from after the label to the next label line,
across blank lines.

Finding labels is two steps, because "Conclusie: het werkt" looks exactly like "Sanne: het
werkt" on its own:

1. ``parse_label`` recognises a label *candidate* from the shape of one line. ``normalise`` uses
   it too, so that it never joins a candidate line onto the line before it.
2. ``detect_turns`` accepts candidates only in a document that is evidently a transcript: one
   where some label occurs at least twice, is an interview role word (Interviewer, R,
   Deelnemer 3...) or carries a timestamp. There every candidate counts, so that a guest who
   speaks once is a speaker too. A common prose or header word ("Let op", "Bron", "Datum",
   "Foto") is never a speaker.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pipeline.models import Turn

# A timestamp as transcription tools write it: 12:31, 00:12:31, 00:12:31.500, 00:12:31,500.
_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_TS_PREFIX = re.compile(rf"\[\s*({_TS})\s*\][ \t]*|\(\s*({_TS})\s*\)[ \t]*|({_TS})[ \t]+")
# Longest name part we look at; real labels are short, and a bound keeps prose out.
_MAX_NAME_CHARS = 48
# "Sanne [00:12:31]:" -- the timestamp's own colons rule out a plain search for the first colon.
_NAME_TS_COLON = re.compile(
    rf"([^:\[\(\n]{{1,{_MAX_NAME_CHARS}}}?)\s*(?:\[\s*({_TS})\s*\]|\(\s*({_TS})\s*\))\s*:"
)

# Interview roles; a label that is one of these (optionally numbered: "Respondent 2", "R1") is a
# speaker even if it occurs only once.
ROLE_WORDS = frozenset(
    {
        "interviewer", "interviewster", "interviewee", "respondent", "geïnterviewde",
        "geinterviewde", "moderator", "gespreksleider", "deelnemer", "spreker", "onderzoeker",
        "vraag", "antwoord", "i", "r", "q", "a", "v",
    }
)

# Words that look like labels in reports, mails and transcript headers but are not speakers.
NOT_SPEAKERS = frozenset(
    {
        "let op", "let wel", "bron", "bronnen", "noot", "voetnoot", "conclusie", "opmerking",
        "opmerkingen", "tip", "zie", "voorbeeld", "definitie", "samenvatting", "contact",
        "datum", "tijd", "duur", "locatie", "plaats", "titel", "thema", "onderwerp", "doel",
        "aanleiding", "resultaat", "resultaten", "inleiding", "toelichting", "kortom", "nb",
        "ps", "email", "e-mail", "website", "tel", "telefoon", "adres", "aanwezig",
        "aanwezigen", "afwezig", "transcript", "opname", "bijlage", "tabel", "figuur", "kop",
        "actie", "acties", "besluit", "stelling", "vragen", "agenda", "van", "aan", "cc",
        "verzonden", "foto", "fotografie", "afbeelding", "illustratie", "grafiek", "kader",
        "bijschrift", "beeld", "tekst", "auteur", "redactie", "interview", "publicatie",
        "waarom", "wat", "hoe", "wie", "maar", "dus", "en", "ook",
    }
)

# Lower-case name particles (tussenvoegsels) allowed between capitalised name words.
_PARTICLES = frozenset(
    {
        "van", "de", "der", "den", "het", "ten", "ter", "te", "in", "'t", "’t", "op", "uit",
        "el", "al", "la", "le", "da", "di", "du", "do", "dos", "das", "del", "della", "von",
        "zu", "bin", "ben", "ibn", "y",
    }
)
_TITLES = frozenset({"dhr.", "mw.", "mevr.", "mr.", "dr.", "drs.", "ir.", "ing.", "prof."})
_NAME_WORD = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*\d*")
_LOOSE_WORD = re.compile(r"[^\W_][\w'’.-]*")
_NUMBER = re.compile(r"\d{1,3}[a-z]?")
_TRAILING_NUMBER = re.compile(r"\s*\d+[a-z]?$")


class Label(NamedTuple):
    """A speaker label candidate at the start of a line.

    Attributes:
        speaker: The label as written, without timestamp and colon, whitespace collapsed.
        timestamp: Timestamp written with the label, if any.
        content_offset: Offset in the line where the turn's content begins (after the colon
            and the spaces that follow it).
    """

    speaker: str
    timestamp: str | None
    content_offset: int


def parse_label(line: str) -> Label | None:
    """Recognise a speaker-label candidate at the start of one line.

    Args:
        line: One line of text, without its line break.

    Returns:
        The label, or None when the line does not start with something shaped like one.
    """
    pos = len(line) - len(line.lstrip(" \t"))
    timestamp = None
    ts_match = _TS_PREFIX.match(line, pos)
    if ts_match:
        timestamp = next(g for g in ts_match.groups() if g)
        pos = ts_match.end()
    with_ts = _NAME_TS_COLON.match(line, pos) if timestamp is None else None
    if with_ts:
        name = with_ts.group(1)
        timestamp = with_ts.group(2) or with_ts.group(3)
        colon = with_ts.end() - 1
    else:
        colon = line.find(":", pos, pos + _MAX_NAME_CHARS + 1)
        if colon <= pos:
            return None
        name = line[pos:colon]
    # "Sanne: ja" and "Sanne:" are labels; "Tijd:12" and "http://" are not.
    if colon + 1 < len(line) and not line[colon + 1].isspace():
        return None
    words = name.split()
    if not words or not _valid_name(words, loose=timestamp is not None):
        return None
    offset = colon + 1
    while offset < len(line) and line[offset].isspace():
        offset += 1
    return Label(" ".join(words), timestamp, offset)


def _valid_name(words: list[str], *, loose: bool) -> bool:
    """Whether words can be a speaker name (strict), or follow a timestamp (loose)."""
    if is_role(" ".join(words)):
        return True
    if loose:
        # A timestamp is strong evidence by itself, so we only ask for a short name that starts
        # with a capital; transcription tools write names like "Spreker 1" or "sanne.k".
        return (
            len(words) <= 5
            and words[0][0].isupper()
            and all(_LOOSE_WORD.fullmatch(w) for w in words)
        )
    capitalised = 0
    for i, word in enumerate(words):
        last = i == len(words) - 1
        if i == 0 and word.lower() in _TITLES:
            continue
        if word[0].isupper() and _NAME_WORD.fullmatch(word):
            capitalised += 1
        elif i > 0 and not last and word.lower() in _PARTICLES:
            continue
        elif i > 0 and last and _NUMBER.fullmatch(word):
            continue
        else:
            return False
    return 1 <= capitalised <= 4 and words[0][0].isupper()


def is_role(speaker: str) -> bool:
    """Whether a label is an interview role word, optionally numbered ("Respondent 2", "R1")."""
    return _TRAILING_NUMBER.sub("", speaker).casefold() in ROLE_WORDS


def is_not_speaker(speaker: str) -> bool:
    """Whether a label is a common prose or header word that is never a speaker."""
    return speaker.casefold().rstrip(".") in NOT_SPEAKERS


def detect_turns(text: str) -> list[Turn]:
    """Split a normalised text into speaker turns.

    Args:
        text: Normalised document text.

    Returns:
        Turns in text order. Text before the first label is one turn with ``speaker=None``; a
        text without speaker labels is one turn per paragraph with ``speaker=None``. Offsets
        point at the content (label excluded), trimmed of whitespace, so that
        ``text[turn.start:turn.end]`` is the turn's words.
    """
    labels = _accepted_labels(text)
    if not labels:
        return [Turn(start, end) for start, end in paragraph_spans(text)]
    turns: list[Turn] = []
    lead = _trim(text, 0, labels[0][0])
    if lead:
        turns.append(Turn(*lead))
    for i, (line_start, label) in enumerate(labels):
        stop = labels[i + 1][0] if i + 1 < len(labels) else len(text)
        span = _trim(text, line_start + label.content_offset, stop)
        if span:
            turns.append(Turn(span[0], span[1], label.speaker, label.timestamp))
    return turns


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Spans of blank-line separated paragraphs, trimmed of surrounding whitespace."""
    spans = []
    start = None
    pos = 0
    for line in text.split("\n"):
        blank = not line.strip()
        if start is None and not blank:
            start = pos
        elif start is not None and blank:
            span = _trim(text, start, pos)
            if span:
                spans.append(span)
            start = None
        pos += len(line) + 1
    if start is not None:
        span = _trim(text, start, len(text))
        if span:
            spans.append(span)
    return spans


def _accepted_labels(text: str) -> list[tuple[int, Label]]:
    """Label candidates that pass the speaker rules, with the offset of their line."""
    candidates = []
    pos = 0
    for line in text.split("\n"):
        label = parse_label(line)
        if label is not None:
            candidates.append((pos, label))
        pos += len(line) + 1
    counts: dict[str, int] = {}
    for _, label in candidates:
        key = label.speaker.casefold()
        counts[key] = counts.get(key, 0) + 1

    def evident(label: Label) -> bool:
        return bool(label.timestamp) or counts[label.speaker.casefold()] >= 2

    usable = [
        (at, label)
        for at, label in candidates
        if is_role(label.speaker) or not is_not_speaker(label.speaker)
    ]
    # Once a document is evidently a transcript, a name that speaks only once is a speaker too.
    if any(is_role(label.speaker) or evident(label) for _, label in usable):
        return usable
    return []


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Shrink [start, end) past surrounding whitespace; None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None
