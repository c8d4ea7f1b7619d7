"""Matrices against a fixture whose every cell is counted by hand in the comments below.

Fixture: 3 cases, 8 segments, 4 codes in 2 themes.

    case  segment  words  codes (method, polarity)
    c1    s1       10     reciprocity (rules + semantic: one segment), longterm
    c1    s2        5     distrust (negative)
    c1    s3        8     reciprocity
    c2    s4        4     reciprocity, distrust
    c2    s5        6     deadline
    c2    s6       12     longterm (negative), deadline
    c3    s7        7     -
    c3    s8        3     -

Cases: c1 Amsterdam, c2 and c3 Utrecht.
"""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline.analysis.matrices import (
    MISSING_VALUE,
    build_matrices,
    case_by_code,
    case_by_theme,
    cooccurrence,
    crosstab,
    write_matrices,
)
from pipeline.codebook import load_codebook
from pipeline.errors import InvalidInput, KwaliError

CODES = ["trust.reciprocity", "trust.distrust", "time.longterm", "time.deadline"]
THEMES = ["trust", "time"]
CASES = ["c1", "c2", "c3"]

CODEBOOK_YAML = """\
id: test_book
label: Testcodeboek
version: 1
themes:
  - id: trust
    label: Vertrouwen
    definition: Vertrouwen tussen ondernemers en buurt.
    codes:
      - id: trust.reciprocity
        label: Wederkerigheid
        definition: Iets terugdoen voor elkaar.
      - id: trust.distrust
        label: Wantrouwen
        definition: Geen vertrouwen in de ander.
  - id: time
    label: Tijd
    definition: Hoe mensen over tijd spreken.
    codes:
      - id: time.longterm
        label: Lange termijn
        definition: Plannen voor jaren vooruit.
      - id: time.deadline
        label: Deadline
        definition: Een vaste datum of termijn.
"""


@pytest.fixture
def codebook(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text(CODEBOOK_YAML, encoding="utf-8")
    return load_codebook(path)


def make_segments() -> pd.DataFrame:
    rows = [
        ("s1", "d1.txt", "c1", "R", 0, 40, "We helpen elkaar altijd, al jaren lang.", 10),
        ("s2", "d1.txt", "c1", "R", 41, 70, "Ik vertrouw de gemeente niet.", 5),
        ("s3", "d1.txt", "c1", None, 71, 100, "Dan doe ik iets terug voor hem", 8),
        ("s4", "d2.txt", "c2", "Sanne", 0, 30, "Wederkerig, maar met wantrouwen", 4),
        ("s5", "d2.txt", "c2", "Sanne", 31, 60, "Voor vrijdag moet het af zijn", 6),
        ("s6", "d2.txt", "c2", "Sanne", 61, 99, "Geen lange termijn, alleen de deadline", 12),
        ("s7", "d3.txt", "c3", "R", 0, 20, "Het weer was mooi toen", 7),
        ("s8", "d3.txt", "c3", "R", 21, 35, "Ja precies zo", 3),
    ]
    return pd.DataFrame(rows, columns=["segment_id", "document_id", "case_id", "speaker", "start", "end",
                                       "text", "n_words"])


def ev(text: str, start: int) -> dict:
    return {"text": text, "start": start, "end": start + len(text), "pattern": text, "negated_by": None}


def make_tags() -> pd.DataFrame:
    rows = [
        ("s1", "trust.reciprocity", "trust", 0.9, "rules", "positive", [ev("helpen elkaar", 3)]),
        ("s1", "trust.reciprocity", "trust", 0.7, "semantic", "positive", []),  # same segment: once
        ("s1", "time.longterm", "time", 0.6, "rules", "positive", [ev("jaren", 28)]),
        ("s2", "trust.distrust", "trust", 0.8, "rules", "negative", [ev("vertrouw", 3)]),
        ("s3", "trust.reciprocity", "trust", 0.5, "rules", "positive", []),
        ("s4", "trust.reciprocity", "trust", 0.9, "rules", "positive", []),
        ("s4", "trust.distrust", "trust", 0.4, "semantic", "positive", []),
        ("s5", "time.deadline", "time", 0.7, "rules", "positive", []),
        ("s6", "time.longterm", "time", 0.8, "rules", "negative", []),
        ("s6", "time.deadline", "time", 0.6, "rules", "positive", []),
    ]
    return pd.DataFrame(rows, columns=["segment_id", "code_id", "theme_id", "score", "method", "polarity",
                                       "evidence"])


def make_cases() -> pd.DataFrame:
    return pd.DataFrame({"case_id": ["c1", "c2", "c3"], "city": ["Amsterdam", "Utrecht", "Utrecht"],
                         "type": ["winkel", "horeca", "winkel"]})


def expected(rows: list[list], columns: list[str], index: list[str] = CASES, index_name: str = "case",
             columns_name: str = "code", dtype: str = "int64") -> pd.DataFrame:
    frame = pd.DataFrame(rows, index=pd.Index(index, name=index_name), columns=pd.Index(columns, name=columns_name))
    return frame.astype(dtype)


def test_case_by_code_counts_each_segment_once_and_keeps_untagged_case_as_zero_row(codebook):
    result = case_by_code(make_segments(), make_tags(), codebook)
    assert_frame_equal(result, expected([[2, 1, 1, 0], [1, 1, 1, 2], [0, 0, 0, 0]], CODES))


def test_case_by_code_words_sums_n_words_of_coded_segments(codebook):
    result = case_by_code(make_segments(), make_tags(), codebook, measure="words")
    # c1: reciprocity s1+s3 = 10+8; c2: deadline s5+s6 = 6+12.
    assert_frame_equal(result, expected([[18, 5, 10, 0], [4, 4, 12, 18], [0, 0, 0, 0]], CODES))


def test_case_by_code_share_divides_by_the_case_segment_count(codebook):
    result = case_by_code(make_segments(), make_tags(), codebook, measure="share")
    want = expected([[2 / 3, 1 / 3, 1 / 3, 0], [1 / 3, 1 / 3, 1 / 3, 2 / 3], [0, 0, 0, 0]], CODES, dtype="float64")
    assert_frame_equal(result, want)


def test_case_by_code_presence_is_zero_or_one(codebook):
    result = case_by_code(make_segments(), make_tags(), codebook, measure="presence")
    assert_frame_equal(result, expected([[1, 1, 1, 0], [1, 1, 1, 1], [0, 0, 0, 0]], CODES))


def test_case_by_code_polarity_filter(codebook):
    positive = case_by_code(make_segments(), make_tags(), codebook, polarity="positive")
    negative = case_by_code(make_segments(), make_tags(), codebook, polarity="negative")
    assert_frame_equal(positive, expected([[2, 0, 1, 0], [1, 1, 0, 2], [0, 0, 0, 0]], CODES))
    assert_frame_equal(negative, expected([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]], CODES))


