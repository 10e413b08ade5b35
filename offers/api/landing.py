"""Landing variants and finer targeting of offers (offers/landing.py): managers and the offer's
advertiser edit them; the redirect sees a change within CLICK_LINK_CACHE_SECONDS."""

from zoneinfo import available_timezones

from rest_framework import serializers

from accounts.api_roles import ADVERTISER, MANAGER, RoleFieldsSerializer, ScopedViewSet
from core.api_fields import HttpUrlField, with_request_rule
from core.macros import CLICK_MACROS
from offers import landing_services as services
from offers.landing import LandingVariant, OfferTargeting
from offers.selectors import offers_visible_to

EDITORS = frozenset({MANAGER, ADVERTISER})


class LandingVariantSerializer(RoleFieldsSerializer):
    _editable = frozenset({"offer", "name", "url", "weight", "is_active"})
    writable_by_role = {MANAGER: _editable, ADVERTISER: _editable}
    create_only = frozenset({"offer"})
    scoped_querysets = {"offer": offers_visible_to}
    # What offers.landing_services refuses (bad_url, unknown_macro), stated by the request schema.
    url = HttpUrlField(macros=CLICK_MACROS, max_length=2000)
    # The column's bound (landing_variant_weight_bounded), said and kept here: a larger weight
    # was a schema-valid body the database refused, answered as a duplicate name (`make fuzz`).
    weight = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)

    class Meta:
        model = LandingVariant
        fields = ["id", "offer", "name", "url", "weight", "is_active", "created_at"]
        validators: list = []


class OfferTargetingSerializer(RoleFieldsSerializer):
    _editable = frozenset(
        {
            "offer",
            "oses",
            "browsers",
            "languages",
            "regions",
            "time_zone",
            "hours",
            "starts_at",
            "ends_at",
        }
    )
    writable_by_role = {MANAGER: _editable, ADVERTISER: _editable}
    create_only = frozenset({"offer"})
    scoped_querysets = {"offer": offers_visible_to}
    # What offers.landing_services.offer_targeting_check refuses, stated by the request schema
    # (`make fuzz`); that the end comes after the start it cannot say.
    oses = with_request_rule(
        serializers.ListField(child=serializers.CharField(max_length=32), required=False),
        {"items": {"type": "string", "enum": sorted(services.OSES)}},
    )
    browsers = with_request_rule(
        serializers.ListField(child=serializers.CharField(max_length=32), required=False),
        {"items": {"type": "string", "enum": sorted(services.BROWSERS)}},
    )
    languages = with_request_rule(
        serializers.ListField(child=serializers.CharField(max_length=8), required=False),
        {
            "items": {"type": "string", "pattern": "^[A-Za-z]{2,8}$"},
            "description": "Primary language subtags (en, de).",
        },
    )
    regions = with_request_rule(
        serializers.ListField(
            child=serializers.CharField(max_length=6), required=False, max_length=500
        ),
        {
            "items": {"type": "string", "pattern": "^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$"},
            "description": "ISO 3166-2 codes (US-CA, DE-BY).",
        },
    )
    time_zone = with_request_rule(
        serializers.CharField(max_length=64, required=False),
        {"enum": sorted(available_timezones()), "description": "An IANA time zone."},
    )
    hours = with_request_rule(
        serializers.DictField(
            child=serializers.ListField(child=serializers.IntegerField()), required=False
        ),
        {
            # OpenAPI 3.0 has no propertyNames: the seven weekday keys, named.
            "properties": {
                str(day): {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0, "maximum": 23},
                }
                for day in range(7)
            },
            "additionalProperties": False,
            "description": "Weekday 0 (Monday) to 6 -> the hours 0-23 it runs.",
        },
    )

    class Meta:
        model = OfferTargeting
        fields = [
            "id",
            "offer",
            "oses",
            "browsers",
            "languages",
            "regions",
            "time_zone",
            "hours",
            "starts_at",
            "ends_at",
            "updated_at",
        ]
        validators: list = []


class LandingVariantViewSet(ScopedViewSet):
    """An offer's landing URLs and their weights: each visitor goes to one, in proportion."""

    selector = services.landing_variants_visible_to
    serializer_class = LandingVariantSerializer
    filterset_fields = ["offer", "is_active"]
    ordering_fields = ["id", "weight"]
    create_roles = update_roles = delete_roles = EDITORS

    def perform_create(self, serializer):
        serializer.instance = services.landing_variant_save(
            variant=LandingVariant(), fields=serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.landing_variant_save(
            variant=serializer.instance, fields=serializer.validated_data
        )


class OfferTargetingViewSet(ScopedViewSet):
    """OS, browser and language targeting, day-parting in the offer's time zone, start and end."""

    selector = services.offer_targetings_visible_to
    serializer_class = OfferTargetingSerializer
    filterset_fields = ["offer"]
    ordering_fields = ["id"]
    create_roles = update_roles = delete_roles = EDITORS

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        offer = fields.pop("offer")
        serializer.instance = services.offer_targeting_set(offer=offer, fields=fields)

    def perform_update(self, serializer):
        serializer.instance = services.offer_targeting_set(
            offer=serializer.instance.offer, fields=serializer.validated_data
        )
