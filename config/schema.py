"""The error answers every API operation can give, written into the OpenAPI schema in one place.

Views describe their successes; this postprocessing hook (SPECTACULAR_SETTINGS) adds the 4xx
each operation can answer, all with the one error body of core/errors.py, so a client
generated from the schema knows every status it may receive:

- 400 everywhere: any query parameter may carry NUL or a lone surrogate (`invalid_characters`),
  a number beyond its column or a date out of range (`invalid`); a body may be malformed.
- 401 everywhere: no key, or a revoked or unknown one.
- 403 everywhere: the caller's role may not do this (or the money policy refuses it).
- 404 where a path names a row (a missing or foreign one), or a query pages (past the end) or
  names a row the caller cannot see (reports, payouts).
- 409 on every write: the row's state or a uniqueness rule refuses it.
- 413 where there is a request body: larger than API_MAX_BODY_BYTES.
- 429 everywhere: the per-key rate limit (config/throttling.py).

tests/api/test_schemathesis.py fails on any status an operation answers that is not listed.

A third hook (`decimals_need_a_digit`) tightens drf-spectacular's pattern for decimal strings,
which lets "", "-" and "." through (and any script's digits): the API refuses those, so the
schema must not offer them as valid.

A second hook closes every request body (`additionalProperties: false`): the API refuses a key
a body's serializer does not declare with 400 `not_writable` (core/api_shapes.py,
accounts/api_roles.py), so the schema says so, and a generated client or fuzzer never sends one
as if it were valid.
"""

import re
from typing import Any

from drf_spectacular.openapi import AutoSchema

ERROR_COMPONENT = "ErrorBody"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every 4xx answer. `fields` names each refused input with its reasons.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Stable, machine-readable reason."},
                "message": {"type": "string", "description": "What was wrong, for a person."},
                "fields": {
                    "type": "object",
                    "description": "Input name -> list of reasons (nested for nested input).",
                    "additionalProperties": {},
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}

DESCRIPTIONS = {
    "400": "Malformed input: a field, a query parameter or the body is refused (see `fields`).",
    "401": "No API key, or an unknown, revoked or inactive one.",
    "403": "The caller's role may not do this.",
    "404": "No such row among those the caller may see, or a page past the end.",
    "409": "The row's current state (or a uniqueness rule) refuses this change.",
    "413": "The request body is larger than the API accepts.",
    "429": "Too many requests for this key; retry after the `Retry-After` seconds.",
}

WRITES = frozenset({"post", "put", "patch", "delete"})
METHODS = frozenset({"get", "head", "post", "put", "patch", "delete", "options", "trace"})


def error_statuses(method: str, operation: dict[str, Any]) -> list[str]:
    """The error statuses `operation` can answer, from what it declares (path, paging, body)."""
    parameters = operation.get("parameters", [])
    statuses = ["400", "401", "403", "429"]
    names_a_row = any(parameter.get("in") == "path" for parameter in parameters)
    # A query parameter pages (a page past the end) or filters by a row the caller cannot see.
    queried = any(parameter.get("in") == "query" for parameter in parameters)
    if names_a_row or queried:
        statuses.append("404")
    if method in WRITES:
        statuses.append("409")
    if "requestBody" in operation:
        statuses.append("413")
    return sorted(statuses)


# What ApiInputGuardMiddleware refuses in any query or path value (a 400 `invalid_characters`),
# said by the schema too: a free string parameter carries no NUL (found by `make fuzz`).
NO_NUL = "^[^\\x00]*$"