def test_case_by_theme_counts_a_segment_once_per_theme(codebook):
    segments, tags = make_segments(), make_tags()
    # trust: c1 s1,s2,s3; c2 s4 (two trust codes, one segment). time: c1 s1; c2 s5,s6.
    assert_frame_equal(case_by_theme(segments, tags, codebook),
                       expected([[3, 1], [1, 2], [0, 0]], THEMES, columns_name="theme"))
    assert_frame_equal(case_by_theme(segments, tags, codebook, measure="words"),
                       expected([[23, 10], [4, 18], [0, 0]], THEMES, columns_name="theme"))
    assert_frame_equal(case_by_theme(segments, tags, codebook, measure="share"),
                       expected([[1.0, 1 / 3], [1 / 3, 2 / 3], [0, 0]], THEMES, columns_name="theme", dtype="float64"))


def test_unused_codes_still_get_a_column_in_codebook_order(codebook):
    tags = make_tags()
    result = case_by_code(make_segments(), tags[tags["code_id"] == "time.deadline"], codebook)
    assert list(result.columns) == CODES
    assert result["trust.reciprocity"].sum() == 0


def test_cooccurrence_codes_is_symmetric_with_segment_counts_on_the_diagonal(codebook):
    result = cooccurrence(make_tags(), codebook, level="code")
    want = expected(
        [[3, 1, 1, 0],   # reciprocity: s1 s3 s4; with distrust s4; with longterm s1
         [1, 2, 0, 0],   # distrust: s2 s4
         [1, 0, 2, 1],   # longterm: s1 s6; with deadline s6
         [0, 0, 1, 2]],  # deadline: s5 s6
        CODES, index=CODES, index_name="code")
    assert_frame_equal(result, want)


def test_cooccurrence_themes(codebook):
    result = cooccurrence(make_tags(), codebook, level="theme")
    want = expected([[4, 1], [1, 3]], THEMES, index=THEMES, index_name="theme", columns_name="theme")
    assert_frame_equal(result, want)


def test_crosstab_by_city_counts_and_shares(codebook):
    segments, tags, cases = make_segments(), make_tags(), make_cases()
    counts = crosstab(segments, tags, cases, codebook, "city")
    shares = crosstab(segments, tags, cases, codebook, "city", measure="share")
    # Amsterdam = c1 (3 segments); Utrecht = c2 + c3 (5 segments: s4..s8).
    assert_frame_equal(counts, expected([[3, 1], [1, 2]], THEMES, index=["Amsterdam", "Utrecht"],
                                        index_name="city", columns_name="theme"))
    assert_frame_equal(shares, expected([[1.0, 1 / 3], [0.2, 0.4]], THEMES, index=["Amsterdam", "Utrecht"],
                                        index_name="city", columns_name="theme", dtype="float64"))


