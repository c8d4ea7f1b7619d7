"""Review app over HTTP: login, roles and assignments, CSRF, escaping, optimistic versions, blind mode,
undo, agreement, adjudication, exports, path traversal."""

from __future__ import annotations

import io
import json
import re
import warnings

import pandas as pd
import pytest

from pipeline import review as rv
from pipeline.analysis.reliability import reliability_table
from pipeline.review_store import ReviewStore
from tests.review_study import IMG, PASSWORD, SCRIPT, build_study, csrf_of, login

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from review.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def study_url(tmp_path_factory):
    return build_study(tmp_path_factory.mktemp("review"))


@pytest.fixture
def url(study_url, tmp_path):
    # Each test works on its own copy, so decisions do not leak between tests.
    source = study_url.removeprefix("sqlite:///")
    target = tmp_path / "kwali.sqlite"
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


@pytest.fixture
def app(url):
    return create_app(url, login_attempts=5, login_window=60)


def client(app):
    return TestClient(app, follow_redirects=True)


def segment_ids(store: ReviewStore, document_id: str) -> list[str]:
    return store.segments_frame([document_id])["segment_id"].tolist()


def coded_segment(url: str) -> str:
    """The second segment of interview_00.txt (a respondent turn with tags), from a store opened for it."""
    store = ReviewStore(url)
    try:
        return segment_ids(store, "interview_00.txt")[1]
    finally:
        store.close()


def decide(c, token, segment_id, code_id, verdict="accept", seen=None, **extra):
    data = {"segment_id": segment_id, "code_id": code_id, "verdict": verdict, "seen": json.dumps(seen or {}), **extra}
    return c.post("/decide", data=data, headers={"X-CSRF-Token": token, "HX-Request": "true"})


# --- login and permissions -------------------------------------------------------------------

def test_every_page_needs_a_login(app):
    c = client(app)
    for path in ("/", "/queue", "/lead", "/lead/disagreements", "/export/decisions.csv", "/segment/abc"):
        response = c.get(path)
        assert response.url.path == "/login" and "Log in" in response.text, path
    for path in ("/decide", "/undo", "/lead/mode", "/lead/assign", "/lead/adjudicate"):
        assert c.post(path, data={}).status_code == 401, path


def test_passwords_are_argon2_hashed_and_wrong_ones_refused(app, url):
    store = ReviewStore(url)
    assert store.user("anna")["password_hash"].startswith("$argon2id$")
    store.close()
    c = client(app)
    assert c.post("/login", data={"username": "anna", "password": "fout"}).status_code == 401
    assert c.post("/login", data={"username": "niemand", "password": PASSWORD}).status_code == 401
    assert c.post("/login", data={"username": "anna", "password": PASSWORD}).url.path == "/queue"


def test_login_attempts_are_rate_limited(app):
    c = client(app)
    for _ in range(5):
        assert c.post("/login", data={"username": "anna", "password": "fout"}).status_code == 401
    blocked = c.post("/login", data={"username": "anna", "password": PASSWORD})
    assert blocked.status_code == 429 and "Too many" in blocked.text


def test_forged_session_cookie_is_not_a_login(app):
    c = client(app)
    c.cookies.set("kwali_session", "eyJ1IjoibGVhIiwic2lkIjoieCJ9.forged.sig")
    assert c.get("/lead").url.path == "/login"


def test_logout_ends_the_session_on_the_server_too(app):
    c = client(app)
    token = login(c, "anna")
    stolen = c.cookies.get("kwali_session")
    other_browser = client(app)
    login(other_browser, "anna")
    assert c.post("/logout", data={"csrf": token}).url.path == "/login"
    replay = client(app)
    replay.cookies.set("kwali_session", stolen)
    assert replay.get("/queue").url.path == "/login"  # the old cookie no longer counts
    assert other_browser.get("/queue").url.path == "/login"  # logout ends all of anna's sessions
    again = client(app)
    login(again, "anna")  # a new login right after the logout works
    assert again.get("/queue").url.path == "/queue"
    bram = client(app)
    login(bram, "bram")
    assert bram.get("/queue").url.path == "/queue"  # other users are not affected


