"""The protocols of the loopback vendor servers (see vendor_server.py): for each vendor, its OAuth paths
and envelopes, its documented rate limits, how it says "too many requests" and "bad token", and its data
endpoints, serving the recorded payloads in tests/fixtures/wearables shifted to each account's nights.
Paths, parameters and envelopes follow each vendor's API reference (named in integrations/<vendor>.py)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from .vendor_server import Account, Request, VendorServer, shifted

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "wearables"
Answer = tuple[int, Any, dict[str, str]]


def _fixture(vendor: str, name: str) -> Any:
    return json.loads((FIXTURES / vendor / name).read_text())


class VendorAPI:
    """Defaults: OAuth errors as RFC 6749 JSON, 429 with Retry-After, 401 for a bad token."""

    name: str
    authorize_path: str
    token_path: str
    scope = "sleep"
    limits: tuple[tuple[int, float, str], ...] = ()
    client = ("sleepcot-test-client", "sleepcot-test-secret")
    page_size = 10

    def token_extras(self, account: Account) -> dict[str, Any]:
        return {}

    def token_ok(self, token: dict[str, Any]) -> Answer:
        return 200, token, {}

    def token_error(self, error: str, status: int = 400) -> Answer:
        return status, {"error": error}, {}

    def too_many(self, wait_s: float) -> Answer:
        return 429, {"message": "Too Many Requests"}, {"Retry-After": f"{max(1, round(wait_s + 0.5))}"}

    def unauthorized(self) -> Answer:
        return 401, {"message": "invalid token"}, {}

    def route(self, server: VendorServer, request: Request, account: Account) -> Answer:
        raise NotImplementedError

    def is_revoke(self, request: Request) -> bool:
        """Whether `request` withdraws the grant of the token it carries (the vendor's revocation)."""
        return False

    def revoked(self) -> Answer:
        return 200, {}, {}

    def records(self, template: dict, template_day: date, account: Account, days: list[date],
                id_field: str = "id", epoch_keys: tuple[str, ...] = ()) -> list[dict]:
        out = []
        for day in days:
            record = shifted(template, (day - template_day).days, {id_field: f"{account.account_id}-{day}"},
                             epoch_keys)
            if day in account.corrupt:
                self.corrupt(record)
            out.append(record)
        return out

    def corrupt(self, record: dict) -> None:
        raise NotImplementedError

    def page(self, items: list, token: str | None) -> tuple[list, str | None]:
        start = int(token or 0)
        rest = start + self.page_size
        return items[start:rest], (str(rest) if rest < len(items) else None)


class OuraAPI(VendorAPI):
    """Oura API v2: /v2/usercollection/sleep (+ daily_readiness, daily_spo2), next_token pages; 5,000
    requests per 5 minutes per access token; refresh tokens are single-use."""

    name = "oura"
    authorize_path, token_path = "/oauth/authorize", "/oauth/token"
    scope = "daily heartrate spo2"
    limits = ((5000, 300.0, "user"),)
    TEMPLATE = _fixture("oura", "sleep_v2_doc_example_via_hedgertronic.json")["data"][0]
    TEMPLATE_DAY = date(2022, 7, 12)

    def corrupt(self, record: dict) -> None:
        record["bedtime_start"] = "not a time"

    def is_revoke(self, request: Request) -> bool:
        return request.path == "/oauth/revoke"  # ?access_token=

    def route(self, server: VendorServer, request: Request, account: Account) -> Answer:
        q = request.query
        start, end = date.fromisoformat(q["start_date"]), date.fromisoformat(q["end_date"])
        days = server.nights_between(account, start, end)
        if request.path == "/v2/usercollection/sleep":
            items, token = self.page(self.records(self.TEMPLATE, self.TEMPLATE_DAY, account, days), q.get("next_token"))
            return 200, {"data": items, "next_token": token}, {}
        if request.path in ("/v2/usercollection/daily_readiness", "/v2/usercollection/daily_spo2"):
            return 200, {"data": [], "next_token": None}, {}
        return 404, {"detail": "Not Found"}, {}


class WhoopAPI(VendorAPI):
    """WHOOP API v2: /developer/v2/activity/sleep and /developer/v2/recovery, nextToken pages; 100 requests
    a minute and 10,000 a day for the whole app."""

    name = "whoop"
    authorize_path, token_path = "/oauth/oauth2/auth", "/oauth/oauth2/token"
    scope = "offline read:sleep read:recovery"
    limits = ((100, 60.0, "app"), (10000, 86400.0, "app"))
    page_size = 25
    SLEEP = _fixture("whoop", "v2_activity_sleep_collection_docexample.json")["records"][0]
    RECOVERY = _fixture("whoop", "v2_recovery_collection_docexample.json")["records"][0]
    TEMPLATE_DAY = date(2022, 4, 24)

    def corrupt(self, record: dict) -> None:
        record["score"]["stage_summary"] = "garbage"

    def is_revoke(self, request: Request) -> bool:
        return request.method == "DELETE" and request.path == "/developer/v2/user/access"

    def revoked(self) -> Answer:
        return 204, b"", {}

    def route(self, server: VendorServer, request: Request, account: Account) -> Answer:
        q = request.query
        start = datetime.fromisoformat(q["start"].replace("Z", "+00:00")).date()
        end = datetime.fromisoformat(q["end"].replace("Z", "+00:00")).date() if "end" in q else date.max
        days = server.nights_between(account, start, end)
        if request.path == "/developer/v2/activity/sleep":
            records = self.records(self.SLEEP, self.TEMPLATE_DAY, account, days)
        elif request.path == "/developer/v2/recovery":
            records = self.records(self.RECOVERY, self.TEMPLATE_DAY, account, days, id_field="sleep_id")
        else:
            return 404, {"message": "Not Found"}, {}
        items, token = self.page(list(reversed(records)), q.get("nextToken"))  # newest first, as WHOOP
        return 200, {"records": items, "next_token": token}, {}


class WithingsAPI(VendorAPI):
    """Withings: POST /v2/sleep action=getsummary, and action=get for one night's stages (the recorded night
    moved to the asked night; none for a time with no night); every answer is HTTP 200 with the outcome in `status`
    (401 bad token, 601 too many requests); tokens from POST /v2/oauth2 action=requesttoken, wrapped in
    {"status": 0, "body": ...}; each refresh returns a new refresh token. 120 requests a minute per app."""

    name = "withings"
    authorize_path, token_path = "/oauth2_user/authorize2", "/v2/oauth2"
    scope = "user.activity"
    limits = ((120, 60.0, "app"),)
    page_size = 300
    TEMPLATE = _fixture("withings", "sleep_v2_getsummary.json")["body"]["series"][0]
    STAGES = _fixture("withings", "sleep_v2_get_one_night.json")["body"]["series"]  # the same night's
    TEMPLATE_DAY = date(2021, 4, 18)

    def token_extras(self, account: Account) -> dict[str, Any]:
        return {"userid": account.account_id}

    def token_ok(self, token: dict[str, Any]) -> Answer:
        return 200, {"status": 0, "body": token}, {}

    def token_error(self, error: str, status: int = 400) -> Answer:
        return 200, {"status": 503, "body": {}, "error": f"Invalid Params: {error}"}, {}

    def too_many(self, wait_s: float) -> Answer:
        return 200, {"status": 601, "body": {}, "error": "Too Many Requests"}, {}

    def unauthorized(self) -> Answer:
        return 200, {"status": 401, "body": {}, "error": "XRequestID: Not provided invalid_token"}, {}

    def corrupt(self, record: dict) -> None:
        record["data"] = None

    def route(self, server: VendorServer, request: Request, account: Account) -> Answer:
        p = request.params
        if request.path == "/v2/sleep" and p.get("action") == "get":
            return 200, {"status": 0, "body": {"series": self.stages(server, account, int(p["startdate"]))}}, {}
        if request.path != "/v2/sleep" or p.get("action") != "getsummary":
            return 200, {"status": 2555, "body": {}, "error": "unknown action"}, {}
        start, end = date.fromisoformat(p["startdateymd"]), date.fromisoformat(p["enddateymd"])
        series = self.records(self.TEMPLATE, self.TEMPLATE_DAY, account, server.nights_between(account, start, end),
                              epoch_keys=("startdate", "enddate", "created", "modified"))
        items, more = self.page(series, p.get("offset"))
        return 200, {"status": 0, "body": {"series": items, "more": more is not None,
                                           "offset": int(more or 0)}}, {}


    def stages(self, server: VendorServer, account: Account, startdate: int) -> list[dict]:
        days = round((startdate - self.TEMPLATE["startdate"]) / 86400)
        day = self.TEMPLATE_DAY + timedelta(days=days)
        if not server.nights_between(account, day, day):
            return []
        if day in account.corrupt_stages:
            return [{"startdate": "soon", "state": 1}]
        return shifted(self.STAGES, days, {}, epoch_keys=("startdate", "enddate"))


class PolarAPI(VendorAPI):
    """Polar AccessLink v3: register the user (POST /v3/users) after OAuth; GET /v3/users/sleep and
    /v3/users/nightly-recharge serve the last 28 days; access tokens do not expire and there is no refresh
    token; the token endpoint wants HTTP Basic client authentication."""

    name = "polar"
    authorize_path, token_path = "/oauth2/authorization", "/v2/oauth2/token"
    scope = "accesslink.read_all"
    limits = ((500, 900.0, "app"), (5000, 86400.0, "app"))
    TEMPLATE = _fixture("polar", "v3_users_sleep_docexample.json")["nights"][0]
    TEMPLATE_DAY = date(2020, 1, 1)
    today: date | None = None  # "now" for the 28-day window; the real date when None

    def token_extras(self, account: Account) -> dict[str, Any]:
        return {"x_user_id": int(account.account_id[1:]), "expires_in": 315359999}

    def token_ok(self, token: dict[str, Any]) -> Answer:
        return 200, {k: v for k, v in token.items() if k != "refresh_token"}, {}

    def corrupt(self, record: dict) -> None:
        record["sleep_end_time"] = 12

    def is_revoke(self, request: Request) -> bool:  # deregistering the user withdraws our access
        return request.method == "DELETE" and re.fullmatch(r"/v3/users/\d+", request.path) is not None

    def revoked(self) -> Answer:
        return 204, b"", {}

    def route(self, server: VendorServer, request: Request, account: Account) -> Answer:
        if request.method == "POST" and request.path == "/v3/users":
            if account.registered:
                return 409, {"message": "User already registered"}, {}
            account.registered = True
            return 200, {"polar-user-id": int(account.account_id[1:]), "member-id": "x"}, {}
        if not account.registered:
            return 403, {"message": "User not registered"}, {}
        today = self.today or date.today()
        days = server.nights_between(account, today - timedelta(days=27), today)
        if request.path == "/v3/users/sleep":
            return 200, {"nights": self.records(self.TEMPLATE, self.TEMPLATE_DAY, account, days, id_field="device_id")}, {}
        if request.path == "/v3/users/nightly-recharge":
            return 200, {"recharges": []}, {}
        return 404, {"message": "Not Found"}, {}


class GoogleHealthAPI(VendorAPI):
    """Google Health API v4: GET /v4/users/me/dataTypes/sleep/dataPoints with a civil_end_time filter and
    pageToken pages; Google's OAuth with PKCE and offline access."""

    name = "google_health"
    authorize_path, token_path = "/o/oauth2/v2/auth", "/token"
    scope = "https://www.googleapis.com/auth/googlehealth.sleep.readonly"
    limits = ((150, 3600.0, "user"),)
    page_size = 25
    TEMPLATE = _fixture("google_health", "sleep_list_manual_classic_slackhealthbot.json")["dataPoints"][0]
    TEMPLATE_DAY = date(2026, 4, 5)
    FILTER = re.compile(r'civil_end_time >= "(\d{4}-\d{2}-\d{2})" AND sleep\.interval\.civil_end_time < "(\d{4}-\d{2}-\d{2})"')

    def corrupt(self, record: dict) -> None:
        record["sleep"]["interval"]["endTime"] = "garbage"

    def is_revoke(self, request: Request) -> bool:
        return request.method == "POST" and request.path == "/revoke"  # RFC 7009: token=

    def route(self, server: VendorServer, request: Request, account: Account) -> Answer:
        if request.path != "/v4/users/me/dataTypes/sleep/dataPoints":
            return 404, {"error": {"code": 404, "status": "NOT_FOUND"}}, {}
        match = self.FILTER.search(request.query.get("filter", ""))
        if match is None:
            return 400, {"error": {"code": 400, "status": "INVALID_ARGUMENT"}}, {}
        start, end = date.fromisoformat(match[1]), date.fromisoformat(match[2]) - timedelta(days=1)
        days = server.nights_between(account, start, end)
        points = []
        for day in days:
            point = shifted(self.TEMPLATE, (day - self.TEMPLATE_DAY).days,
                            {"name": f"users/{account.account_id}/dataTypes/sleep/dataPoints/{day}"})
            if day in account.corrupt:
                self.corrupt(point)
            points.append(point)
        items, token = self.page(list(reversed(points)), request.query.get("pageToken"))
        return 200, {"dataPoints": items, **({"nextPageToken": token} if token else {})}, {}
