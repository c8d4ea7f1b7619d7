"""A tiny reviewed study for the review tests: pipeline steps on a hand-made corpus, plus users.

One transcript carries script/attribute-breaking payloads as interview text, so every page test
also checks escaping.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.config import RunConfig
from pipeline.models import Document, Turn
from pipeline.review_store import ReviewStore
from pipeline.segment import segment_document
from review.auth import hash_password
from tests.test_run import full, write_corpus

PASSWORD = "geheim-wachtwoord"
SCRIPT = "<script>alert('kwali')</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD_TURNS = [
    "Interviewer: Wat vond u van de gemeente?",
    f"Respondent: {SCRIPT} Er was geen vertrouwen {IMG} in de wethouder.",
]
CSRF_RE = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def paragraph_turns(text: str) -> list[Turn]:
    """One turn per paragraph of a "Speaker: words" text, the speaker label left out of the span."""
    found, start = [], 0
    for paragraph in text.split("\n\n"):
        speaker, _, _ = paragraph.partition(": ")
        begin = text.index(paragraph, start) + len(speaker) + 2
        found.append(Turn(begin, begin + len(paragraph) - len(speaker) - 2, speaker))
        start = begin
    return found


def two_document_store(url: str, text: str) -> ReviewStore:
    """A store with ``text`` as documents a.txt and b.txt (cases case-a, case-b), segmented by
    turn, and users anna and bram (coders) and lea (lead)."""
    store = ReviewStore(url)
    for name in ("a.txt", "b.txt"):
        document = Document(name, f"case-{name[0]}", text, paragraph_turns(text), name[0] * 64)
        store.save_document(document, segment_document(document), "fp")
    for name, role in (("anna", "coder"), ("bram", "coder"), ("lea", "lead")):
        store.ensure_user(name, role)
    return store


def build_study(folder: Path) -> str:
    """Run the pipeline on a small corpus and add users; return the store URL."""
    corpus = write_corpus(folder / "studie")
    (corpus / "interview_xss.txt").write_text("\n\n".join(PAYLOAD_TURNS) + "\n", encoding="utf-8")
    config = RunConfig(corpus=corpus, out=folder / "out",
                       codebook=Path(__file__).resolve().parent / "fixtures" / "codebook_small.yaml")
    full(config)
    url = config.resolved_store_url()
    store = ReviewStore(url)
    try:
        store.set_user("lea", "lead", hash_password(PASSWORD))
        store.set_user("lars", "lead", hash_password(PASSWORD))
        for coder in ("anna", "bram", "cato"):
            store.set_user(coder, "coder", hash_password(PASSWORD))
        docs = ["interview_00.txt", "interview_01.txt", "interview_xss.txt"]
        store.assign(docs, "anna", "lea")
        store.assign(docs, "bram", "lea")
        store.assign(["interview_02.txt"], "cato", "lea")
    finally:
        store.close()
    return url


def login(client, name: str, password: str = PASSWORD) -> str:
    """Log a TestClient in and return its CSRF token."""
    response = client.post("/login", data={"username": name, "password": password})
    assert response.status_code == 200, response.text
    return csrf_of(client.get("/queue").text)


def csrf_of(page: str) -> str:
    match = CSRF_RE.search(page)
    assert match, "page carries no CSRF token"
    return match.group(1)
