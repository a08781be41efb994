"""``TOKEN_SECRET_REGIONS``: which AWS region holds each SP-API region's token secrets.

Same rules and messages as the TypeScript client (lambda/client/secret-regions.ts); the shared
vectors in test/contract/secret-regions.json hold both to them.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import re
from collections.abc import Mapping as MappingABC
from typing import Any, Dict, Mapping, Optional, Tuple

from ._contract import REGIONS
from .errors import TokenClientConfigError, _describe

SECRET_REGIONS_ENV = "TOKEN_SECRET_REGIONS"
SECRET_REGIONS_OPTION = "secret_regions"

# ``xx-xxxx-N`` and its longer forms: us-east-1, ap-southeast-2, us-gov-west-1, eu-central-2.
_AWS_REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")


@dataclass(frozen=True)
class SecretRegions:
    #: ``TOKEN_SECRET_REGIONS`` or ``secret_regions``: where the map came from, for messages.
    setting: str
    #: SP-API region to AWS region.
    mapping: Mapping[str, str]
    #: The distinct AWS regions, in NA, EU, FE order.
    aws_regions: Tuple[str, ...]


def resolve_secret_regions(option: Optional[Mapping[str, Any]], env: Optional[str]) -> Optional[SecretRegions]:
    """The option when given (it wins), else the variable, else None: one client in boto3's
    default region, as before per-region stacks. Checked in full, so a bad value fails at
    construction rather than on some later read."""
    if option is not None:
        return _validate(SECRET_REGIONS_OPTION, option)
    raw = (env or "").strip()
    if not raw:
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        # The parser's message quotes the input, which is nobody's business in a log line.
        raise _not_a_map(SECRET_REGIONS_ENV, "it is not valid JSON") from None
    return _validate(SECRET_REGIONS_ENV, parsed)


def unmapped_region_error(regions: SecretRegions, region: str) -> TokenClientConfigError:
    """The refusal of a read for a region the map leaves out, naming what it does map."""
    setting = regions.setting
    mapped = ", ".join(f"{r} to {regions.mapping[r]}" for r in REGIONS if r in regions.mapping)
    if setting == SECRET_REGIONS_ENV:
        fix = (
            f"grant this function read access from the stack that serves {region} "
            f"(its grantReadTokens(fn) adds {region} to {SECRET_REGIONS_ENV})"
        )
    else:
        fix = (
            f"add {region} to secret_regions with the AWS region of the stack that serves it, "
            "and grant this function read access from that stack"
        )
    return TokenClientConfigError(setting, f"Region {region} is not in {setting}, which maps only {mapped}: {fix}.")


def _validate(setting: str, value: Any) -> SecretRegions:
    if not isinstance(value, MappingABC):
        raise _not_a_map(setting, f"it is {_kind_of(value)}")
    mapping: Dict[str, str] = {}
    for key, aws_region in value.items():
        if not (isinstance(key, str) and key in REGIONS):
            raise TokenClientConfigError(
                setting,
                f"{setting} maps {_describe(key)}, which is not an SP-API region: the keys must be "
                f"{', '.join(REGIONS)}.{_fix_hint(setting)}",
            )
        if not isinstance(aws_region, str) or _AWS_REGION_PATTERN.fullmatch(aws_region) is None:
            raise TokenClientConfigError(
                setting,
                f"{setting} maps {key} to {_describe(aws_region)}, which is not an AWS region name like "
                f"us-east-1.{_fix_hint(setting)}",
            )
        mapping[key] = aws_region
    aws_regions = tuple(dict.fromkeys(mapping[r] for r in REGIONS if r in mapping))
    if not aws_regions:
        raise _not_a_map(setting, "it maps no region")
    return SecretRegions(setting=setting, mapping=mapping, aws_regions=aws_regions)


def _not_a_map(setting: str, problem: str) -> TokenClientConfigError:
    return TokenClientConfigError(
        setting,
        f'{setting} must map SP-API regions to AWS regions, e.g. {{"NA":"us-east-1","EU":"eu-west-1"}}, '
        f"but {problem}.{_fix_hint(setting)}",
    )


def _fix_hint(setting: str) -> str:
    if setting == SECRET_REGIONS_ENV:
        return f" grantReadTokens(fn) of a per-region stack sets {SECRET_REGIONS_ENV}; fix or unset it."
    return " Fix the secret_regions option."


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an object"