def test_crosstab_puts_cases_without_a_row_under_unknown(codebook):
    cases = make_cases().iloc[:2]  # c3 has no row in cases.csv
    result = crosstab(make_segments(), make_tags(), cases, codebook, "city", level="code")
    want = expected([[2, 1, 1, 0], [1, 1, 1, 2], [0, 0, 0, 0]], CODES,
                    index=["Amsterdam", "Utrecht", MISSING_VALUE], index_name="city")
    assert_frame_equal(result, want)


def test_crosstab_unknown_attribute_names_the_available_ones(codebook):
    with pytest.raises(InvalidInput, match="'wijk'.*'city', 'type'") as info:
        crosstab(make_segments(), make_tags(), make_cases(), codebook, "wijk")
    assert isinstance(info.value, KwaliError)


def test_missing_columns_are_named_in_the_error(codebook):
    with pytest.raises(InvalidInput, match=r"lacks column\(s\) \['n_words'\]"):
        case_by_code(make_segments().drop(columns="n_words"), make_tags(), codebook)


def test_tags_with_codes_outside_the_codebook_are_an_error(codebook):
    tags = make_tags()
    tags.loc[0, "code_id"] = "trust.oud"
    with pytest.raises(InvalidInput, match="trust.oud"):
        case_by_code(make_segments(), tags, codebook)


def test_no_tags_gives_zero_matrices(codebook):
    tags = make_tags().iloc[0:0]
    assert case_by_code(make_segments(), tags, codebook).to_numpy().sum() == 0
    assert cooccurrence(tags, codebook).shape == (4, 4)


def test_build_matrices_defaults_to_the_first_attribute(codebook):
    matrices = build_matrices(make_segments(), make_tags(), make_cases(), codebook)
    assert matrices.attribute == "city"
    assert set(matrices.case_by_code) == {"segments", "share", "words", "presence"}
    assert list(matrices.crosstab["segments"].index) == ["Amsterdam", "Utrecht"]


def test_build_matrices_without_case_attributes_has_no_crosstab(codebook):
    matrices = build_matrices(make_segments(), make_tags(), pd.DataFrame(), codebook)
    assert matrices.attribute is None and matrices.crosstab == {}


def test_write_matrices_files_read_back(codebook, tmp_path):
    matrices = build_matrices(make_segments(), make_tags(), make_cases(), codebook)
    written = write_matrices(matrices, tmp_path)
    names = [p.name for p in written]
    assert names == ["case_by_code.csv", "case_by_code.xlsx", "case_by_theme.csv", "case_by_theme.xlsx",
                     "cooccurrence_codes.csv", "cooccurrence_themes.csv", "crosstab_city.csv"]
    assert all(p.parent == tmp_path / "matrices" and p.exists() for p in written)

    csv = pd.read_csv(tmp_path / "matrices" / "case_by_code.csv", encoding="utf-8")
    assert list(csv.columns) == ["case", *CODES]
    assert csv.to_dict("list") == {"case": CASES, "trust.reciprocity": [2, 1, 0], "trust.distrust": [1, 1, 0],
                                   "time.longterm": [1, 1, 0], "time.deadline": [0, 2, 0]}
    # Counts are written as integers, not 2.0.
    assert (tmp_path / "matrices" / "case_by_code.csv").read_text(encoding="utf-8").splitlines()[1] == "c1,2,1,1,0"

    sheets = pd.read_excel(tmp_path / "matrices" / "case_by_theme.xlsx", sheet_name=None)
    assert list(sheets) == ["segments", "share", "words", "presence"]
    assert sheets["share"]["trust"].tolist() == [1.0, 0.3333, 0.0]
    assert sheets["words"]["time"].tolist() == [10, 18, 0]
    book = openpyxl.load_workbook(tmp_path / "matrices" / "case_by_theme.xlsx")
    assert book["segments"]["A1"].value == "case" and book["segments"]["A1"].font.bold
    assert isinstance(book["segments"]["B2"].value, int)  # numpy integers written as numbers
    assert not list((tmp_path / "matrices").glob("*.tmp"))  # written through a temporary file

    crosstab_csv = pd.read_csv(tmp_path / "matrices" / "crosstab_city.csv")
    assert crosstab_csv.to_dict("list") == {"city": ["Amsterdam", "Utrecht"], "trust": [3, 1], "time": [1, 2]}
    cooc = pd.read_csv(tmp_path / "matrices" / "cooccurrence_themes.csv")
    assert cooc.to_dict("list") == {"theme": THEMES, "trust": [4, 1], "time": [1, 3]}
