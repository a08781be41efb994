"""The token client: cached reads of token secrets, one ``GetSecretValue`` per miss."""

from __future__ import annotations

from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
import os
import threading
import time
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from ._contract import (
    ACCOUNT_ID_PATTERN,
    DEFAULT_TOKEN_SECRET_PREFIX,
    REGIONS,
    SCOPE_PATTERN,
    SECRET_PREFIX_PATTERN,
    SELLER_ID_PATTERN,
    MalformedTokenSecretError,
    TokenSecretValue,
    device_secret_name,
    grantless_secret_name,
    is_region,
    matches,
    parse_token_secret,
    scope_slug,
    seller_secret_name,
)
from ._regions import SECRET_REGIONS_ENV, resolve_secret_regions, unmapped_region_error
from .errors import (
    InvalidTokenRequestError,
    SellerNotAuthorizedError,
    TokenClientConfigError,
    TokenExpiredError,
    TokenReadError,
)

#: Smaller than the refresher's lead (10 minutes), so a healthy refresher never lets a reader
#: see a stale token.
DEFAULT_CACHE_MARGIN_SECONDS = 60
DEFAULT_MAX_CACHE_ENTRIES = 10_000


@dataclass(frozen=True)
class AccessToken:
    """What the client hands out; shared by every caller of a cache hit."""

    access_token: str
    expires_at: datetime


@dataclass(frozen=True)
class SellerTable:
    """The sellers table, for the optional status check: a boto3 DynamoDB client and its name."""

    client: Any
    table_name: str


class _Entry:
    __slots__ = ("future", "refresh_at")

    def __init__(self) -> None:
        self.future: "Future[AccessToken]" = Future()
        # Infinity while the read is in flight, so concurrent callers join it.
        self.refresh_at = float("inf")


_CacheKey = Tuple[str, str, str]  # (kind, region, id)


