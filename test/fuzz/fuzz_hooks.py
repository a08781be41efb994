"""Schemathesis checks for the LWA token service's API, loaded through SCHEMATHESIS_HOOKS.

test/fuzz/run-fuzz.ts runs `st run docs/openapi.yaml` with one worker against the local run and
sets MOTO_ENDPOINT to the local run's moto. Besides schemathesis's own checks, every response is
checked here for:

- the security headers (Cache-Control: no-store, Referrer-Policy: no-referrer);
- a 4xx that changed nothing: moto's tables and secrets are snapshotted before each request and
  compared after any 4xx, the state table included. A refused request never spends the state it
  presented, whatever the reason (a bad parameter, the seller declined, another region).

So that a 4xx which consumed a state would show, /callback cases the handler must refuse get a
live state from the real /authorize in place of the generated one.
"""

import atexit
import base64
import collections
import hashlib
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request

import schemathesis
import yaml

MOTO_ENDPOINT = os.environ["MOTO_ENDPOINT"]
AWS_REGION = "us-east-1"

REQUIRED_HEADERS = {"cache-control": "no-store", "referrer-policy": "no-referrer"}


def _moto(service: str, target: str, body: dict) -> dict:
    """One JSON-protocol call to moto, which accepts any signature."""
    content_type = "application/x-amz-json-1.0" if service == "dynamodb" else "application/x-amz-json-1.1"
    request = urllib.request.Request(
        MOTO_ENDPOINT,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": content_type,
            "X-Amz-Target": target,
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential=testing/20260101/{AWS_REGION}/{service}/aws4_request, "
                "SignedHeaders=host, Signature=0"
            ),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _snapshot() -> dict:
    """Every item of every table and every secret's versions: what a request could have written."""
    tables = {}
    for name in _moto("dynamodb", "DynamoDB_20120810.ListTables", {}).get("TableNames", []):
        items, start = [], None
        while True:
            body = {"TableName": name, **({"ExclusiveStartKey": start} if start else {})}
            page = _moto("dynamodb", "DynamoDB_20120810.Scan", body)
            items.extend(page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        tables[name] = sorted(json.dumps(item, sort_keys=True) for item in items)
    secrets = {}
    token = None
    while True:
        page = _moto("secretsmanager", "secretsmanager.ListSecrets", {"NextToken": token} if token else {})
        for secret in page.get("SecretList", []):
            secrets[secret["Name"]] = json.dumps(secret.get("SecretVersionsToStages", {}), sort_keys=True)
        token = page.get("NextToken")
        if not token:
            break
    return {"tables": tables, "secrets": secrets}


_before: dict = {}

# Figures for the run's summary (test/fuzz/run-fuzz.ts prints them): responses by status and
# how many /callback cases carried a live state.
STATS: collections.Counter = collections.Counter()


@atexit.register
def _write_stats() -> None:
    path = os.environ.get("FUZZ_STATS_FILE")
    if path:
        with open(path, "w", encoding="utf-8") as stats:
            json.dump(dict(STATS), stats)

API_URL = os.environ["API_URL"]
DOCUMENT_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "openapi.yaml")
REGIONS = ("NA", "EU", "FE")


def _callback_rules() -> dict:
    with open(DOCUMENT_PATH, encoding="utf-8") as document:
        parameters = yaml.safe_load(document)["paths"]["/callback"]["get"]["parameters"]
    return {p["name"]: (re.compile(p["schema"]["pattern"]), p["schema"]["maxLength"]) for p in parameters}


CALLBACK_RULES = _callback_rules()


def _valid(name: str, value) -> bool:
    pattern, max_length = CALLBACK_RULES[name]
    return isinstance(value, str) and value != "" and len(value) <= max_length and bool(pattern.search(value))


def _live_state(region: str) -> str:
    """A state the real /authorize just issued, read from its redirect."""
    try:
        _NO_REDIRECTS.open(f"{API_URL}/authorize?region={region}", timeout=30)
    except urllib.error.HTTPError as redirect:
        location = redirect.headers.get("Location", "")
        if redirect.code == 302 and "state=" in location:
            STATS["live_states_injected"] += 1
            return urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["state"][0]
        raise RuntimeError(f"/authorize?region={region} answered {redirect.code}, not a redirect with a state")
    raise RuntimeError(f"/authorize?region={region} did not redirect")


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_NO_REDIRECTS = urllib.request.build_opener(_KeepRedirects)


