"""Cache behaviour of the Python token client, with an injected clock and a fake secrets client."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
import json
import threading

import pytest

import lwa_token_client
from lwa_token_client import (
    InvalidTokenRequestError,
    TokenClient,
    TokenClientError,
    TokenReadError,
    seller_secret_name,
)
from conftest import Clock, FakeSecrets, aws_error

NOW = 1_800_000_000.0


def secret(seller_id: str, access_token: str, expires_at: float, region: str = "NA") -> str:
    from datetime import datetime, timezone

    return json.dumps(
        {
            "sellerId": seller_id,
            "region": region,
            "accessToken": access_token,
            "accessTokenExpiresAt": datetime.fromtimestamp(expires_at, timezone.utc).isoformat(),
            "refreshToken": "Atzr|refresh",
            "tokenType": "bearer",
            "updatedAt": "2026-11-24T20:00:00Z",
        }
    )


def name(seller_id: str) -> str:
    return seller_secret_name("lwa-tokens", "NA", seller_id)


def test_a_hit_makes_no_call_until_the_margin_then_reads_again() -> None:
    # Prepare
    secrets = FakeSecrets({name("A2EUQ1WTGCTBG2"): secret("A2EUQ1WTGCTBG2", "Atza|one", NOW + 3600)})
    clock = Clock(NOW)
    client = TokenClient(secrets_client=secrets, secret_prefix="lwa-tokens", clock=clock)

    # Act
    first = client.get_access_token("A2EUQ1WTGCTBG2", "NA")
    clock.now = NOW + 3539
    second = client.get_access_token("A2EUQ1WTGCTBG2", "NA")
    secrets.answers[name("A2EUQ1WTGCTBG2")] = secret("A2EUQ1WTGCTBG2", "Atza|two", NOW + 7200)
    clock.now = NOW + 3540
    third = client.get_access_token("A2EUQ1WTGCTBG2", "NA")

    # Assess
    assert second is first
    assert third.access_token == "Atza|two"
    assert len(secrets.calls) == 2


def test_concurrent_misses_share_one_read_across_threads() -> None:
    # Prepare
    secrets = FakeSecrets({name("A2EUQ1WTGCTBG2"): secret("A2EUQ1WTGCTBG2", "Atza|one", NOW + 3600)})
    secrets.gate = threading.Event()
    client = TokenClient(secrets_client=secrets, secret_prefix="lwa-tokens", clock=Clock(NOW))

    # Act
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(client.get_access_token, "A2EUQ1WTGCTBG2", "NA") for _ in range(8)]
        assert secrets.entered.wait(timeout=30)
        secrets.gate.set()
        tokens = [future.result(timeout=30) for future in futures]

    # Assess
    assert len(secrets.calls) == 1
    assert {token.access_token for token in tokens} == {"Atza|one"}


def test_a_failed_read_is_not_cached_and_is_raised_to_every_waiter() -> None:
    # Prepare
    secrets = FakeSecrets({name("A2EUQ1WTGCTBG2"): aws_error("ThrottlingException")})
    client = TokenClient(secrets_client=secrets, secret_prefix="lwa-tokens", clock=Clock(NOW))

    # Act
    with pytest.raises(TokenReadError) as first:
        client.get_access_token("A2EUQ1WTGCTBG2", "NA")
    secrets.answers[name("A2EUQ1WTGCTBG2")] = secret("A2EUQ1WTGCTBG2", "Atza|ok", NOW + 3600)
    token = client.get_access_token("A2EUQ1WTGCTBG2", "NA")

    # Assess
    assert first.value.cause_name == "ThrottlingException"
    assert isinstance(first.value, TokenClientError)
    assert token.access_token == "Atza|ok"
    assert len(secrets.calls) == 2


def test_the_least_recently_used_entry_is_evicted() -> None:
    # Prepare
    sellers = ["A1SELLER00001", "A1SELLER00002", "A1SELLER00003"]
    secrets = FakeSecrets({name(s): secret(s, f"Atza|{s}", NOW + 3600) for s in sellers})
    client = TokenClient(secrets_client=secrets, secret_prefix="lwa-tokens", clock=Clock(NOW), max_entries=2)

    # Act: 1 and 2 cached, 1 used again, then 3 pushes out the least recently used (2).
    client.get_access_token(sellers[0], "NA")
    client.get_access_token(sellers[1], "NA")
    client.get_access_token(sellers[0], "NA")
    client.get_access_token(sellers[2], "NA")
    client.get_access_token(sellers[0], "NA")
    client.get_access_token(sellers[1], "NA")

    # Assess
    assert secrets.calls == [name(sellers[0]), name(sellers[1]), name(sellers[2]), name(sellers[1])]


def test_invalidate_forces_the_next_read() -> None:
    # Prepare
    secrets = FakeSecrets({name("A2EUQ1WTGCTBG2"): secret("A2EUQ1WTGCTBG2", "Atza|one", NOW + 3600)})
    client = TokenClient(secrets_client=secrets, secret_prefix="lwa-tokens", clock=Clock(NOW))
    client.get_access_token("A2EUQ1WTGCTBG2", "NA")

    # Act
    dropped = client.invalidate("A2EUQ1WTGCTBG2", "NA")
    client.get_access_token("A2EUQ1WTGCTBG2", "NA")

    # Assess
    assert dropped is True
    assert client.invalidate("A1NOTCACHED01", "NA") is False
    assert len(secrets.calls) == 2


def test_the_prefix_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Prepare
    monkeypatch.setenv("TOKEN_SECRET_PREFIX", "acme/tokens")
    secrets = FakeSecrets(
        {"acme/tokens/sellers/NA/A2EUQ1WTGCTBG2": secret("A2EUQ1WTGCTBG2", "Atza|acme", NOW + 3600)}
    )

    # Act
    token = TokenClient(secrets_client=secrets, clock=Clock(NOW)).get_access_token("A2EUQ1WTGCTBG2", "NA")

    # Assess
    assert token.access_token == "Atza|acme"


@pytest.mark.parametrize(
    "options, field",
    [
        ({"secret_prefix": "/leading-slash"}, "secretPrefix (TOKEN_SECRET_PREFIX)"),
        ({"margin_seconds": -1}, "marginSeconds"),
        ({"max_entries": 0}, "maxEntries"),
    ],
)
def test_bad_options_are_refused(options: dict, field: str) -> None:
    with pytest.raises(InvalidTokenRequestError) as raised:
        TokenClient(secrets_client=FakeSecrets(), **options)
    assert raised.value.field == field


def test_module_functions_share_one_default_client(monkeypatch: pytest.MonkeyPatch) -> None:
    # Prepare
    secrets = FakeSecrets({name("A2EUQ1WTGCTBG2"): secret("A2EUQ1WTGCTBG2", "Atza|default", 4_000_000_000)})
    monkeypatch.setattr(lwa_token_client._client, "_shared_client", TokenClient(secrets_client=secrets, secret_prefix="lwa-tokens"))

    # Act
    first = lwa_token_client.get_access_token("A2EUQ1WTGCTBG2", "NA")
    second = lwa_token_client.get_access_token("A2EUQ1WTGCTBG2", "NA")

    # Assess
    assert first is second
    assert lwa_token_client.default_token_client() is lwa_token_client._client._shared_client
    assert len(secrets.calls) == 1
