"""Validation of request bodies against Discord's own OpenAPI description (spec/, MIT licensed).

`SpecValidator.validate(method, path, body)` finds the operation whose path template matches
(literal segments win over parameters: `/messages/@original` before `/messages/{message_id}`),
takes its `application/json` request schema and validates with jsonschema Draft 2020-12, the
spec registered with `referencing` so `$ref`s into `components` resolve. On failure it reports the
deepest error of `best_match` (the top-level error of an anyOf only says "is not valid under any
of the given schemas", which tells nobody anything).
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).parent / "spec" / "discord-openapi.json"
SPEC_URI = "urn:discord-openapi"
API_PREFIX = re.compile(r"^/api/v\d+")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    literal_segments: int
    has_body: bool


class SpecValidator:
    """Matches request paths to operations and validates JSON bodies against their schemas."""

    def __init__(self, spec_path: Path = SPEC_PATH) -> None:
        self.spec: dict[str, Any] = json.loads(spec_path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(self.spec, default_specification=DRAFT202012)
        self.registry: Registry = Registry().with_resource(SPEC_URI, resource)
        self.operations: list[Operation] = []
        for template, item in self.spec["paths"].items():
            segments = template.strip("/").split("/")
            regex = "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in segments)
            literal = sum(not s.startswith("{") for s in segments)
            for method, op in item.items():
                if method == "parameters":
                    continue
                has_body = "application/json" in op.get("requestBody", {}).get("content", {})
                self.operations.append(
                    Operation(method.upper(), template, re.compile(f"^/{regex}$"), literal, has_body)
                )
        # most literal segments first, so "@original" beats "{message_id}"
        self.operations.sort(key=lambda o: -o.literal_segments)

    def operation(self, method: str, path: str) -> Operation | None:
        path = API_PREFIX.sub("", path)
        for op in self.operations:
            if op.method == method.upper() and op.pattern.match(path):
                return op
        return None

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one validator object lives for the session
    def _validator(self, method: str, template: str) -> jsonschema.protocols.Validator:
        pointer = "/".join(
            p.replace("~", "~0").replace("/", "~1")
            for p in (
                "paths",
                template,
                method.lower(),
                "requestBody",
                "content",
                "application/json",
                "schema",
            )
        )
        schema = {"$ref": f"{SPEC_URI}#/{pointer}"}
        return jsonschema.Draft202012Validator(schema, registry=self.registry)

    def validate_schema(self, schema_name: str, body: Any) -> str | None:
        """Validate against one named schema of components (e.g. a callback's own type)."""
        schema = {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}
        validator = jsonschema.Draft202012Validator(schema, registry=self.registry)
        return describe(validator, body)

    def validate(self, method: str, path: str, body: Any) -> str | None:
        """None when valid; otherwise one line naming the operation and the deepest error."""
        op = self.operation(method, path)
        if op is None:
            return f"{method} {path}: no such operation in Discord's API description"
        if not op.has_body:
            if body is not None:
                return f"{method} {op.template}: sent a body, but the operation takes none"
            return None
        problem = describe(self._validator(op.method, op.template), body)
        return f"{method} {op.template}: {problem}" if problem else None


def _is_discriminator_miss(error: ValidationError) -> bool:
    """An alternative of an anyOf rejected only for its `type` tag: the body is not that kind."""
    return list(error.relative_path) == ["type"] and error.validator in ("enum", "const")


def deepest(error: ValidationError) -> ValidationError:
    """Follow best_match down through anyOf/oneOf contexts to the most specific error.

    Alternatives whose `type` tag does not match the body are dropped first: a message callback
    (type 4) should be judged by the message schema, not by the autocomplete one (type 8).
    """
    while error.context:
        by_alternative: dict[Any, list[ValidationError]] = defaultdict(list)
        for sub in error.context:
            by_alternative[sub.relative_schema_path[0] if sub.relative_schema_path else None].append(sub)
        relevant = [
            sub for subs in by_alternative.values() if not any(_is_discriminator_miss(s) for s in subs) for sub in subs
        ]
        error = best_match(relevant or error.context)
    return error


def describe(validator: jsonschema.protocols.Validator, body: Any) -> str | None:
    error = best_match(validator.iter_errors(body))
    if error is None:
        return None
    error = deepest(error)
    where = "/".join(str(p) for p in error.absolute_path) or "(body)"
    value = repr(error.validator_value)[:80]
    return f"at {where}: {error.validator} {value} failed: {error.message[:160]}"


@functools.cache
def spec_validator() -> SpecValidator:
    return SpecValidator()
