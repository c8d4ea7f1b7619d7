"""Training labels from the review app's decisions: which codes apply to which segment, per coder.

Each *voter* (a coder, or the adjudicating ``consensus``) says, per (segment, code):

- positive: a current ``accept`` (a confirmed machine code, or a code the coder added or
  recoded to);
- negative: a current ``reject`` (a rejected machine code), or, for a coder, a segment the coder
  reviewed (any current decision on it, the ``*`` marker included) without accepting that code;
- nothing: the voter never looked.

Consensus adjudicates pairs, so its implicit negatives come only from its ``*`` "reviewed"
marker, not from a decision on another code of the segment.

Voters are combined per pair. With ``source="consensus"`` only consensus counts. With
``source="human"`` an explicit consensus verdict overrides the coders; otherwise coders who agree
give the label and coders who disagree leave the pair out (counted in ``disagreements``); a pair
no coder labelled falls back to a consensus "reviewed" negative. Decisions by machine users and
undone decisions are never used.

The store is read with SQLAlchemy Core on the tables of ``pipeline.schema`` (read-only).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Engine

from pipeline.codebook import Codebook
from pipeline.errors import InvalidInput
from pipeline.models import Verdict
from pipeline.review import CONSENSUS, REVIEWED
from pipeline.schema import decisions, segments, users
from pipeline.store import latest_codebook

SOURCES = ("human", "consensus")


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """One current human decision, with its segment's text."""

    segment_id: str
    code_id: str
    coder: str
    verdict: str
    source: str
    text: str


@dataclass(frozen=True, slots=True)
class TrainingExample:
    """One segment with the codes known to apply (positives) and known not to (negatives)."""

    segment_id: str
    text: str
    positives: frozenset[str]
    negatives: frozenset[str]


@dataclass(frozen=True)
class DecisionLabels:
    """Labels derived from decisions, and what was left out.

    Attributes:
        examples: One per segment with at least one known label, in segment id order.
        source: "human" or "consensus".
        coders: Voters whose decisions were used (consensus included when it decided).
        decisions: Current decisions read (after the coder filter).
        disagreements: (segment, code) pairs left out because coders disagreed and no consensus
            decided them.
        overridden: Pairs where a consensus verdict replaced the coders' labels.
        disagreement_pairs: The pairs left out, for inspection.
        outside_codebook: Decisions on codes the codebook does not have (ignored).
    """

    examples: list[TrainingExample]
    source: str
    coders: tuple[str, ...]
    decisions: int
    disagreements: int
    overridden: int
    disagreement_pairs: list[tuple[str, str]] = field(default_factory=list)
    outside_codebook: int = 0


def read_decisions(engine: Engine) -> list[DecisionRow]:
    """Every current, not undone decision by a person (machine users left out), oldest first."""
    machines = select(users.c.name).where(users.c.role == "machine")
    query = (select(decisions.c.segment_id, decisions.c.code_id, decisions.c.coder, decisions.c.verdict,
                    decisions.c.source, segments.c.text)
             .join(segments, segments.c.id == decisions.c.segment_id)
             .where(decisions.c.superseded_by.is_(None), decisions.c.verdict != Verdict.UNDONE.value,
                    decisions.c.coder.not_in(machines))
             .order_by(decisions.c.id))
    with engine.connect() as conn:
        return [DecisionRow(r.segment_id, r.code_id, r.coder, r.verdict, r.source, r.text)
                for r in conn.execute(query)]


def store_codebook(engine: Engine) -> tuple[str, Codebook] | None:
    """Hash and content of the codebook of the store's latest run (else the newest stored one)."""
    return latest_codebook(engine)


def _is_consensus(row: DecisionRow) -> bool:
    return row.coder == CONSENSUS or row.source == CONSENSUS


