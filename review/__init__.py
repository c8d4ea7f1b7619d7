"""The Kwali review web app: coders decide on the machine's proposals; leads assign, compare and adjudicate.

Server-rendered (FastAPI + Jinja2 + HTMX); start it with ``kwali review``. The rules live in
``pipeline.review``; this package is the web shell around them.
"""

from review.app import create_app

__all__ = ["create_app"]
