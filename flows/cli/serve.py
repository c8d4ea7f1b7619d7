"""``kwali serve``: a local Prefect server and UI with Kwali's flows as deployments.

Starts ``prefect server start`` on 127.0.0.1 (SQLite under the Prefect home, analytics off)
unless ``PREFECT_API_URL`` already points at a server, then serves the deployments of
``flows.deployments`` until Ctrl-C or SIGTERM, and stops the server it started.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.cli.common import app, err, fail, out
from pipeline.errors import KwaliError

DEFAULT_HOME = Path("~/.kwali/prefect")
#: Written into the Prefect home while `kwali serve` runs its server, so `kwali run` can find it.
SERVE_FILE = "kwali-serve.json"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
START_TIMEOUT = 90.0  # the server is healthy after ~7 s here; a cold disk can take much longer

QUIET_ENV = {
    "DO_NOT_TRACK": "1",  # Prefect phones home unless both of these are set
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((host, port)) != 0


def wait_healthy(api_url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Wait until ``<api_url>/health`` answers.

    Raises:
        KwaliError: The server process ended, or did not answer within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise KwaliError(f"the Prefect server stopped while starting (exit code {process.returncode}); "
                             "see server.log in the Prefect home folder")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise KwaliError(f"no Prefect server answered at {api_url} within {timeout:.0f} s; check the address, "
                     "or look at server.log in the Prefect home folder")


def start_server(host: str, port: int, home: Path) -> subprocess.Popen:
    """Start ``prefect server start`` in its own process group, logging to ``home/server.log``."""
    if not port_is_free(host, port):
        raise KwaliError(f"port {port} on {host} is in use; choose another with --port, or point "
                         "PREFECT_API_URL at the server that runs there")
    home.mkdir(parents=True, exist_ok=True)
    log = (home / "server.log").open("ab")
    # The UI asks the browser to call PREFECT_UI_API_URL, which defaults to port 4200.
    env = {**os.environ, **QUIET_ENV, "PREFECT_HOME": str(home),
           "PREFECT_UI_API_URL": f"http://{host}:{port}/api", "PREFECT_UI_URL": f"http://{host}:{port}"}
    env.pop("PREFECT_API_URL", None)
    return subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def stop_server(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """Terminate the server (and the processes it started) and wait for it."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        pass


def prefect_home(home: Path | None = None) -> Path:
    """The Prefect home: ``home``, else ``$PREFECT_HOME``, else ``~/.kwali/prefect``."""
    return (home or Path(os.environ.get("PREFECT_HOME", "") or DEFAULT_HOME)).expanduser().resolve()


def _write_serve_file(home: Path, api_url: str) -> Path:
    path = home / SERVE_FILE
    tmp = path.with_name(f".{SERVE_FILE}.tmp")
    tmp.write_text(json.dumps({"api_url": api_url, "pid": os.getpid()}), encoding="utf-8")
    tmp.replace(path)
    return path


def running_serve_api(home: Path | None = None) -> str | None:
    """The API address of the server a running ``kwali serve`` started on this machine, if any.

    Read from ``SERVE_FILE`` in the Prefect home; only a loopback address whose ``kwali serve``
    process is alive and whose server answers its health check within a second counts.
    """
    try:
        info = json.loads((prefect_home(home) / SERVE_FILE).read_text(encoding="utf-8"))
        api_url, pid = str(info["api_url"]).rstrip("/"), int(info["pid"])
        os.kill(pid, 0)  # raises when that process is gone (a killed serve leaves its file behind)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if urllib.parse.urlsplit(api_url).hostname not in LOOPBACK_HOSTS:
        return None
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=1) as response:
            return api_url if response.status == 200 else None
    except (urllib.error.URLError, OSError):
        return None


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM ends serve the same way Ctrl-C does


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port of the local Prefect server and UI.")] = 4200,
    home: Annotated[Path | None, typer.Option(
        help="Prefect home (database, logs); default: $PREFECT_HOME or ~/.kwali/prefect.")] = None,
    limit: Annotated[int, typer.Option(help="Flow runs at the same time.")] = 2,
) -> None:
    """Start the Prefect UI with Kwali's flows (full-run, ingest, annotate, analyse, report, topics)."""
    host = "127.0.0.1"  # interviews are personal data: the server never listens beyond this machine
    os.environ.update(QUIET_ENV)
    home_dir = prefect_home(home)
    os.environ["PREFECT_HOME"] = str(home_dir)
    process = None
    serve_file = None
    previous = signal.signal(signal.SIGTERM, _terminate)
    # A shell starting us in the background may have set SIGINT to "ignore": Ctrl-C must stop us.
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        api_url = os.environ.get("PREFECT_API_URL")
        if api_url:
            wait_healthy(api_url.rstrip("/"), 10.0)
            ui_url = api_url.rstrip("/").removesuffix("/api")
            err.print(f"Using the Prefect server at {api_url}", highlight=False)
        else:
            err.print(f"Starting a Prefect server on {host}:{port} (home {home_dir}) …", highlight=False)
            process = start_server(host, port, home_dir)
            api_url = f"http://{host}:{port}/api"
            wait_healthy(api_url, START_TIMEOUT, process)
            os.environ["PREFECT_API_URL"] = api_url
            ui_url = f"http://{host}:{port}"
            # `kwali run` in another terminal reports to this server (its runs show in this UI)
            # instead of starting a temporary one of its own.
            serve_file = _write_serve_file(home_dir, api_url)
        from flows.deployments import deployments  # imports prefect: only after PREFECT_API_URL is set

        import prefect

        served = deployments()
        out.print(f"Kwali flows are served. Open the Prefect UI: {ui_url}/deployments", highlight=False)
        out.print("Deployments: " + ", ".join(d.name for d in served) + ". Stop with Ctrl-C.", highlight=False)
        sys.stdout.flush()
        # No schedules to pause; pausing would also pause deployments another `kwali serve` shares.
        prefect.serve(*served, limit=limit, print_starting_message=False, pause_on_shutdown=False)
    except KeyboardInterrupt:
        pass
    except KwaliError as exc:
        fail(exc)
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        if serve_file is not None:
            serve_file.unlink(missing_ok=True)
        if process is not None:
            err.print("Stopping the Prefect server …")
            stop_server(process)
    err.print("Stopped.")