class TokenClient:
    """Reads LWA access tokens from the token secrets, with a per-instance in-memory cache.

    - A hit is served until ``expires_at - margin_seconds``; after that the next call reads again.
    - Concurrent misses for one secret share a single ``GetSecretValue``, across threads.
    - A failed read is not cached: the entry is dropped and the error re-raised.
    - Past ``max_entries`` per kind and region, the least recently used entry is dropped.
    """

    def __init__(
        self,
        *,
        secrets_client: Any = None,
        secret_prefix: Optional[str] = None,
        margin_seconds: float = DEFAULT_CACHE_MARGIN_SECONDS,
        max_entries: int = DEFAULT_MAX_CACHE_ENTRIES,
        seller_table: Optional[SellerTable] = None,
        secret_regions: Optional[Mapping[str, str]] = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """
        :param secrets_client: a boto3 ``secretsmanager`` client; one is created on first read.
            Cannot be combined with ``secret_regions`` or ``TOKEN_SECRET_REGIONS``, which need one
            client per AWS region.
        :param secret_prefix: default ``TOKEN_SECRET_PREFIX`` from the environment, else ``lwa-tokens``.
        :param margin_seconds: a cached token is never served within this many seconds of expiry.
        :param max_entries: cached tokens per kind and region before the least recently used goes.
        :param seller_table: when given, each seller read also checks the seller's ``status`` and
            raises :class:`SellerNotAuthorizedError` for ``REAUTH_REQUIRED`` (needs ``dynamodb:GetItem``).
            A table belongs to one stack, so it is refused when the region map spans several AWS
            regions: to check sellers of several per-region stacks, use one ``TokenClient`` per stack,
            each with ``secret_regions`` for its regions and its own table.
        :param secret_regions: for per-region stacks, the AWS region whose Secrets Manager holds each
            SP-API region's token secrets, e.g. ``{"NA": "us-east-1", "EU": "eu-west-1"}``; a read
            for a region it leaves out raises :class:`TokenClientConfigError`. Default: the JSON in
            ``TOKEN_SECRET_REGIONS`` (set by ``grantReadTokens(fn)`` of each per-region stack), else
            every read goes to boto3's default region.
        :param clock: epoch seconds; injected by tests.
        """
        prefix = secret_prefix if secret_prefix is not None else (
            os.environ.get("TOKEN_SECRET_PREFIX", "").strip() or DEFAULT_TOKEN_SECRET_PREFIX
        )
        if not matches(SECRET_PREFIX_PATTERN, prefix):
            raise InvalidTokenRequestError(
                "secretPrefix (TOKEN_SECRET_PREFIX)",
                'the token secret prefix the stack uses, e.g. "lwa-tokens"',
                prefix,
            )
        if isinstance(margin_seconds, bool) or not isinstance(margin_seconds, (int, float)) or margin_seconds < 0:
            raise InvalidTokenRequestError("marginSeconds", "a non-negative number of seconds", margin_seconds)
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise InvalidTokenRequestError("maxEntries", "a positive integer", max_entries)
        regions = resolve_secret_regions(secret_regions, os.environ.get(SECRET_REGIONS_ENV))
        if regions is not None and secrets_client is not None:
            raise TokenClientConfigError(
                "secrets_client",
                f"secrets_client cannot be combined with {regions.setting}, which needs a client per AWS region: "
                "drop it.",
            )
        # One table is one stack's: it cannot answer for sellers whose secrets live in other stacks.
        if seller_table is not None and regions is not None and regions.aws_region_count > 1:
            raise TokenClientConfigError(
                "seller_table",
                f"seller_table is one stack's, but {regions.setting} spans several AWS regions: use a "
                "TokenClient per stack.",
            )
        self.secret_prefix = prefix
        self.margin_seconds = margin_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._seller_table = seller_table
        self._secret_regions = regions
        self._secrets_client = secrets_client
        self._lock = threading.Lock()
        self._caches: Dict[Tuple[str, str], "OrderedDict[str, _Entry]"] = {}

    def get_access_token(self, seller_id: str, region: str) -> AccessToken:
        """The seller's current access token, from ``<prefix>/sellers/<REGION>/<sellerId>``."""
        if not matches(SELLER_ID_PATTERN, seller_id):
            raise InvalidTokenRequestError(
                "sellerId", "an SP-API selling partner id such as A2EUQ1WTGCTBG2", seller_id
            )
        _check_region(region)
        return self._get(("seller", region, seller_id), lambda: self._read_seller(seller_id, region))

    def get_grantless_token(self, scope: str, region: str) -> AccessToken:
        """The current grantless token for a scope, from ``<prefix>/grantless/<REGION>/<scope slug>``."""
        if not matches(SCOPE_PATTERN, scope):
            raise InvalidTokenRequestError(
                "scope", "an LWA scope such as sellingpartnerapi::notifications", scope
            )
        _check_region(region)
        return self._get(("grantless", region, scope), lambda: self._read_grantless(scope, region))

    def get_device_token(self, account_id: str, region: str) -> AccessToken:
        """A device-flow account's token, from ``<prefix>/devices/<REGION>/<account id>``."""
        if not matches(ACCOUNT_ID_PATTERN, account_id):
            raise InvalidTokenRequestError(
                "accountId", "a device account id of letters, digits, _ . - (1-64)", account_id
            )
        _check_region(region)
        return self._get(("device", region, account_id), lambda: self._read_device(account_id, region))

    def invalidate(self, seller_id: str, region: str) -> bool:
        """Drops a seller's cached token, e.g. after SP-API answered 401/403; True if there was one."""
        return self._drop(("seller", region, seller_id))

    def invalidate_grantless(self, scope: str, region: str) -> bool:
        return self._drop(("grantless", region, scope))

    def invalidate_device(self, account_id: str, region: str) -> bool:
        return self._drop(("device", region, account_id))

    def clear(self) -> None:
        """Drops every cached token."""
        with self._lock:
            self._caches.clear()

    def _get(self, key: _CacheKey, read: Callable[[], AccessToken]) -> AccessToken:
        kind, region, ident = key
        with self._lock:
            cache = self._caches.setdefault((kind, region), OrderedDict())
            entry = cache.get(ident)
            if entry is not None and self._clock() < entry.refresh_at:
                cache.move_to_end(ident)
                owner = False
            else:
                entry = _Entry()
                if ident not in cache and len(cache) >= self._max_entries:
                    cache.popitem(last=False)
                cache[ident] = entry
                owner = True
        if not owner:
            return entry.future.result()
        try:
            token = read()
        except BaseException as error:
            with self._lock:
                # Only our own entry: invalidate() may already have replaced it with a newer read.
                if cache.get(ident) is entry:
                    del cache[ident]
            entry.future.set_exception(error)
            raise
        entry.refresh_at = token.expires_at.timestamp() - self.margin_seconds
        entry.future.set_result(token)
        return token

    def _drop(self, key: _CacheKey) -> bool:
        kind, region, ident = key
        with self._lock:
            cache = self._caches.get((kind, region))
            return cache is not None and cache.pop(ident, None) is not None

    def _read_seller(self, seller_id: str, region: str) -> AccessToken:
        secret_name = seller_secret_name(self.secret_prefix, region, seller_id)
        # Before any AWS call, so a region this client cannot serve fails alone and clearly.
        secrets = self._secrets_for(region)
        status: Optional[str] = None
        status_error: Optional[TokenReadError] = None
        try:
            status = _read_seller_status(self._seller_table, seller_id, region, secret_name)
        except TokenReadError as error:
            status_error = error
        # The table's verdict wins: a revoked seller may still have an unexpired, useless token.
        if status == "REAUTH_REQUIRED":
            raise SellerNotAuthorizedError(
                seller_id=seller_id, region=region, secret_name=secret_name, reason="REAUTH_REQUIRED"
            )
        try:
            secret_string = _read_secret(secrets, secret_name)
        except Exception as error:
            if _error_name(error) == "ResourceNotFoundException":
                raise SellerNotAuthorizedError(
                    seller_id=seller_id, region=region, secret_name=secret_name, reason="NOT_AUTHORIZED"
                ) from error
            raise _secret_read_error(secret_name, error) from error
        # Same precedence as the TypeScript client: a missing secret is reported before a failed status read.
        if status_error is not None:
            raise status_error
        value = _parse(secret_name, secret_string)
        if value.region != region or (value.seller_id is not None and value.seller_id != seller_id):
            raise _malformed(secret_name, "it holds the token of another seller or region")
        return self._fresh(
            secret_name,
            value,
            refreshable=value.refresh_token is not None and status != "ACCESS_ONLY",
            seller=(seller_id, region),
            status=status,
        )

    def _read_grantless(self, scope: str, region: str) -> AccessToken:
        secret_name = grantless_secret_name(self.secret_prefix, region, scope)
        secrets = self._secrets_for(region)
        try:
            secret_string = _read_secret(secrets, secret_name)
        except Exception as error:
            if _error_name(error) == "ResourceNotFoundException":
                raise TokenReadError(
                    f"There is no grantless token secret {secret_name} for scope {scope} in region {region}: "
                    "add the scope to the stack's grantless scopes so the refresher creates it.",
                    secret_name=secret_name,
                    cause_name=_error_name(error),
                ) from error
            raise _secret_read_error(secret_name, error) from error
        value = _parse(secret_name, secret_string)
        if value.region != region or (value.scope is not None and scope_slug(value.scope) != scope_slug(scope)):
            raise _malformed(secret_name, "it holds the token of another scope or region")
        # Grantless tokens have no refresh token by design: the refresher mints new ones.
        return self._fresh(secret_name, value, refreshable=True)

    def _read_device(self, account_id: str, region: str) -> AccessToken:
        secret_name = device_secret_name(self.secret_prefix, region, account_id)
        secrets = self._secrets_for(region)
        try:
            secret_string = _read_secret(secrets, secret_name)
        except Exception as error:
            if _error_name(error) == "ResourceNotFoundException":
                raise TokenReadError(
                    f"There is no device token secret {secret_name} for account {account_id} in region {region}: "
                    "approve the account first with npx lwa-tokens device-login or the device authorization API.",
                    secret_name=secret_name,
                    cause_name=_error_name(error),
                ) from error
            raise _secret_read_error(secret_name, error) from error
        value = _parse(secret_name, secret_string)
        if value.region != region or (value.account_id is not None and value.account_id != account_id):
            raise _malformed(secret_name, "it holds the token of another account or region")
        return self._fresh(secret_name, value, refreshable=value.refresh_token is not None)

    def _fresh(
        self,
        secret_name: str,
        value: TokenSecretValue,
        *,
        refreshable: bool,
        seller: Optional[Tuple[str, str]] = None,
        status: Optional[str] = None,
    ) -> AccessToken:
        expires_at = value.access_token_expires_at
        if self._clock() >= expires_at.timestamp() - self.margin_seconds:
            raise TokenExpiredError(
                secret_name=secret_name,
                expires_at=expires_at,
                margin_seconds=self.margin_seconds,
                refreshable=refreshable,
                seller=seller,
                status=status,
            )
        return AccessToken(access_token=value.access_token, expires_at=expires_at)

    def _secrets_for(self, region: str) -> Any:
        """Only on a miss: a cache hit never gets here, so the map costs hits nothing."""
        regions = self._secret_regions
        if regions is None:
            if self._secrets_client is None:
                self._secrets_client = _shared_secrets_client()
            return self._secrets_client
        aws_region = regions.mapping.get(region)
        if aws_region is None:
            raise unmapped_region_error(regions, region)
        return _regional_secrets_client(aws_region)


def _read_secret(secrets_client: Any, secret_name: str) -> Optional[str]:
    output = secrets_client.get_secret_value(SecretId=secret_name)
    return output.get("SecretString")


def _read_seller_status(
    table: Optional[SellerTable], seller_id: str, region: str, secret_name: str
) -> Optional[str]:
    if table is None:
        return None
    try:
        output = table.client.get_item(
            TableName=table.table_name,
            Key={"sellerId": {"S": seller_id}, "region": {"S": region}},
            ProjectionExpression="#status",
            # STATUS is a DynamoDB reserved word.
            ExpressionAttributeNames={"#status": "status"},
        )
    except Exception as error:
        raise TokenReadError(
            f"Reading the status of seller {seller_id} in region {region} from table {table.table_name} "
            f"failed ({_error_name(error)}): grant the function dynamodb:GetItem on the sellers table, "
            "or drop the seller_table option.",
            secret_name=secret_name,
            cause_name=_error_name(error),
        ) from error
    return output.get("Item", {}).get("status", {}).get("S")


_shared_lock = threading.Lock()
_shared_client: Optional[TokenClient] = None
_shared_secrets: Any = None
#: By AWS region, shared by every client in the process like the default one.
_regional_secrets: Dict[str, Any] = {}


def _regional_secrets_client(aws_region: str) -> Any:
    with _shared_lock:
        client = _regional_secrets.get(aws_region)
        if client is None:
            import boto3  # deferred: importing the client must not cost a boto3 session

            client = boto3.client("secretsmanager", region_name=aws_region)
            _regional_secrets[aws_region] = client
        return client


def _shared_secrets_client() -> Any:
    global _shared_secrets
    with _shared_lock:
        if _shared_secrets is None:
            import boto3  # deferred: importing the client must not cost a boto3 session

            _shared_secrets = boto3.client("secretsmanager")
        return _shared_secrets


def default_token_client() -> TokenClient:
    """The process-wide client the module-level functions use: one cache per Lambda environment."""
    global _shared_client
    with _shared_lock:
        if _shared_client is None:
            _shared_client = TokenClient()
        return _shared_client


def get_access_token(seller_id: str, region: str) -> AccessToken:
    """A seller's current access token, cached per process until 60 s before it expires.

    Raises :class:`SellerNotAuthorizedError` when the seller has not authorized (or must again),
    :class:`TokenExpiredError` when even a fresh read is stale, :class:`InvalidTokenRequestError`
    for malformed input and :class:`TokenReadError` for anything else.
    """
    return default_token_client().get_access_token(seller_id, region)


def get_grantless_token(scope: str, region: str) -> AccessToken:
    """The current grantless (``client_credentials``) token for ``scope``, cached like a seller's."""
    return default_token_client().get_grantless_token(scope, region)


def get_device_token(account_id: str, region: str) -> AccessToken:
    """A device-flow account's current access token, cached like a seller's."""
    return default_token_client().get_device_token(account_id, region)


def _check_region(region: Any) -> None:
    if not is_region(region):
        raise InvalidTokenRequestError("region", "one of " + ", ".join(REGIONS), region)


def _error_name(error: BaseException) -> str:
    """boto3 errors carry AWS's error code; everything else is named by its class."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if isinstance(code, str) and code:
            return code
    return type(error).__name__


def _parse(secret_name: str, secret_string: Optional[str]) -> TokenSecretValue:
    try:
        return parse_token_secret(secret_name, secret_string)
    except MalformedTokenSecretError as error:
        raise TokenReadError(str(error), secret_name=secret_name, cause_name="MalformedTokenSecretError") from error


def _malformed(secret_name: str, problem: str) -> TokenReadError:
    return TokenReadError(
        str(MalformedTokenSecretError(secret_name, problem)),
        secret_name=secret_name,
        cause_name="MalformedTokenSecretError",
    )


def _secret_read_error(secret_name: str, error: BaseException) -> TokenReadError:
    name = _error_name(error)
    if name == "AccessDeniedException":
        hint = (
            "grant this function read access to the token secrets with grantReadTokens(fn), "
            "which also grants kms:Decrypt on the token key"
        )
    elif name == "DecryptionFailure":
        hint = "the function needs kms:Decrypt on the stack's token key; grantReadTokens(fn) grants it"
    else:
        hint = (
            "the SDK has already retried; retry later, and if it persists check Secrets Manager "
            "quotas and health"
        )
    return TokenReadError(
        f"Reading token secret {secret_name} failed ({name}): {hint}.", secret_name=secret_name, cause_name=name
    )
