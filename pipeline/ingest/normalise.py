"""Text normalisation: one canonical form for text from any reader.

Every offset in Kwali points into the normalised text, so this function decides what a
"character" is for the rest of the pipeline. It is idempotent: ``normalise(normalise(x)) ==
normalise(x)``, which lets a stored document be normalised again without moving its spans.

Line breaks inside a paragraph are what PDF extraction and mail programs leave behind when they
wrap text at 60-80 characters; they are joined with a space. A break is kept when the next line
starts a speaker label (see ``turns.parse_label``) or a bullet, and after a heading (the short
first line of a paragraph, without final punctuation, followed by a capitalised line).

Hyphenation at a line break is repaired with this rule ("ver-" + "dichtingsopgave" ->
"verdichtingsopgave"). The hyphen is removed when a lower-case letter ends the line and a
lower-case letter starts the next, except that the hyphen is kept when

* the left part is an abbreviation: it has a capital after its first letter or a digit
  ("RAAK-", "CO2-"), has no vowel ("zzp-", "mkb-"), is one of a few lower-case acronyms
  ("hbo-", "wmo-"), is a single letter ("e-mail") or is "ex" ("ex-partner");
* the left part already holds a hyphen ("woon-werk-" + "verkeer");
* the right part starts with a capital or digit ("Noord-" + "Holland", "covid-" + "19");
* joining would make two vowels that Dutch reads as one sound, which is exactly when Dutch
  spelling writes a hyphen in a compound ("zee-egel", "auto-ongeluk", "na-apen").

A capitalised left part alone ("Onder-" + "zoek" at the start of a sentence) is ordinary
hyphenation and is joined. The vowel rule cannot tell "zee-egel" from a word that Dutch writes
with a trema ("be-" + "eindigen" for "beëindigen"); those keep their hyphen, which loses no
words. A hyphen followed by a space before the break, or by a conjunction on the next line
(en, of, als, tot...), is an elision dash ("gebieds- en buurtplannen") and keeps its space.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.ingest.turns import parse_label

_LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
_REMOVED = "\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e"
_SPACES = "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_SPACES += "\u202f\u205f\u3000"


def _translation_table() -> dict[int, str]:
    table: dict[int, str] = {ord(k): v for k, v in _LIGATURES.items()}
    table.update({ord(c): "" for c in _REMOVED})
    table.update({ord(c): " " for c in _SPACES})
    # Control characters carry no text; a form feed is a PDF page break, so a paragraph break.
    table.update({c: "" for c in range(0x00, 0x20) if c not in (0x09, 0x0A)})
    table.update({c: "" for c in range(0x7F, 0xA0)})
    table.update({0x0B: "\n", 0x85: "\n", 0x2028: "\n", 0x0C: "\n\n", 0x2029: "\n\n"})
    # Unicode's own hyphens become the ASCII one so that the hyphenation rule sees them.
    table.update({0x2010: "-", 0x2011: "-"})
    return table


_TABLE = _translation_table()
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_SPACE_RUN = re.compile(" {2,}")
_BULLET = re.compile(r"(?:[•◦▪▫●○‣∙·■□➢►▶✓✔]|[-*+–—][ ]|\d{1,3}[.)][ ]|[a-z][.)][ ])")
_LEFT_WORD = re.compile(r"(\w[\w-]*)-$")
_VOWEL_PAIRS = frozenset(
    {"aa", "ae", "ai", "au", "ee", "ei", "eu", "ie", "ii", "oe", "oi", "oo", "ou", "ui", "uu"}
)
_ACRONYMS = frozenset(
    {"hbo", "mbo", "vmbo", "havo", "vwo", "wmo", "woz", "ozb", "ict", "uwv", "ex"}
)
_ELISION_NEXT = frozenset({"en", "of", "en/of", "tot", "noch", "als", "dan"})
# A heading does not end on these words: a line that does is wrapped prose ("... door de").
_FUNCTION_WORDS = frozenset(
    {
        "de", "het", "een", "en", "of", "van", "in", "op", "aan", "met", "voor", "door", "bij",
        "naar", "om", "te", "tot", "uit", "over", "als", "dat", "die", "dit", "deze", "is",
        "zijn", "wordt", "worden", "heeft", "hebben", "er", "ook", "niet", "maar", "wel",
    }
)
_HEADING_MAX_CHARS = 60


def normalise(text: str) -> str:
    """Bring text from any reader into Kwali's canonical form.

    NFC; ligatures spelled out; soft hyphens, zero-width and control characters removed; all
    spaces plain; LF line breaks; one space between words; wrapped lines joined and line-end
    hyphenation repaired (see the module docstring for the rule); paragraphs separated by
    exactly one blank line; no leading or trailing whitespace.

    Args:
        text: Raw text from a reader.

    Returns:
        The normalised text. ``normalise`` of its own output returns it unchanged.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text.translate(_TABLE))
    paragraphs: list[str] = []
    block: list[tuple[str, bool]] = []
    for raw in text.split("\n"):
        line, spaced = _tidy_line(raw)
        if line:
            block.append((line, spaced))
        elif block:
            paragraphs.append(_join_lines(block))
            block = []
    if block:
        paragraphs.append(_join_lines(block))
    # Cheap insurance: no rule above should leave a composable pair, but the output must be NFC.
    return unicodedata.normalize("NFC", "\n\n".join(paragraphs))


