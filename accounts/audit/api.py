"""GET /api/v1/audit/: the audit log, as the caller's role may read it (accounts.audit.selectors).

Filters: `model` (e.g. `offers.terms`), `object_id`, `actor` (a user id), `action` (`create`,
`update`, `delete`), `since` and `until` (ISO 8601 date-times; `until` exclusive).
"""

from typing import Any

from auditlog.models import LogEntry
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.audit.registry import audited_labels
from accounts.audit.selectors import ACTIONS, audit_entries_visible_to, audit_entry_for
from core.errors import DomainError
from core.validation import whole_number


class AuditActorSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Null for staff, seen by partners.")
    username = serializers.CharField(allow_null=True)
    role = serializers.CharField(allow_null=True)


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    timestamp = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=sorted(ACTIONS))
    model = serializers.CharField()
    object_id = serializers.CharField()
    object_repr = serializers.CharField()
    actor = AuditActorSerializer(allow_null=True)
    remote_addr = serializers.CharField(allow_null=True)
    changes = serializers.DictField(help_text='{"field": [before, after]}, as text.')


def _filters(params: Any) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    found: dict[str, Any] = {}
    model = params.get("model")
    if model:
        if model.lower() not in audited_labels():
            errors["model"] = ["Not an audited model (e.g. offers.terms)."]
        found["model"] = model.lower()
    if params.get("object_id"):
        found["object_id"] = params["object_id"]
    actor = params.get("actor")
    if actor:
        actor_id = whole_number(actor)
        if actor_id is None:
            errors["actor"] = ["A user id."]
        else:
            found["actor_id"] = actor_id
    action = params.get("action")
    if action:
        if action not in ACTIONS:
            errors["action"] = ["One of " + ", ".join(sorted(ACTIONS)) + "."]
        found["action"] = action
    for name in ("since", "until"):
        raw = params.get(name)
        if raw:
            try:
                moment = parse_datetime(raw)
            except ValueError:
                moment = None
            if moment is None:
                errors[name] = ["An ISO 8601 date-time."]
            found[name] = moment
    if errors:
        raise DomainError("invalid_filter", "Bad audit log filter.", fields=errors)
    return found


class AuditLogView(GenericAPIView):
    serializer_class = AuditEntrySerializer
    queryset = LogEntry.objects.none()  # rows come from the selector; this names the model

    @extend_schema(
        parameters=[
            OpenApiParameter(name, str, description=name)
            for name in ("model", "object_id", "actor", "action", "since", "until")
        ],
        responses=AuditEntrySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        entries = audit_entries_visible_to(user=request.user, **_filters(request.query_params))
        page = self.paginate_queryset(entries)
        rows = [audit_entry_for(user=request.user, entry=entry) for entry in page]
        return self.get_paginated_response(AuditEntrySerializer(rows, many=True).data)
