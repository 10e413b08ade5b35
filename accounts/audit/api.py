"""GET /api/v1/audit/: the audit log, as the caller's role may read it (accounts.audit.selectors).

Filters: `model` (e.g. `offers.terms`), `object_id`, `actor` (a user id), `action` (`create`,
`update`, `delete`), `since` and `until` (RFC 3339 date-times; `until` exclusive). An empty
`model`, `object_id` or `action` is no filter; an empty `actor`, `since` or `until` is refused.
"""

from datetime import datetime
from typing import Any

from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.audit.registry import audited_labels
from accounts.audit.selectors import ACTIONS, audit_entries_visible_to, audit_entry_for
from core.api import rfc3339_normalized, validate_in_date_range
from core.errors import DomainError
from core.validation import BIGINT_MAX, whole_number


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


# What `_filters` reads, as the schema says it (`make fuzz` sent `action=network` as valid):
# an empty model, object id or action is no filter; an actor and a moment have their type.
AUDIT_PARAMETERS = [
    ("model", {"type": "string", "enum": ["", *audited_labels()]}, "An audited model"),
    ("object_id", str, "The row's id, as text"),
    ("actor", {"type": "integer", "minimum": 0, "maximum": BIGINT_MAX}, "A user id"),
    ("action", {"type": "string", "enum": ["", *sorted(ACTIONS)]}, "What was done"),
    ("since", {"type": "string", "format": "date-time"}, "From this moment (RFC 3339)"),
    ("until", {"type": "string", "format": "date-time"}, "Before this moment (RFC 3339)"),
]


def _moment(raw: str) -> datetime | None:
    spelled = rfc3339_normalized(raw)
    if spelled is None:
        return None
    try:
        moment = datetime.fromisoformat(spelled)
        validate_in_date_range(moment)
    except (ValueError, ValidationError):
        return None
    return moment


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
    if actor is not None:
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
        if raw is not None:
            moment = _moment(raw)
            if moment is None:
                errors[name] = ["An RFC 3339 date-time with its offset, e.g. 2026-01-31T00:00:00Z."]
            found[name] = moment
    if errors:
        raise DomainError("invalid_filter", "Bad audit log filter.", fields=errors)
    return found


class AuditLogView(GenericAPIView):
    serializer_class = AuditEntrySerializer
    queryset = LogEntry.objects.none()  # rows come from the selector; this names the model

    @extend_schema(
        parameters=[
            OpenApiParameter(name, schema, description=description)
            for name, schema, description in AUDIT_PARAMETERS
        ],
        responses=AuditEntrySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        entries = audit_entries_visible_to(user=request.user, **_filters(request.query_params))
        page = self.paginate_queryset(entries)
        rows = [audit_entry_for(user=request.user, entry=entry) for entry in page]
        return self.get_paginated_response(AuditEntrySerializer(rows, many=True).data)
