"""Creatives of offers (offers/creatives.py): managers and the offer's advertiser write them, a
manager approves an advertiser's, publishers read the approved ones of offers they may run (and
get each one's code with their link through /api/v1/creative-codes/, tracking's)."""

from drf_spectacular.plumbing import list_hash
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import parsers, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_roles import ADVERTISER, MANAGER, RoleFieldsSerializer, ScopedViewSet
from core.api_fields import HttpUrlField, RequestRule
from core.api_shapes import StrictInputSerializer
from core.parsers import JSONParser
from offers import creative_services as services
from offers.creatives import Creative
from offers.selectors import offers_visible_to

EDITORS = frozenset({MANAGER, ADVERTISER})


# A plain string in the answer's schema, the choices in its description; an enum in the request's
# (`make fuzz`: "0" was schema-valid), named CreativeKindEnum (config/settings.py) beside the
# other fields named `kind` (terms, ledger entries, tax forms, invoice lines).
class CreativeKindField(RequestRule, serializers.CharField):
    # The choice set's id as drf-spectacular gives a ChoiceField's, so the name override applies.
    request_schema = {
        "enum": list(Creative.Kind.values),
        "x-spec-enum-id": list_hash(list(Creative.Kind.choices)),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "One of: " + ", ".join(Creative.Kind.values) + ".")
        super().__init__(**kwargs)

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
    # What offers.creative_services refuses in a banner's image URL, stated by the request schema.
    image_url = HttpUrlField(max_length=2000, required=False, allow_blank=True)
    # The columns' bounds (creative_size_bounded), said and kept here: a larger size was a
    # schema-valid body the database refused, answered as a duplicate name (`make fuzz`).
    width = serializers.IntegerField(min_value=1, max_value=10_000, required=False, allow_null=True)
    height = serializers.IntegerField(
        min_value=1, max_value=10_000, required=False, allow_null=True
    )
    image_file_url = serializers.SerializerMethodField(
        help_text="The uploaded banner image's absolute URL (it wins over image_url); empty if "
        "none. Upload with POST /api/v1/creatives/{id}/image/."
    )

    class Meta:
        model = Creative
        fields = [
            "id",
            "offer",
            "name",
            "kind",
            "image_url",
            "image_file_url",
            "image_content_type",
            "image_bytes",
            "text",
            "html",
            "width",
            "height",
            "is_active",
            "approved",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "approved",
            "created_at",
            "updated_at",
            "image_content_type",
            "image_bytes",
        ]
        validators: list = []

    def get_image_file_url(self, creative: Creative) -> str:
        return services.creative_image_src(creative) if creative.image_file else ""


class CreativeImageUploadSerializer(StrictInputSerializer):
    image = serializers.FileField(
        help_text="PNG, JPEG, GIF or WebP (judged by its bytes; SVG refused), at most "
        "CREATIVE_IMAGE_MAX_BYTES; its width and height are recorded."
    )


class CreativeViewSet(ScopedViewSet):
    """Banners, text links and HTML snippets (sanitised on save) of an offer."""

    selector = services.creatives_visible_to
    serializer_class = CreativeSerializer
    filterset_fields = ["offer", "kind", "is_active", "approved"]
    ordering_fields = ["id", "name"]
    create_roles = update_roles = delete_roles = EDITORS
    # JSON only (core/parsers.py's limits); the image route alone takes multipart/form-data.
    parser_classes = [JSONParser]

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

    @extend_schema(
        request={"multipart/form-data": CreativeImageUploadSerializer},
        responses={
            200: CreativeSerializer,
            415: OpenApiResponse(description="The body is not multipart/form-data."),
        },
    )
    @action(
        detail=True, methods=["post"], url_path="image", parser_classes=[parsers.MultiPartParser]
    )
    def image(self, request: Request, pk: str | None = None) -> Response:
        """Upload a banner's image (multipart/form-data, the only body this route takes; the
        rest of the API reads JSON). Managers, and the offer's own advertiser, whose upload
        waits for a manager's approval again. Stored through Django's storage API under a
        random name and served at MEDIA_URL; type, byte size and pixel size recorded."""
        data = CreativeImageUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        creative = services.creative_image_upload(
            creative=self.get_object(), upload=data.validated_data["image"], actor=request.user
        )
        return Response(CreativeSerializer(creative, context={"request": request}).data)
