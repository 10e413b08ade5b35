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

import re
from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.errors import DomainError
from core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS, known_currencies

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


NOT_A_BOOLEAN = "Must be true or false."


def non_booleans_for_booleans_refuse(data: Any, fields: Mapping[str, serializers.Field]) -> None:
    """400 `invalid` naming each writable boolean field of a JSON body given anything but true or
    false: DRF reads 0, 1, "yes" or "on" as booleans, which the schema's `boolean` refuses
    (`make fuzz`: an offer created with deep_links_allowed 0). A form body (a QueryDict) holds
    only strings, so it is left to DRF's reading."""
    if not isinstance(data, Mapping) or isinstance(data, QueryDict):
        return
    refused = sorted(
        name
        for name, field in fields.items()
        if not field.read_only
        and isinstance(field, serializers.BooleanField)
        and name in data
        and not isinstance(data[name], bool)
        and not (data[name] is None and field.allow_null)
    )
    if refused:
        raise DomainError(
            "invalid",
            "Invalid input in: " + ", ".join(refused) + ".",
            fields={name: [NOT_A_BOOLEAN] for name in refused},
        )


def body_shape_refuse(data: Any, fields: Mapping[str, serializers.Field]) -> None:
    """What every request body's serializer refuses before DRF reads it: keys it does not declare
    writable, a number for a string, anything but true or false for a boolean."""
    writable = {name for name, field in fields.items() if not field.read_only}
    unknown_keys_refuse(data, writable)
    numbers_for_strings_refuse(data, fields)
    non_booleans_for_booleans_refuse(data, fields)


class StrictInputMixin:
    """For a request body's (model) serializer: keys it does not declare writable are refused."""

    fields: Any

    def to_internal_value(self, data: Any) -> Any:
        body_shape_refuse(data, self.fields)
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


# A request amount's decimal string, whole as the schema says it (the API reads nothing else):
# ASCII digits, at most AMOUNT_MAX_DIGITS - AMOUNT_DECIMAL_PLACES before the point and
# AMOUNT_DECIMAL_PLACES after it, a sign only where the amount may be negative. "" is refused,
# never read as null (DRF's DecimalField reads "" as None when null is allowed): JSON null is null.
_WHOLE, _PLACES = AMOUNT_MAX_DIGITS - AMOUNT_DECIMAL_PLACES, AMOUNT_DECIMAL_PLACES
_DIGITS = rf"[0-9]{{1,{_WHOLE}}}(\.[0-9]{{0,{_PLACES}}})?$"
_NOT_ZERO = r"(?![0.]*$)"  # some digit is not 0
AMOUNT_PATTERNS = {
    "signed": rf"^-?{_DIGITS}",
    "not_negative": rf"^{_DIGITS}",
    "positive": rf"^{_NOT_ZERO}{_DIGITS}",
    "not_zero": rf"^-?{_NOT_ZERO}{_DIGITS}",
}
AMOUNT_SAYS = {
    "signed": "",
    "not_negative": "Zero or more.",
    "positive": "More than zero.",
    "not_zero": "Signed, not zero.",
}


class AmountField(serializers.DecimalField):
    """A request body's amount: a decimal string matching `AMOUNT_PATTERNS[sign]`, which the
    schema states as the field's pattern (config/schema.py leaves it as it is)."""

    sign = "signed"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", AMOUNT_MAX_DIGITS)
        kwargs.setdefault("decimal_places", AMOUNT_DECIMAL_PLACES)
        said = " ".join(filter(None, [AMOUNT_SAYS[self.sign], kwargs.pop("help_text", "")]))
        if said:
            kwargs["help_text"] = said
        super().__init__(**kwargs)

    def validate_empty_values(self, data: Any) -> Any:
        # Only JSON null is null: "" and blanks are not an amount (and not "no amount").
        return serializers.Field.validate_empty_values(self, data)

    def to_internal_value(self, data: Any) -> Any:
        # re.search, as a JSON Schema validator reads a pattern (DRF strips the blanks it allows).
        if not isinstance(data, str) or not re.search(AMOUNT_PATTERNS[self.sign], data):
            self.fail("invalid")
        return super().to_internal_value(data)


def _amount_schema(sign: str) -> dict[str, Any]:
    return {"type": "string", "format": "decimal", "pattern": AMOUNT_PATTERNS[sign]}


@extend_schema_field(_amount_schema("signed"))
class SignedAmountField(AmountField):
    sign = "signed"


@extend_schema_field(_amount_schema("not_negative"))
class NotNegativeAmountField(AmountField):
    sign = "not_negative"


@extend_schema_field(_amount_schema("positive"))
class PositiveAmountField(AmountField):
    sign = "positive"


@extend_schema_field(_amount_schema("not_zero"))
class NotZeroAmountField(AmountField):
    sign = "not_zero"