def _tidy_line(raw: str) -> tuple[str, bool]:
    """One line stripped and with single spaces; also whether it had trailing space."""
    line = raw.strip(" ")
    spaced = line != raw.rstrip(" ")
    if line and _PRIVATE_USE.match(line):
        # Symbol-font glyphs (Wingdings arrows and bullets from PDF and Word) have no meaning
        # in Unicode; at the start of a line they are bullets, elsewhere separators.
        line = "• " + line[1:]
    line = _PRIVATE_USE.sub(" ", line)
    return _SPACE_RUN.sub(" ", line).strip(" "), spaced


def _join_lines(lines: list[tuple[str, bool]]) -> str:
    """Join the lines of one paragraph, keeping the breaks that carry structure."""
    out = [lines[0][0]]
    for i in range(1, len(lines)):
        prev, prev_spaced = lines[i - 1]
        line = lines[i][0]
        if _keeps_break(prev, line, first=i == 1):
            out.append(line)
        else:
            out[-1] = _join_pair(out[-1], prev_spaced, line)
    return "\n".join(out)


def _keeps_break(prev: str, line: str, *, first: bool) -> bool:
    if _BULLET.match(line) or parse_label(line) is not None:
        return True
    return first and _is_heading(prev, line)


def _is_heading(line: str, following: str) -> bool:
    if len(line) > _HEADING_MAX_CHARS or not line[-1].isalnum():
        return False
    if not (following[0].isupper() or following[0].isdigit()):
        return False
    return line.rsplit(" ", 1)[-1].lower() not in _FUNCTION_WORDS


def _join_pair(left: str, left_spaced: bool, right: str) -> str:
    """Join two wrapped lines, repairing a hyphenated word across the break."""
    match = _LEFT_WORD.search(left)
    if not match:
        return f"{left} {right}"
    word = match.group(1)
    next_word = right.split(" ", 1)[0].rstrip(".,;:!?")
    if left_spaced or next_word.lower() in _ELISION_NEXT:
        return f"{left} {right}"
    if _keeps_hyphen(word, right):
        return left + right
    return left[:-1] + right


def _keeps_hyphen(word: str, right: str) -> bool:
    """Whether "word-" + line break + right is a real hyphen rather than hyphenation."""
    last, first = word[-1], right[0]
    if not (last.islower() and first.islower()):
        return True
    if "-" in word or len(word) == 1 or word.lower() in _ACRONYMS:
        return True
    if any(c.isdigit() for c in word) or any(c.isupper() for c in word[1:]):
        return True
    if not any(c in "aeiouyáéíóúàèëïöüâêîôû" for c in word.lower()):
        return True
    return (last + first) in _VOWEL_PAIRS