def _strings_without_nul(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        target = schema.get("items", schema) if schema.get("type") == "array" else schema
        free = not ({"pattern", "enum", "format"} & set(target))
        if parameter.get("in") in ("query", "path") and target.get("type") == "string" and free:
            target["pattern"] = NO_NUL


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation lists its error answers, and its
    free string parameters say they carry no NUL (the 400 `invalid_characters`)."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            _strings_without_nul(operation)
            responses = operation.setdefault("responses", {})
            for status in error_statuses(method, operation):
                responses.setdefault(
                    status,
                    {
                        "description": DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result


def _body_strings_without_nul(body: dict[str, Any]) -> None:
    # core.parsers.JSONParser refuses NUL anywhere in a body (400 `invalid_characters`).
    for prop in body.get("properties", {}).values():
        target = prop.get("items", prop) if prop.get("type") == "array" else prop
        free = not ({"pattern", "enum", "format", "$ref"} & set(target))
        if target.get("type") == "string" and free and not prop.get("readOnly"):
            target["pattern"] = NO_NUL


def close_request_bodies(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: no request body takes keys it does not declare, and
    its free strings carry no NUL."""
    components = result.get("components", {}).get("schemas", {})
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            for media in operation.get("requestBody", {}).get("content", {}).values():
                body = media.get("schema", {})
                reference = body.get("$ref", "")
                if reference.startswith("#/components/schemas/"):
                    body = components.get(reference.rsplit("/", 1)[-1], {})
                # Only a serializer's declared fields: a free-form object stays open.
                if body.get("type") == "object" and "properties" in body:
                    body["additionalProperties"] = False
                    _body_strings_without_nul(body)
    return result


# drf-spectacular's DecimalField pattern: ^-?\d{0,W}(?:\.\d{0,F})?$ (W whole digits, F places).
SPECTACULAR_DECIMAL = re.compile(r"^\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$$")


def _tighten_decimals(node: Any) -> None:
    if isinstance(node, dict):
        found = SPECTACULAR_DECIMAL.match(str(node.get("pattern", "")))
        if node.get("format") == "decimal" and found:
            whole, places = found.groups()
            # At least one ASCII digit before the point ("1", "1.", "1.5"), as Decimal() reads.
            node["pattern"] = rf"^-?[0-9]{{1,{whole}}}(\.[0-9]{{0,{places}}})?$"
        for value in node.values():
            _tighten_decimals(value)
    elif isinstance(node, list):
        for value in node:
            _tighten_decimals(value)


DECIMAL_IN_A_BODY = 'A decimal string ("12.50"): a JSON number is refused (400 invalid).'


def _say_decimals_are_strings(components: dict[str, Any]) -> None:
    """Each decimal of a request body says it is read from a string only (core.api_shapes:
    numbers_for_strings_refuse), before what its own help text says."""
    for name, component in components.items():
        if not name.endswith("Request"):
            continue
        for prop in component.get("properties", {}).values():
            if prop.get("format") == "decimal" and not prop.get("readOnly"):
                said = prop.get("description", "")
                prop["description"] = f"{DECIMAL_IN_A_BODY} {said}".strip()


def decimals_need_a_digit(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: a decimal string has at least one digit, and a
    request body's decimal says a JSON number is refused."""
    _tighten_decimals(result)
    _say_decimals_are_strings(result.get("components", {}).get("schemas", {}))
    return result


class UpdateBodiesOwnTheirName(AutoSchema):
    """DEFAULT_SCHEMA_CLASS: a PUT/PATCH body of a serializer with `create_only` fields
    (accounts.api_roles.RoleFieldsSerializer: offer, goal, advertiser... fixed once created) is
    its own component (`GoalUpdateRequest`, `PatchedGoalUpdateRequest`) without them, since the
    API refuses them there (400 `not_writable`); the create body keeps them."""

    def get_serializer_name(self, serializer, direction) -> str:
        name = super().get_serializer_name(serializer, direction)
        updating = self.method.upper() in ("PUT", "PATCH")
        if direction == "request" and updating and getattr(serializer, "create_only", None):
            return f"{name.removesuffix('Serializer')}Update"
        return name


def required_for_the_callers_role(
    result: dict[str, Any], generator, request, public
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: a parameter required for some roles only (its
    `x-required-for-roles`, e.g. staff's `?publisher=` on payouts/) is `required` in the schema
    served to those roles; each role is served its own schema (the public one keeps it optional).
    A parameter whose values depend on the role (its `x-schema-for-roles`, e.g. the dimensions
    an advertiser may group a report by: no sub ids) has that role's schema in the schema served
    to it (the public one keeps the widest, a manager's), and a body field marked
    `x-required-for-roles` is required in the component served to those roles."""
    role = getattr(getattr(request, "user", None), "role", None)
    if not role:
        return result
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if role in parameter.get("x-required-for-roles", ()):
                    parameter["required"] = True
                if role in parameter.get("x-schema-for-roles", {}):
                    parameter["schema"] = dict(parameter["x-schema-for-roles"][role])
    # A body field required for some roles only (its `x-required-for-roles`, e.g. finance names
    # the publisher of a tax form it uploads) is required in that role's request component.
    # A field an answer leaves out for some roles (its `x-hidden-from-roles`, e.g. an impression
    # report's payout_change for advertisers) is not in the component served to those roles.
    for component in result.get("components", {}).get("schemas", {}).values():
        for name, prop in list(component.get("properties", {}).items()):
            required = component.get("required", [])
            if role in prop.get("x-required-for-roles", ()) and name not in required:
                component["required"] = [*required, name]
            if role in prop.get("x-hidden-from-roles", ()):
                del component["properties"][name]
                kept = [other for other in required if other != name]
                if kept:
                    component["required"] = kept
                else:
                    component.pop("required", None)
    return result
