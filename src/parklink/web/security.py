"""Passwords, signed tokens, CSRF tokens and login rate limiting for the web application.

* Passwords are hashed with Argon2id (``argon2-cffi`` defaults, RFC 9106 parameters);
  only the hash is stored (``User.password_hash``).
* API bearer tokens and the page session cookie are *signed* tokens
  (HMAC-SHA256, RFC 2104) carrying the user id, an expiry time and a fingerprint of the
  user's password hash, so changing a password invalidates every token of that user.
  The signing secret is generated at first run into the data directory
  (``web-secret.key``, mode 0600); no secret is shipped with the code.
* Every token carries a server-side session id (``web_session`` row): logout,
  deactivation and password changes delete the rows, so tokens die at once.
* Forms and cookie-authenticated API writes are protected with signed double-submit CSRF
  tokens bound to the session (OWASP CSRF Prevention Cheat Sheet, "Signed Double-Submit
  Cookie": HMAC of a nonce and the session id).
* Failed logins are throttled per client address, per account and per (account, address)
  with exponential backoff (:class:`LoginThrottle`); no hard lock-out.
* Malformed credentials (e.g. non-ASCII bytes) are simply invalid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import secrets
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def _ascii(*texts: str | None) -> bool:
    """True when every text is ASCII: anything else is a malformed credential (the HMAC
    comparison of :func:`hmac.compare_digest` refuses non-ASCII ``str``)."""
    return all(t is None or t.isascii() for t in texts)


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a verified token says: its purpose, the user id, the password fingerprint,
    the expiry (Unix s) and the server-side session id (``web_session.sid``)."""

    purpose: str
    user_id: int
    fingerprint: str
    expires: int
    sid: str


