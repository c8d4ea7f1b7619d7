"""`kwali serve` for real: a local Prefect server, the deployments and their forms, runs started
from the API and from the Prefect UI in headless Chromium, no connection beyond 127.0.0.1, and a
clean stop. One server for the module (it takes ~10 s to start); the stop test runs last.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NETGUARD = Path(__file__).resolve().parent / "netguard"
DOCS = ROOT / "docs"
CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
DEPLOYMENTS = {"full-run", "ingest", "annotate", "analyse", "report", "topics"}

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """A running `kwali serve` and a tiny client for its API."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.port = free_port()
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.netlog = tmp / "net.log"
        self.stdout = tmp / "serve.out"
        self.stderr = tmp / "serve.err"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(PYTHONPATH=os.pathsep.join([str(NETGUARD), str(ROOT)]), KWALI_NETLOG=str(self.netlog),
                   PREFECT_HOME=str(tmp / "prefect-home"), DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "serve", "--port", str(self.port)], cwd=ROOT, env=env,
            stdout=self.stdout.open("wb"), stderr=self.stderr.open("wb"))

    def logs(self) -> str:
        return (f"--- stdout\n{self.stdout.read_text(errors='replace')[-3000:]}\n"
                f"--- stderr\n{self.stderr.read_text(errors='replace')[-5000:]}")

    def call(self, method: str, path: str, body: dict | None = None, attempts: int = 10):
        # Like Prefect's own client, retry 5xx: a busy SQLite server answers 503 now and then.
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(attempts):
            request = urllib.request.Request(self.api + path, data=data, method=method,
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return json.loads(response.read() or b"null")
            except urllib.error.HTTPError as exc:
                if exc.code < 500 or attempt == attempts - 1:
                    raise
            time.sleep(1 + attempt)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "kwali serve exited while starting\n" + self.logs()
            if "Kwali flows are served" in self.stdout.read_text(errors="replace"):
                try:
                    if {d["name"] for d in self.deployments()} >= DEPLOYMENTS:
                        return
                except OSError:
                    pass
            time.sleep(0.5)
        raise AssertionError(f"kwali serve not ready after {timeout} s\n" + self.logs())

    def deployments(self) -> list[dict]:
        return self.call("POST", "/deployments/filter", {})

    def deployment(self, name: str) -> dict:
        return next(d for d in self.deployments() if d["name"] == name)

    def wait_run(self, run_id: str, timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.call("GET", f"/flow_runs/{run_id}")
            if run["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                return run
            time.sleep(0.5)
        raise AssertionError(f"flow run {run_id} not finished after {timeout} s\n" + self.logs())

    def run_ids(self, deployment_id: str) -> list[str]:
        runs = self.call("POST", "/flow_runs/filter", {"deployments": {"id": {"any_": [deployment_id]}}})
        return [r["id"] for r in runs]

    def wait_new_run(self, deployment_id: str, before: set[str], timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = set(self.run_ids(deployment_id)) - before
            if new:
                return new.pop()
            time.sleep(0.5)
        raise AssertionError(f"submitting the form created no flow run within {timeout} s\n" + self.logs())

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"kwali serve did not stop within {timeout} s of signal {sig}\n" + self.logs())
        return self.process.returncode


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = Served(tmp_path_factory.mktemp("serve"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture
def study(tmp_path, small_codebook_path) -> Path:
    from tests.test_run import write_corpus

    return write_corpus(tmp_path / "studie")


def test_serve_prints_ui_address_and_serves_every_deployment(served):
    assert f"http://127.0.0.1:{served.port}/deployments" in served.stdout.read_text()
    names = {d["name"] for d in served.deployments()}
    assert names >= DEPLOYMENTS
    with urllib.request.urlopen(f"http://127.0.0.1:{served.port}/", timeout=30) as response:
        assert response.status == 200  # the UI is served by the same server


def test_full_run_form_has_typed_described_parameters_with_defaults(served):
    schema = served.deployment("full-run")["parameter_openapi_schema"]
    props = schema["properties"]
    assert schema["required"] == ["study_folder"]
    assert props["study_folder"]["type"] == "string" and "study folder" in props["study_folder"]["description"]
    assert props["unit"]["enum"] == ["turn", "paragraph", "sentence"] and props["unit"]["default"] == "turn"
    assert props["window"] == {**props["window"], "type": "integer", "default": 3}
    assert props["codebook"]["default"].endswith("wijkeconomie.yaml")
    assert props["methods"]["default"] == ["rules"] and props["fresh"]["type"] == "boolean"
    assert all(p.get("description") for p in props.values())
    assert props["runner"]["enum"] == ["threads", "dask"] and props["runner"]["default"] == "threads"
    assert props["dask_address"] == {**props["dask_address"], "type": "string", "default": ""}


def test_topics_form_has_typed_described_parameters_with_defaults(served):
    schema = served.deployment("topics")["parameter_openapi_schema"]
    props = schema["properties"]
    assert schema["required"] == ["study_folder"]
    assert props["embedder"]["enum"] == ["e5", "use", "tfidf"] and props["embedder"]["default"] == "e5"
    assert props["min_topic_size"] == {**props["min_topic_size"], "type": "integer", "default": 10}
    assert props["update_report"]["default"] is True and props["local_model"]["default"] == ""
    assert all(p.get("description") for p in props.values())


def test_deployment_run_completes_with_artifacts_and_readable_task_names(served, study, small_codebook_path):
    deployment = served.deployment("full-run")
    run = served.call("POST", f"/deployments/{deployment['id']}/create_flow_run", {
        "parameters": {"study_folder": str(study), "codebook": str(small_codebook_path), "output_name": "uit"}})
    finished = served.wait_run(run["id"])
    assert finished["state_type"] == "COMPLETED", served.logs()
    assert (study.parent / "uit" / "report.html").is_file()
    artifacts = served.call("POST", "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run["id"]]}}})
    by_key = {a["key"]: a for a in artifacts}
    table = by_key["case-by-theme"]["data"]
    table = json.loads(table) if isinstance(table, str) else table
    assert {row["case"] for row in table} == {"keilehaven", "werkspoor", "interview_02.txt"}
    assert table[0]["trust"] >= 1
    summary = by_key["run-summary"]["data"]
    assert "| source files read (new or changed) | 3 |" in summary and "report.html" in summary
    tasks = served.call("POST", "/task_runs/filter", {"flow_runs": {"id": {"any_": [run["id"]]}}})
    names = {t["name"] for t in tasks}
    assert "ingest interview_00.txt … interview_02.txt (3 files)" in names, names
    assert any(n.startswith("annotate interview_00.txt") for n in names), names


def test_kwali_run_in_another_terminal_reports_to_the_served_server(served, study, small_codebook_path, tmp_path):
    serve_file = served.tmp / "prefect-home" / "kwali-serve.json"
    assert json.loads(serve_file.read_text())["api_url"] == served.api
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(served.tmp / "prefect-home"), DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    done = subprocess.run([sys.executable, "-m", "flows.cli", "run", str(study), "--out", str(tmp_path / "cli-out"),
                           "--codebook", str(small_codebook_path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Reporting to the Prefect server of `kwali serve` at {served.api}" in done.stderr
    runs = served.call("POST", "/flow_runs/filter", {"flows": {"name": {"any_": ["full-run"]}}})
    assert [r["state_type"] for r in runs] == ["COMPLETED"], runs  # the CLI's run, in the served UI


def test_browser_starts_full_run_from_the_prefect_ui(served, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright==1.65.2")
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} missing: apt-get install -y chromium")
    study = tmp_path / "demo"
    shutil.copytree(ROOT / "corpora" / "demo", study)
    # The README's screenshots are refreshed on request only, so a test run leaves the clone clean.
    shots = DOCS if os.environ.get("KWALI_UPDATE_SCREENSHOTS") else tmp_path
    shots.mkdir(exist_ok=True)
    requests: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"http://127.0.0.1:{served.port}/deployments")
            page.get_by_role("link", name="full-run", exact=True).click()
            page.wait_for_url("**/deployments/deployment/**")
            page.get_by_role("button", name="Run", exact=True).click()
            page.get_by_text("Custom run").click()
            page.wait_for_url("**/run**")
            field = page.locator("textarea").first
            field.fill(str(study))
            page.get_by_text("Full path of the study folder").scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "prefect-ui-run-form.png"))
            deployment_id = page.url.split("/deployments/deployment/")[1].split("/")[0]
            before = set(served.run_ids(deployment_id))
            page.get_by_role("button", name="Submit").click()
            run_id = served.wait_new_run(deployment_id, before)
            finished = served.wait_run(run_id, timeout=240)
            assert finished["state_type"] == "COMPLETED", served.logs()
            page.goto(f"http://127.0.0.1:{served.port}/runs/flow-run/{run_id}")
            page.get_by_text("Completed").first.wait_for()
            page.wait_for_timeout(1500)  # let the task list and timeline finish drawing
            page.screenshot(path=str(shots / "prefect-ui-finished-run.png"))
        finally:
            browser.close()
    assert (tmp_path / "demo-kwali" / "report.html").is_file()
    assert (shots / "prefect-ui-finished-run.png").stat().st_size > 10_000
    hosts = {url.split("/")[2] for url in requests if url.startswith("http")}
    assert hosts == {f"127.0.0.1:{served.port}"}, hosts


def test_no_connection_beyond_loopback_during_serve_and_runs(served):
    # Runs after the runs above (same server): every Python process logged its connections.
    assert served.netlog.parent.is_dir()
    noted = served.netlog.read_text() if served.netlog.exists() else ""
    assert noted == "", "connections beyond 127.0.0.1:\n" + noted


def test_serve_uses_an_existing_server_from_prefect_api_url_and_leaves_it_running(served, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PYTHONPATH=str(ROOT), PREFECT_API_URL=served.api, PREFECT_HOME=str(tmp_path / "home"))
    out, errors = tmp_path / "second.out", tmp_path / "second.err"
    second = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve", "--port", str(free_port())], cwd=ROOT,
                              env=env, stdout=out.open("wb"), stderr=errors.open("wb"))
    try:
        deadline = time.monotonic() + 90
        while "Kwali flows are served" not in out.read_text() and time.monotonic() < deadline:
            assert second.poll() is None, errors.read_text()[-3000:]
            time.sleep(0.5)
        assert f"http://127.0.0.1:{served.port}/deployments" in out.read_text(), out.read_text()
        assert "Starting a Prefect server" not in errors.read_text()
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0, errors.read_text()[-3000:]
    assert served.call("GET", "/health") is True  # the server it did not start is still up


def test_serve_stops_cleanly_on_ctrl_c_and_frees_the_port(served):
    code = served.stop(signal.SIGINT)
    assert code == 0, served.logs()
    assert "Stopped." in served.stderr.read_text()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", served.port)) != 0, "the Prefect server still listens"
    assert not (served.tmp / "prefect-home" / "kwali-serve.json").exists()  # `kwali run` no longer finds it


def test_a_stale_or_foreign_serve_file_is_ignored(tmp_path, monkeypatch):
    from flows.cli.serve import SERVE_FILE, running_serve_api

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    assert running_serve_api() is None  # no file
    (tmp_path / SERVE_FILE).write_text("{not json", encoding="utf-8")
    assert running_serve_api() is None
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / SERVE_FILE).write_text(json.dumps({"api_url": "http://127.0.0.1:9/api", "pid": dead.pid}))
    assert running_serve_api() is None  # the serve that wrote it is gone
    (tmp_path / SERVE_FILE).write_text(json.dumps({"api_url": "http://10.1.2.3:4200/api", "pid": os.getpid()}))
    assert running_serve_api() is None  # never beyond this machine
    (tmp_path / SERVE_FILE).write_text(json.dumps({"api_url": f"http://127.0.0.1:{free_port()}/api",
                                                   "pid": os.getpid()}))
    assert running_serve_api() is None  # nothing answers there
