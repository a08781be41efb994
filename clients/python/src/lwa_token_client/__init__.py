"""Read Login with Amazon access tokens that lwa-token-service keeps fresh in Secrets Manager.

The client never calls LWA and never sees the app's client secret; the function needs read
access to the token secrets (``grantReadTokens`` / ``grant_read_tokens`` in the CDK construct).
"""

from ._client import (
    DEFAULT_CACHE_MARGIN_SECONDS,
    DEFAULT_MAX_CACHE_ENTRIES,
    AccessToken,
    SellerTable,
    TokenClient,
    default_token_client,
    get_access_token,
    get_device_token,
    get_grantless_token,
)
from ._contract import device_secret_name, grantless_secret_name, scope_slug, seller_secret_name
from ._regions import SECRET_REGIONS_ENV
from .errors import (
    InvalidTokenRequestError,
    SellerNotAuthorizedError,
    TokenClientConfigError,
    TokenClientError,
    TokenExpiredError,
    TokenReadError,
)

__all__ = [
    "DEFAULT_CACHE_MARGIN_SECONDS",
    "DEFAULT_MAX_CACHE_ENTRIES",
    "SECRET_REGIONS_ENV",
    "AccessToken",
    "InvalidTokenRequestError",
    "SellerNotAuthorizedError",
    "SellerTable",
    "TokenClient",
    "TokenClientConfigError",
    "TokenClientError",
    "TokenExpiredError",
    "TokenReadError",
    "default_token_client",
    "device_secret_name",
    "get_access_token",
    "get_device_token",
    "get_grantless_token",
    "grantless_secret_name",
    "scope_slug",
    "seller_secret_name",
]
