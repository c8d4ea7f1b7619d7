"""Case x code matrices, co-occurrence and attribute crosstabs from segments and tags.

Everything here is a pure function of three DataFrames (built by the store) and a codebook. The
unit that is counted is always the *segment*: several tags of different methods on one segment
and code count once, so a number in a matrix can be traced back to a list of segment ids.

Columns follow the codebook's order and every code or theme appears even when nobody used it,
so that matrices of two runs line up and a zero is visible as a zero rather than a gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from pipeline.codebook import Codebook
from pipeline.errors import InvalidInput
from pipeline.xlsx import write_xlsx

SEGMENT_COLUMNS = ("segment_id", "document_id", "case_id", "speaker", "start", "end", "text", "n_words")
TAG_COLUMNS = ("segment_id", "code_id", "theme_id", "score", "method", "polarity", "evidence")
CASE_ID = "case_id"

MEASURES = ("segments", "share", "words", "presence")
CROSSTAB_MEASURES = ("segments", "share")
LEVELS = ("code", "theme")
POLARITIES = ("positive", "negative")

#: Row label in a crosstab for segments whose case has no value for the attribute (or no row in
#: cases.csv at all); kept as a row so that the crosstab's totals match the case matrices.
MISSING_VALUE = "(onbekend)"
#: Index name of case rows in every case matrix and first column of its CSV.
CASE_LABEL = "case"
SHARE_DECIMALS = 4


# --- validation ------------------------------------------------------------------------------


def _require(frame: Any, columns: tuple[str, ...], name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInput(f"the {name} table must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"the {name} table lacks column(s) {missing}; it needs {list(columns)} "
            f"(found {list(frame.columns)}). Build it with the store's {name}_frame()."
        )


def validate_segments(segments: pd.DataFrame) -> None:
    """Check that ``segments`` has the columns of the input contract (``SEGMENT_COLUMNS``).

    Raises:
        InvalidInput: Naming the missing columns.
    """
    _require(segments, SEGMENT_COLUMNS, "segments")


def validate_tags(tags: pd.DataFrame) -> None:
    """Check that ``tags`` has the columns of the input contract (``TAG_COLUMNS``).

    Raises:
        InvalidInput: Naming the missing columns.
    """
    _require(tags, TAG_COLUMNS, "tags")


def validate_cases(cases: pd.DataFrame) -> None:
    """Check that ``cases`` has a ``case_id`` column (a frame with no columns at all is fine).

    Raises:
        InvalidInput: When attribute columns exist but ``case_id`` does not.
    """
    if isinstance(cases, pd.DataFrame) and len(cases.columns) == 0:
        return
    _require(cases, (CASE_ID,), "cases")


def _choice(value: Any, allowed: tuple[Any, ...], name: str) -> None:
    # A wrong measure or level is a programming error, not something a researcher typed.
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")


def polarity_values(tags: pd.DataFrame) -> pd.Series:
    """The tags' polarity as plain strings.

    ``Polarity`` members may arrive instead of strings; ``str()`` of a str-Enum gives
    "Polarity.POSITIVE" on Python 3.11, so take ``.value`` instead.
    """
    return tags["polarity"].map(lambda p: getattr(p, "value", p))


def attribute_columns(cases: pd.DataFrame) -> list[str]:
    """The attribute columns of a cases table (everything but ``case_id``), in file order."""
    return [c for c in cases.columns if c != CASE_ID]


def _keys(codebook: Codebook, level: str) -> list[str]:
    if level == "code":
        return [code.id for code in codebook.codes]
    return [theme.id for theme in codebook.themes]


def _coded(tags: pd.DataFrame, codebook: Codebook, level: str, polarity: str | None) -> pd.DataFrame:
    """Unique (segment_id, key) pairs: which segment carries which code or theme."""
    _choice(level, LEVELS, "level")
    _choice(polarity, (None, *POLARITIES), "polarity")
    theme_of = codebook.theme_of()
    unknown = sorted(set(tags["code_id"]) - set(theme_of))
    if unknown:
        raise InvalidInput(
            f"tags refer to code(s) {unknown} that are not in codebook {codebook.id!r} "
            f"version {codebook.version}; re-run tagging with this codebook, or report with the "
            "codebook the tags were made with"
        )
    if polarity is not None:
        tags = tags[polarity_values(tags) == polarity]
    # The theme comes from the codebook, not the tag, so one codebook decides every column.
    keys = tags["code_id"] if level == "code" else tags["code_id"].map(theme_of)
    pairs = pd.DataFrame({"segment_id": tags["segment_id"].to_numpy(), "key": keys.to_numpy()})
    return pairs.drop_duplicates(ignore_index=True)


def _zeros(index: pd.Index, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(0, index=index, columns=pd.Index(columns), dtype="int64")


def _count_matrix(coded: pd.DataFrame, row: str, value: str | None, index: pd.Index,
                  columns: list[str]) -> pd.DataFrame:
    """Rows x keys: number of coded segments (``value`` None) or the sum of ``value``."""
    if coded.empty:
        return _zeros(index, columns)
    grouped = coded.groupby([row, "key"])
    counts = grouped.size() if value is None else grouped[value].sum()
    matrix = counts.unstack("key").reindex(index=index, columns=columns).fillna(0).astype("int64")
    matrix.columns = pd.Index(columns)
    return matrix


# --- case matrices ---------------------------------------------------------------------------


def _case_matrix(segments: pd.DataFrame, tags: pd.DataFrame, codebook: Codebook, level: str,
                 measure: str, polarity: str | None) -> pd.DataFrame:
    return _case_matrices(segments, tags, codebook, level, (measure,), polarity)[measure]


def _case_matrices(segments: pd.DataFrame, tags: pd.DataFrame, codebook: Codebook, level: str,
                   measures: tuple[str, ...], polarity: str | None = None) -> dict[str, pd.DataFrame]:
    """Case x key matrices for several measures from one pass over the tags."""
    validate_segments(segments)
    validate_tags(tags)
    for measure in measures:
        _choice(measure, MEASURES, "measure")
    segs = segments.drop_duplicates("segment_id")
    index = pd.Index(sorted(segs[CASE_ID].unique(), key=str), name=CASE_LABEL)
    columns = _keys(codebook, level)
    # Inner join: tags of segments outside ``segments`` are ignored, so a caller can analyse a
    # subset of cases by passing only their segments.
    coded = _coded(tags, codebook, level, polarity).merge(
        segs[["segment_id", CASE_ID, "n_words"]], on="segment_id", how="inner")
    segments_count = _count_matrix(coded, CASE_ID, None, index, columns)
    result = {}
    for measure in measures:
        if measure == "words":
            counts = _count_matrix(coded, CASE_ID, "n_words", index, columns)
        elif measure == "share":
            n_segments = segs.groupby(CASE_ID).size().reindex(index)
            counts = segments_count.div(n_segments, axis=0).astype("float64")
        elif measure == "presence":
            counts = (segments_count > 0).astype("int64")
        else:
            counts = segments_count.copy()
        counts.index.name = CASE_LABEL
        counts.columns.name = level
        result[measure] = counts
    return result


def case_by_code(segments: pd.DataFrame, tags: pd.DataFrame, codebook: Codebook,
                 measure: str = "segments", polarity: str | None = None) -> pd.DataFrame:
    """Case x code matrix.

    Args:
        segments: Segments (``SEGMENT_COLUMNS``).
        tags: Tags (``TAG_COLUMNS``); duplicates of one (segment, code) count once.
        codebook: Decides the columns and their order.
        measure: "segments" (number of segments with the code), "share" (that number divided
            by the case's number of segments, 0..1), "words" (sum of ``n_words`` of the coded
            segments) or "presence" (1 if any segment has the code, else 0).
        polarity: None for all tags, or only "positive" or "negative" ones.

    Returns:
        One row per case with segments (sorted, index named "case"), one column per code in
        codebook order; integers, or floats for "share".

    Raises:
        InvalidInput: A table lacks columns, or tags use codes not in the codebook.
        ValueError: Unknown measure or polarity.
    """
    return _case_matrix(segments, tags, codebook, "code", measure, polarity)


def case_by_theme(segments: pd.DataFrame, tags: pd.DataFrame, codebook: Codebook,
                  measure: str = "segments", polarity: str | None = None) -> pd.DataFrame:
    """Case x theme matrix; a segment counts once per theme however many of its codes it has.

    Args and Returns: as ``case_by_code``, with one column per theme.
    """
    return _case_matrix(segments, tags, codebook, "theme", measure, polarity)


def cooccurrence(tags: pd.DataFrame, codebook: Codebook, level: str = "code",
                 polarity: str | None = None) -> pd.DataFrame:
    """Symmetric code x code (or theme x theme) co-occurrence matrix.

    Args:
        tags: Tags (``TAG_COLUMNS``).
        codebook: Decides rows, columns and their order.
        level: "code" or "theme".
        polarity: None for all tags, or only "positive" or "negative" ones.

    Returns:
        Cell (a, b) = number of segments carrying both a and b; the diagonal = number of
        segments carrying a.
    """
    validate_tags(tags)
    keys = _keys(codebook, level)
    coded = _coded(tags, codebook, level, polarity)
    if coded.empty:
        matrix = _zeros(pd.Index(keys), keys)
    else:
        # Segment x key indicator (0/1, pairs are unique); its Gram matrix counts shared segments.
        # Sparse: a study has many segments and few codes per segment.
        rows, _ = pd.factorize(coded["segment_id"])
        columns = pd.Index(keys).get_indexer(coded["key"])
        indicator = sparse.csr_matrix((np.ones(len(rows), dtype="int64"), (rows, columns)),
                                      shape=(int(rows.max()) + 1, len(keys)))
        matrix = pd.DataFrame((indicator.T @ indicator).toarray(), dtype="int64")
    matrix.index = pd.Index(keys, name=level)
    matrix.columns = pd.Index(keys, name=level)
    return matrix


def _value_label(value: Any) -> str:
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return MISSING_VALUE
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a year read as 2021.0 is still 2021
    text = str(value).strip()
    return text or MISSING_VALUE


def crosstab(segments: pd.DataFrame, tags: pd.DataFrame, cases: pd.DataFrame, codebook: Codebook,
             attribute: str, level: str = "theme", measure: str = "segments",
             polarity: str | None = None) -> pd.DataFrame:
    """Attribute value x theme (or code) table, e.g. city x theme.

    Args:
        segments: Segments (``SEGMENT_COLUMNS``).
        tags: Tags (``TAG_COLUMNS``).
        cases: ``case_id`` plus attribute columns.
        codebook: Decides the columns and their order.
        attribute: The case attribute whose values become rows.
        level: "theme" or "code".
        measure: "segments" (number of segments with the theme among the segments of cases
            with that value) or "share" (that number / the number of those segments).
        polarity: None for all tags, or only "positive" or "negative" ones.

    Returns:
        Rows = attribute values (sorted, as text; segments of cases without a value are in a
        row ``MISSING_VALUE``), index named after the attribute; columns in codebook order.

    Raises:
        InvalidInput: The attribute is not a column of ``cases`` (the message lists those that
            are), or a table lacks columns.
    """
    validate_segments(segments)
    validate_tags(tags)
    validate_cases(cases)
    _choice(measure, CROSSTAB_MEASURES, "measure")
    available = attribute_columns(cases)
    if attribute not in available:
        shown = ", ".join(repr(a) for a in available) if available else "none (cases.csv has only case ids)"
        raise InvalidInput(
            f"unknown case attribute {attribute!r}; available attributes: {shown}. "
            "Pick one of these, or add the column to cases.csv"
        )
    segs = segments.drop_duplicates("segment_id")
    values = cases.drop_duplicates(CASE_ID).set_index(CASE_ID)[attribute]
    group = segs[CASE_ID].map(values).map(_value_label)
    grouped_segs = pd.DataFrame({"segment_id": segs["segment_id"].to_numpy(), "group": group.to_numpy()})
    labels = sorted(set(grouped_segs["group"]) - {MISSING_VALUE}, key=str)
    if MISSING_VALUE in set(grouped_segs["group"]):
        labels.append(MISSING_VALUE)
    index = pd.Index(labels, name=attribute)
    columns = _keys(codebook, level)
    coded = _coded(tags, codebook, level, polarity).merge(grouped_segs, on="segment_id", how="inner")
    matrix = _count_matrix(coded, "group", None, index, columns)
    if measure == "share":
        matrix = matrix.div(grouped_segs.groupby("group").size().reindex(index), axis=0).astype("float64")
    matrix.index.name = attribute
    matrix.columns.name = level
    return matrix


# --- bundle and files ------------------------------------------------------------------------


@dataclass
class Matrices:
    """All matrices of one run.

    Attributes:
        case_by_code: Measure ("segments", "share", "words", "presence") -> case x code.
        case_by_theme: Measure -> case x theme.
        cooccurrence_codes: Code x code co-occurrence.
        cooccurrence_themes: Theme x theme co-occurrence.
        attribute: Case attribute of the crosstab, or None when the cases have no attributes.
        crosstab: Measure ("segments", "share") -> attribute value x theme; empty without one.
    """

    case_by_code: dict[str, pd.DataFrame]
    case_by_theme: dict[str, pd.DataFrame]
    cooccurrence_codes: pd.DataFrame
    cooccurrence_themes: pd.DataFrame
    attribute: str | None = None
    crosstab: dict[str, pd.DataFrame] = field(default_factory=dict)


def build_matrices(segments: pd.DataFrame, tags: pd.DataFrame, cases: pd.DataFrame, codebook: Codebook,
                   attribute: str | None = None) -> Matrices:
    """Compute every matrix of a run.

    Args:
        segments: Segments (``SEGMENT_COLUMNS``).
        tags: Tags (``TAG_COLUMNS``); tags of segments not in ``segments`` are left out
            everywhere, so co-occurrence and case matrices describe the same segments.
        cases: ``case_id`` plus attribute columns; may be empty.
        codebook: Decides columns and their order.
        attribute: Case attribute for the crosstab; None picks the first attribute column of
            ``cases``, if there is one.

    Returns:
        The bundle.

    Raises:
        InvalidInput: An input table lacks columns, tags use unknown codes, or ``attribute`` is
            not a column of ``cases``.
    """
    validate_segments(segments)
    validate_tags(tags)
    validate_cases(cases)
    tags = tags[tags["segment_id"].isin(segments["segment_id"])]
    if attribute is None:
        attributes = attribute_columns(cases)
        attribute = attributes[0] if attributes else None
    crosstabs = {}
    if attribute is not None:
        crosstabs = {m: crosstab(segments, tags, cases, codebook, attribute, "theme", m) for m in CROSSTAB_MEASURES}
    return Matrices(
        case_by_code=_case_matrices(segments, tags, codebook, "code", MEASURES),
        case_by_theme=_case_matrices(segments, tags, codebook, "theme", MEASURES),
        cooccurrence_codes=cooccurrence(tags, codebook, "code"),
        cooccurrence_themes=cooccurrence(tags, codebook, "theme"),
        attribute=attribute,
        crosstab=crosstabs,
    )


def _for_file(matrix: pd.DataFrame, first_column: str) -> pd.DataFrame:
    """Index as a named first column; shares rounded so the files read like the report."""
    table = matrix.copy()
    floats = table.select_dtypes("float").columns
    table[floats] = table[floats].round(SHARE_DECIMALS)
    table.index = table.index.rename(first_column)
    table.columns.name = None
    return table.reset_index()


def crosstab_filename(attribute: str) -> str:
    """File name of the crosstab CSV for ``attribute``, safe for any cases.csv header."""
    # Attribute names come from a researcher's cases.csv header ("stad / regio").
    stem = re.sub(r"[^\w.-]+", "_", attribute).strip("_") or "attribute"
    return f"crosstab_{stem}.csv"


def write_matrices(matrices: Matrices, out_dir: str | Path, folder: str = "matrices",
                   basis: str | None = None) -> list[Path]:
    """Write the matrices as CSV (UTF-8) and XLSX into ``out_dir/<folder>``.

    Files: case_by_code.csv and case_by_theme.csv (the "segments" measure), case_by_code.xlsx
    and case_by_theme.xlsx (one sheet per measure), cooccurrence_codes.csv,
    cooccurrence_themes.csv and, with an attribute, crosstab_<attribute>.csv (segment counts).
    Case matrices start with a column "case"; counts are integers, shares have 4 decimals.

    Args:
        matrices: The bundle from ``build_matrices``.
        out_dir: The run's output folder.
        folder: Subfolder name; ``kwali report --codes human`` writes ``matrices-human``.
        basis: What the counts are built from; when given, every CSV starts with one comment
            line ``# <basis>`` (read such a file with ``pandas.read_csv(path, skiprows=1)``)
            and every XLSX gets a last sheet "basis" holding it, so a number can be traced.

    Returns:
        The written files, in the order above.
    """
    target = Path(out_dir) / folder
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def csv(matrix: pd.DataFrame, name: str, first_column: str) -> None:
        path = target / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            if basis is not None:
                handle.write(f"# {' '.join(basis.split())}\n")
            _for_file(matrix, first_column).to_csv(handle, index=False, lineterminator="\n")
        written.append(path)

    for name, by_measure in (("case_by_code", matrices.case_by_code), ("case_by_theme", matrices.case_by_theme)):
        csv(by_measure["segments"], f"{name}.csv", CASE_LABEL)
        path = target / f"{name}.xlsx"
        sheets = {measure: _for_file(matrix, CASE_LABEL) for measure, matrix in by_measure.items()}
        if basis is not None:
            sheets["basis"] = pd.DataFrame({"basis": [basis]})
        # Kwali's own writer: several times faster than openpyxl, through a temporary file, and
        # the same matrices give the same bytes (see ``pipeline.xlsx``).
        write_xlsx(sheets, path)
        written.append(path)
    csv(matrices.cooccurrence_codes, "cooccurrence_codes.csv", "code")
    csv(matrices.cooccurrence_themes, "cooccurrence_themes.csv", "theme")
    if matrices.attribute is not None and "segments" in matrices.crosstab:
        csv(matrices.crosstab["segments"], crosstab_filename(matrices.attribute), matrices.attribute)
    return written
