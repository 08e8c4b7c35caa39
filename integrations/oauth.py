"""OAuth 2.0 for the vendors, through authlib's httpx client (authlib now builds on `httpx2`, the successor of
httpx, so the token calls use httpx2 while data calls use httpx): the authorization link (its `state`
carries a single-use nonce the store keeps with the user, and expires in minutes; PKCE where the vendor
documents it), the code exchange on the callback, and access tokens that refresh themselves.

A refresh is serialized per credential: one coroutine per process refreshes (an asyncio lock), inside a
database transaction that holds the credential's row lock (SELECT … FOR UPDATE on PostgreSQL, so other
workers wait too) and first re-reads the stored token: whoever comes second finds it already fresh and
uses it. A single-use refresh token (Oura, Withings) is therefore never spent twice, and the new one is
stored before anyone can need it. A refresh the vendor refuses (invalid_grant) marks the credential revoked
and raises `ReconnectNeeded` (sync marks the credential revoked), so the user is asked to reconnect instead of their sync failing silently.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any, ClassVar

import httpx2
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from integrations.base import Adapter
from integrations.http import ReconnectNeeded, Unauthorized, VendorClient, VendorUnavailable, rebase
from sleepcot.crypto import CredentialError, Vault
from sleepcot.store import UserStore

log = logging.getLogger(__name__)
STATE_TTL_S = 600  # a /connect link works for ten minutes
EXPIRY_LEEWAY_S = 60  # refresh a token this long before it expires


@dataclass(frozen=True)
class OAuthApp:
    """A vendor's OAuth 2.0 endpoints and quirks (facts about the vendor, not about our deployment)."""

    vendor: str
    authorize_url: str
    token_url: str
    scope: str
    pkce: bool = False
    auth_method: str = "client_secret_post"  # how the token endpoint wants our client credentials
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    token_params: Mapping[str, str] = field(default_factory=dict)  # extra form fields on every token call
    unwrap: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # a token response in an envelope


@dataclass(frozen=True)
class ClientCredentials:
    """Our deployment's registration with a vendor (from SLEEPCOT_<VENDOR>_CLIENT_ID/_SECRET)."""

    client_id: str
    client_secret: str
    redirect_uri: str
    origin: str | None = None  # replaces the vendor's host (tests, proxies)


class ConnectError(Exception):
    """The callback cannot complete the connection; the message is safe to show the user."""


def _client(app: OAuthApp, creds: ClientCredentials, **kwargs: Any) -> OAuth2Client:
    client = OAuth2Client(
        client_id=creds.client_id, client_secret=creds.client_secret, scope=app.scope,
        redirect_uri=creds.redirect_uri, token_endpoint_auth_method=app.auth_method,
        code_challenge_method="S256" if app.pkce else None, timeout=30.0, **kwargs,
    )
    if app.unwrap is not None:
        unwrap = app.unwrap

        def hook(response: httpx2.Response) -> httpx2.Response:
            envelope = response.json()
            return httpx2.Response(200, json=unwrap(envelope), request=response.request)

        client.register_compliance_hook("access_token_response", hook)
        client.register_compliance_hook("refresh_token_response", hook)
    return client


def authorization_url(app: OAuthApp, creds: ClientCredentials, vault: Vault, nonce: str) -> str:
    """The link a user opens to grant us access. Its `state` is an encrypted, timestamped token holding the
    vendor, the PKCE verifier and `nonce`: a single-use key the store keeps with the user it was made for
    (the state itself names no user, so nothing in it can be inherited)."""
    verifier = generate_token(64) if app.pkce else None
    state = vault.encrypt({"vendor": app.vendor, "verifier": verifier, "nonce": nonce})[0].decode()
    with _client(app, creds) as client:
        url, _ = client.create_authorization_url(rebase(app.authorize_url, creds.origin), state=state,
                                                 code_verifier=verifier, **app.authorize_params)
    return url


def read_state(vault: Vault, app: OAuthApp, state: str) -> tuple[str, str | None]:
    """The nonce and PKCE verifier inside a callback's `state`; ConnectError when forged, stale or for
    another vendor."""
    try:
        data = vault.decrypt(state.encode(), max_age_s=STATE_TTL_S)
    except CredentialError as exc:
        raise ConnectError("This link has expired or is not valid. Send /connect again.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("nonce"), str):
        raise ConnectError("This link has expired or is not valid. Send /connect again.")
    if data.get("vendor") != app.vendor:
        raise ConnectError("This link is for another service. Send /connect again.")
    return data["nonce"], data.get("verifier")


def exchange_code(app: OAuthApp, creds: ClientCredentials, code: str, verifier: str | None) -> dict[str, Any]:
    """Trade the authorization code for tokens (blocking: call it in a thread)."""
    with _client(app, creds) as client:
        try:
            return dict(client.fetch_token(rebase(app.token_url, creds.origin), grant_type="authorization_code",
                                           code=code, code_verifier=verifier, **app.token_params))
        except (OAuthError, httpx2.HTTPError, ValueError) as exc:
            log.warning("%s: code exchange failed: %s", app.vendor, type(exc).__name__)
            raise ConnectError("The service did not accept the sign-in. Send /connect to try again.") from exc


def _expired(token: Mapping[str, Any]) -> bool:
    expires_at = token.get("expires_at")
    return expires_at is not None and float(expires_at) - EXPIRY_LEEWAY_S <= time.time()


# One lock per credential and event loop (asyncio locks belong to a loop).
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[int, str], asyncio.Lock]] = (
    weakref.WeakKeyDictionary())


