"""``kwali review`` (the review web app) and ``kwali users add`` (accounts for it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import app, err, fail
from pipeline.errors import InvalidInput, KwaliError

users_app = typer.Typer(help="Accounts for the review app.", no_args_is_help=True)
app.add_typer(users_app, name="users")

ROLES = ("lead", "coder")
MIN_PASSWORD = 8


def store_url(study_or_db: str, db: str | None = None) -> str:
    """The store URL for a study output folder, a SQLite file, or a database URL.

    Raises:
        InvalidInput: The folder holds no ``kwali.sqlite`` or the file does not exist.
    """
    if db:
        return db
    if "://" in study_or_db:
        return study_or_db
    path = Path(study_or_db)
    if path.is_dir():
        path = path / "kwali.sqlite"
    if not path.is_file():
        raise InvalidInput(f"{study_or_db}: no study store here; give the output folder of `kwali run` "
                           "(it holds kwali.sqlite), the .sqlite file itself, or --db URL")
    return f"sqlite:///{path.resolve()}"


@app.command()
def review(
    study_or_db: Annotated[str, typer.Argument(help="Output folder of `kwali run`, a .sqlite file, or a DB URL.")],
    host: Annotated[str, typer.Option(help="Address to listen on; keep 127.0.0.1 unless you mean to share.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    db: Annotated[str | None, typer.Option(help="Store URL, e.g. postgresql+psycopg://user@host/db.")] = None,
) -> None:
    """Start the review web app on a study's store."""
    try:
        url = store_url(study_or_db, db)
    except KwaliError as exc:
        fail(exc)
    import uvicorn  # noqa: PLC0415  (only when serving)

    from review.app import create_app  # noqa: PLC0415

    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"[yellow]Listening on {host}: anyone who can reach this address sees the login page.[/]")
    err.print(f"Kwali review on http://{host}:{port}/  (Ctrl+C stops it)", highlight=False)
    uvicorn.run(create_app(url), host=host, port=port, log_level="warning")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    study_or_db: Annotated[str, typer.Argument(help="Output folder of `kwali run`, a .sqlite file, or a DB URL.")],
    role: Annotated[str, typer.Option(help="lead or coder.")] = "coder",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    db: Annotated[str | None, typer.Option(help="Store URL instead of STUDY_OR_DB.")] = None,
) -> None:
    """Add a user (or reset their role and password)."""
    from pipeline.review_store import ReviewStore  # noqa: PLC0415
    from review.auth import hash_password  # noqa: PLC0415

    try:
        if role not in ROLES:
            raise InvalidInput(f"role must be lead or coder, got {role!r}")
        if not name.strip() or name in ("consensus", "machine"):
            raise InvalidInput(f"{name!r} cannot be a user name (empty or reserved)")
        url = store_url(study_or_db, db)
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters")
        store = ReviewStore(url)
        try:
            store.set_user(name, role, hash_password(password))
        finally:
            store.close()
    except KwaliError as exc:
        fail(exc)
    err.print(f"User {name} ({role}) saved.", highlight=False)
