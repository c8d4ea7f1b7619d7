"""The review app in headless Chromium: a coder reviews five segments with the keyboard only, the lead
sees agreement appear. Uses Debian's chromium (never ``playwright install``); skips without it."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from pipeline.models import Decision, Verdict
from pipeline.store import Store
from tests.review_study import PASSWORD, build_study

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("KWALI_CHROMIUM", "/usr/lib/chromium/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    uvicorn = pytest.importorskip("uvicorn")
    from review.app import create_app

    url = build_study(tmp_path_factory.mktemp("browser"))
    store = Store(url)
    # A second coder has already reviewed every assigned segment: accepts the machine's codes.
    tags = store.tags_frame(["interview_00.txt", "interview_01.txt", "interview_xss.txt"], store.latest_codebook()[0])
    segs = store.segments_frame(["interview_00.txt", "interview_01.txt", "interview_xss.txt"])["segment_id"]
    store.add_decisions([Decision(s, "*", "bram", Verdict.ACCEPT) for s in segs])
    store.add_decisions([Decision(t.segment_id, t.code_id, "bram", Verdict.ACCEPT) for t in tags.itertuples()])
    store.close()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        assert time.monotonic() < deadline, "review server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", url
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium_browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


def log_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    # The field has autofocus, but on a loaded machine typing can start before the browser
    # applied it (the name then went nowhere): wait for the focus instead of assuming it.
    page.wait_for_function("document.activeElement && document.activeElement.name === 'username'")
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()


def test_coder_reviews_five_segments_by_keyboard_and_lead_sees_agreement(server, chromium_browser, tmp_path):
    # The README's screenshots are refreshed on request only, so a test run leaves the clone clean.
    shots = DOCS if os.environ.get("KWALI_UPDATE_SCREENSHOTS") else tmp_path
    base, url = server
    browser = chromium_browser
    lead = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    requests: list[str] = []
    lead.on("request", lambda r: requests.append(r.url))
    log_in(lead, base, "lea")
    assert lead.url.endswith("/lead"), lead.inner_text("body")[:300]
    assert "Needs decisions from two coders" in lead.content()

    coder = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
    coder.on("request", lambda r: requests.append(r.url))
    log_in(coder, base, "anna")
    assert coder.url.endswith("/queue"), coder.inner_text("body")[:300]  # a failed login says why
    coder.wait_for_selector("html[data-keys=ready]", state="attached")
    coder.keyboard.press("j")  # start at the most uncertain open segment
    coder.wait_for_selector("#panel")
    reviewed = []
    for i in range(5):
        coder.wait_for_selector("html[data-keys=ready]", state="attached")
        segment = coder.get_attribute("#panel", "data-segment")
        reviewed.append(segment)
        has_codes = coder.locator("tr.code-row").count() > 0
        coder.keyboard.press("a" if has_codes else "n")
        coder.wait_for_selector("#panel .message:has-text('Saved.')")
        if i == 1:
            shots.mkdir(exist_ok=True)
            coder.screenshot(path=str(shots / "review.png"), full_page=True)
        coder.keyboard.press("j")
        coder.wait_for_function(f"document.querySelector('#panel') && "
                                f"document.querySelector('#panel').dataset.segment !== '{segment}'")
    assert len(set(reviewed)) == 5
    assert "Reviewed 5 of" in coder.inner_text(".progress")

    store = Store(url)
    mine = store.decisions_frame()
    store.close()
    assert set(mine.loc[mine["coder"] == "anna", "segment_id"]) == set(reviewed)

    lead.reload()
    table = lead.inner_text("#agreement-coders")
    rows = [line.split("\t") for line in table.splitlines()[1:]]
    per_code = [r for r in rows if r[0] != "(overall)"]
    assert per_code and all(r[1] == "5" for r in per_code)  # five segments now coded by both coders
    overall = next(r for r in rows if r[0] == "(overall)")
    assert overall[1] == str(5 * len(per_code))  # overall pools (segment, code) pairs
    assert overall[4] != "–"  # an alpha is shown
    lead.screenshot(path=str(shots / "review-agreement.png"), full_page=True)
    assert all(r.startswith(base) for r in requests), "a request left the machine"
