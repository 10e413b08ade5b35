"""The API's JSON parser: a size limit, a depth limit, and only text PostgreSQL can store.

Kept apart from core/api.py and free of core.errors: DRF imports parser classes while it
builds APIView, which core.errors imports, so this module may only lean on DRF's leaves.
"""

import codecs
from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers, status
from rest_framework.utils import json

NUL = "\x00"


class InvalidCharacters(exceptions.ValidationError):
    """NUL or a lone surrogate in input: text PostgreSQL cannot store."""

    default_code = "invalid_characters"


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"
    default_detail = "The request body is too large."


def body_too_large_message() -> str:
    return f"The request body is larger than {settings.API_MAX_BODY_BYTES} bytes."


def bad_characters(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None: NUL, or a lone UTF-16 surrogate."""
    if NUL in value:
        return "NUL characters are not allowed."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Unpaired surrogate characters are not allowed."
    return None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size limit, a depth limit and text PostgreSQL can store."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parsers.get_encoding(parser_context)
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise BodyTooLarge(body_too_large_message())
        try:
            text = codecs.decode(raw, encoding)
            parse_constant = json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        check_json(data, max_depth=settings.API_MAX_JSON_DEPTH)
        return data


def check_json(data: Any, *, max_depth: int) -> None:
    """Walks `data` without recursion: refuses deep nesting and unstorable strings, by path."""
    fields: dict[str, list[str]] = {}
    pending: list[tuple[Any, str, int]] = [(data, "", 0)]
    while pending:
        value, path, depth = pending.pop()
        if depth > max_depth:
            raise exceptions.ParseError(
                f"JSON parse error - nested deeper than {max_depth} levels."
            )
        if isinstance(value, str):
            reason = bad_characters(value)
            if reason:
                fields.setdefault(path or "non_field_errors", [reason])
        elif isinstance(value, dict):
            for key, inner in value.items():
                name = f"{path}.{key}" if path else str(key)
                reason = bad_characters(key)
                if reason:
                    name = name.replace(NUL, "\\x00").encode("utf-8", "replace").decode()
                    fields.setdefault(name, [reason])
                    continue
                pending.append((inner, name, depth + 1))
        elif isinstance(value, list):
            pending.extend((inner, f"{path}[{i}]", depth + 1) for i, inner in enumerate(value))
    if fields:
        # Named by the top-level field, as serializers name their errors.
        top = {name.split(".")[0].split("[")[0] or name: why for name, why in fields.items()}
        raise InvalidCharacters(top)
