"""Reads, through moto's server, the secrets the real TypeScript refresher wrote in the same run.

test/integration/client/python-client.test.ts writes them, then runs this file with
``LWA_PY_EXPECTED`` naming a JSON file of what the TypeScript client read for the same secrets.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict

import boto3
import pytest

from lwa_token_client import SellerNotAuthorizedError, SellerTable, TokenClient


@pytest.fixture(scope="module")
def expected() -> Dict[str, Any]:
    path = os.environ.get("LWA_PY_EXPECTED")
    if not path:
        pytest.fail("LWA_PY_EXPECTED is not set: run this through test/integration/client/python-client.test.ts")
    with open(path, encoding="utf-8") as file:
        return json.load(file)


@pytest.fixture(scope="module")
def client(expected: Dict[str, Any]) -> TokenClient:
    return TokenClient(
        secrets_client=boto3.client("secretsmanager"),
        secret_prefix=expected["prefix"],
        clock=lambda: expected["now"],
        seller_table=SellerTable(boto3.client("dynamodb"), expected["sellerTable"]),
    )


def test_reads_every_seller_token_the_refresher_wrote(client: TokenClient, expected: Dict[str, Any]) -> None:
    assert expected["sellers"], "the TypeScript side wrote no sellers"
    for seller in expected["sellers"]:
        token = client.get_access_token(seller["sellerId"], seller["region"])
        assert token.access_token == seller["accessToken"], seller["sellerId"]
        assert token.expires_at.timestamp() == seller["expiresAtMs"] / 1000


def test_reads_the_grantless_token(client: TokenClient, expected: Dict[str, Any]) -> None:
    grantless = expected["grantless"]
    token = client.get_grantless_token(grantless["scope"], grantless["region"])
    assert token.access_token == grantless["accessToken"]


def test_a_seller_lwa_rejected_is_not_authorized(client: TokenClient, expected: Dict[str, Any]) -> None:
    reauth = expected["reauth"]
    with pytest.raises(SellerNotAuthorizedError) as raised:
        client.get_access_token(reauth["sellerId"], reauth["region"])
    assert raised.value.reason == "REAUTH_REQUIRED"


def test_one_read_per_secret_then_cache_hits(client: TokenClient, expected: Dict[str, Any]) -> None:
    calls = []
    counting = boto3.client("secretsmanager")
    counting.meta.events.register("before-call.secrets-manager.GetSecretValue", lambda **_: calls.append(1))
    fresh = TokenClient(secrets_client=counting, secret_prefix=expected["prefix"], clock=lambda: expected["now"])
    seller = expected["sellers"][0]
    for _ in range(100):
        fresh.get_access_token(seller["sellerId"], seller["region"])
    assert len(calls) == 1
