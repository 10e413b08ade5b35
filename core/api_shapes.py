"""Serializer pieces every app's API shares, so the OpenAPI schema says exactly what it does.

- Amounts go out as decimal strings in their currency's minor units ("7.00" USD, "150" JPY),
  never as JSON numbers: `MONEY_STRING` is how a field that writes one documents itself.
- A currency in a body is an ISO 4217 code the network knows (`CurrencyField`): the schema lists
  them, so "ABC" is refused by the schema before the API has to.
- A body key the serializer does not declare is refused with 400 `not_writable`, never
  silently dropped (`StrictInputSerializer`; `StrictInputMixin` for model serializers). The
  schema says the same with `additionalProperties: false` on every request body
  (config/schema.py), and tests/api/test_unknown_body_keys_are_refused.py keeps every request
  serializer strict.
- A body field the schema types as a string (text, a decimal amount or percent, a date) takes a
  JSON string: a JSON number or boolean there is refused with 400 `invalid` naming the field
  (`numbers_for_strings_refuse`), never read as its text. For money this is the point: a JSON
  number is a binary float to most clients ("0.1" is not 0.1), so amounts travel as decimal
  strings ("12.50"), as they are answered.
"""

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.errors import DomainError
from core.money import known_currencies

MONEY_STRING: dict[str, Any] = {
    "type": "string",
    "format": "decimal",
    "pattern": r"^-?[0-9]+(\.[0-9]+)?$",
    "description": "An amount in its currency's minor units, as a decimal string.",
}


def unknown_keys_refuse(data: Any, writable: set[str]) -> None:
    """400 `not_writable` naming each key of `data` outside `writable`."""
    if not isinstance(data, Mapping):
        return
    refused = sorted(str(name) for name in data if name not in writable)
    if refused:
        raise DomainError(
            "not_writable",
            "You may not set: " + ", ".join(refused) + ".",
            fields={name: ["You may not set this field."] for name in refused},
        )


# Fields the schema types as strings but DRF would also read from a JSON number (or boolean).
STRING_TYPED_FIELDS = (serializers.CharField, serializers.DecimalField)
NUMBER_FOR_STRING = (
    'Send this as a JSON string (an amount as a decimal string: "12.50"), not a number.'
)


def numbers_for_strings_refuse(data: Any, fields: Mapping[str, serializers.Field]) -> None:
    """400 `invalid` naming each writable string-typed field of `data` given a number or bool."""
    if not isinstance(data, Mapping):
        return
    refused = sorted(
        name
        for name, field in fields.items()
        if not field.read_only
        and isinstance(field, STRING_TYPED_FIELDS)
        and isinstance(data.get(name), bool | int | float)
    )
    if refused:
        raise DomainError(
            "invalid",
            "Invalid input in: " + ", ".join(refused) + ".",
            fields={name: [NUMBER_FOR_STRING] for name in refused},
        )


class StrictInputMixin:
    """For a request body's (model) serializer: keys it does not declare writable are refused."""

    fields: Any

    def to_internal_value(self, data: Any) -> Any:
        writable = {name for name, field in self.fields.items() if not field.read_only}
        unknown_keys_refuse(data, writable)
        numbers_for_strings_refuse(data, self.fields)
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictInputSerializer(StrictInputMixin, serializers.Serializer):
    """A request body: the fields it declares, nothing else."""


@extend_schema_field(
    {
        "type": "string",
        "enum": sorted(known_currencies()),
        "description": "An ISO 4217 currency code (upper case).",
    }
)
class CurrencyField(serializers.ChoiceField):
    """An ISO 4217 code the network knows, upper case as the schema lists it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=sorted(known_currencies()), **kwargs)
