"""Passwords, sessions, CSRF tokens and login rate limiting for the review app.

Passwords are hashed with argon2id. A session is a signed cookie (itsdangerous) holding the user
name, a random session id and the time it was issued; the CSRF token is an HMAC of that session
id, so it cannot be guessed by another site and needs no server-side storage. Revocation is
server-side all the same: the store keeps, per user, a time before which sessions no longer
count (set by logging out and by any change to the user's role or password), and the app
compares every cookie's issue time with it. Failed logins are counted per client
and per user name in memory: enough for a server on one machine bound to 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "kwali_session"
SESSION_MAX_AGE = 12 * 3600

_hasher = PasswordHasher()
# Verifying against a fixed hash when the user does not exist keeps the answer time the same, so
# response times do not tell which user names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches the hash (always False for a missing hash)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in user."""

    user: str
    sid: str
    issued: float = 0.0  #: seconds since the epoch; 0 for cookies from before issue times were kept


class Sessions:
    """Signs and reads session cookies and derives CSRF tokens from one secret."""

    def __init__(self, secret: str):
        self._secret = secret.encode()
        self._serializer = URLSafeTimedSerializer(secret, salt="kwali-session")

    def cookie(self, user: str) -> str:
        """A new session cookie value for the user."""
        # Full-precision issue time: itsdangerous's own timestamp has whole seconds, and a login
        # in the same second as a logout must still count.
        return self._serializer.dumps({"u": user, "sid": secrets.token_urlsafe(16), "iat": time.time()})

    def read(self, value: str | None) -> Session | None:
        """The session in a cookie value, or None when absent, forged or expired."""
        if not value:
            return None
        try:
            data = self._serializer.loads(value, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("u"), str) or not isinstance(data.get("sid"), str):
            return None
        issued = data.get("iat", 0.0)
        return Session(data["u"], data["sid"], float(issued) if isinstance(issued, (int, float)) else 0.0)

    def csrf_token(self, session: Session) -> str:
        """The CSRF token that goes with a session."""
        return hmac.new(self._secret, f"csrf:{session.sid}".encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        """Whether a submitted token belongs to the session (constant-time comparison)."""
        return bool(token) and hmac.compare_digest(self.csrf_token(session), str(token))


class LoginLimiter:
    """At most ``attempts`` failed logins per ``window`` seconds per client and per user name."""

    def __init__(self, attempts: int = 5, window: float = 60.0):
        self.attempts, self.window = attempts, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def blocked(self, client: str, user: str) -> bool:
        """Whether the next attempt must be refused."""
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(k, now)) >= self.attempts for k in (f"c:{client}", f"u:{user}"))

    def failed(self, client: str, user: str) -> None:
        """Count a failed attempt."""
        now = time.monotonic()
        with self._lock:
            for key in (f"c:{client}", f"u:{user}"):
                self._recent(key, now).append(now)

    def succeeded(self, client: str, user: str) -> None:
        """Forget the user's failures after a good login."""
        with self._lock:
            self._failures.pop(f"u:{user}", None)
