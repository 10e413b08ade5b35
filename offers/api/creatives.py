"""Creatives of offers (offers/creatives.py): managers and the offer's advertiser write them, a
manager approves an advertiser's, publishers read the approved ones of offers they may run (and
get each one's code with their link through /api/v1/creative-codes/, tracking's)."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_roles import ADVERTISER, MANAGER, RoleFieldsSerializer, ScopedViewSet
from offers import creative_services as services
from offers.creatives import Creative
from offers.selectors import offers_visible_to

EDITORS = frozenset({MANAGER, ADVERTISER})


# A plain string in the schema, the choices in its description: an enum component would collide
# with the other fields named `kind` (terms, ledger entries, tax forms, invoice lines), which
# drf-spectacular can only rename with a settings entry.
@extend_schema_field(
    {"type": "string", "description": "One of: " + ", ".join(Creative.Kind.values) + "."}
)
class CreativeKindField(serializers.CharField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value not in Creative.Kind.values:
            raise serializers.ValidationError(f"One of {', '.join(Creative.Kind.values)}.")
        return value


class CreativeSerializer(RoleFieldsSerializer):
    _editable = frozenset(
        {"offer", "name", "kind", "image_url", "text", "html", "width", "height", "is_active"}
    )
    writable_by_role = {MANAGER: _editable, ADVERTISER: _editable}
    create_only = frozenset({"offer"})
    scoped_querysets = {"offer": offers_visible_to}
    kind = CreativeKindField()

    class Meta:
        model = Creative
        fields = [
            "id",
            "offer",
            "name",
            "kind",
            "image_url",
            "text",
            "html",
            "width",
            "height",
            "is_active",
            "approved",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["approved", "created_at", "updated_at"]
        validators: list = []


class CreativeViewSet(ScopedViewSet):
    """Banners, text links and HTML snippets (sanitised on save) of an offer."""

    selector = services.creatives_visible_to
    serializer_class = CreativeSerializer
    filterset_fields = ["offer", "kind", "is_active", "approved"]
    ordering_fields = ["id", "name"]
    create_roles = update_roles = delete_roles = EDITORS

    def perform_create(self, serializer):
        serializer.instance = services.creative_save(
            creative=Creative(), fields=serializer.validated_data, actor=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = services.creative_save(
            creative=serializer.instance, fields=serializer.validated_data, actor=self.request.user
        )

    @extend_schema(request=None, responses=CreativeSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """A manager approves the creative: publishers see it, and clicks naming it count."""
        creative = services.creative_approve(creative=self.get_object(), actor=request.user)
        return Response(CreativeSerializer(creative, context={"request": request}).data)
