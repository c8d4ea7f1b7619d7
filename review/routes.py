"""Pages and actions of the review app. Each handler is a thin shell over ``pipeline.review``."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from pipeline import review as rv
from pipeline.analysis.quotes import mark_evidence
from pipeline.codebook import Codebook
from pipeline.errors import InvalidInput, StaleDecision
from pipeline.review_agreement import agreement, disagreement_page
from review.app import ReviewState, check_csrf, current_session
from review.auth import SESSION_COOKIE, SESSION_MAX_AGE, verify_password

router = APIRouter(dependencies=[Depends(check_csrf)])
QUICK_CODES = 9
QUEUE_ROWS = 200


# --- helpers ---------------------------------------------------------------------------------

def _state(request: Request) -> ReviewState:
    return request.app.state.review


def _codebook(request: Request) -> tuple[str | None, Codebook | None]:
    state = _state(request)
    found = state.store.latest_codebook()
    return (found[0], found[1]) if found else (None, None)


def _seen(request: Request) -> rv.Visibility:
    # Read once per request: a save and the panel after it see the same rules.
    seen = getattr(request.state, "seen", None)
    if seen is None:
        user = request.state.user
        seen = request.state.seen = rv.visibility(_state(request).store, user["name"], user["role"])
    return seen


def _lead(request: Request) -> None:
    if request.state.user["role"] != "lead":
        raise HTTPException(status_code=403, detail="Only a lead may do this.")


def _filters(code: str = "", case: str = "", document: str = "", status: str = "all") -> rv.Filters:
    return rv.Filters(code=code, case=case, document=document, status=status if status in ("open", "done") else "all")


def _query(filters: rv.Filters) -> str:
    return urlencode({k: v for k, v in (("code", filters.code), ("case", filters.case),
                                        ("document", filters.document), ("status", filters.status)) if v})


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    state = _state(request)
    user = request.state.user
    base = {"user": user, "csrf": state.sessions.csrf_token(request.state.session) if request.state.session else "",
            "mode": seen.mode if (seen := getattr(request.state, "seen", None))
            else state.store.get_setting("mode", "open")}
    return state.templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def _panel(request: Request, segment_id: str, filters: rv.Filters, message: str = "",
           status_code: int = 200) -> HTMLResponse:
    store = _state(request).store
    seen = _seen(request)
    sha, book = _codebook(request)
    try:
        view = rv.segment_view(store, seen, segment_id, sha)
    except InvalidInput:
        raise HTTPException(status_code=404) from None
    reviewed = store.reviewed(seen.user)
    previous, following = rv.neighbours(store, seen, sha, filters, segment_id, reviewed)
    codes = book.codes if book else []
    labels = {c.id: c.label for c in codes}
    evidence = [e for p in view.proposals for e in (p["evidence"] or [])]
    done, total = rv.progress(store, seen, sha, reviewed)
    rows: list[dict[str, Any]] = []
    proposed: set[str] = set()
    for p in view.proposals:  # best score first: one row per code
        if p["code_id"] not in proposed:
            proposed.add(p["code_id"])
            rows.append({"code_id": p["code_id"], "label": labels.get(p["code_id"], p["code_id"]),
                         "score": p["score"], "polarity": p["polarity"], "machine": True,
                         "mine": view.mine.get(p["code_id"])})
    rows += [{"code_id": code_id, "label": labels.get(code_id, code_id), "score": None,
              "polarity": d["polarity"] or "positive", "machine": False, "mine": d}
             for code_id, d in view.mine.items() if code_id not in proposed and code_id != rv.REVIEWED]
    versions = {code_id: d["version"] for code_id, d in view.mine.items()}
    marker = view.mine.get(rv.REVIEWED)
    template = "_panel.html" if request.headers.get("hx-request") else "segment.html"
    return _page(request, template, status_code=status_code, view=view, rows=rows,
                 text=Markup(mark_evidence(view.segment["text"], evidence)), codes=codes,
                 quick=codes[:QUICK_CODES], labels=labels, previous=previous, following=following,
                 done=done, total=total, query=_query(filters), filters=filters, message=message,
                 seen_json=json.dumps(versions), marker=marker, show_machine=seen.machine)


def _versions(seen_json: str) -> dict[str, int]:
    try:
        data = json.loads(seen_json or "{}")
        return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (ValueError, TypeError):
        return {}


# --- login -----------------------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _page(request, "login.html")


@router.post("/login")
def login(request: Request, username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "") -> Response:
    state = _state(request)
    client = request.client.host if request.client else "?"
    if state.limiter.blocked(client, username):
        return _page(request, "login.html", status_code=429,
                     error="Too many failed attempts; wait a minute and try again.")
    user = state.store.user(username)
    ok = verify_password(user["password_hash"] if user else None, password)
    if not ok or user is None or user["role"] not in ("lead", "coder"):
        state.limiter.failed(client, username)
        return _page(request, "login.html", status_code=401, error="Unknown user or wrong password.")
    state.limiter.succeeded(client, username)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, state.sessions.cookie(username), max_age=SESSION_MAX_AGE, httponly=True,
                        samesite="strict", path="/")
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    # Server-side: the cookie alone could be replayed after logout, so every session of this user
    # issued until now ends (logging out in one browser logs out the others too).
    _state(request).store.revoke_sessions(current_session(request).user)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- coder pages -----------------------------------------------------------------------------

@router.get("/")
def home(request: Request) -> Response:
    return RedirectResponse("/lead" if request.state.user["role"] == "lead" else "/queue", status_code=303)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, filters: Annotated[rv.Filters, Depends(_filters)]) -> HTMLResponse:
    store = _state(request).store
    seen = _seen(request)
    sha, book = _codebook(request)
    ids = rv.queue(store, seen, sha, filters)
    reviewed = store.reviewed(seen.user)
    done_ids = reviewed & set(ids)
    first_open = next((i for i in ids if i not in done_ids), ids[0] if ids else None)
    done, total = rv.progress(store, seen, sha, reviewed)
    with store.reader.connect() as conn:
        from sqlalchemy import select  # noqa: PLC0415

        from pipeline.store import segments  # noqa: PLC0415
        shown = ids[:QUEUE_ROWS]
        rows = {r.id: r for r in conn.execute(select(segments.c.id, segments.c.document_id, segments.c.case_id,
                                                     segments.c.speaker, segments.c.text)
                                              .where(segments.c.id.in_(shown)))}
    return _page(request, "queue.html", rows=[rows[i] for i in shown if i in rows], done_ids=done_ids,
                 count=len(ids), first=first_open, done=done, total=total, filters=filters, query=_query(filters),
                 codes=book.codes if book else [], documents=seen.document_ids)


@router.get("/segment/{segment_id}", response_class=HTMLResponse)
def segment_page(request: Request, segment_id: str, filters: Annotated[rv.Filters, Depends(_filters)]) -> HTMLResponse:
    return _panel(request, segment_id, filters)


@router.post("/decide", response_class=HTMLResponse)
def decide(request: Request, segment_id: Annotated[str, Form()], code_id: Annotated[str, Form()],
           verdict: Annotated[str, Form()], seen: Annotated[str, Form()] = "{}",
           polarity: Annotated[str, Form()] = "", memo: Annotated[str, Form()] = "",
           new_code: Annotated[str, Form()] = "", filters: Annotated[rv.Filters, Depends(_filters)] = rv.Filters(),
           ) -> HTMLResponse:
    """Accept/reject a code, add one, or (``new_code``) change a code into another."""
    store = _state(request).store
    visible = _seen(request)
    versions = _versions(seen)
    try:
        if new_code:  # the row's memo explains the change: it goes with the code that replaces the old one
            rv.decide(store, visible, segment_id, code_id, "reject", versions.get(code_id, 0))
            rv.decide(store, visible, segment_id, new_code, "accept", versions.get(new_code, 0), polarity or None,
                      memo or None)
        else:
            rv.decide(store, visible, segment_id, code_id, verdict, versions.get(code_id, 0), polarity or None,
                      memo or None)
    except StaleDecision as exc:
        return _panel(request, segment_id, filters, message=str(exc), status_code=409)
    except InvalidInput as exc:
        raise HTTPException(status_code=404 if "not assigned" in str(exc) else 400, detail=str(exc)) from None
    return _panel(request, segment_id, filters, message="Saved.")


@router.post("/undo", response_class=HTMLResponse)
def undo(request: Request, segment_id: Annotated[str, Form()] = "",
         filters: Annotated[rv.Filters, Depends(_filters)] = rv.Filters()) -> Response:
    store = _state(request).store
    try:
        undone = rv.undo_last(store, _seen(request))
    except StaleDecision as exc:
        return _panel(request, segment_id, filters, message=str(exc), status_code=409)
    if undone is None:
        if not segment_id:
            return RedirectResponse("/queue", status_code=303)
        return _panel(request, segment_id, filters, message="Nothing to undo.")
    return _panel(request, undone["segment_id"], filters,
                  message=f"Undone: {undone['verdict']} {undone['code_id']}.")


# --- lead pages ------------------------------------------------------------------------------

def _agreement(request: Request) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    sha, book = _codebook(request)
    return agreement(_state(request).store, sha, book)


@router.get("/lead", response_class=HTMLResponse)
def lead_page(request: Request) -> HTMLResponse:
    _lead(request)
    store = _state(request).store
    coders, machine, _codes = _agreement(request)
    seen = _seen(request)
    done, total = rv.progress(store, seen)
    return _page(request, "lead.html", coders=coders.to_dict("records"), machine=machine.to_dict("records"),
                 users=store.users_list(), documents=seen.document_ids,
                 assignments=store.assignments_frame().to_dict("records"),
                 hide_machine=bool(store.get_setting("blind_hide_machine", False)), done=done, total=total)


@router.post("/lead/mode")
def lead_mode(request: Request, mode: Annotated[str, Form()], hide_machine: Annotated[str, Form()] = "") -> Response:
    _lead(request)
    try:
        rv.set_mode(_state(request).store, mode, hide_machine == "on")
    except InvalidInput as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return RedirectResponse("/lead", status_code=303)


@router.post("/lead/assign")
def lead_assign(request: Request, coder: Annotated[str, Form()],
                documents: Annotated[list[str], Form()], action: Annotated[str, Form()] = "assign") -> Response:
    _lead(request)
    store = _state(request).store
    target = store.user(coder)
    known = set(_seen(request).document_ids)
    if target is None or target["role"] != "coder" or not set(documents) <= known:
        raise HTTPException(status_code=400, detail="Unknown coder or document.")
    if action == "unassign":
        store.unassign(documents, coder)
    else:
        store.assign(documents, coder, request.state.user["name"])
    return RedirectResponse("/lead", status_code=303)


@router.get("/lead/disagreements", response_class=HTMLResponse)
def lead_disagreements(request: Request, page: int = 1) -> HTMLResponse:
    _lead(request)
    found = disagreement_page(_state(request).store, page)
    return _page(request, "disagreements.html", rows=found.rows, coders=found.coders, total=found.total,
                 page=found.page, pages=found.pages)


@router.post("/lead/adjudicate")
def lead_adjudicate(request: Request, segment_id: Annotated[str, Form()], code_id: Annotated[str, Form()],
                    verdict: Annotated[str, Form()], version: Annotated[int, Form()] = 0,
                    memo: Annotated[str, Form()] = "", page: Annotated[int, Form()] = 1) -> Response:
    _lead(request)
    try:
        rv.decide(_state(request).store, _seen(request), segment_id, code_id, verdict, version, memo=memo or None,
                  coder=rv.CONSENSUS)
    except StaleDecision as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    except InvalidInput as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return RedirectResponse(f"/lead/disagreements?page={max(1, page)}", status_code=303)


# --- exports ---------------------------------------------------------------------------------

def _spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Quote cells a spreadsheet would run as a formula (=, +, -, @ at the start of text)."""
    def cell(value: Any) -> Any:
        return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
    return frame.apply(lambda col: col.map(cell) if col.dtype == object or pd.api.types.is_string_dtype(col) else col)