def test_a_cookie_from_before_issue_times_counts_until_the_user_logs_out(app):
    signer = app.state.review.sessions._serializer
    old = client(app)
    old.cookies.set("kwali_session", signer.dumps({"u": "anna", "sid": "s" * 22}))  # no "iat"
    assert old.get("/queue").url.path == "/queue"
    c = client(app)
    token = login(c, "anna")
    c.post("/logout", data={"csrf": token})
    assert old.get("/queue").url.path == "/login"


def test_a_new_password_or_role_ends_the_users_sessions(app, url):
    c = client(app)
    login(c, "anna")
    assert c.get("/queue").url.path == "/queue"
    store = ReviewStore(url)
    store.set_user("anna", "coder", store.user("anna")["password_hash"])  # e.g. `kwali users add` again
    store.close()
    import time

    time.sleep(2.2)  # the app keeps a user's row SHORT_TTL (2 s) before reading it again
    assert c.get("/queue").url.path == "/login"


def test_coder_sees_only_assigned_documents_and_no_lead_pages(app, url):
    store = ReviewStore(url)
    other = segment_ids(store, "interview_02.txt")[1]
    mine = segment_ids(store, "interview_00.txt")[1]
    store.close()
    c = client(app)
    token = login(c, "anna")
    queue = c.get("/queue").text
    assert "interview_00.txt" in queue and "interview_02.txt" not in queue
    assert c.get(f"/segment/{mine}").status_code == 200
    assert c.get(f"/segment/{other}").status_code == 404
    assert decide(c, token, other, "trust.building").status_code == 404
    for path in ("/lead", "/lead/disagreements", "/export/decisions.csv"):
        assert c.get(path).status_code == 403, path
    assert c.post("/lead/mode", data={"mode": "open", "csrf": token}).status_code == 403


def test_lead_assigns_documents(app):
    c = client(app)
    lead = login(c, "lea")
    assert c.post("/lead/assign", data={"coder": "cato", "documents": ["interview_00.txt"], "csrf": lead}).status_code == 200
    assert c.post("/lead/assign", data={"coder": "cato", "documents": ["../../etc/passwd"],
                                        "csrf": lead}).status_code == 400
    c2 = client(app)
    login(c2, "cato")
    assert "interview_00.txt" in c2.get("/queue").text


# --- CSRF --------------------------------------------------------------------------------------

