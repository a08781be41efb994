"""Per-region stacks against moto's server: secrets in us-east-1 and eu-west-1, read through
``TOKEN_SECRET_REGIONS``. moto keeps each AWS region's secrets apart by the SigV4 region of the
request, as AWS does, so a read routed to the wrong region finds nothing.

Run by test/integration/client/python-client.test.ts, which points boto3 at moto through
``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
import json
import os
import uuid
from typing import Dict, Iterator

import boto3
import pytest

from lwa_token_client import SellerNotAuthorizedError, TokenClient, TokenClientConfigError, seller_secret_name

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=timezone.utc)
STACKS = {"NA": "us-east-1", "EU": "eu-west-1"}
SELLERS = {"NA": "APYRG000000XYZ", "EU": "APYRG000001XYZ"}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture(scope="module")
def prefix() -> str:
    if not os.environ.get("AWS_ENDPOINT_URL"):
        pytest.fail("AWS_ENDPOINT_URL is not set: run this through test/integration/client/python-client.test.ts")
    prefix = f"lwa-py-regions-{uuid.uuid4().hex[:12]}"
    for region, seller_id in SELLERS.items():
        boto3.client("secretsmanager", region_name=STACKS[region]).create_secret(
            Name=seller_secret_name(prefix, region, seller_id),
            SecretString=json.dumps(
                {
                    "sellerId": seller_id,
                    "region": region,
                    "accessToken": f"Atza|py-rg-{region}",
                    "accessTokenExpiresAt": _iso(NOW + timedelta(hours=1)),
                    "refreshToken": f"Atzr|py-rg-{region}",
                    "tokenType": "bearer",
                    "updatedAt": _iso(NOW),
                }
            ),
        )
    return prefix


@pytest.fixture
def regions_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Dict[str, str]]:
    # As the grants of the us-east-1 and eu-west-1 stacks set it
    monkeypatch.setenv("TOKEN_SECRET_REGIONS", json.dumps(STACKS))
    yield STACKS


def test_reads_each_region_from_its_aws_region_and_refuses_fe(prefix: str, regions_env: Dict[str, str]) -> None:
    client = TokenClient(secret_prefix=prefix, clock=NOW.timestamp)

    na = client.get_access_token(SELLERS["NA"], "NA")
    eu = client.get_access_token(SELLERS["EU"], "EU")
    with pytest.raises(TokenClientConfigError) as refused:
        client.get_access_token(SELLERS["NA"], "FE")

    assert (na.access_token, eu.access_token) == ("Atza|py-rg-NA", "Atza|py-rg-EU")
    assert str(refused.value) == (
        "Region FE is not in TOKEN_SECRET_REGIONS (NA: us-east-1, EU: eu-west-1): grant this function read "
        "access from the stack serving FE."
    )


def test_without_the_map_the_eu_secret_is_out_of_reach_from_the_default_region(
    prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TOKEN_SECRET_REGIONS", raising=False)
    # The default client's region, as a Lambda in the NA stack would have it
    client = TokenClient(
        secrets_client=boto3.client("secretsmanager", region_name="us-east-1"),
        secret_prefix=prefix,
        clock=NOW.timestamp,
    )

    with pytest.raises(SellerNotAuthorizedError) as raised:
        client.get_access_token(SELLERS["EU"], "EU")

    assert raised.value.reason == "NOT_AUTHORIZED"


def test_the_option_reads_the_same_secrets_without_the_variable(prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKEN_SECRET_REGIONS", raising=False)
    client = TokenClient(secret_prefix=prefix, clock=NOW.timestamp, secret_regions={"EU": "eu-west-1"})

    assert client.get_access_token(SELLERS["EU"], "EU").access_token == "Atza|py-rg-EU"
