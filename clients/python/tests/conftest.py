"""Shared fixtures: the contract vectors and a fake Secrets Manager client."""

from __future__ import annotations

import json
from pathlib import Path
import threading
from typing import Any, Callable, Dict, List, Optional

from botocore.exceptions import ClientError
import pytest

CONTRACT_DIR = Path(__file__).resolve().parents[3] / "test" / "contract"


def load_vectors(name: str) -> List[Dict[str, Any]]:
    return json.loads((CONTRACT_DIR / name).read_text(encoding="utf-8"))["cases"]


def aws_error(code: str, operation: str = "GetSecretValue") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "test"}}, operation)


class FakeSecrets:
    """Answers get_secret_value from a dict, counts calls, and can block to prove single-flight."""

    def __init__(self, answers: Optional[Dict[str, Any]] = None) -> None:
        self.answers: Dict[str, Any] = dict(answers or {})
        self.calls: List[str] = []
        self.gate: Optional[threading.Event] = None
        self.entered = threading.Event()

    def get_secret_value(self, SecretId: str) -> Dict[str, Any]:  # noqa: N803 (boto3's name)
        self.calls.append(SecretId)
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(timeout=30)
        answer = self.answers.get(SecretId)
        if answer is None:
            raise aws_error("ResourceNotFoundException")
        if isinstance(answer, Exception):
            raise answer
        return {"SecretString": answer}


class Clock:
    """Epoch seconds that tests move by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def make_secrets() -> Callable[..., FakeSecrets]:
    return FakeSecrets


class RegionalSecrets(FakeSecrets):
    """What ``boto3.client("secretsmanager", region_name=...)`` returns in these tests: every token
    secret of the region its name says, fresh until 21:00 UTC, so tests check where it was asked."""

    def __init__(self, region_name: Optional[str]) -> None:
        super().__init__()
        self.region_name = region_name

    def get_secret_value(self, SecretId: str) -> Dict[str, Any]:  # noqa: N803 (boto3's name)
        _, kind, region, ident = SecretId.split("/")
        ident_field = {"sellers": "sellerId", "devices": "accountId"}.get(kind)
        value: Dict[str, Any] = {
            "region": region,
            "accessToken": f"Atza|unit-{region}",
            "accessTokenExpiresAt": "2026-11-24T21:00:00.000Z",
            "refreshToken": "Atzr|unit-refresh",
            "tokenType": "bearer",
            "updatedAt": "2026-11-24T20:00:00.000Z",
        }
        if ident_field:
            value[ident_field] = ident
        self.answers[SecretId] = json.dumps(value)
        return super().get_secret_value(SecretId)


@pytest.fixture
def boto3_clients(monkeypatch: pytest.MonkeyPatch) -> List[RegionalSecrets]:
    """Replaces ``boto3.client`` for secretsmanager, and empties the client module's shared
    clients, so each test sees which clients the token client creates and in which region."""
    import boto3

    from lwa_token_client import _client

    created: List[RegionalSecrets] = []

    def client(service: str, region_name: Optional[str] = None, **_: Any) -> RegionalSecrets:
        assert service == "secretsmanager"
        made = RegionalSecrets(region_name)
        created.append(made)
        return made

    monkeypatch.setattr(boto3, "client", client)
    monkeypatch.setattr(_client, "_shared_secrets", None)
    monkeypatch.setattr(_client, "_regional_secrets", {})
    monkeypatch.delenv("TOKEN_SECRET_REGIONS", raising=False)
    return created
