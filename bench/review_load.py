"""Loopback load test of the review app: simulated coders on a large store, latency and no lost saves.

1. Builds a store of ``--segments`` segments (synthetic Dutch turns, 100 per document, about half
   with a machine tag) straight into the tables, with ``--coders`` coders in pairs that share
   their documents (double coding) and a lead.
2. Starts ``kwali review``'s app in a separate process (uvicorn, 127.0.0.1, free port).
3. Each coder logs in and opens the queue; once all have (so the figures are not twenty argon2
   logins at once), each makes ``--actions`` review steps: open the next open segment (GET, the
   "next segment" figure), accept its first code or mark it reviewed (POST, the "save decision"
   figure), with a short think time between steps. Every fifth step the coder also replays the
   same save from a stale "second tab", which must be refused (409), never stored.
4. Afterwards counts decisions in the store: every accepted save is there once, nothing else.
5. With ``--lead-pages``: the lead's pages, once the coders are done. ``--lead-decisions`` more
   double-coded decisions (each pair of coders on segments of their shared documents, most of them
   agreeing) go straight into the store first, so the agreement figures have thousands of units;
   then the lead opens /lead, /lead/disagreements and each export ``--lead-repeats`` times, one
   request at a time (p50 and max per page; the first request of each is part of the figures).

Targets: p95 of both figures < 150 ms; zero lost or duplicated decisions; every lead page < 1 s.

    python bench/review_load.py                      # SQLite
    python bench/review_load.py --db postgresql      # a throw-away PostgreSQL (Debian binaries)
    python bench/review_load.py --lead-pages         # and then time the lead's pages
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from pipeline import store as st  # noqa: E402
from pipeline.review_store import ReviewStore  # noqa: E402
from pipeline.codebook import Code, Codebook, Theme  # noqa: E402
from review.auth import hash_password  # noqa: E402

PASSWORD = "bench-wachtwoord"
PER_DOCUMENT = 100
WORDS = ("we hadden veel vertrouwen in de gemeente en de buurt maar later werd het lastig met de "
         "eigenaar van de loods die als trekker optrad voor het collectief van makers").split()


def build_store(url: str, n_segments: int, n_coders: int, seed: int = 7) -> list[str]:
    """Fill an empty store; return the coder names."""
    rng = random.Random(seed)
    store = ReviewStore(url)
    book = Codebook(id="bench", label="Bench", version="1", themes=[Theme(id="t", label="T", definition="d", codes=[
        Code(id=f"code{i}", label=f"Code {i}", definition="d") for i in range(8)])])
    sha = store.save_codebook(book)
    now = datetime.now(UTC)
    n_docs = max(1, n_segments // PER_DOCUMENT)
    with store.engine.begin() as conn:
        conn.execute(insert(st.runs).values(id="bench", started_at=now, status="completed", config={},
                                            codebook_sha256=sha, fingerprint="bench", skipped=[], kwali_version="bench"))
        for d in range(n_docs):
            doc_id = f"doc{d:05d}.txt"
            texts = [" ".join(rng.choices(WORDS, k=rng.randint(8, 30))) for _ in range(PER_DOCUMENT)]
            full = "\n\n".join(texts)
            conn.execute(insert(st.documents).values(id=doc_id, case_id=f"case{d % 40}", sha256="0" * 64, text=full,
                                                     turns=[], meta={}, n_words=len(full.split()),
                                                     segmented_with="bench", tagged_with="bench", updated_at=now))
            segs, tag_rows, start = [], [], 0
            for i, text in enumerate(texts):
                seg_id = f"{d:05d}-{i:03d}"
                segs.append(dict(id=seg_id, document_id=doc_id, case_id=f"case{d % 40}", idx=i, unit="turn",
                                 start=start, end=start + len(text), text=text, speaker="R" if i % 2 else "I",
                                 timestamp=None, n_words=len(text.split())))
                start += len(text) + 2
                if rng.random() < 0.5:
                    tag_rows.append(dict(segment_id=seg_id, code_id=f"code{rng.randrange(8)}", method="rules",
                                         codebook_sha256=sha, theme_id="t", score=round(rng.random(), 3),
                                         polarity="positive", evidence=[]))
            conn.execute(insert(st.segments), segs)
            if tag_rows:
                conn.execute(insert(st.tags), tag_rows)
    coders = [f"coder{i:02d}" for i in range(n_coders)]
    hashed = hash_password(PASSWORD)
    store.set_user("lead", "lead", hashed)
    docs_per_pair = max(1, n_docs // max(1, n_coders // 2))
    for i, coder in enumerate(coders):
        store.set_user(coder, "coder", hashed)
        pair = i // 2
        store.assign([f"doc{d:05d}.txt" for d in range(pair * docs_per_pair, min(n_docs, (pair + 1) * docs_per_pair))],
                     coder, "lead")
    store.close()
    return coders


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SEEN = re.compile(r'id="seen" name="seen" value="([^"]*)"')
CODE = re.compile(r'data-code="([^"]+)"')
NEXT = re.compile(r'id="next" href="/segment/([^"?]+)')
START = re.compile(r'id="start" class="button" href="/segment/([^"?]+)')
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def unescape(value: str) -> str:
    return value.replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")


def coder_run(base: str, coder: str, actions: int, think: float, out: dict, lock: threading.Lock, seed: int,
              ready: threading.Barrier) -> None:
    rng = random.Random(seed)
    nexts, saves, saved, errors = [], [], [], []
    try:
        _coder_steps(base, coder, actions, think, rng, nexts, saves, saved, errors, ready)
    except httpx.HTTPError as exc:  # a timed-out request ends this coder's run, visibly
        errors.append(f"{type(exc).__name__}")
        ready.abort()
    refused = sum(1 for e in errors if e == "refused")
    errors = [e for e in errors if e != "refused"]
    with lock:
        out[coder] = {"next": nexts, "save": saves, "saved": saved, "refused": refused, "errors": errors}


def _coder_steps(base: str, coder: str, actions: int, think: float, rng: random.Random, nexts: list, saves: list,
                 saved: list, errors: list, ready: threading.Barrier) -> None:
    with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
        client.post("/login", data={"username": coder, "password": PASSWORD})
        queue = client.get("/queue?status=open").text
        token = CSRF.search(queue).group(1)
        segment = START.search(queue).group(1)
        try:
            # Everyone logged in (argon2) and opened the queue before anyone's steps are timed:
            # the figures are the steady state of reviewing, not twenty simultaneous logins.
            ready.wait(timeout=120)
        except threading.BrokenBarrierError:
            pass
        for step in range(actions):
            time.sleep(rng.uniform(0, 2 * think))
            t0 = time.perf_counter()
            page = client.get(f"/segment/{segment}?status=open")
            nexts.append(time.perf_counter() - t0)
            if page.status_code != 200:
                errors.append(f"GET {page.status_code}")
                break
            seen = unescape(SEEN.search(page.text).group(1))
            codes = CODE.findall(page.text)
            code = codes[0] if codes else "*"
            data = {"segment_id": segment, "code_id": code, "verdict": "accept", "seen": seen}
            headers = {"X-CSRF-Token": token, "HX-Request": "true"}
            t0 = time.perf_counter()
            answer = client.post("/decide?status=open", data=data, headers=headers)
            saves.append(time.perf_counter() - t0)
            if answer.status_code == 200:
                saved.append((segment, code))
            else:
                errors.append(f"POST {answer.status_code}")
            if step % 5 == 4:  # a stale second tab replays the same save
                stale = client.post("/decide?status=open", data=data, headers=headers)
                errors.append("refused" if stale.status_code == 409 else f"stale POST {stale.status_code}")
            following = NEXT.search(answer.text)
            if not following:
                break
            segment = following.group(1)


LEAD_PAGES = ("/lead", "/lead/disagreements", "/export/agreement.csv", "/export/agreement.xlsx",
              "/export/decisions.csv", "/export/decisions.xlsx")


def seed_decisions(url: str, n: int, coders: list[str], seed: int = 11) -> int:
    """``n`` more double-coded decisions: both coders of a pair on undecided segments of their documents.

    Each coder of the pair accepts a code on about half of the segments (the pair agrees on ~80 %
    of them) and marks the rest reviewed ("*"). Returns the number of decisions stored.
    """
    rng = random.Random(seed)
    store = ReviewStore(url)
    decided = {r.segment_id for r in store.decisions_frame().itertuples()}
    rows, now = [], datetime.now(UTC)
    pairs = [coders[i:i + 2] for i in range(0, len(coders) - 1, 2)]
    per_pair = max(1, n // (2 * max(1, len(pairs))))
    for pair in pairs:
        docs = store.assigned_documents(pair[0])
        with store.reader.connect() as conn:
            ids = conn.execute(select(st.segments.c.id).where(st.segments.c.document_id.in_(docs))
                               .order_by(st.segments.c.document_id, st.segments.c.idx)).scalars().all()
        for seg in [i for i in ids if i not in decided][:per_pair]:
            code = f"code{rng.randrange(8)}" if rng.random() < 0.5 else "*"
            for coder in pair:
                mine = code if rng.random() < 0.8 else rng.choice(["*", f"code{rng.randrange(8)}"])
                rows.append(dict(segment_id=seg, code_id=mine, coder=coder, verdict="accept",
                                 polarity=None, memo=None, source="review", created_at=now, version=1,
                                 superseded_by=None))
    with store.writer.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(st.decisions), rows[start:start + 5000])
    store.close()
    return len(rows)


def lead_run(base: str, repeats: int) -> dict:
    """The lead's pages, each ``repeats`` times in turn: {path: {"p50", "max", "status"}} in ms."""
    times: dict[str, list[float]] = {path: [] for path in LEAD_PAGES}
    status: dict[str, int] = {}
    with httpx.Client(base_url=base, timeout=300, follow_redirects=True) as client:
        client.post("/login", data={"username": "lead", "password": PASSWORD})
        for _ in range(repeats):
            for path in LEAD_PAGES:
                t0 = time.perf_counter()
                answer = client.get(path)
                times[path].append(time.perf_counter() - t0)
                status[path] = answer.status_code
    return {path: {"p50": round(1000 * statistics.median(v), 1), "max": round(1000 * max(v), 1),
                   "status": status[path]} for path, v in times.items()}


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--coders", type=int, default=20)
    parser.add_argument("--actions", type=int, default=25, help="review steps per coder (bounded)")
    parser.add_argument("--think", type=float, default=0.25, help="mean seconds between a coder's steps")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--lead-pages", action="store_true", help="then time the lead's pages")
    parser.add_argument("--lead-decisions", type=int, default=6000,
                        help="double-coded decisions added before the lead's pages are timed")
    parser.add_argument("--lead-repeats", type=int, default=3, help="requests per lead page")
    report = run(parser.parse_args())
    print(json.dumps(report, indent=2))
    ok = passed(report)
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