def derive_labels(rows: Iterable[DecisionRow], code_ids: Sequence[str], source: str = "human",
                  coders: Sequence[str] | None = None) -> DecisionLabels:
    """Combine decisions into positives and negatives per segment (see the module docstring).

    Args:
        rows: Current human decisions (``read_decisions``).
        code_ids: The codebook's codes; decisions on other codes are ignored, and a coder's
            review of a segment makes every one of these codes they did not accept a negative.
        source: "human" (coders, consensus overriding) or "consensus" (consensus only).
        coders: Use only these coders' decisions (consensus is always used); None = all.

    Returns:
        The labels.

    Raises:
        InvalidInput: Unknown source, or a coder in ``coders`` with no decisions.
    """
    if source not in SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    rows = list(rows)
    if coders:
        known = {r.coder for r in rows}
        unknown = sorted(set(coders) - known - {CONSENSUS})
        if unknown:
            raise InvalidInput(f"no decisions by {', '.join(unknown)}; coders with decisions: "
                               f"{', '.join(sorted(known)) or 'none'}")
        rows = [r for r in rows if r.coder in set(coders) or _is_consensus(r)]
    if source == "consensus":
        rows = [r for r in rows if _is_consensus(r)]
    codes = set(code_ids)
    texts = {r.segment_id: r.text for r in rows}
    explicit: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)  # voter -> pair -> 1/0
    reviewed: dict[str, set[str]] = defaultdict(set)  # voter -> segments it reviewed
    for r in rows:
        voter = CONSENSUS if _is_consensus(r) else r.coder
        if voter != CONSENSUS or r.code_id == REVIEWED:
            reviewed[voter].add(r.segment_id)
        if r.code_id in codes:
            explicit[voter][(r.segment_id, r.code_id)] = int(r.verdict == Verdict.ACCEPT.value)

    def implicit(voter: str) -> dict[tuple[str, str], int]:
        return {(s, c): 0 for s in reviewed[voter] for c in codes if (s, c) not in explicit[voter]}

    consensus_implicit = implicit(CONSENSUS)
    consensus_explicit = explicit.get(CONSENSUS, {})
    coder_labels = {voter: {**implicit(voter), **explicit[voter]}
                    for voter in sorted(set(explicit) | set(reviewed)) if voter != CONSENSUS}
    labels: dict[tuple[str, str], int] = {}
    disagreements: list[tuple[str, str]] = []
    overridden = 0
    pairs = set(consensus_explicit) | set(consensus_implicit)
    for voter_pairs in coder_labels.values():
        pairs |= set(voter_pairs)
    for pair in sorted(pairs):
        votes = {v[pair] for v in coder_labels.values() if pair in v}
        if pair in consensus_explicit:
            labels[pair] = consensus_explicit[pair]
            overridden += bool(votes)
        elif len(votes) == 1:
            labels[pair] = votes.pop()
        elif votes:
            disagreements.append(pair)
        elif pair in consensus_implicit:
            labels[pair] = 0
    positives: dict[str, set[str]] = defaultdict(set)
    negatives: dict[str, set[str]] = defaultdict(set)
    for (segment_id, code_id), value in labels.items():
        (positives if value else negatives)[segment_id].add(code_id)
    examples = [TrainingExample(s, texts[s], frozenset(positives[s]), frozenset(negatives[s]))
                for s in sorted(set(positives) | set(negatives))]
    used = sorted(set(coder_labels) | ({CONSENSUS} if consensus_explicit or consensus_implicit else set()))
    outside = sum(r.code_id not in codes and r.code_id != REVIEWED for r in rows)
    return DecisionLabels(examples, source, tuple(used), len(rows), len(disagreements), overridden, disagreements,
                          outside)


def label_counts(examples: Sequence[TrainingExample]) -> dict[str, tuple[int, int]]:
    """(positives, negatives) per code over the examples."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for example in examples:
        for code in example.positives:
            counts[code][0] += 1
        for code in example.negatives:
            counts[code][1] += 1
    return {code: (p, n) for code, (p, n) in sorted(counts.items())}
