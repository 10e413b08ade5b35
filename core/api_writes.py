"""The shape every write on a guarded collection takes: refuse who may not read it, validate the
body, call one service, answer.

A collection's selector (a view set's `get_queryset`, e.g. billing.selectors.payments_for)
answers 403 to a role that may not read it. A write is checked against it first, before the body
is read, so a publisher posting garbage to /invoice-payments/ learns 403, not which fields are
wrong; the service then asks the money policy (accounts/policy.py) whether this user may do
this write. Building the queryset runs no query: only the role check happens.
"""

from typing import Any

from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response


def body_validated(request: Request, serializer_class: type[serializers.Serializer]) -> Any:
    """The request body, validated by `serializer_class` (400 with every problem otherwise)."""
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


class GuardedWriteViewSet(viewsets.GenericViewSet):
    """A view set whose collection's readers are checked before each write."""

    def readers_only(self) -> None:
        """403 to whom the view set's selector refuses (the role check, explicit)."""
        self.get_queryset()

    def write_body(self, request: Request, serializer_class: type[serializers.Serializer]) -> Any:
        """Role first, then the body: the validated data of a write."""
        self.readers_only()
        return body_validated(request, serializer_class)

    @staticmethod
    def created(body: Any) -> Response:
        return Response(body, status=status.HTTP_201_CREATED)
