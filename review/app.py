"""The review app factory: a FastAPI app on one study store, server-rendered with Jinja2 + HTMX.

Every page needs a login; every write needs the session's CSRF token (form field ``csrf`` or
header ``X-CSRF-Token``, which HTMX sends from ``hx-headers``). Jinja2 autoescaping is on for
every template, and the Content-Security-Policy forbids inline scripts, so text from a transcript
or a memo cannot run even if a template forgot to escape it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import jinja2
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.review_store import ReviewStore
from review.auth import SESSION_COOKIE, LoginLimiter, Session, Sessions

HERE = Path(__file__).resolve().parent
OPEN_PATHS = ("/login", "/static/")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


@dataclass(slots=True)
class ReviewState:
    """What the routes share: the store, the session signer, the login limiter, the templates."""

    store: ReviewStore
    sessions: Sessions
    limiter: LoginLimiter
    templates: Jinja2Templates


def _secret(store: ReviewStore) -> str:
    """The study's session secret, made once and kept in the store so sessions survive restarts."""
    secret = store.get_setting("session_secret")
    if not secret:
        store.set_setting("session_secret", secrets.token_urlsafe(32))
        secret = store.get_setting("session_secret")
    return str(secret)


class Guard:
    """Login on every page and security headers on every answer (CSRF: ``check_csrf``).

    A plain ASGI middleware: the session user is read from the store in a worker thread, so a
    slow database never stalls the event loop (and every other coder's request with it).
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        state: ReviewState = request.app.state.review
        session = state.sessions.read(request.cookies.get(SESSION_COOKIE))
        user = await run_in_threadpool(state.store.session_user, session.user) if session else None
        if user is None or user["role"] not in ("lead", "coder") or session.issued < user["sessions_after"]:
            session = None  # unknown user, no login role, or a session ended by logout or a change
        request.state.session = session
        request.state.user = user if session else None
        if session is None and not request.url.path.startswith(OPEN_PATHS):
            if request.method in SAFE_METHODS:
                refusal: Response = RedirectResponse("/login", status_code=303)
            else:
                refusal = Response("Log in first.", status_code=401)
            await _no_store(refusal)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _secure(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secure(headers: MutableHeaders) -> None:
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cache-Control"] = "no-store"


def _no_store(response: Response) -> Response:
    _secure(response.headers)
    return response


def current_session(request: Request) -> Session:
    """The request's session (the guard has already refused requests without one)."""
    return request.state.session


async def check_csrf(request: Request) -> None:
    """Refuse a write whose CSRF token (header or form field ``csrf``) is not the session's."""
    if request.method in SAFE_METHODS or request.url.path == "/login":
        return
    session: Session | None = request.state.session
    token = request.headers.get("x-csrf-token")
    if token is None:
        form = await request.form()  # cached on the request: the route's Form fields reuse it
        value = form.get("csrf")
        token = value if isinstance(value, str) else None
    if session is None or not request.app.state.review.sessions.csrf_ok(session, token):
        raise HTTPException(status_code=403, detail="Missing or wrong CSRF token; reload the page.")


def create_app(store_url: str, login_attempts: int = 5, login_window: float = 60.0) -> FastAPI:
    """A review app on the store at ``store_url``.

    Args:
        store_url: SQLAlchemy URL of the study store.
        login_attempts: Failed logins allowed per client and per user name within ``login_window``.
        login_window: Seconds.
    """
    from review import routes  # noqa: PLC0415  (routes import this module's helpers)

    store = ReviewStore(store_url)
    # autoescape for every template, whatever its file name (Jinja's default only covers .html).
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True,
                             auto_reload=False)  # templates ship with the code: no stat() per page
    templates = Jinja2Templates(env=env)
    app = FastAPI(title="Kwali review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.review = ReviewState(store, Sessions(_secret(store)), LoginLimiter(login_attempts, login_window),
                                   templates)
    app.add_middleware(Guard)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(routes.router)

    @app.exception_handler(StarletteHTTPException)
    async def plain_error(_request: Request, exc: StarletteHTTPException) -> Response:
        # Plain text, never an echo of the request: nothing a URL carries lands in a page.
        return _no_store(PlainTextResponse(str(exc.detail) if exc.status_code != 404 else "Not found.",
                                           status_code=exc.status_code))
    return app
