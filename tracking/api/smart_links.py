"""Smart links over the API: a publisher's own (managers: any publisher's). One link, /s/<code>,
sends each visitor to the best eligible offer of its list (tracking/smart_link_models.py)."""

from rest_framework import serializers

from accounts.api_roles import MANAGER, PUBLISHER, RoleFieldsSerializer, ScopedViewSet
from affiliates.models import Publisher
from core.api_fields import HttpUrlField, with_request_rule
from core.macros import CLICK_MACROS
from offers.models import Offer
from tracking import smart_links as services
from tracking.models import SmartLink

EDITORS = frozenset({MANAGER, PUBLISHER})


class SmartLinkOfferSerializer(serializers.Serializer):
    # Any offer id here; whether the publisher may run it is the service's question, answered
    # the same for a missing offer and a foreign one.
    offer = serializers.PrimaryKeyRelatedField(queryset=Offer.objects.all())
    weight = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)


class SmartLinkSerializer(RoleFieldsSerializer):
    _editable = frozenset({"name", "rule", "fallback_url", "is_active", "offers"})
    writable_by_role = {MANAGER: _editable | {"publisher"}, PUBLISHER: _editable}
    create_only = frozenset({"publisher"})
    # 1 to MAX_OFFERS of them: the request schema says what tracking.smart_links refuses.
    offers = with_request_rule(
        serializers.ListSerializer(
            child=SmartLinkOfferSerializer(),
            required=False,
        ),
        {"minItems": 1, "maxItems": services.MAX_OFFERS},
    )
    url = serializers.SerializerMethodField()
    publisher = serializers.PrimaryKeyRelatedField(queryset=Publisher.objects.all(), required=False)
    # What tracking.smart_links refuses (bad_url, unknown_macro), stated by the request schema.
    fallback_url = HttpUrlField(
        macros=CLICK_MACROS, max_length=2000, required=False, allow_blank=True
    )

    class Meta:
        model = SmartLink
        fields = [
            "id",
            "publisher",
            "name",
            "rule",
            "fallback_url",
            "is_active",
            "offers",
            "url",
            "created_at",
        ]
        validators: list = []

    def get_fields(self):
        fields = super().get_fields()
        # A new smart link needs its offers (tracking.smart_links); an update may keep them.
        # (A PUT/PATCH body is its own component: UpdateBodiesOwnTheirName.)
        request = self.context.get("request")
        offers = fields.get("offers")
        creating = self.instance is None and getattr(request, "method", "") == "POST"
        if offers is not None and not offers.read_only and creating:
            offers.required = True
        return fields

    def get_url(self, smart_link: SmartLink) -> str:
        return services.smart_link_url(smart_link)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["offers"] = [
            {"offer": item.offer_id, "weight": item.weight}
            for item in instance.offers.order_by("id")
        ]
        return data


class SmartLinkViewSet(ScopedViewSet):
    """A publisher's smart links: one URL for a weighted or EPC-ranked set of offers."""

    selector = services.smart_links_visible_to
    serializer_class = SmartLinkSerializer
    filterset_fields = ["publisher", "is_active", "rule"]
    ordering_fields = ["id"]
    create_roles = update_roles = delete_roles = EDITORS

    def perform_create(self, serializer):
        serializer.instance = services.smart_link_save(
            actor=self.request.user, smart_link=None, fields=serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.smart_link_save(
            actor=self.request.user,
            smart_link=serializer.instance,
            fields=serializer.validated_data,
        )
