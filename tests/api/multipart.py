"""A multipart body's file parts, sent as files by schemathesis."""

from typing import Any

COMPONENT = "#/components/schemas/"


def multipart_bodies_inlined(raw: dict[str, Any]) -> None:
    """Each multipart/form-data request body of `raw` given its component's schema in place of
    the `$ref` (a copy, for the fuzz run only): schemathesis reads a part's `format: binary` from
    the body's own `properties` and does not follow the `$ref`, so a file field (a tax form's
    `document`) went out as a plain form field, which the API rightly refuses ("not a file")."""
    components = raw.get("components", {}).get("schemas", {})
    for path_item in raw.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            media = content.get("multipart/form-data")
            reference = (media or {}).get("schema", {}).get("$ref", "")
            if reference.startswith(COMPONENT):
                media["schema"] = dict(components[reference.removeprefix(COMPONENT)])
