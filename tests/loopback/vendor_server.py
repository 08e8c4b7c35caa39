"""A loopback wearable-vendor server: the vendor's OAuth 2.0 endpoints (authorize, token with code and
single-use refresh grants, PKCE checked) and its sleep data endpoints, serving the REAL recorded payloads
from tests/fixtures/wearables as templates, shifted to each account's nights. It enforces the vendor's
rate limits (sliding windows, app-wide and per token, compressed by `time_scale` like the client's) and
answers beyond them the way the vendor does (429 with Retry-After, or Withings' status 601 in a 200 body);
`fail_next()` injects faults, `corrupt` breaks chosen records.

Each vendor's protocol is a `VendorAPI` subclass in tests/loopback/vendor_apis.py.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from . import JSONHandler, LoopbackServer

ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def shifted(template: Any, days: int, ids: dict[str, str], epoch_keys: tuple[str, ...] = ()) -> Any:
    """A copy of a recorded payload moved `days` later: ISO timestamps and dates shift (their UTC offsets
    kept), epoch numbers under `epoch_keys` shift (milliseconds when > 1e12), and the fields named in `ids`
    get the given values."""
    def move(key: str | None, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ids[k] if k in ids else move(k, v) for k, v in value.items()}
        if isinstance(value, list):
            return [move(key, v) for v in value]
        if isinstance(value, str) and ISO_DATETIME.match(value):
            text = value.replace("Z", "+00:00")
            moved = (datetime.fromisoformat(text) + timedelta(days=days)).isoformat()
            return moved.replace("+00:00", "Z") if value.endswith("Z") else moved
        if isinstance(value, str) and ISO_DATE.match(value):
            return (date.fromisoformat(value) + timedelta(days=days)).isoformat()
        if key in epoch_keys and isinstance(value, int | float) and value > 1e9:
            return value + days * 86400 * (1000 if value > 1e12 else 1)
        return value
    return move(None, copy.deepcopy(template))


@dataclass
class Account:
    """One vendor user: the nights they have (local dates the sleep ends) and their tokens."""

    account_id: str
    nights: list[date]
    access_token: str = ""
    refresh_token: str = ""
    access_expires_at: float = 0.0
    corrupt: set[date] = field(default_factory=set)  # nights served as a malformed record
    corrupt_stages: set[date] = field(default_factory=set)  # Withings: nights whose stages are malformed
    registered: bool = False  # Polar: POST /v3/users done


class SlidingWindow:
    def __init__(self, requests: int, period_s: float):
        self.requests, self.period_s, self.sent = requests, period_s, deque()

    def admit(self, now: float) -> float | None:
        """None when admitted, else seconds until a slot frees."""
        while self.sent and now - self.sent[0] >= self.period_s:
            self.sent.popleft()
        if len(self.sent) >= self.requests:
            return self.sent[0] + self.period_s - now
        self.sent.append(now)
        return None


class VendorHandler(JSONHandler):
    server: Any

    @property
    def owner(self) -> VendorServer:
        return self.server.owner

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        form = {k: v[-1] for k, v in parse_qs(raw.decode()).items()} if raw and b"=" in raw else {}
        request = Request(method, parts.path, query, form, raw, dict(self.headers.items()))
        status, body, headers = self.owner.answer(request)
        if status in (301, 302, 303):
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif isinstance(body, bytes):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_json(status, body, headers)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    raw: bytes
    headers: dict[str, str]

    @property
    def params(self) -> dict[str, str]:
        return {**self.query, **self.form}

    def bearer(self) -> str | None:
        value = self.headers.get("Authorization") or self.headers.get("authorization") or ""
        return value[7:] if value.startswith("Bearer ") else None


class VendorServer(LoopbackServer):
    """See the module docstring. `api` is the vendor's protocol; `limits` (requests, period_s, scope) are
    enforced with windows divided by `time_scale`; access tokens live `access_ttl_s`."""

    handler = VendorHandler

    def __init__(self, api: Any, *, time_scale: float = 1.0, access_ttl_s: int = 3600, refresh_delay_s: float = 0.0):
        super().__init__()
        self.api, self.time_scale, self.access_ttl_s = api, time_scale, access_ttl_s
        self.refresh_delay_s = refresh_delay_s  # how long a refresh takes to answer (races need a window)
        self.accounts: dict[str, Account] = {}
        self.codes: dict[str, tuple[str, str | None, str]] = {}  # code -> (account, code challenge, redirect)
        self.pending_account: Account | None = None  # who "logs in" at the next authorize
        self.refresh_grants = 0
        self.refused_refreshes = 0
        self.revocations = 0  # grants withdrawn through the vendor's revocation
        self.data_requests = 0
        self.throttled = 0
        self.request_times: list[tuple[float, str]] = []
        self._app_windows = [SlidingWindow(n, p / time_scale) for n, p, scope in api.limits if scope == "app"]
        self._token_windows: dict[str, list[SlidingWindow]] = {}
        self._state_lock = threading.Lock()

    # -- accounts and tokens ---------------------------------------------------------------------------
    def add_account(self, nights: list[date], *, tokens: bool = True) -> Account:
        account = Account(account_id=f"u{len(self.accounts) + 1}", nights=sorted(nights))
        if tokens:
            self._issue(account)
        self.accounts[account.account_id] = account
        return account

    def token_for(self, account: Account) -> dict[str, Any]:
        """The token a client would hold for `account` (for tests that skip the consent screen)."""
        return {"access_token": account.access_token, "refresh_token": account.refresh_token,
                "token_type": "Bearer", "expires_at": int(account.access_expires_at)}

    def _issue(self, account: Account) -> dict[str, Any]:
        account.access_token = "at-" + secrets.token_urlsafe(16)
        account.refresh_token = "rt-" + secrets.token_urlsafe(16)
        account.access_expires_at = time.time() + self.access_ttl_s
        return {"access_token": account.access_token, "refresh_token": account.refresh_token,
                "token_type": "Bearer", "expires_in": self.access_ttl_s, "scope": self.api.scope,
                **self.api.token_extras(account)}

    def expire_access(self, account: Account) -> None:
        """The access token stops working (as at its expiry); the refresh token still works."""
        account.access_token = "expired-" + secrets.token_urlsafe(8)

    def revoke(self, account: Account) -> None:
        """The user revoked our access at the vendor: both tokens stop working."""
        account.access_token = account.refresh_token = "revoked-" + secrets.token_urlsafe(8)

    def account_by_token(self, token: str | None) -> Account | None:
        if not token:
            return None
        for account in self.accounts.values():
            if account.access_token == token and time.time() < account.access_expires_at:
                return account
        return None

    # -- the protocol ------------------------------------------------------------------------------------
    def answer(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        self.request_times.append((time.monotonic(), request.path))
        if request.path == self.api.authorize_path:
            return self._authorize(request)
        if request.path == self.api.token_path:
            if request.params.get("grant_type") == "refresh_token":
                time.sleep(self.refresh_delay_s)
            with self._state_lock:
                return self._token(request)
        fault = self.record({"path": request.path, **request.params})
        if fault is not None:
            return fault.status or 500, fault.body if fault.body is not None else {"error": "injected"}, fault.headers
        if self.api.is_revoke(request):
            with self._state_lock:
                token = request.bearer() or request.params.get("access_token") or request.params.get("token")
                account = self.account_by_token(token)
                if account is None:
                    return self.api.unauthorized()
                self.revoke(account)
                self.revocations += 1
            return self.api.revoked()
        token = request.bearer() or request.params.get("access_token")
        wait = self._admit(token or "")
        if wait is not None:
            self.throttled += 1
            return self.api.too_many(wait * self.time_scale)
        account = self.account_by_token(token)
        if account is None:
            return self.api.unauthorized()
        self.data_requests += 1
        return self.api.route(self, request, account)

    def _admit(self, token: str) -> float | None:
        with self._state_lock:
            now = time.monotonic()
            if token not in self._token_windows:
                self._token_windows[token] = [SlidingWindow(n, p / self.time_scale)
                                              for n, p, scope in self.api.limits if scope == "user"]
            waits = [w.admit(now) for w in self._app_windows + self._token_windows[token]]
            blocked = [w for w in waits if w is not None]
            return max(blocked) if blocked else None

    def _authorize(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        q = request.query
        account = self.pending_account or self.add_account([], tokens=False)
        self.pending_account = None
        code = "code-" + secrets.token_urlsafe(12)
        self.codes[code] = (account.account_id, q.get("code_challenge"), q["redirect_uri"])
        target = q["redirect_uri"] + ("&" if "?" in q["redirect_uri"] else "?") + urlencode(
            {"code": code, "state": q["state"]})
        return 302, None, {"Location": target}

    def _client_ok(self, request: Request) -> bool:
        params = request.params
        basic = request.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        else:
            client_id, secret = params.get("client_id", ""), params.get("client_secret", "")
        return (client_id, secret) == self.api.client

    def _token(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        params = request.params
        if not self._client_ok(request):
            return self.api.token_error("invalid_client", 401)
        grant = params.get("grant_type")
        if grant == "authorization_code":
            entry = self.codes.pop(params.get("code", ""), None)
            if entry is None or entry[2] != params.get("redirect_uri"):
                return self.api.token_error("invalid_grant")
            account_id, challenge, _ = entry
            if challenge is not None:
                verifier = params.get("code_verifier", "")
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if digest != challenge:
                    return self.api.token_error("invalid_grant")
            return self.api.token_ok(self._issue(self.accounts[account_id]))
        if grant == "refresh_token":
            for account in self.accounts.values():
                if account.refresh_token == params.get("refresh_token"):
                    self.refresh_grants += 1
                    return self.api.token_ok(self._issue(account))  # the old refresh token is spent
            self.refused_refreshes += 1
            return self.api.token_error("invalid_grant")
        return self.api.token_error("unsupported_grant_type")

    # -- data ------------------------------------------------------------------------------------------
    def nights_between(self, account: Account, start: date, end: date) -> list[date]:
        return [d for d in account.nights if start <= d <= end]
