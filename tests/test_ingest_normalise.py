"""normalise: one canonical, idempotent form for text from any reader."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest.normalise import normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("de ﬁets en het ﬂesje", "de fiets en het flesje"),
        ("eﬀect, eﬃciënt, waﬄe, ﬅraat, ﬆoep", "effect, efficiënt, waffle, straat, stoep"),
        ("onder\u00adnemers\u00ad", "ondernemers"),
        ("buurt\u200bwinkel\u200d en\ufeff wijk\u2060", "buurtwinkel en wijk"),
        ("10\u00a0km\u202fen 20\u2009m", "10 km en 20 m"),
        ("regel een\r\nregel twee\rregel drie", "regel een regel twee regel drie"),
        ("woorden\tmet\t\ttabs", "woorden met tabs"),
        ("veel     spaties   hier", "veel spaties hier"),
        ("  voor en na  \n\n  ", "voor en na"),
        ("alinea een\n\n\n\n\nalinea twee", "alinea een\n\nalinea twee"),
        ("alinea een   \n   \n\t\nalinea twee", "alinea een\n\nalinea twee"),
        ("pagina een\fpagina twee", "pagina een\n\npagina twee"),
    ],
)
def test_normalise_cleans_characters_and_whitespace(raw, expected):
    assert normalise(raw) == expected


def test_normalise_composes_to_nfc():
    decomposed = "gei\u0308nterviewde cafe\u0301"
    assert normalise(decomposed) == "geïnterviewde café"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # plain line-break hyphenation is repaired
        ("de ver-\ndichtingsopgave", "de verdichtingsopgave"),
        ("Onder-\nzoek laat zien", "Onderzoek laat zien"),
        ("re-\nageren", "reageren"),
        # a capitalised right part: a real compound
        ("in Noord-\nHolland", "in Noord-Holland"),
        ("Amsterdam-\nRijnkanaal", "Amsterdam-Rijnkanaal"),
        # vowel clash: Dutch writes these compounds with a hyphen
        ("een zee-\negel", "een zee-egel"),
        ("het auto-\nongeluk", "het auto-ongeluk"),
        ("na-\napen", "na-apen"),
        ("radio-\nuitzending", "radio-uitzending"),
        # abbreviations, acronyms, digits, single letters
        ("het zzp-\nnetwerk", "het zzp-netwerk"),
        ("mkb-\nbedrijven", "mkb-bedrijven"),
        ("de wmo-\nconsulent", "de wmo-consulent"),
        ("RAAK-\npubliek", "RAAK-publiek"),
        ("CO2-\nneutrale", "CO2-neutrale"),
        ("e-\nmail", "e-mail"),
        ("ex-\npartner", "ex-partner"),
        # a part that already holds a hyphen
        ("woon-werk-\nverkeer", "woon-werk-verkeer"),
        # elision dashes keep their space
        ("gebieds- \nen buurtplannen", "gebieds- en buurtplannen"),
        ("meubel-\nof houtbewerking", "meubel- of houtbewerking"),
        # a dash on its own is punctuation, not hyphenation
        ("de huur -\nen de rest", "de huur - en de rest"),
    ],
)
def test_normalise_repairs_line_break_hyphenation_by_dutch_rule(raw, expected):
    assert normalise(raw) == expected


def test_normalise_keeps_hyphen_written_on_one_line():
    assert normalise("een woon-werkpand met zzp-ers") == "een woon-werkpand met zzp-ers"


def test_normalise_joins_hard_wrapped_lines_like_pdf_text():
    raw = (
        "Het is inmiddels een bekend beeld: druk typende mensen die \n"
        "de hele dag achter hun laptop in een koffietent aan het \n"
        "werk zijn.\n"
    )
    assert normalise(raw) == (
        "Het is inmiddels een bekend beeld: druk typende mensen die de hele dag achter hun "
        "laptop in een koffietent aan het werk zijn."
    )


def test_normalise_keeps_line_breaks_before_speaker_labels():
    raw = "Interviewer: Hoe gaat\nhet?\nSanne de Boer: Goed,\ndank je.\n[00:01:02] R: Ja."
    assert normalise(raw) == (
        "Interviewer: Hoe gaat het?\nSanne de Boer: Goed, dank je.\n[00:01:02] R: Ja."
    )


def test_normalise_keeps_line_breaks_before_bullets():
    raw = "Aandachtspunten:\n• huur\n- parkeren en\nladen\n* veiligheid\n– groen\n1. subsidie"
    assert normalise(raw) == (
        "Aandachtspunten:\n• huur\n- parkeren en laden\n* veiligheid\n– groen\n1. subsidie"
    )


def test_normalise_turns_symbol_font_glyphs_into_bullets_and_spaces():
    assert normalise("\uf0b7 Actieplan Krachtwijken\uf0e0Wijkplannen") == (
        "• Actieplan Krachtwijken Wijkplannen"
    )


def test_normalise_keeps_heading_line_above_its_paragraph():
    raw = (
        "De grote groep onzichtbare ondernemers\n"
        "Deze werkplekken zijn vaak gevestigd op\nA-locaties."
    )
    assert normalise(raw) == (
        "De grote groep onzichtbare ondernemers\n"
        "Deze werkplekken zijn vaak gevestigd op A-locaties."
    )


def test_normalise_does_not_take_wrapped_prose_for_a_heading():
    raw = "Het onderzoek is gedaan door de\nHogeschool van Amsterdam in 2021."
    assert normalise(raw) == "Het onderzoek is gedaan door de Hogeschool van Amsterdam in 2021."


def test_normalise_of_empty_and_blank_text_is_empty():
    assert normalise("") == ""
    assert normalise(" \n\t\u00a0\u200b\n") == ""


# Pieces that exercise every rule: hyphens at line ends, labels, bullets, headings, odd spaces.
_PIECES = st.sampled_from(
    [
        "ver-", "dichting", "zee-", "egel", "Noord-", "Holland", "zzp-", "en", "of", "woon-werk-",
        "Interviewer:", "Sanne:", "[00:12:31]", "R:", "•", "- ", "1.", "\uf0b7", "ﬁ", "\u00ad",
        "\u200b", "\u00a0", "\t", " ", "  ", "\n", "\n\n", "\n \n", "\r\n", "\f", "a", "E", "é",
        "e\u0301", "\u0301", "-", ":", ".", "De grote kop", "tekst", "2", "ë",
    ]
)
_TEXTS = st.one_of(st.text(max_size=80), st.lists(_PIECES, max_size=30).map("".join))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS)
def test_normalise_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_normalise_output_has_canonical_whitespace(text):
    result = normalise(text)
    assert result == result.strip()
    assert "\n\n\n" not in result
    assert "  " not in result
    assert "\u00ad" not in result and "\t" not in result and "\r" not in result
    assert all(line == line.strip() for line in result.split("\n"))
