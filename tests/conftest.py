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