def test_writes_without_the_session_csrf_token_are_refused(app, url):
    seg = coded_segment(url)
    c = client(app)
    token = login(c, "anna")
    data = {"segment_id": seg, "code_id": "trust.building", "verdict": "accept", "seen": "{}"}
    assert c.post("/decide", data=data).status_code == 403
    assert c.post("/decide", data=data, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    other = client(app)
    other_token = login(other, "bram")
    assert other_token != token
    assert c.post("/decide", data={**data, "csrf": other_token}).status_code == 403
    assert c.post("/decide", data={**data, "csrf": token}).status_code == 200
    assert c.post("/logout", data={}).status_code == 403  # even logging out needs the token


# --- escaping ----------------------------------------------------------------------------------

def assert_escaped(page: str) -> None:
    assert "<script>alert" not in page and "<img src=x" not in page and "onerror=alert(1)>" not in page
    assert not re.search(r"<img\b", page)


def test_payloads_in_transcript_and_memo_are_escaped_on_every_page(app, url):
    store = ReviewStore(url)
    xss_segments = store.segments_frame(["interview_xss.txt"])
    seg = xss_segments[xss_segments["text"].str.contains("wethouder")]["segment_id"].iloc[0]
    store.close()
    pages = []
    for coder, verdict in (("anna", "accept"), ("bram", "reject")):
        c = client(app)
        token = login(c, coder)
        response = decide(c, token, seg, "*", memo=f"{SCRIPT} {IMG}")
        assert response.status_code == 200
        coded = decide(c, token, seg, "trust.distrust", verdict, memo=f"{coder}: {SCRIPT} {IMG}")  # memo on a code
        assert coded.status_code == 200
        pages += [c.get(f"/segment/{seg}").text, c.get("/queue").text, response.text, coded.text]
    lead = client(app)
    login(lead, "lea")
    pages += [lead.get(f"/segment/{seg}").text, lead.get("/lead").text, lead.get("/lead/disagreements").text,
              lead.get("/queue?document=interview_xss.txt").text]
    for page in pages:
        assert_escaped(page)
    joined = "\n".join(pages)
    assert "&lt;script&gt;alert(" in joined and "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in joined
    assert 'class="code-memo" aria-label="memo on Wantrouwen" value="anna: &lt;script&gt;' in joined  # own row
    assert "bram: &lt;script&gt;alert(" in pages[-4]  # the lead sees bram's code memo among the others
    assert "wethouder" in lead.get("/lead/disagreements").text  # the payload segment is there, escaped
    csv = lead.get("/export/decisions.csv").text
    assert SCRIPT in csv  # exports keep the text as it is (CSV is data, not a page)


def test_pages_forbid_inline_scripts(app):
    c = client(app)
    response = c.get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "<script>" not in response.text.replace('<script src="/static/htmx.min.js" defer></script>', "")


def test_no_path_traversal_through_static_or_exports(app):
    c = client(app)
    login(c, "lea")
    for path in ("/static/../pipeline/store.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py",
                 "/export/..%2F..%2Fetc%2Fpasswd", "/export/../../etc/passwd", "/export/kwali.sqlite",
                 "/segment/..%2F..%2Fetc%2Fpasswd"):
        response = c.get(path)
        assert response.status_code == 404, path
        assert "root:" not in response.text and "def create_app" not in response.text
    assert c.get("/static/htmx.min.js").status_code == 200


# --- decisions -----------------------------------------------------------------------------------

def test_second_concurrent_save_is_told_and_nothing_is_overwritten(app, url):
    seg = coded_segment(url)
    tab1, tab2 = client(app), client(app)
    t1, t2 = login(tab1, "anna"), login(tab2, "anna")
    assert decide(tab1, t1, seg, "trust.building", "accept", seen={}).status_code == 200
    late = decide(tab2, t2, seg, "trust.building", "reject", seen={})
    assert late.status_code == 409 and "changed by another save" in late.text
    store = ReviewStore(url)
    history = store.decisions_frame(current_only=False)
    store.close()
    assert history[["verdict", "version"]].to_dict("records") == [{"verdict": "accept", "version": 1}]
    # after reloading (seen version 1) the save goes through as version 2
    assert decide(tab2, t2, seg, "trust.building", "reject", seen={"trust.building": 1}).status_code == 200


def test_change_code_rejects_old_and_accepts_new_with_polarity(app, url):
    store = ReviewStore(url)
    seg = segment_ids(store, "interview_00.txt")[1]
    c = client(app)
    token = login(c, "anna")
    assert decide(c, token, seg, "trust.building", "reject", new_code="trust.distrust",
                  polarity="negative").status_code == 200
    current = {d["code_id"]: d for d in store.current_decisions([seg])}
    store.close()
    assert current["trust.building"]["verdict"] == "reject"
    assert current["trust.distrust"]["verdict"] == "accept" and current["trust.distrust"]["polarity"] == "negative"


def test_undo_restores_previous_decision_then_withdraws(app, url):
    store = ReviewStore(url)
    seg = segment_ids(store, "interview_00.txt")[1]
    c = client(app)
    token = login(c, "anna")
    decide(c, token, seg, "trust.building", "accept")
    decide(c, token, seg, "trust.building", "reject", seen={"trust.building": 1})
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    assert "Undone: reject" in c.post("/undo", data={"segment_id": seg}, headers=headers).text
    assert store.current_decisions([seg])[0]["verdict"] == "accept"
    assert "Undone: accept" in c.post("/undo", data={"segment_id": seg}, headers=headers).text
    assert store.current_decisions([seg])[0]["verdict"] == "undone"
    assert "Nothing to undo" in c.post("/undo", data={"segment_id": seg}, headers=headers).text
    assert len(store.decisions_frame(current_only=False)) == 4  # the audit trail keeps every step
    store.close()


def test_blind_mode_hides_other_coders_and_optionally_the_machine(app, url):
    seg = coded_segment(url)
    anna, bram, lead = client(app), client(app), client(app)
    ta, tb, tl = login(anna, "anna"), login(bram, "bram"), login(lead, "lea")
    decide(anna, ta, seg, "*", memo="annas notitie")
    assert "annas notitie" in bram.get(f"/segment/{seg}").text  # open mode
    assert lead.post("/lead/mode", data={"mode": "blind", "csrf": tl}).status_code == 200
    page = bram.get(f"/segment/{seg}").text
    assert "annas notitie" not in page and "Vertrouwen opbouwen <small>trust.building" in page
    lead.post("/lead/mode", data={"mode": "blind", "hide_machine": "on", "csrf": tl})
    page = bram.get(f"/segment/{seg}").text
    assert "Machine proposals are hidden" in page and "<mark>" not in page
    assert "annas notitie" in lead.get(f"/segment/{seg}").text  # the lead always sees everything
    assert lead.post("/lead/mode", data={"mode": "geheim", "csrf": tl}).status_code == 400


def test_progress_and_queue_status_filter(app, url):
    store = ReviewStore(url)
    seg = segment_ids(store, "interview_00.txt")[0]
    store.close()
    c = client(app)
    token = login(c, "anna")
    assert "Reviewed 0 of 12" in c.get("/queue").text
    decide(c, token, seg, "*")
    assert "Reviewed 1 of 12" in c.get("/queue").text
    assert seg not in c.get("/queue?status=open").text and seg in c.get("/queue?status=done").text


# --- lead: agreement, adjudication, exports ---------------------------------------------------

def two_coders_decide(app, url):
    store = ReviewStore(url)
    segs = segment_ids(store, "interview_00.txt") + segment_ids(store, "interview_01.txt")
    store.close()
    plan = {"anna": ["accept", "accept", "reject", "accept", "reject"],
            "bram": ["accept", "reject", "reject", "accept", "accept"]}
    for coder, verdicts in plan.items():
        c = client(app)
        token = login(c, coder)
        for seg, verdict in zip(segs, verdicts, strict=False):
            assert decide(c, token, seg, "trust.building", verdict).status_code == 200
    return segs


def test_lead_sees_agreement_equal_to_reliability_module_and_exports_it(app, url):
    two_coders_decide(app, url)
    lead = client(app)
    login(lead, "lea")
    page = lead.get("/lead").text
    store = ReviewStore(url)
    expected = reliability_table(store.decisions_frame(), ["trust.building"]).set_index("code_id")
    store.close()
    alpha = expected.loc["trust.building", "krippendorff_alpha"]
    assert f"{alpha:.3f}" in page and 'id="agreement-machine"' in page
    exported = pd.read_csv(io.StringIO(lead.get("/export/agreement.csv").text))
    row = exported[(exported["comparison"] == "coders") & (exported["code_id"] == "trust.building")].iloc[0]
    assert row["krippendorff_alpha"] == pytest.approx(alpha)
    assert row["percent_agreement"] == pytest.approx(expected.loc["trust.building", "percent_agreement"])
    xlsx = pd.read_excel(io.BytesIO(lead.get("/export/decisions.xlsx").content))
    assert len(xlsx) == 10 and set(xlsx["coder"]) == {"anna", "bram"}


def test_lead_adjudicates_disagreements_into_consensus(app, url):
    segs = two_coders_decide(app, url)
    lead = client(app)
    token = login(lead, "lea")
    page = lead.get("/lead/disagreements").text
    assert page.count('name="verdict" value="accept"') == 2  # segments 2 and 5 differ
    response = lead.post("/lead/adjudicate", data={"segment_id": segs[1], "code_id": "trust.building",
                                                   "verdict": "reject", "version": 0, "csrf": token})
    assert response.status_code == 200
    second = client(app)
    t2 = login(second, "lars")
    stale = second.post("/lead/adjudicate", data={"segment_id": segs[1], "code_id": "trust.building",
                                                  "verdict": "accept", "version": 0, "csrf": t2})
    assert stale.status_code == 409
    store = ReviewStore(url)
    consensus = store.current_decisions([segs[1]], [rv.CONSENSUS])
    store.close()
    assert [(d["verdict"], d["source"]) for d in consensus] == [("reject", "consensus")]
    coder = client(app)
    ct = login(coder, "anna")
    assert decide(coder, ct, segs[1], "trust.building", "accept", seen={"trust.building": 1},
                  coder="consensus").status_code == 200
    store = ReviewStore(url)
    assert len(store.current_decisions([segs[1]], [rv.CONSENSUS])) == 1  # the coder's field was ignored
    store.close()


def test_exports_quote_formula_cells(app, url):
    seg = coded_segment(url)
    c = client(app)
    token = login(c, "anna")
    decide(c, token, seg, "*", memo="=HYPERLINK(\"http://x\")")
    lead = client(app)
    login(lead, "lea")
    assert "'=HYPERLINK" in lead.get("/export/decisions.csv").text


def test_csrf_token_is_on_every_form(app):
    c = client(app)
    token = login(c, "lea")
    assert csrf_of(c.get("/lead").text) == token


def test_memos_belong_to_a_segment_and_code_and_survive_verdict_changes(app, url):
    seg = coded_segment(url)
    c = client(app)
    token = login(c, "anna")
    page = decide(c, token, seg, "trust.building", "accept", memo="duidelijk vertrouwen").text
    assert 'aria-label="memo on Vertrouwen opbouwen" value="duidelijk vertrouwen"' in page
    seen = json.loads(re.search(r'id="seen" name="seen" value="([^"]*)"', page).group(1).replace("&#34;", '"'))
    decide(c, token, seg, "*", seen=seen, memo="hele fragment")  # the segment's memo stays separate
    # Rejecting from the row sends the row's memo again: the note stays with the code's new version.
    decide(c, token, seg, "trust.building", "reject", seen=seen, memo="duidelijk vertrouwen")
    changed = decide(c, token, seg, "trust.building", "reject", seen={**seen, "trust.building": 2},
                     new_code="trust.distrust", memo="eerder wantrouwen")
    assert changed.status_code == 200
    store = ReviewStore(url)
    current = {d["code_id"]: d for d in store.current_decisions([seg], ["anna"])}
    store.close()
    assert current["*"]["memo"] == "hele fragment"
    assert (current["trust.building"]["verdict"], current["trust.building"]["memo"]) == ("reject", None)
    assert (current["trust.distrust"]["verdict"], current["trust.distrust"]["memo"]) == ("accept", "eerder wantrouwen")
    store = ReviewStore(url)
    history = store.decisions_frame(current_only=False)
    store.close()
    history = history[history["code_id"] == "trust.building"]
    assert [(d.verdict, None if pd.isna(d.memo) else d.memo) for d in history.itertuples()] == [
        ("accept", "duidelijk vertrouwen"), ("reject", "duidelijk vertrouwen"), ("reject", None)]
