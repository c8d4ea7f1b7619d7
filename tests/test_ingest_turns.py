"""detect_turns: speaker turns with content offsets into the normalised text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ingest.normalise import normalise
from pipeline.ingest.turns import detect_turns, parse_label


def _spoken(text):
    """(speaker, timestamp, content) per turn, for readable assertions."""
    return [(t.speaker, t.timestamp, text[t.start : t.end]) for t in detect_turns(text)]


@pytest.mark.parametrize(
    ("label", "speaker", "timestamp"),
    [
        ("Interviewer:", "Interviewer", None),
        ("Interviewer 2:", "Interviewer 2", None),
        ("Respondent:", "Respondent", None),
        ("Respondent 2:", "Respondent 2", None),
        ("I:", "I", None),
        ("R:", "R", None),
        ("Geïnterviewde:", "Geïnterviewde", None),
        ("Deelnemer 3:", "Deelnemer 3", None),
        ("[00:12:31] Sanne:", "Sanne", "00:12:31"),
        ("00:12:31 Sanne:", "Sanne", "00:12:31"),
        ("(00:12) Sanne:", "Sanne", "00:12"),
        ("[00:00:01.000] Sanne:", "Sanne", "00:00:01.000"),
        ("Sanne [00:12:31]:", "Sanne", "00:12:31"),
    ],
)
def test_detect_turns_recognises_roles_and_timestamped_labels_once(label, speaker, timestamp):
    text = f"{label} Hoe lang woont u hier al?"
    assert _spoken(text) == [(speaker, timestamp, "Hoe lang woont u hier al?")]


@pytest.mark.parametrize(
    "name",
    ["Sanne", "Joost de Vries", "Fatima El Amrani", "Jan van der Berg", "SANNE", "Dhr. Bakker"],
)
def test_detect_turns_recognises_names_that_occur_twice(name):
    text = f"{name}: Ik ben begonnen in 2010.\nAhmed: Ik later.\n{name}: Dat weet ik."
    assert _spoken(text) == [
        (name, None, "Ik ben begonnen in 2010."),
        ("Ahmed", None, "Ik later."),
        (name, None, "Dat weet ik."),
    ]


def test_detect_turns_content_offsets_exclude_the_label():
    text = "Interviewer: Waarom hier?\n\nRespondent 2:   Vanwege de huur."
    turns = detect_turns(text)
    assert [text[t.start : t.end] for t in turns] == ["Waarom hier?", "Vanwege de huur."]
    assert turns[1].start == text.index("Vanwege")


def test_detect_turns_continues_a_turn_across_unlabelled_paragraphs():
    text = "R: Eerste alinea.\n\nTweede alinea van dezelfde spreker.\n\nI: Dank u."
    assert _spoken(text) == [
        ("R", None, "Eerste alinea.\n\nTweede alinea van dezelfde spreker."),
        ("I", None, "Dank u."),
    ]


def test_detect_turns_puts_intro_before_first_label_in_an_anonymous_turn():
    text = "Interview wijkwinkel\n\nDatum: 3 mei\n\nInterviewer: Welkom.\nRespondent: Dank."
    assert _spoken(text) == [
        (None, None, "Interview wijkwinkel\n\nDatum: 3 mei"),
        ("Interviewer", None, "Welkom."),
        ("Respondent", None, "Dank."),
    ]


def test_detect_turns_without_labels_gives_one_turn_per_paragraph():
    text = "Eerste alinea over de wijk.\nNog een regel.\n\nTweede alinea."
    assert _spoken(text) == [
        (None, None, "Eerste alinea over de wijk.\nNog een regel."),
        (None, None, "Tweede alinea."),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Let op: dit is geen spreker.\n\nEn dit ook niet.",
        "Conclusie: de huur is te hoog.\n\nDe gemeente kijkt mee.",
        "Alvarado Valenzuela: “Het ene netwerk is anders.”\n\nDaarna volgt uitleg.",
        "Foto: Marianne de Beer\n\nTekst.\n\nFoto: Marianne de Beer",
    ],
)
def test_detect_turns_ignores_label_like_prose(text):
    assert all(t.speaker is None for t in detect_turns(text))


def test_detect_turns_accepts_a_one_off_speaker_in_an_evident_transcript():
    text = "Sanne: Welkom.\nAhmed: Dank.\nLet op: de opname loopt.\nSanne: Fijn."
    assert _spoken(text) == [
        ("Sanne", None, "Welkom."),
        ("Ahmed", None, "Dank.\nLet op: de opname loopt."),
        ("Sanne", None, "Fijn."),
    ]


def test_detect_turns_label_alone_on_its_line_takes_the_next_lines():
    text = "Sanne:\nIk denk het wel.\nSanne: Ja."
    assert _spoken(text) == [("Sanne", None, "Ik denk het wel."), ("Sanne", None, "Ja.")]


def test_detect_turns_of_empty_text_is_empty():
    assert detect_turns("") == []
    assert detect_turns("\n\n  \n") == []


@pytest.mark.parametrize(
    "line", ["http://example.org", "Tijd:12 uur", "het is zo: nee", "12:30 uur: start"]
)
def test_parse_label_rejects_lines_that_are_not_labels(line):
    assert parse_label(line) is None


def _assert_turn_invariants(text, turns):
    covered = bytearray(len(text))
    previous_end = 0
    for turn in turns:
        assert previous_end <= turn.start < turn.end <= len(text)
        assert text[turn.start : turn.end] == text[turn.start : turn.end].strip()
        covered[turn.start : turn.end] = b"\x01" * (turn.end - turn.start)
        previous_end = turn.end
    # Characters outside every turn are whitespace or the label at the start of a line.
    label_chars = bytearray(len(text))
    pos = 0
    for line in text.split("\n"):
        label = parse_label(line)
        if label is not None:
            label_chars[pos : pos + label.content_offset] = b"\x01" * label.content_offset
        pos += len(line) + 1
    for i, char in enumerate(text):
        if not covered[i] and not char.isspace():
            assert label_chars[i], f"{char!r} at {i} is in no turn"


_TRANSCRIPT_PIECES = st.sampled_from(
    [
        "Interviewer: ", "R: ", "Sanne: ", "Joost de Vries: ", "[00:12:31] Sanne: ", "(00:12) X: ",
        "Let op: ", "SANNE: ", "Sanne:", "ja ", "nee. ", "de huur ", "\n", "\n\n", " ", "  ", "\t",
        "\r", ":", "é", "\u2028",
    ]
)
_TRANSCRIPTS = st.one_of(
    st.text(max_size=80), st.lists(_TRANSCRIPT_PIECES, max_size=30).map("".join)
)


@settings(max_examples=400, deadline=None)
@given(_TRANSCRIPTS)
def test_detect_turns_invariants_hold_for_any_text(text):
    _assert_turn_invariants(text, detect_turns(text))


@settings(max_examples=200, deadline=None)
@given(_TRANSCRIPTS)
def test_detect_turns_invariants_hold_for_normalised_text(text):
    text = normalise(text)
    _assert_turn_invariants(text, detect_turns(text))
