"""A tiny store with decisions by two coders and a consensus, for learning from decisions.

Twelve hand-made Dutch segments in two documents (codebook ``fixtures/codebook_small.yaml``):

=====  ========================  ============================  =========================  ======================
seg    anna                      bram                          consensus                  label
=====  ========================  ============================  =========================  ======================
0-4    accept trust.building     accept trust.building         -                          trust.building +
5      accept trust.building     reject trust.building         accept trust.building      + (consensus override)
6      accept roles.leader,      accept roles.leader           -                          roles.leader +,
       reject trust.building                                                              trust.building -
7      accept roles.leader       reviewed (``*``) only         -                          roles.leader left out
8      accept roles.leader       -                             -                          roles.leader +
9-11   reviewed (``*``) only     -                             -                          every code -
=====  ========================  ============================  =========================  ======================

Every code a voter reviewed without accepting is a negative. Also stored, and never used: a
machine user's accept on segment 9, and bram's accept of trust.distrust on segment 1 that he
took back (undone).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.codebook import load_codebook
from pipeline.models import Decision, Document, Segment, Turn, Verdict
from pipeline.store import Store

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CODEBOOK = FIXTURES / "codebook_small.yaml"
TEXTS = [
    "We vertrouwen elkaar blind, dat is in jaren gegroeid.",
    "Het vertrouwen tussen de ondernemers is echt groot.",
    "Ik heb vertrouwen in de buren, die helpen altijd.",
    "Vertrouwen kost tijd, maar nu vertrouwen we elkaar.",
    "Zonder vertrouwen in elkaar lukt samenwerken niet.",
    "Langzaam groeide het vertrouwen in de nieuwe huurders.",
    "Marco is de kartrekker van het hele project.",
    "Zij trekt de kar bij de bewonersavonden.",
    "Hij is de trekker van de werkgroep in de wijk.",
    "Het regent al de hele week in Rotterdam.",
    "De bus naar het centrum rijdt om tien uur.",
    "De koffie in de kantine is koud en slap.",
]


def segment_ids() -> list[str]:
    return [f"seg{i:02d}" for i in range(len(TEXTS))]


def build_store(folder: Path) -> str:
    """Write the store (``folder/kwali.sqlite``) and return its URL."""
    return fill_store(f"sqlite:///{(folder / 'kwali.sqlite').resolve()}")


def fill_store(url: str) -> str:
    """Write the documents, users and decisions into an empty store at ``url``; return the URL."""
    store = Store(url)
    try:
        store.save_codebook(load_codebook(CODEBOOK))
        ids = segment_ids()
        for doc_id, rows in (("interview_a.txt", range(0, 6)), ("interview_b.txt", range(6, 12))):
            text, segments, start = "", [], 0
            for n, i in enumerate(rows):
                text += ("\n\n" if text else "") + TEXTS[i]
                start = len(text) - len(TEXTS[i])
                segments.append(Segment(ids[i], doc_id, doc_id[:-4], n, start, len(text), TEXTS[i]))
            turns = [Turn(s.start, s.end) for s in segments]
            store.save_document(Document(doc_id, doc_id[:-4], text, turns, "0" * 64), segments, "fixture")
        for name, role in (("anna", "coder"), ("bram", "coder"), ("consensus", "consensus"), ("kwali", "machine")):
            store.ensure_user(name, role)
        s = ids
        accept, reject = Verdict.ACCEPT, Verdict.REJECT
        decisions = [Decision(s[i], "trust.building", "anna", accept) for i in range(6)]
        decisions += [Decision(s[i], "trust.building", "bram", accept) for i in range(5)]
        decisions += [Decision(s[5], "trust.building", "bram", reject),
                      Decision(s[6], "roles.leader", "anna", accept), Decision(s[6], "trust.building", "anna", reject),
                      Decision(s[6], "roles.leader", "bram", accept),
                      Decision(s[7], "roles.leader", "anna", accept), Decision(s[7], "*", "bram", accept),
                      Decision(s[8], "roles.leader", "anna", accept)]
        decisions += [Decision(s[i], "*", "anna", accept) for i in range(9, 12)]
        decisions += [Decision(s[5], "trust.building", "consensus", accept, source="consensus"),
                      Decision(s[9], "trust.building", "kwali", accept, source="machine"),
                      Decision(s[1], "trust.distrust", "bram", accept)]
        store.add_decisions(decisions)
        store.add_decisions([Decision(s[1], "trust.distrust", "bram", Verdict.UNDONE, source="undo")])
    finally:
        store.close()
    return url
