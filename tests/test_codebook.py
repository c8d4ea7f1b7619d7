"""Codebook loading: valid files load; every kind of problem is reported with its line."""

from __future__ import annotations

import pytest

from pipeline.codebook import load_codebook, parse_pattern
from pipeline.errors import InvalidCodebook

GOOD = """\
id: mini
label: Mini
version: 2
themes:
  - id: trust
    label: Vertrouwen
    definition: Over vertrouwen.
    codes:
      - id: trust.building
        label: Opbouwen
        definition: Vertrouwen opbouwen.
        patterns: [vertrouwen]
"""


def write(tmp_path, text):
    path = tmp_path / "cb.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path, text):
    with pytest.raises(InvalidCodebook) as info:
        load_codebook(write(tmp_path, text))
    return info.value.problems


def test_valid_codebook_loads_with_version_as_text(tmp_path):
    book = load_codebook(write(tmp_path, GOOD))
    assert book.version == "2"
    assert book.theme_of() == {"trust.building": "trust"}
    assert book.codes[0].patterns[0].weight == 1.0


def test_hash_is_stable_and_changes_with_content(tmp_path):
    first = load_codebook(write(tmp_path, GOOD)).sha256()
    assert load_codebook(write(tmp_path, GOOD)).sha256() == first
    assert load_codebook(write(tmp_path, GOOD.replace("[vertrouwen]", "[wantrouwen]"))).sha256() != first


def test_duplicate_id_is_reported_with_both_lines(tmp_path):
    text = GOOD + """\
      - id: trust.building
        label: Nog eens
        definition: Dubbel.
"""
    found = problems(tmp_path, text)
    assert len(found) == 1
    assert found[0].line == 13
    assert "duplicate id 'trust.building'" in found[0].what and "line 9" in found[0].what


def test_unknown_parent_is_reported(tmp_path):
    found = problems(tmp_path, GOOD + "        parent: trust.nope\n")
    assert [p.line for p in found] == [13]
    assert "unknown parent 'trust.nope'" in found[0].what
    assert "use the id of a code" in found[0].fix


def test_invalid_yaml_names_the_line(tmp_path):
    found = problems(tmp_path, GOOD.replace("    label: Vertrouwen\n", "    label: [Vertrouwen\n"))
    assert len(found) == 1 and found[0].line is not None
    assert "invalid YAML" in found[0].what


def test_bad_regex_pattern_is_reported_with_line_and_fix(tmp_path):
    found = problems(tmp_path, GOOD.replace("[vertrouwen]", '["re:vertrouw(en"]'))
    assert len(found) == 1
    assert found[0].line == 12
    assert "invalid regular expression" in found[0].what
    assert "Pattern syntax" in found[0].fix


def test_all_problems_are_reported_at_once(tmp_path):
    text = GOOD.replace("[vertrouwen]", '["*"]') + """\
        parent: trust.nope
      - id: Trust Bad
        label: x
        definition: x
        colour: red
"""
    found = problems(tmp_path, text)
    whats = " | ".join(p.what for p in found)
    assert "no word to match" in whats
    assert "colour" in whats
    # pydantic problems stop the cross-checks; the three found here each carry a line number
    assert all(p.line for p in found)


def test_cross_check_problems_are_collected_together(tmp_path):
    text = GOOD + """\
        parent: trust.nope
      - id: Trust Bad
        label: x
        definition: x
"""
    found = problems(tmp_path, text)
    assert len(found) == 2
    assert {p.line for p in found} == {13, 14}


def test_missing_file_and_non_mapping(tmp_path):
    with pytest.raises(InvalidCodebook, match="file not found"):
        load_codebook(tmp_path / "missing.yaml")
    assert "must be a mapping" in problems(tmp_path, "- a\n- b\n")[0].what


def test_parse_pattern_token_kinds():
    assert parse_pattern("afspraak|contract * re:na.*") == [
        {"LEMMA": {"IN": ["afspraak", "contract"]}},
        {"OP": "?"},
        {"LOWER": {"REGEX": "^(?:na.*)$"}},
    ]


def test_default_codebook_is_valid_and_has_required_themes():
    from pipeline.config import DEFAULT_CODEBOOK

    book = load_codebook(DEFAULT_CODEBOOK)
    ids = [t.id for t in book.themes]
    for required in ("trust", "temporality", "roles", "collaboration", "workspace", "value_creation", "governance"):
        assert required in ids
    for theme in book.themes:
        assert len(theme.codes) >= 3, theme.id


@pytest.mark.parametrize("pattern", ["re:mentor|re:coach", "coach|re:mentor.*"])
def test_regex_alternatives_must_sit_inside_one_regex(pattern):
    with pytest.raises(ValueError, match="re:"):
        parse_pattern(pattern)


# Hand-made sentences (not taken from any gold set): everyday ways of talking about the three
# judged themes that the default codebook must recognise, and near misses it must leave alone.
@pytest.mark.parametrize(
    "text, theme, expected",
    [
        ("Op de buren kun je altijd rekenen als er iets met de kraam is.", "trust", True),
        ("We houden ons aan de afspraken over de schoonmaak van de keuken.", "trust", True),
        ("Pas toen we elkaar leerden kennen, durfden we samen te investeren.", "trust", True),
        ("In het pand letten de huurders goed op elkaar.", "trust", True),
        ("Hij heeft ons verraden bij de verhuurder.", "trust", True),
        ("Ik heb veel vertrouwen in ons nieuwe product.", "trust", False),
        ("Over zes maanden moeten we het gebouw uit.", "temporality", True),
        ("Het is jarenlang onduidelijk gebleven wat er met het terrein gebeurt.", "temporality", True),
        ("De winkel is open van negen tot zes.", "temporality", False),
        ("Zij heeft de rol van penningmeester overgenomen.", "roles", True),
        ("De gemeente treedt hier op in de rol van verhuurder.", "roles", True),
        ("Voor het terras hebben we een vergunning nodig.", "roles", False),
        ("Hij is een man van zijn woord.", "trust", True),
        ("Ik zou mijn hand voor haar in het vuur steken.", "trust", True),
        ("Eerlijk gezegd heb ik daar geen tijd voor.", "trust", False),
        ("Het vertrouwen van de consument in de economie daalt.", "trust", False),
        ("Het duurde eeuwen voordat er een besluit lag.", "temporality", True),
        ("Ondernemers worden pas in een laat stadium bij de plannen betrokken.", "temporality", True),
        ("Ik ben er vanaf het eerste uur bij geweest.", "roles", True),
        ("De corporatie stelt zich op als verhuurder en verder niets.", "roles", True),
    ],
)
def test_default_codebook_recognises_everyday_wording(nlp, text, theme, expected):
    from pipeline.config import DEFAULT_CODEBOOK
    from pipeline.models import Segment
    from pipeline.tagging import RuleTagger

    tagger = _default_tagger(nlp, DEFAULT_CODEBOOK, RuleTagger)
    tags = tagger.tag_doc(Segment("s", "d", "c", 0, 0, len(text), text), nlp(text))
    assert (theme in {t.theme_id for t in tags}) is expected, [(t.code_id, [e.text for e in t.evidence]) for t in tags]


_TAGGERS: dict = {}


def _default_tagger(nlp, path, cls):
    if path not in _TAGGERS:
        _TAGGERS[path] = cls(load_codebook(path), nlp)
    return _TAGGERS[path]
