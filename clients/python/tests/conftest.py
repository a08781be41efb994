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