def _inject_live_state(case) -> None:
    """
    Replaces the state of a /callback case with a live one whenever the handler must refuse the
    request anyway (another parameter is missing, repeated, oversized or malformed; the seller
    declined; or the state is for another region), so a 4xx that consumed a state shows up. A case
    that would reach the code exchange keeps its made-up state: LWA's 502 for a made-up code is
    by design.
    """
    query = case.query if isinstance(case.query, dict) else {}
    # The handler reads an empty parameter as an absent one.
    others = {name: value for name, value in query.items() if name != "state" and value != ""}
    if any(name in CALLBACK_RULES and not _valid(name, value) for name, value in others.items()):
        region = "NA"  # a 400 for the bad parameter, before the state is looked at
    elif "error" in others:
        region = "EU"  # the 403 denial
    elif "region" in others:
        region = next(r for r in REGIONS if r != others["region"])  # the other-region 400
    elif not ("selling_partner_id" in others and "spapi_oauth_code" in others):
        region = "FE"  # a 400 for the missing seller or code
    else:
        return
    case.query = {**query, "state": _live_state(region)}


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.method.upper() == "GET" and case.operation.path == "/callback":
        _inject_live_state(case)
    # One worker, so the snapshot taken here belongs to the response the checks see next.
    snapshot = _snapshot()
    # An empty snapshot would make the comparison pass vacuously (wrong endpoint or AWS region).
    if len(snapshot["tables"]) < 2 or not snapshot["secrets"]:
        raise RuntimeError(
            f"moto at {MOTO_ENDPOINT} ({AWS_REGION}) shows {len(snapshot['tables'])} table(s) and "
            f"{len(snapshot['secrets'])} secret(s); expected the local run's sellers and state tables and app secret"
        )
    _before["snapshot"] = snapshot


@schemathesis.deserializer("text/html")
def html_page(ctx, response):
    """The pages are validated as strings against HtmlPage (an HTML document)."""
    return response.content.decode("utf-8")


def _state_key(state: str) -> str:
    """The state table's key for a state, as lambda/auth/state-store.ts derives it."""
    digest = hashlib.sha256(state.encode()).digest()
    return "state#" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


@schemathesis.check
def security_headers(ctx, response, case):
    """Every response carries Cache-Control: no-store and Referrer-Policy: no-referrer."""
    STATS[f"status_{response.status_code}"] += 1
    headers = {name.lower(): values for name, values in response.headers.items()}
    for name, expected in REQUIRED_HEADERS.items():
        values = headers.get(name)
        value = values[0] if isinstance(values, list) and values else values
        if value != expected:
            raise AssertionError(f"{response.status_code} response without `{name}: {expected}` (got {value!r})")


@schemathesis.check
def nothing_written_on_4xx(ctx, response, case):
    """A 4xx wrote no secret and changed no table: no state consumed or created, the one presented included."""
    if not 400 <= response.status_code < 500:
        return
    before = _before.get("snapshot")
    if before is None:
        raise AssertionError("no snapshot was taken before the request (before_call hook not loaded)")
    after = _snapshot()
    if after["secrets"] != before["secrets"]:
        changed = sorted(set(after["secrets"].items()) ^ set(before["secrets"].items()))
        raise AssertionError(f"{response.status_code} response, yet secrets changed: {changed}")
    state = (case.query or {}).get("state") if isinstance(case.query, dict) else None
    presented = _state_key(state) if isinstance(state, str) else None
    for table in sorted(set(before["tables"]) | set(after["tables"])):
        old = set(before["tables"].get(table, []))
        new = set(after["tables"].get(table, []))
        added, removed = new - old, old - new
        if added or removed:
            spent = any(json.loads(item).get("pk", {}).get("S") == presented for item in removed)
            raise AssertionError(
                f"{response.status_code} response, yet table {table} changed: "
                f"{len(added)} item(s) added, {len(removed)} removed"
                + (" (the state it presented was spent)" if spent else "")
            )
