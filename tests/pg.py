"""A throw-away PostgreSQL server for tests and benchmarks, from Debian's postgresql binaries.

initdb and postgres refuse to run as root, so as root they run as the ``postgres`` user (via
``runuser``) in a fresh temporary folder owned by that user. The server listens on 127.0.0.1 only,
on a free port, with trust authentication and fsync off: fast and local, never for real data.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_bin() -> Path | None:
    """Folder holding initdb and postgres, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found and Path(found).resolve().with_name("postgres").exists():
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield its SQLAlchemy URL; stop it and delete its files afterwards.

    Raises:
        RuntimeError: No PostgreSQL binaries, or the server did not come up.
    """
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL binaries (initdb, postgres) not found; apt-get install postgresql")
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    folder = Path(tempfile.mkdtemp(prefix="kwali-pg-"))
    if as_root:
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    port = _free_port()
    subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                    "--no-sync", "-E", "UTF8", "--locale=C"], check=True, capture_output=True)
    server = subprocess.Popen([*prefix, str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(folder),
                               "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                               "-c", "full_page_writes=off", "-c", "max_connections=200"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not start: {server.stderr.read().decode()[-500:]}") from None
                time.sleep(0.05)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(folder, ignore_errors=True)


def reset(url: str) -> None:
    """Drop and recreate the public schema, so each test starts from an empty database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    finally:
        engine.dispose()
