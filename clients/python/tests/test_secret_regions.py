"""How TOKEN_SECRET_REGIONS routes reads and combines with options. Its parsing rules and
messages are the shared vectors (test_contract_vectors.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List

import pytest

from lwa_token_client import (
    SellerNotAuthorizedError,
    SellerTable,
    TokenClient,
    TokenClientConfigError,
)
from conftest import FakeSecrets, RegionalSecrets

SELLER = "A2EUQ1WTGCTBG2"
NOW = datetime.fromisoformat("2026-11-24T20:00:00+00:00").timestamp()
THREE_REGIONS = '{"NA":"us-east-1","EU":"eu-west-1","FE":"us-west-2"}'


def new_client(**options: Any) -> TokenClient:
    return TokenClient(secret_prefix="lwa-tokens", clock=lambda: NOW, **options)


class FakeTable:
    """One stack's sellers table: answers every get_item with ``status`` and records the calls."""

    def __init__(self, status: str) -> None:
        self.status = status
        self.calls: List[Dict[str, Any]] = []

    def get_item(self, **request: Any) -> Dict[str, Any]:
        self.calls.append(request)
        return {"Item": {"status": {"S": self.status}}}


def test_routes_seller_grantless_and_device_reads_to_their_aws_region(
    boto3_clients: List[RegionalSecrets], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare
    monkeypatch.setenv("TOKEN_SECRET_REGIONS", THREE_REGIONS)
    client = new_client()

    # Act
    client.get_access_token(SELLER, "EU")
    client.get_grantless_token("sellingpartnerapi::notifications", "FE")
    client.get_device_token("living-room-tv", "NA")

    # Assess
    asked = {c.region_name: c.calls for c in boto3_clients}
    assert asked == {
        "eu-west-1": [f"lwa-tokens/sellers/EU/{SELLER}"],
        "us-west-2": ["lwa-tokens/grantless/FE/sellingpartnerapi-notifications"],
        "us-east-1": ["lwa-tokens/devices/NA/living-room-tv"],
    }


def test_one_boto3_client_per_aws_region_shared_by_regions_and_token_clients(
    boto3_clients: List[RegionalSecrets], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare: NA and FE share a stack's AWS region
    monkeypatch.setenv("TOKEN_SECRET_REGIONS", '{"NA":"us-east-1","EU":"eu-west-1","FE":"us-east-1"}')
    first, second = new_client(), new_client()

    # Act
    first.get_access_token(SELLER, "NA")
    first.get_access_token(SELLER, "FE")
    second.get_access_token(SELLER, "NA")
    second.get_access_token(SELLER, "EU")

    # Assess
    assert [c.region_name for c in boto3_clients] == ["us-east-1", "eu-west-1"]
    assert len(boto3_clients[0].calls) == 3


def test_cache_hits_make_no_further_reads(boto3_clients: List[RegionalSecrets], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN_SECRET_REGIONS", THREE_REGIONS)
    client = new_client()

    for _ in range(100):
        for region in ("NA", "EU", "FE"):
            client.get_access_token(SELLER, region)

    assert sum(len(c.calls) for c in boto3_clients) == 3


def test_a_refusal_is_not_cached_and_makes_no_aws_call(
    boto3_clients: List[RegionalSecrets], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN_SECRET_REGIONS", '{"NA":"us-east-1"}')
    client = new_client()

    for _ in range(2):
        with pytest.raises(TokenClientConfigError) as raised:
            client.get_access_token(SELLER, "FE")
        assert raised.value.setting == "TOKEN_SECRET_REGIONS"

    assert boto3_clients == []


def test_the_option_wins_and_its_messages_name_it(
    boto3_clients: List[RegionalSecrets], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare
    monkeypatch.setenv("TOKEN_SECRET_REGIONS", THREE_REGIONS)
    client = new_client(secret_regions={"NA": "ca-central-1"})

    # Act
    client.get_access_token(SELLER, "NA")
    with pytest.raises(TokenClientConfigError) as raised:
        client.get_access_token(SELLER, "EU")

    # Assess
    assert [c.region_name for c in boto3_clients] == ["ca-central-1"]
    assert raised.value.setting == "secret_regions"
    assert str(raised.value) == (
        "Region EU is not in secret_regions (NA: ca-central-1): grant this function read access from the stack "
        "serving EU."
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            {"NA": "us-east-1", "XX": "eu-west-1"},
            'secret_regions must map SP-API regions to AWS regions, e.g. {"NA":"us-east-1"}, but it maps "XX", '
            "not NA, EU or FE. Fix the option.",
        ),
        (
            {"NA": "us-east-1x"},
            'secret_regions must map SP-API regions to AWS regions, e.g. {"NA":"us-east-1"}, but it maps NA to '
            '"us-east-1x", not an AWS region. Fix the option.',
        ),
        (
            {},
            'secret_regions must map SP-API regions to AWS regions, e.g. {"NA":"us-east-1"}, but it maps no '
            "region. Fix the option.",
        ),
    ],
)
def test_the_option_is_checked_like_the_variable(
    boto3_clients: List[RegionalSecrets], option: Dict[str, str], message: str
) -> None:
    with pytest.raises(TokenClientConfigError) as raised:
        new_client(secret_regions=option)

    assert raised.value.setting == "secret_regions"
    assert str(raised.value) == message


def test_an_explicit_secrets_client_without_a_map_serves_every_region(boto3_clients: List[RegionalSecrets]) -> None:
    own = RegionalSecrets("ap-south-1")
    client = new_client(secrets_client=own)

    client.get_access_token(SELLER, "NA")
    client.get_access_token(SELLER, "FE")

    assert own.calls == [f"lwa-tokens/sellers/NA/{SELLER}", f"lwa-tokens/sellers/FE/{SELLER}"]
    assert boto3_clients == []


def test_an_explicit_secrets_client_cannot_be_combined_with_a_map(
    boto3_clients: List[RegionalSecrets], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN_SECRET_REGIONS", THREE_REGIONS)
    with pytest.raises(TokenClientConfigError) as from_env:
        new_client(secrets_client=FakeSecrets())
    monkeypatch.delenv("TOKEN_SECRET_REGIONS")
    with pytest.raises(TokenClientConfigError) as from_option:
        new_client(secrets_client=FakeSecrets(), secret_regions={"NA": "us-east-1"})

    assert from_env.value.setting == "secrets_client"
    assert str(from_env.value) == (
        "secrets_client cannot be combined with TOKEN_SECRET_REGIONS, which needs a client per AWS region: drop it."
    )
    assert from_option.value.setting == "secrets_client"
    assert "cannot be combined with secret_regions" in str(from_option.value)


def test_refuses_one_table_for_a_map_spanning_several_aws_regions(
    boto3_clients: List[RegionalSecrets], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN_SECRET_REGIONS", THREE_REGIONS)

    with pytest.raises(TokenClientConfigError) as raised:
        new_client(seller_table=SellerTable(FakeTable("ACTIVE"), "Sellers"))

    assert raised.value.setting == "seller_table"
    assert str(raised.value) == (
        "seller_table is one stack's, but TOKEN_SECRET_REGIONS spans several AWS regions: use a TokenClient "
        "per stack."
    )


def test_keeps_one_table_for_a_map_with_one_aws_region(
    boto3_clients: List[RegionalSecrets], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN_SECRET_REGIONS", '{"NA":"eu-west-1","EU":"eu-west-1"}')
    table = FakeTable("ACTIVE")
    client = new_client(seller_table=SellerTable(table, "Sellers"))

    client.get_access_token(SELLER, "NA")
    client.get_access_token(SELLER, "EU")

    assert len(table.calls) == 2
    assert [c.region_name for c in boto3_clients] == ["eu-west-1"]


def test_checks_sellers_of_several_stacks_with_one_token_client_per_stack(
    boto3_clients: List[RegionalSecrets], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare: the grants set all three regions; each client narrows to its stack's
    monkeypatch.setenv("TOKEN_SECRET_REGIONS", THREE_REGIONS)
    na_table, eu_table = FakeTable("ACTIVE"), FakeTable("REAUTH_REQUIRED")
    na = new_client(secret_regions={"NA": "us-east-1"}, seller_table=SellerTable(na_table, "SellersNA"))
    eu = new_client(secret_regions={"EU": "eu-west-1"}, seller_table=SellerTable(eu_table, "SellersEU"))

    # Act
    token = na.get_access_token(SELLER, "NA")
    with pytest.raises(SellerNotAuthorizedError):
        eu.get_access_token(SELLER, "EU")

    # Assess
    assert token.access_token == "Atza|unit-NA"
    assert [(c["TableName"], c["Key"]["region"]["S"]) for c in na_table.calls] == [("SellersNA", "NA")]
    assert [(c["TableName"], c["Key"]["region"]["S"]) for c in eu_table.calls] == [("SellersEU", "EU")]
    assert [c.region_name for c in boto3_clients] == ["us-east-1", "eu-west-1"]
