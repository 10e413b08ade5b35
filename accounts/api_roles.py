"""Role-aware API plumbing: which fields a role may write, and viewsets scoped by a selector.

Two promises live here, for every endpoint that uses these classes:
- Mass assignment is refused, not ignored: a request body naming a field the caller's role may
  not set (status, payouts, hold_days...) is a 400 naming those fields, and nothing is written.
- Rows come only from the endpoint's selector, called with the user, so a foreign row is absent:
  its detail, update or delete answers 404 like a missing id. Role checks (403) come after.
"""

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.db import models
from django.db.models import ProtectedError, QuerySet
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from accounts.selectors import user_role
from core.api_shapes import body_shape_refuse
from core.errors import DomainError, ForbiddenError

MANAGER = "manager"
FINANCE = "finance"
ADVERTISER = "advertiser"
PUBLISHER = "publisher"
STAFF = frozenset({MANAGER, FINANCE})
UPDATES = frozenset({"PUT", "PATCH"})


class RoleFieldsSerializer(serializers.ModelSerializer):
    """A model serializer whose writable fields depend on the caller's role.

    `writable_by_role` maps a role to the fields it may send; every other field is read-only for
    it, and sending it is refused. `create_only` fields may be sent on create, not on update.
    `scoped_querysets` narrows related-field choices to rows the caller can see (so an id of a
    foreign row is "does not exist", the same answer as a missing one).
    Without a request (schema generation) the manager's shape is described.
    """

    writable_by_role: ClassVar[Mapping[str, frozenset[str]]] = {}
    create_only: ClassVar[frozenset[str]] = frozenset()
    scoped_querysets: ClassVar[Mapping[str, Callable[..., QuerySet]]] = {}

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        # URLs are checked by the services (http(s) only, known macros), not Django's validator,
        # which rejects macros in some places and names the rule differently.
        models.URLField: serializers.CharField,
    }

    def _role(self) -> str:
        request = self.context.get("request")
        return user_role(getattr(request, "user", None)) or MANAGER

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        writable = self.writable_by_role.get(self._role(), frozenset())
        request = self.context.get("request")
        # An update (or the schema of one: drf-spectacular's request carries the operation's
        # method, with no instance) may not send a create-only field, so it is read-only there.
        updating = self.instance is not None or getattr(request, "method", "") in UPDATES
        for name, field in fields.items():
            if name not in writable or (updating and name in self.create_only):
                field.read_only = True
                field.required = False
            elif name in self.scoped_querysets and user_role(getattr(request, "user", None)):
                field.queryset = self.scoped_querysets[name](user=request.user)
        return fields

    def to_internal_value(self, data: Any) -> Any:
        body_shape_refuse(data, self.fields)
        return super().to_internal_value(data)


class ScopedViewSet(viewsets.ModelViewSet):
    """CRUD over `selector(user=...)`, with the roles allowed to create, update and delete.

    Subclasses implement `perform_create` / `perform_update` by calling one service and
    setting `serializer.instance`.
    """

    selector: ClassVar[Callable[..., QuerySet]]
    create_roles: ClassVar[frozenset[str]] = frozenset({MANAGER})
    update_roles: ClassVar[frozenset[str]] = frozenset({MANAGER})
    delete_roles: ClassVar[frozenset[str]] = frozenset()
    http_method_names: ClassVar[list[str]] = ["get", "post", "put", "patch", "delete", "head"]

    @property
    def role(self) -> str | None:
        return user_role(self.request.user)

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return self.get_serializer_class().Meta.model.objects.none()
        return type(self).selector(user=self.request.user)

    def role_require(self, roles: frozenset[str], action: str) -> None:
        if self.role not in roles:
            raise ForbiddenError("forbidden", f"Your role may not {action} here.")

    def create(self, request, *args, **kwargs):
        self.role_require(self.create_roles, "create")
        return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        self.get_object()  # 404 for a foreign row before any role check
        self.role_require(self.update_roles, "update")
        return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        self.role_require(self.delete_roles, "delete")
        try:
            self.perform_destroy(instance)
        except ProtectedError:
            raise DomainError(
                "in_use", "Other rows depend on this one; it cannot be deleted.", status_code=409
            ) from None
        return Response(status=204)