def passed(report: dict) -> bool:
    """Both p95 figures under 150 ms, nothing lost, duplicated or unexpected, no errors; lead pages < 1 s."""
    lead = report.get("lead_pages_ms", {})
    return (report["next_segment_ms"]["p95"] < 150 and report["save_decision_ms"]["p95"] < 150
            and report["lost"] == report["duplicated"] == report["unexpected"] == 0 and not report["errors"]
            and all(page["max"] < 1000 and page["status"] == 200 for page in lead.values()))


def run(args: argparse.Namespace) -> dict:
    """Build the store, serve it, let the coders work, count; return the report."""
    folder = Path(tempfile.mkdtemp(prefix="kwali-load-"))
    try:
        return _run(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(args: argparse.Namespace, folder: Path) -> dict:
    if args.db == "postgresql":
        from tests.pg import postgres_server
        server_ctx = postgres_server()
    else:
        server_ctx = nullcontext(f"sqlite:///{folder / 'kwali.sqlite'}")
    with server_ctx as url:
        t0 = time.perf_counter()
        coders = build_store(url, args.segments, args.coders)
        built = time.perf_counter() - t0
        port = free_port()
        code = ("import uvicorn; from review.app import create_app; "
                f"uvicorn.run(create_app({url!r}), host='127.0.0.1', port={port}, log_level='warning')")
        server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("review server did not start")
                time.sleep(0.1)
            results: dict = {}
            lock = threading.Lock()
            ready = threading.Barrier(len(coders))
            threads = [threading.Thread(target=coder_run, args=(f"http://127.0.0.1:{port}", c, args.actions, args.think,
                                                                results, lock, i, ready)) for i, c in enumerate(coders)]
            load_before = os.getloadavg()[0]
            t1 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=600)
            elapsed = time.perf_counter() - t1
            # Counted before any seeding for the lead's pages: these are the coders' saves only.
            store = st.Store(url)
            with store.engine.connect() as conn:
                rows = conn.execute(select(st.decisions.c.segment_id, st.decisions.c.code_id,
                                           st.decisions.c.coder)).all()
                n_segments = conn.execute(select(func.count()).select_from(st.segments)).scalar()
            store.close()
            lead: dict = {}
            if getattr(args, "lead_pages", False):
                seeded = seed_decisions(url, args.lead_decisions, coders)
                lead = {"lead_decisions_added": seeded,
                        "lead_pages_ms": lead_run(f"http://127.0.0.1:{port}", args.lead_repeats)}
        finally:
            server.terminate()
            server.wait(timeout=10)

    expected = sorted((s, c, coder) for coder, r in results.items() for s, c in r["saved"])
    stored = sorted((r.segment_id, r.code_id, r.coder) for r in rows)
    nexts = [v for r in results.values() for v in r["next"]]
    saves = [v for r in results.values() for v in r["save"]]
    report = {
        "db": args.db, "segments": n_segments, "coders": len(coders), "store_build_s": round(built, 1),
        # Other work on the machine shares its cores with the server and the simulated coders.
        "load_average_1min_before": round(load_before, 2), "cpus": os.cpu_count(),
        "requests": len(nexts) + len(saves), "elapsed_s": round(elapsed, 1),
        "next_segment_ms": {"p50": round(1000 * statistics.median(nexts), 1), "p95": round(1000 * p95(nexts), 1)},
        "save_decision_ms": {"p50": round(1000 * statistics.median(saves), 1), "p95": round(1000 * p95(saves), 1)},
        "saves_accepted": len(expected), "stale_saves_refused": sum(r["refused"] for r in results.values()),
        "decisions_stored": len(stored), "lost": len(set(expected) - set(stored)),
        "duplicated": len(stored) - len(set(stored)), "unexpected": len(set(stored) - set(expected)),
        "errors": [e for r in results.values() for e in r["errors"]][:10],
        **lead,
    }
    return report


if __name__ == "__main__":
    main()