def _lock(user_id: int, vendor: str) -> asyncio.Lock:
    per_loop = _locks.setdefault(asyncio.get_running_loop(), {})
    return per_loop.setdefault((user_id, vendor), asyncio.Lock())


class TokenKeeper:
    """A user's credential for one OAuth vendor: hands out a valid access token, refreshing when needed.

    The credential is stored as {"token": {...authlib token...}, ...vendor extras}; `secret` is the
    decrypted credential as last read."""

    def __init__(self, user: UserStore, vault: Vault, app: OAuthApp, creds: ClientCredentials):
        self.user, self.vault, self.app, self.creds = user, vault, app, creds
        stored = user.credential(app.vendor)
        if stored is None:
            raise ReconnectNeeded(f"{app.vendor}: not connected")
        self.secret = vault.decrypt(stored[0])

    @property
    def token(self) -> dict[str, Any]:
        return self.secret["token"]

    async def access_token(self, refused: str | None = None) -> str:
        """A valid access token. `refused`: a token the vendor just rejected (so refresh even if it has not
        expired by the clock)."""
        if refused is None and not _expired(self.token):
            return self.token["access_token"]
        async with _lock(self.user.user_id, self.app.vendor):
            stale = refused or self.token["access_token"]
            stored = await asyncio.to_thread(self.user.update_credential, self.app.vendor,
                                             lambda ciphertext: self._refresh_if_stale(ciphertext, stale))
            if stored is None:
                raise ReconnectNeeded(f"{self.app.vendor}: disconnected")
            self.secret = self.vault.decrypt(stored)
        return self.token["access_token"]

    def _refresh_if_stale(self, ciphertext: bytes, stale: str) -> tuple[bytes, str] | None:
        """Runs inside the credential's row lock. None keeps what is stored: someone refreshed already."""
        current = self.vault.decrypt(ciphertext)
        token = current["token"]
        if token["access_token"] != stale and not _expired(token):
            return None
        if not token.get("refresh_token"):
            self._revoked("no refresh token")
        with _client(self.app, self.creds) as client:
            try:
                fresh = dict(client.refresh_token(rebase(self.app.token_url, self.creds.origin),
                                                  refresh_token=token["refresh_token"], **self.app.token_params))
            except OAuthError as exc:  # invalid_grant and friends: the grant is gone
                self._revoked(exc.error or "refused")
            except httpx2.HTTPStatusError as exc:
                if exc.response.status_code in (400, 401, 403):
                    self._revoked(f"HTTP {exc.response.status_code}")
                raise VendorUnavailable(f"{self.app.vendor}: token endpoint HTTP {exc.response.status_code}") from exc
            except httpx2.HTTPError as exc:
                raise VendorUnavailable(f"{self.app.vendor}: token endpoint unreachable") from exc
        if "access_token" not in fresh:
            raise VendorUnavailable(f"{self.app.vendor}: the token endpoint answered without a token")
        fresh.setdefault("refresh_token", token["refresh_token"])
        log.info("%s: refreshed the access token of user %d", self.app.vendor, self.user.user_id)
        return self.vault.encrypt({**current, "token": fresh})

    def _revoked(self, reason: str) -> None:
        log.warning("%s: the grant of user %d was refused (%s); asking them to reconnect", self.app.vendor,
                    self.user.user_id, reason)
        raise ReconnectNeeded(f"{self.app.vendor}: the connection was revoked")


class OAuthAdapter(Adapter):
    """An adapter whose requests carry the user's OAuth access token: a token the vendor refuses is
    refreshed once and the request repeated; refused again, the user must reconnect."""

    oauth: ClassVar[OAuthApp]
    check_body: ClassVar[Callable[[Any], None] | None] = None  # errors inside a 200 body (Withings)

    @classmethod
    async def after_connect(cls, http: VendorClient, token: dict[str, Any], user_id: int) -> dict[str, Any]:
        """What the vendor needs once the user granted access (Polar: register them); returns extras that
        are stored with the token."""
        return {}

    def __init__(self, http: VendorClient, tokens: TokenKeeper, tz: tzinfo):
        self.http, self.tokens, self.tz = http, tokens, tz

    async def revoke(self) -> bool:
        """Withdraw our access at the vendor (the user deleted their data or disconnected), where the vendor
        documents a way: True once done; False where it offers none (the user withdraws it there)."""
        return False

    async def request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        token = await self.tokens.access_token()
        user_key = self.tokens.user.user_id
        try:
            return await self.http.request_json(method, url, user_key=user_key, token=token, **kwargs)
        except Unauthorized:
            token = await self.tokens.access_token(refused=token)
        try:
            return await self.http.request_json(method, url, user_key=user_key, token=token, **kwargs)
        except Unauthorized as exc:
            raise ReconnectNeeded(f"{self.vendor}: a fresh access token was refused too") from exc
