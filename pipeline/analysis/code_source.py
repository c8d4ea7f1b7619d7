"""Which codes a report counts: machine proposals, or human decisions where they exist.

``machine`` counts the taggers' proposals as they are. ``human`` lets the current human
decisions overrule them: for every (segment, code) on which at least one coder decided, the code
applies when at least half of those coders accepted it (a tie keeps a contested code visible; the
agreement table shows the disagreement), and pairs nobody decided on keep the machine proposal.
``consensus`` does the same with only the decisions recorded as consensus (``source ==
"consensus"``). The result has the tags table's columns, so matrices and quotes need no change.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.analysis.matrices import TAG_COLUMNS, polarity_values
from pipeline.analysis.quotes import evidence_list
from pipeline.codebook import Codebook

CODE_SOURCES = ("machine", "human", "consensus")
#: Method name of a tag that stands for a human decision (shown with quotes).
HUMAN_METHOD = "human"


@dataclass(frozen=True)
class CodeSource:
    """What a report's numbers are built from, for its text.

    Attributes:
        name: "machine", "human" or "consensus".
        decisions: Current decisions used (0 for "machine").
        coders: Coders whose decisions were used.
        decided_pairs: (segment, code) pairs on which those decisions overrule the machine.
        applied: How many of those pairs count as coded.
    """

    name: str
    decisions: int = 0
    coders: tuple[str, ...] = ()
    decided_pairs: int = 0
    applied: int = 0


def apply_code_source(tags: pd.DataFrame, decisions: pd.DataFrame, codebook: Codebook,
                      source: str = "machine") -> tuple[pd.DataFrame, CodeSource]:
    """Tags as the chosen source sees them.

    Args:
        tags: Machine tags (``TAG_COLUMNS``).
        decisions: Current human decisions (segment_id, code_id, coder, verdict, polarity,
            source); decisions by machine users must already be left out.
        codebook: Gives each decided code its theme; decisions on codes outside it are ignored.
        source: One of ``CODE_SOURCES``.

    Returns:
        The tags to count, and a description of the source for the report.

    Raises:
        ValueError: Unknown source.
    """
    if source not in CODE_SOURCES:
        raise ValueError(f"source must be one of {list(CODE_SOURCES)}, got {source!r}")
    if source == "machine":
        return tags, CodeSource("machine")
    theme_of = codebook.theme_of()
    if source == "consensus":
        decisions = decisions[decisions["source"] == "consensus"]
    decisions = decisions[decisions["code_id"].isin(theme_of)]
    if decisions.empty:
        return tags, CodeSource(source)
    verdicts = decisions.assign(accept=decisions["verdict"].map(lambda v: getattr(v, "value", v)) == "accept")
    votes = verdicts.groupby(["segment_id", "code_id"]).agg(
        accepts=("accept", "sum"), voters=("accept", "size"),
        polarity=("polarity", lambda p: next((getattr(x, "value", x) for x in reversed(list(p)) if x), None)))
    votes = votes.reset_index()
    votes = votes.assign(applied=2 * votes["accepts"] >= votes["voters"])
    decided = set(zip(votes["segment_id"], votes["code_id"]))
    pair = list(zip(tags["segment_id"], tags["code_id"]))
    undecided = tags[[p not in decided for p in pair]]
    # The machine's evidence stays with a confirmed code, so its quote is still highlighted.
    machine = (tags.assign(polarity=polarity_values(tags)).sort_values("score", ascending=False)
               .drop_duplicates(["segment_id", "code_id"]).set_index(["segment_id", "code_id"]))
    human_rows = []
    for row in votes[votes["applied"]].itertuples():
        key = (row.segment_id, row.code_id)
        proposed = machine.loc[key] if key in machine.index else None
        polarity = row.polarity or (proposed["polarity"] if proposed is not None else "positive")
        human_rows.append({"segment_id": row.segment_id, "code_id": row.code_id, "theme_id": theme_of[row.code_id],
                           "score": 1.0, "method": HUMAN_METHOD, "polarity": polarity,
                           "evidence": evidence_list(proposed["evidence"]) if proposed is not None else []})
    combined = pd.concat([undecided, pd.DataFrame(human_rows, columns=list(TAG_COLUMNS))], ignore_index=True)
    description = CodeSource(source, decisions=len(decisions), coders=tuple(sorted(set(decisions["coder"]))),
                             decided_pairs=len(votes), applied=len(human_rows))
    return combined[list(tags.columns) if len(tags.columns) else list(TAG_COLUMNS)], description