def _xlsx(frame: pd.DataFrame) -> bytes:
    """The frame as one XLSX sheet ("Sheet1"), header first and bold, empty cells for missing values."""
    from pipeline.xlsx import xlsx_bytes  # noqa: PLC0415  (only exports need it)

    return xlsx_bytes({"Sheet1": frame})


EXPORTS = {"decisions.csv", "decisions.xlsx", "decisions_history.csv", "decisions_history.xlsx",
           "agreement.csv", "agreement.xlsx"}


@router.get("/export/{name}")
def export(request: Request, name: str) -> Response:
    _lead(request)
    if name not in EXPORTS:  # a fixed set of names: no path from the request reaches the disk
        raise HTTPException(status_code=404)
    store = _state(request).store
    stem, ext = name.rsplit(".", 1)
    if stem == "agreement":
        coders, machine, _codes = _agreement(request)
        frame = pd.concat([coders.assign(comparison="coders"), machine.assign(comparison="machine vs coder")],
                          ignore_index=True)
    else:
        frame = store.decisions_frame(current_only=stem == "decisions")
        if "created_at" in frame:
            frame["created_at"] = frame["created_at"].astype(str)
    frame = _spreadsheet_safe(frame)
    if ext == "csv":
        body, media = frame.to_csv(index=False).encode("utf-8"), "text/csv; charset=utf-8"
    else:
        body, media = _xlsx(frame), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
