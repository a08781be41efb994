"""``TOKEN_SECRET_REGIONS``: which AWS region holds each SP-API region's token secrets.

Same rules and messages as the TypeScript client (lambda/client/secret-regions.ts); the shared
vectors in test/contract/secret-regions.json hold both to them.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import re
from collections.abc import Mapping as MappingABC
from typing import Any, Dict, Mapping, Optional

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
    #: How many distinct AWS regions (stacks) the map names.
    aws_region_count: int


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
    mapped = ", ".join(f"{r}: {regions.mapping[r]}" for r in REGIONS if r in regions.mapping)
    return TokenClientConfigError(
        regions.setting,
        f"Region {region} is not in {regions.setting} ({mapped}): grant this function read access from the "
        f"stack serving {region}.",
    )


def _validate(setting: str, value: Any) -> SecretRegions:
    if not isinstance(value, MappingABC):
        raise _not_a_map(setting, "it is not a JSON object")
    mapping: Dict[str, str] = {}
    for key, aws_region in value.items():
        if not (isinstance(key, str) and key in REGIONS):
            raise _not_a_map(setting, f"it maps {_describe(key)}, not NA, EU or FE")
        if not isinstance(aws_region, str) or _AWS_REGION_PATTERN.fullmatch(aws_region) is None:
            raise _not_a_map(setting, f"it maps {key} to {_describe(aws_region)}, not an AWS region")
        mapping[key] = aws_region
    aws_region_count = len(set(mapping.values()))
    if aws_region_count == 0:
        raise _not_a_map(setting, "it maps no region")
    return SecretRegions(setting=setting, mapping=mapping, aws_region_count=aws_region_count)


def _not_a_map(setting: str, problem: str) -> TokenClientConfigError:
    fix = "Fix or unset it" if setting == SECRET_REGIONS_ENV else "Fix the option"
    return TokenClientConfigError(
        setting,
        f'{setting} must map SP-API regions to AWS regions, e.g. {{"NA":"us-east-1"}}, but {problem}. {fix}.',
    )
