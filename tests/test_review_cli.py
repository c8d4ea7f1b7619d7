"""``kwali users add`` and ``kwali review``: accounts from the command line, safe defaults, user errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from flows.cli.review import store_url
from pipeline.errors import InvalidInput
from pipeline.review_store import ReviewStore
from review.auth import verify_password


def kwali(*args, stdin=""):
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], input=stdin, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def study(tmp_path):
    ReviewStore(f"sqlite:///{tmp_path / 'kwali.sqlite'}").close()
    return tmp_path


def test_users_add_hashes_the_password_from_stdin(study):
    result = kwali("users", "add", "anna", str(study), "--role", "lead", "--password-stdin", stdin="lang-geheim\n")
    assert result.returncode == 0, result.stderr
    store = ReviewStore(store_url(str(study)))
    user = store.user("anna")
    store.close()
    assert user["role"] == "lead" and user["password_hash"].startswith("$argon2id$")
    assert verify_password(user["password_hash"], "lang-geheim") and "lang-geheim" not in user["password_hash"]


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["--role", "admin"], "lang-geheim\n", "role must be lead or coder"),
    ([], "kort\n", "at least 8"),
])
def test_users_add_refuses_bad_role_and_short_password(study, args, stdin, message):
    result = kwali("users", "add", "anna", str(study), *args, "--password-stdin", stdin=stdin)
    assert result.returncode == 2 and message in result.stderr


def test_reserved_names_and_missing_store_are_user_errors(study, tmp_path):
    assert kwali("users", "add", "consensus", str(study), "--password-stdin", stdin="lang-geheim\n").returncode == 2
    missing = kwali("users", "add", "anna", str(tmp_path / "nergens"), "--password-stdin", stdin="lang-geheim\n")
    assert missing.returncode == 2 and "no study store here" in missing.stderr
    assert kwali("review", str(tmp_path / "nergens")).returncode == 2


def test_store_url_accepts_folder_file_and_url(study):
    assert store_url(str(study)).endswith("/kwali.sqlite")
    assert store_url(str(study / "kwali.sqlite")) == store_url(str(study))
    assert store_url("ignored", db="postgresql+psycopg://u@127.0.0.1/db") == "postgresql+psycopg://u@127.0.0.1/db"
    with pytest.raises(InvalidInput):
        store_url(str(study / "kwali.db"))


def test_review_listens_on_loopback_by_default():
    result = kwali("review", "--help")
    assert result.returncode == 0 and "127.0.0.1" in result.stdout
