"""Shared fixtures: the small test codebook, one NLP pipeline per session, the shared folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# KWALI_SHARED points elsewhere when the repository is checked out away from ../shared (a worktree).
SHARED = Path(os.environ.get("KWALI_SHARED") or ROOT.parent / "shared")


@pytest.fixture(scope="session")
def small_codebook_path() -> Path:
    return FIXTURES / "codebook_small.yaml"


@pytest.fixture(scope="session")
def small_codebook(small_codebook_path):
    from pipeline.codebook import load_codebook

    return load_codebook(small_codebook_path)


@pytest.fixture(scope="session")
def nlp():
    from pipeline.config import NlpOptions
    from pipeline.nlp import build_nlp

    return build_nlp(NlpOptions(model="blank"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"../shared is not beside the repository ({SHARED}); it holds the seed documents")
    return SHARED


@pytest.fixture(scope="session")
def postgres_url():
    """URL of a PostgreSQL server the test session starts itself (skips without the binaries)."""
    from tests.pg import postgres_bin, postgres_server

    if postgres_bin() is None:
        pytest.skip("PostgreSQL binaries (initdb, postgres) are not installed: apt-get install postgresql")
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def store_url(request, tmp_path):
    """A fresh, empty store URL: SQLite in tmp_path, and the session's PostgreSQL (emptied first)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kwali.sqlite'}"
    from tests.pg import reset

    url = request.getfixturevalue("postgres_url")
    reset(url)
    return url
