"""Passwords, signed tokens, CSRF tokens and login rate limiting for the web application.

* Passwords are hashed with Argon2id (``argon2-cffi`` defaults, RFC 9106 parameters);
  only the hash is stored (``User.password_hash``).
* API bearer tokens and the page session cookie are *signed* tokens
  (HMAC-SHA256, RFC 2104) carrying the user id, an expiry time and a fingerprint of the
  user's password hash, so changing a password invalidates every token of that user.
  The signing secret is generated at first run into the data directory
  (``web-secret.key``, mode 0600); no secret is shipped with the code.
* Forms are protected with signed double-submit CSRF tokens (OWASP CSRF Prevention
  Cheat Sheet, "Signed Double-Submit Cookie").
* Failed logins are rate limited per client address and per user name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from parklink.errors import ConfigError

_HASHER = PasswordHasher()
SECRET_FILE = "web-secret.key"
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    """The Argon2id hash (PHC string format) of ``password``."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches the Argon2 ``password_hash`` (constant-time compare)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why ``password`` is unacceptable (too short / blank), or None when it is fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must have at least {MIN_PASSWORD_LENGTH} characters (密码至少{MIN_PASSWORD_LENGTH}个字符)"
    if not password.strip():
        return "password must not be blank (密码不能为空白)"
    return None


def load_secret(data_dir: Path) -> bytes:
    """The signing secret of this installation, created (32 random bytes, mode 0600) if absent.

    The file is written under a temporary name and hard-linked into place, so concurrent
    first starts (several worker processes) all read the same complete secret.
    """
    path = data_dir / SECRET_FILE
    if not path.exists():
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            tmp = data_dir / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process won the race; use its secret
            finally:
                tmp.unlink()
        except OSError as exc:
            raise ConfigError(f"cannot create the web secret {path}: {exc}") from exc
    secret = path.read_bytes()
    if len(secret) < 32:
        raise ConfigError(f"the web secret {path} is too short; delete it to generate a new one")
    return secret


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a verified token says: its purpose, the user id and the password fingerprint."""

    purpose: str
    user_id: int
    fingerprint: str
    expires: int


class TokenSigner:
    """Issue and verify HMAC-SHA256 signed tokens (purpose-bound, expiring)."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self._secret, payload, hashlib.sha256).digest())

    def fingerprint(self, password_hash: str) -> str:
        """A short keyed digest of a password hash (tokens die when the password changes)."""
        return self._sign(b"pw:" + password_hash.encode())[:12]

    def issue(self, purpose: str, user_id: int, password_hash: str, *, ttl_s: int) -> str:
        """A token for ``purpose`` ('api' or 'session') valid ``ttl_s`` seconds."""
        expires = int(time.time()) + ttl_s
        body = f"{purpose}|{user_id}|{self.fingerprint(password_hash)}|{expires}|{secrets.token_hex(4)}"
        payload = _b64(body.encode())
        return f"{payload}.{self._sign(payload.encode())}"

    def verify(self, token: str, purpose: str) -> TokenClaims | None:
        """The claims of a valid, unexpired token of ``purpose``; None otherwise."""
        payload, _, sig = token.partition(".")
        if not payload or not sig or not hmac.compare_digest(sig, self._sign(payload.encode())):
            return None
        try:
            kind, uid, fp, expires, _nonce = _unb64(payload).decode().split("|")
            claims = TokenClaims(kind, int(uid), fp, int(expires))
        except (ValueError, UnicodeDecodeError):
            return None
        if claims.purpose != purpose or claims.expires < time.time():
            return None
        return claims

    def new_csrf(self) -> str:
        """A fresh signed CSRF token (random nonce + its HMAC)."""
        nonce = secrets.token_urlsafe(16)
        return f"{nonce}.{self._sign(b'csrf:' + nonce.encode())}"

    def csrf_ok(self, cookie: str | None, submitted: str | None) -> bool:
        """True when the submitted form token equals the cookie and carries a valid signature."""
        if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
            return False
        nonce, _, sig = cookie.partition(".")
        return bool(nonce) and hmac.compare_digest(sig, self._sign(b"csrf:" + nonce.encode()))


class LoginLimiter:
    """Sliding-window limit on failed logins: at most ``max_failures`` per key per window."""

    def __init__(self, *, max_failures: int = 5, window_s: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def retry_after(self, *keys: str) -> int:
        """Seconds until a new attempt is allowed for every key (0 when allowed now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                q = self._recent(key, now)
                if len(q) >= self.max_failures:
                    wait = max(wait, q[0] + self.window_s - now)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, *keys: str) -> None:
        """Record one failed attempt under each key."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of each key after a successful login."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
