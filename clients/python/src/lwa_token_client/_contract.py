"""The token-secret contract (docs/contract.md): names, patterns and the secret JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
import json
import re
from typing import Any, Optional

REGIONS = ("NA", "EU", "FE")
DEFAULT_TOKEN_SECRET_PREFIX = "lwa-tokens"

SELLER_ID_PATTERN = re.compile(r"A[0-9A-Z]{7,31}")
SCOPE_PATTERN = re.compile(r"[A-Za-z0-9_:.-]{1,128}")
ACCOUNT_ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
SECRET_PREFIX_PATTERN = re.compile(r"[A-Za-z0-9_+=.@-]+(/[A-Za-z0-9_+=.@-]+)*")
_SLUG_SEPARATORS = re.compile(r"[^A-Za-z0-9_+=.@-]+")


def is_region(value: Any) -> bool:
    return isinstance(value, str) and value in REGIONS


def matches(pattern: "re.Pattern[str]", value: Any) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def scope_slug(scope: str) -> str:
    """Every run of characters outside Secrets Manager's allowed set becomes one ``-``."""
    return _SLUG_SEPARATORS.sub("-", scope)


def seller_secret_name(prefix: str, region: str, seller_id: str) -> str:
    return f"{prefix}/sellers/{region}/{seller_id}"


def grantless_secret_name(prefix: str, region: str, scope: str) -> str:
    return f"{prefix}/grantless/{region}/{scope_slug(scope)}"


def device_secret_name(prefix: str, region: str, account_id: str) -> str:
    return f"{prefix}/devices/{region}/{account_id}"


class MalformedTokenSecretError(Exception):
    """A stored secret does not hold the contract JSON; the message never includes the value."""

    def __init__(self, secret_name: str, problem: str) -> None:
        super().__init__(
            f"Token secret {secret_name} is malformed ({problem}); re-authorize the seller to rewrite it."
        )


@dataclass(frozen=True)
class TokenSecretValue:
    region: str
    access_token: str
    access_token_expires_at: datetime
    refresh_token: Optional[str]
    seller_id: Optional[str]
    scope: Optional[str]
    account_id: Optional[str]


def parse_timestamp(value: str) -> Optional[datetime]:
    """ISO 8601 as the contract writes it; naive times are UTC. None when it is not a date."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_token_secret(secret_name: str, secret_string: Optional[str]) -> TokenSecretValue:
    """Checks fields in the same order as the TypeScript parser, so both report the same problem."""
    if not secret_string:
        raise MalformedTokenSecretError(secret_name, "no SecretString")
    try:
        raw = json.loads(secret_string)
    except ValueError:
        raise MalformedTokenSecretError(secret_name, "not JSON") from None
    if not isinstance(raw, dict):
        raise MalformedTokenSecretError(secret_name, "not an object")

    def require_string(key: str) -> str:
        field = raw.get(key)
        if not isinstance(field, str) or field == "":
            raise MalformedTokenSecretError(secret_name, f"missing {key}")
        return field

    def optional_string(key: str) -> Optional[str]:
        field = raw.get(key)
        return field if isinstance(field, str) and field != "" else None

    region = require_string("region")
    if not is_region(region):
        raise MalformedTokenSecretError(secret_name, "unknown region")
    expires_at = parse_timestamp(require_string("accessTokenExpiresAt"))
    if expires_at is None:
        raise MalformedTokenSecretError(secret_name, "accessTokenExpiresAt is not a date")
    return TokenSecretValue(
        region=region,
        access_token=require_string("accessToken"),
        access_token_expires_at=expires_at,
        refresh_token=optional_string("refreshToken"),
        seller_id=optional_string("sellerId"),
        scope=optional_string("scope"),
        account_id=optional_string("accountId"),
    )
