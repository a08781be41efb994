"""Errors raised by the token client.

Every error subclasses :class:`TokenClientError`. Messages name the secret and say what to do
next, word for word like the TypeScript client's, and never contain a token.
"""

from __future__ import annotations

from datetime import datetime, timezone
import json
from typing import Any, Optional


def _describe(value: Any) -> str:
    """Echo short values only: a caller that passes the wrong variable may be passing a token."""
    if isinstance(value, str):
        if len(value) <= 32 and "|" not in value:
            return json.dumps(value)
        return f"a {len(value)}-character string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "object"


def iso_millis(moment: datetime) -> str:
    """``2026-11-24T21:19:26.000Z``: the shape JavaScript's ``toISOString`` prints."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class TokenClientError(Exception):
    """Base of every error the token client raises, so one ``except`` can map them all."""


class InvalidTokenRequestError(TokenClientError):
    """The request was refused before any AWS call: a malformed seller id, region or scope."""

    def __init__(self, field: str, expected: str, received: Any) -> None:
        super().__init__(
            f"Invalid token request: {field} must be {expected}, got {_describe(received)}. Fix the caller."
        )
        self.field = field


class TokenClientConfigError(TokenClientError):
    """The client's configuration cannot serve the read: ``TOKEN_SECRET_REGIONS`` (or the
    ``secret_regions`` option) is malformed or does not map the requested region, or options
    contradict each other. ``setting`` names what to fix. Raised at construction, or before any
    AWS call for a read."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting


class SellerNotAuthorizedError(TokenClientError):
    """The seller has no token in that region, or must authorize the application again."""

    def __init__(self, *, seller_id: str, region: str, secret_name: str, reason: str) -> None:
        link = f"send them to the /authorize?region={region} link"
        if reason == "REAUTH_REQUIRED":
            message = (
                f"Seller {seller_id} must authorize this application again in region {region}: "
                "LWA rejected the stored refresh token and the sellers table marks the seller "
                f"REAUTH_REQUIRED; {link}."
            )
        else:
            message = (
                f"Seller {seller_id} has not authorized this application in region {region} "
                f"(there is no secret {secret_name}); {link}."
            )
        super().__init__(message)
        self.seller_id = seller_id
        self.region = region
        self.reason = reason


class TokenExpiredError(TokenClientError):
    """Even a fresh read holds a token that has expired or is inside the cache margin.

    ``refreshable`` is False for a seller whose secret has no refresh token (ACCESS_ONLY).
    """

    def __init__(
        self,
        *,
        secret_name: str,
        expires_at: datetime,
        margin_seconds: float,
        refreshable: bool,
        seller: Optional[tuple[str, str]] = None,
        status: Optional[str] = None,
    ) -> None:
        stale = (
            f"The access token in {secret_name} expired at {iso_millis(expires_at)} or is within the "
            f"{_seconds(margin_seconds)} s cache margin, even on a fresh read"
        )
        status_note = "" if status is None else f" (sellers table status: {status})"
        if refreshable:
            message = (
                f"{stale}{status_note}: the refresher is behind or failing; check the refresh Lambda's "
                "alarms/DLQ and the seller's lastError in the sellers table."
            )
        else:
            who = f"seller {seller[0]}" if seller else "the seller"
            region = seller[1] if seller else "NA"
            message = (
                f"{stale}{status_note}, and it cannot be refreshed because LWA returned no refresh token "
                f"when {who} authorized. Configure the app's client secret, then have the seller "
                f"authorize again at /authorize?region={region}."
            )
        super().__init__(message)
        self.secret_name = secret_name
        self.expires_at = expires_at
        self.refreshable = refreshable


class TokenReadError(TokenClientError):
    """Reading the secret (or the seller's status) failed: permissions, KMS, a malformed secret,
    throttling after boto3's own retries. ``__cause__`` keeps the original error."""

    def __init__(self, message: str, *, secret_name: str, cause_name: str) -> None:
        super().__init__(message)
        self.secret_name = secret_name
        #: e.g. ``AccessDeniedException`` or ``MalformedTokenSecretError``.
        self.cause_name = cause_name


def _seconds(value: float) -> str:
    """60 → "60", 0.5 → "0.5": the way JavaScript prints a number in a template."""
    return str(int(value)) if float(value).is_integer() else str(value)
