"""Landing variants and finer targeting of offers (offers/landing.py): managers and the offer's
advertiser edit them; the redirect sees a change within CLICK_LINK_CACHE_SECONDS."""

from rest_framework import serializers

from accounts.api_roles import ADVERTISER, MANAGER, RoleFieldsSerializer, ScopedViewSet
from offers import landing_services as services
from offers.landing import LandingVariant, OfferTargeting
from offers.selectors import offers_visible_to

EDITORS = frozenset({MANAGER, ADVERTISER})


class LandingVariantSerializer(RoleFieldsSerializer):
    _editable = frozenset({"offer", "name", "url", "weight", "is_active"})
    writable_by_role = {MANAGER: _editable, ADVERTISER: _editable}
    create_only = frozenset({"offer"})
    scoped_querysets = {"offer": offers_visible_to}

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
    oses = serializers.ListField(child=serializers.CharField(max_length=32), required=False)
    browsers = serializers.ListField(child=serializers.CharField(max_length=32), required=False)
    languages = serializers.ListField(child=serializers.CharField(max_length=8), required=False)
    regions = serializers.ListField(
        child=serializers.CharField(max_length=6), required=False, max_length=500
    )
    hours = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField()), required=False
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
