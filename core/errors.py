"""One domain error type and the one DRF handler that turns every 4xx into the same JSON shape:

{"error": {"code": "...", "message": "...", "fields": {"field": ["..."]}}}
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.parsers import BodyTooLarge, InvalidCharacters


class DomainError(Exception):
    """Raised by services when a request breaks a business rule. Nothing has been written."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status_code is not None:
            self.status_code = status_code

    @classmethod
    def for_field(cls, field: str, code: str, message: str) -> "DomainError":
        return cls(code, message, fields={field: [message]})


class NotFoundError(DomainError):
    status_code = status.HTTP_404_NOT_FOUND


class ForbiddenError(DomainError):
    status_code = status.HTTP_403_FORBIDDEN


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {key: _flatten_list(value) for key, value in detail.items()}
    return {"non_field_errors": _flatten_list(detail)}


def _flatten_list(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _flatten_list(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [
            _flatten_list(item) if isinstance(item, dict | list) else str(item) for item in value
        ]
    return [str(value)]


def _validation_message(fields: dict[str, Any]) -> str:
    names = [name for name in fields if name != "non_field_errors"]
    if names:
        return "Invalid input in: " + ", ".join(sorted(names)) + "."
    first = fields.get("non_field_errors") or ["Invalid input."]
    return str(first[0]) if isinstance(first, list) else str(first)


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    if isinstance(exc, RequestDataTooBig):
        exc = BodyTooLarge()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        code = exc.default_code if isinstance(exc, InvalidCharacters) else "invalid"
        response.data = error_body(code, _validation_message(fields), fields)
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = error_body(str(code), str(exc.detail))
    return response
