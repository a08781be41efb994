"""The shared contract vectors (test/contract): the TypeScript client's tests load the same files."""

from __future__ import annotations

from datetime import datetime
import json
from typing import Any, Dict, List

import pytest

from lwa_token_client import (
    SellerTable,
    TokenClient,
    TokenClientConfigError,
    device_secret_name,
    grantless_secret_name,
    seller_secret_name,
)
from lwa_token_client import errors as error_types
from conftest import FakeSecrets, RegionalSecrets, aws_error, load_vectors

NAME_OF = {"seller": seller_secret_name, "grantless": grantless_secret_name, "device": device_secret_name}


@pytest.mark.parametrize("case", load_vectors("secret-names.json"), ids=lambda c: c["name"])
def test_secret_names(case: Dict[str, Any]) -> None:
    assert NAME_OF[case["kind"]](case["prefix"], case["region"], case["id"]) == case["name"]


class FakeTable:
    def __init__(self, status: str) -> None:
        self.status = status

    def get_item(self, **_: Any) -> Dict[str, Any]:
        return {"Item": {"status": {"S": self.status}}}


def _secret_answer(secret: Dict[str, Any]) -> Any:
    if secret.get("notFound"):
        return None
    if "error" in secret:
        return aws_error(secret["error"])
    if "json" in secret:
        return json.dumps(secret["json"])
    return secret["string"]


@pytest.mark.parametrize("case", load_vectors("token-reads.json"), ids=lambda c: c["description"])
def test_token_reads(case: Dict[str, Any]) -> None:
    # Prepare
    request = case["request"]
    secrets = FakeSecrets()
    if "secret" in case:
        name = NAME_OF[request["kind"]](
            "lwa-tokens",
            request["region"],
            request.get("sellerId") or request.get("scope") or request.get("accountId"),
        )
        secrets.answers[name] = _secret_answer(case["secret"])
    now = datetime.fromisoformat(case["now"].replace("Z", "+00:00")).timestamp()
    client = TokenClient(
        secrets_client=secrets,
        secret_prefix="lwa-tokens",
        clock=lambda: now,
        seller_table=SellerTable(FakeTable(case["tableStatus"]), "sellers") if "tableStatus" in case else None,
    )
    read = {
        "seller": lambda: client.get_access_token(request.get("sellerId"), request["region"]),
        "grantless": lambda: client.get_grantless_token(request.get("scope"), request["region"]),
        "device": lambda: client.get_device_token(request.get("accountId"), request["region"]),
    }[request["kind"]]
    expect = case["expect"]

    # Act / Assess
    if "error" in expect:
        with pytest.raises(getattr(error_types, expect["error"])) as raised:
            read()
        assert str(raised.value) == expect["message"]
    else:
        token = read()
        assert token.access_token == expect["accessToken"]
        assert token.expires_at == datetime.fromisoformat(expect["expiresAt"].replace("Z", "+00:00"))


VECTOR_NOW = datetime.fromisoformat("2026-11-24T20:00:00+00:00").timestamp()


@pytest.mark.parametrize("case", load_vectors("secret-regions.json"), ids=lambda c: c["description"])
def test_secret_regions(
    case: Dict[str, Any], boto3_clients: List[RegionalSecrets], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare
    if "env" in case:
        monkeypatch.setenv("TOKEN_SECRET_REGIONS", case["env"])

    def construct() -> TokenClient:
        return TokenClient(secret_prefix="lwa-tokens", clock=lambda: VECTOR_NOW, secret_regions=case.get("option"))

    if "error" in case:
        # Act
        with pytest.raises(TokenClientConfigError) as raised:
            construct()

        # Assess
        error = raised.value
        assert {"name": type(error).__name__, "setting": error.setting, "message": str(error)} == case["error"]
        return
    client = construct()
    seller_id = "A2EUQ1WTGCTBG2"

    for region, aws_region in case.get("reads", {}).items():
        # Act
        token = client.get_access_token(seller_id, region)

        # Assess: one read, by a client for the mapped AWS region
        assert token.access_token == f"Atza|unit-{region}"
        used = [c for c in boto3_clients if f"lwa-tokens/sellers/{region}/{seller_id}" in c.calls]
        assert len(used) == 1 and used[0].calls.count(f"lwa-tokens/sellers/{region}/{seller_id}") == 1
        assert used[0].region_name == (None if aws_region == "default" else aws_region)
    for region, message in case.get("refused", {}).items():
        calls_before = sum(len(c.calls) for c in boto3_clients)

        # Act
        with pytest.raises(TokenClientConfigError) as raised:
            client.get_access_token(seller_id, region)

        # Assess: refused before any AWS call
        assert str(raised.value) == message
        assert sum(len(c.calls) for c in boto3_clients) == calls_before