class TokenSigner:
    """Issue and verify HMAC-SHA256 signed tokens (purpose-bound, expiring, session-bound)."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self._secret, payload, hashlib.sha256).digest())

    def fingerprint(self, password_hash: str) -> str:
        """A short keyed digest of a password hash (tokens die when the password changes)."""
        return self._sign(b"pw:" + password_hash.encode())[:12]

    def issue(self, purpose: str, user_id: int, password_hash: str, *, ttl_s: int, sid: str) -> str:
        """A token for ``purpose`` ('api' or 'session') of session ``sid``, valid ``ttl_s`` seconds."""
        expires = int(time.time()) + ttl_s
        body = f"{purpose}|{user_id}|{self.fingerprint(password_hash)}|{expires}|{sid}"
        payload = _b64(body.encode())
        return f"{payload}.{self._sign(payload.encode())}"

    def verify(self, token: str, purpose: str) -> TokenClaims | None:
        """The claims of a valid, unexpired token of ``purpose``; None otherwise (also for
        malformed input such as non-ASCII bytes)."""
        if not _ascii(token):
            return None
        payload, _, sig = token.partition(".")
        if not payload or not sig or not hmac.compare_digest(sig, self._sign(payload.encode())):
            return None
        try:
            kind, uid, fp, expires, sid = _unb64(payload).decode().split("|")
            claims = TokenClaims(kind, int(uid), fp, int(expires), sid)
        except (ValueError, UnicodeDecodeError):
            return None
        if claims.purpose != purpose or claims.expires < time.time() or not sid:
            return None
        return claims

    def new_csrf(self, binding: str = "") -> str:
        """A fresh signed CSRF token bound to ``binding`` (the session id; '' before login):
        a random nonce and the HMAC of nonce and binding."""
        nonce = secrets.token_urlsafe(16)
        return f"{nonce}.{self._csrf_sig(nonce, binding)}"

    def _csrf_sig(self, nonce: str, binding: str) -> str:
        return self._sign(b"csrf:" + nonce.encode() + b"|" + binding.encode())

    def csrf_ok(self, cookie: str | None, submitted: str | None, binding: str = "") -> bool:
        """True when the submitted token equals the cookie and its signature is valid for
        ``binding`` (the current session id): a token of another session is refused."""
        if not cookie or not submitted or not _ascii(cookie, submitted, binding):
            return False
        if not hmac.compare_digest(cookie, submitted):
            return False
        nonce, _, sig = cookie.partition(".")
        return bool(nonce) and hmac.compare_digest(sig, self._csrf_sig(nonce, binding))

    def device(self, username: str) -> str:
        """A device token for ``username``: proof that this browser logged in as the user
        before (it exempts from the per-account login throttle, see :class:`LoginThrottle`)."""
        nonce = secrets.token_urlsafe(9)
        return f"{nonce}.{self._sign(b'device:' + nonce.encode() + b'|' + username.lower().encode())}"

    def device_ok(self, token: str | None, username: str) -> bool:
        """True when ``token`` is a device token issued for ``username``."""
        if not token or not _ascii(token, username):
            return False
        nonce, _, sig = token.partition(".")
        expected = self._sign(b"device:" + nonce.encode() + b"|" + username.lower().encode())
        return bool(nonce) and hmac.compare_digest(sig, expected)


class LoginThrottle:
    """Failed-login throttling per client address, per account and per (account, address),
    with exponential backoff and no hard lock-out.

    Each key has a failure count that is forgotten ``decay_s`` seconds after its last
    failure. Once a key has more than its free budget of failures, the next attempt must
    wait ``min(cap_s, base_s * 2**(failures - free))`` seconds after the last failure
    (answered 429 with ``Retry-After``). A *successful* login resets only the
    (account, address) pair and the account counter — never the address counter, so an
    attacker cannot refill an address budget with logins to an own account.

    The per-account key (slow distributed guessing) does not apply to clients that are
    *familiar* for the account: a client address from which this account logged in
    successfully in the last ``familiar_s`` seconds, or a browser holding a device token
    for the account (:meth:`TokenSigner.device`). So an attacker who hammers an account
    from elsewhere delays only unfamiliar clients, by at most ``cap_s`` per attempt, and
    never locks the user out.

    State lives in this process by default. With ``path`` it lives in a small SQLite file
    (WAL, each check or update one ``BEGIN IMMEDIATE`` transaction) that every worker
    process of one server shares, so N workers do not give an attacker N budgets:
    ``parklink serve --workers N`` creates one such file per server run. Times are then wall
    clock (``time.time``), which all processes share.
    """

    def __init__(self, *, free_per_address: int = 10, free_per_account: int = 5, free_per_pair: int = 5,
                 base_s: float = 1.0, cap_s: float = 300.0, decay_s: float = 900.0,
                 familiar_s: float = 30 * 86400.0, max_keys: int = 100_000,
                 clock: Callable[[], float] | None = None, path: Path | None = None) -> None:
        self.free_per_address = free_per_address
        self.free_per_account = free_per_account
        self.free_per_pair = free_per_pair
        self.base_s = base_s
        self.cap_s = cap_s
        self.decay_s = decay_s
        self.familiar_s = familiar_s
        self.max_keys = max_keys
        self._clock = clock or (time.time if path is not None else time.monotonic)
        self._failures: OrderedDict[tuple[str, ...], tuple[int, float]] = OrderedDict()
        self._familiar: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()
        self.path = path
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS failure (key TEXT PRIMARY KEY, n INTEGER NOT NULL, "
                             "last REAL NOT NULL)")
            self._db.execute("CREATE TABLE IF NOT EXISTS familiar (account TEXT NOT NULL, address TEXT NOT NULL, "
                             "seen REAL NOT NULL, PRIMARY KEY (account, address))")

    # -- storage: an in-process LRU map, or the shared file (parameterised SQL only) --------
    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            if self._db is None:
                yield
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _get(self, key: tuple[str, ...]) -> tuple[int, float] | None:
        if self._db is None:
            return self._failures.get(key)
        row = self._db.execute("SELECT n, last FROM failure WHERE key = ?", ("\x1f".join(key),)).fetchone()
        return (int(row[0]), float(row[1])) if row else None

    def _put(self, key: tuple[str, ...], count: int, last: float) -> None:
        if self._db is None:
            self._failures[key] = (count, last)
            self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)
            return
        self._db.execute("INSERT INTO failure (key, n, last) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
                         "SET n = excluded.n, last = excluded.last", ("\x1f".join(key), count, last))
        self._db.execute("DELETE FROM failure WHERE last < ?", (last - self.decay_s,))

    def _forget(self, key: tuple[str, ...]) -> None:
        if self._db is None:
            self._failures.pop(key, None)
        else:
            self._db.execute("DELETE FROM failure WHERE key = ?", ("\x1f".join(key),))

    def _seen(self, account: str, address: str) -> float | None:
        if self._db is None:
            return self._familiar.get((account, address))
        row = self._db.execute("SELECT seen FROM familiar WHERE account = ? AND address = ?",
                               (account, address)).fetchone()
        return float(row[0]) if row else None

    def _remember(self, account: str, address: str, now: float) -> None:
        if self._db is None:
            self._familiar[(account, address)] = now
            self._familiar.move_to_end((account, address))
            while len(self._familiar) > self.max_keys:
                self._familiar.popitem(last=False)
            return
        self._db.execute("INSERT INTO familiar (account, address, seen) VALUES (?, ?, ?) ON CONFLICT "
                         "(account, address) DO UPDATE SET seen = excluded.seen", (account, address, now))
        self._db.execute("DELETE FROM familiar WHERE seen < ?", (now - self.familiar_s,))

    # -- the rules ---------------------------------------------------------------------------
    def _keys(self, account: str, address: str, trusted: bool) -> list[tuple[tuple[str, ...], int]]:
        account = account.lower()
        keys = [(("ip", address), self.free_per_address), (("pair", account, address), self.free_per_pair)]
        if not trusted and not self._is_familiar(account, address):
            keys.append((("acct", account), self.free_per_account))
        return keys

    def _is_familiar(self, account: str, address: str) -> bool:
        seen = self._seen(account, address)
        return seen is not None and self._clock() - seen < self.familiar_s

    def _count(self, key: tuple[str, ...], now: float) -> tuple[int, float]:
        count, last = self._get(key) or (0, now)
        if now - last > self.decay_s:
            self._forget(key)
            return 0, now
        return count, last

    def wait(self, account: str, address: str, *, trusted: bool = False) -> int:
        """Seconds (rounded up) before ``address`` may try ``account`` again; 0 when allowed.
        ``trusted``: the client holds a device token for the account."""
        now = self._clock()
        wait = 0.0
        with self._transaction():
            for key, free in self._keys(account, address, trusted):
                count, last = self._count(key, now)
                if count >= free:
                    delay = min(self.cap_s, self.base_s * 2.0 ** (count - free))
                    wait = max(wait, last + delay - now)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, account: str, address: str, *, trusted: bool = False) -> None:
        """Record one failed attempt of ``address`` on ``account``."""
        now = self._clock()
        with self._transaction():
            for key, _free in self._keys(account, address, trusted):
                count, _last = self._count(key, now)
                self._put(key, count + 1, now)

    def succeeded(self, account: str, address: str) -> None:
        """A successful login: forget the pair's and the account's failures and remember the
        address as familiar for the account (the address counter is kept)."""
        account = account.lower()
        with self._transaction():
            self._forget(("pair", account, address))
            self._forget(("acct", account))
            self._remember(account, address, self._clock())
