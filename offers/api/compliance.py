"""/api/v1/offer-terms/: an offer's compliance terms, one row per published version.

Managers publish a new version (POST); nobody edits or deletes one. Advertisers read their own
offers' versions, publishers those of the offers listed to them."""

from rest_framework import serializers

from accounts.api_roles import MANAGER, ScopedViewSet
from core.api_shapes import StrictInputMixin
from core.traffic_types import TrafficType
from offers import compliance
from offers.models import Offer, OfferTerms
from offers.selectors import offers_visible_to


class OfferTermsSerializer(StrictInputMixin, serializers.ModelSerializer):
    offer = serializers.PrimaryKeyRelatedField(queryset=Offer.objects.all())
    allowed_traffic = serializers.ListField(
        child=serializers.ChoiceField(choices=TrafficType.choices), required=False, max_length=50
    )
    forbidden_traffic = serializers.ListField(
        child=serializers.ChoiceField(choices=TrafficType.choices), required=False, max_length=50
    )
    text = serializers.CharField(required=False, allow_blank=True, max_length=50_000)

    class Meta:
        model = OfferTerms
        fields = [
            "id",
            "offer",
            "version",
            "allowed_traffic",
            "forbidden_traffic",
            "text",
            "published_by",
            "published_at",
        ]
        read_only_fields = ["version", "published_by", "published_at"]

    def get_fields(self) -> dict:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            fields["offer"].queryset = offers_visible_to(user=request.user)
        return fields


class OfferTermsViewSet(ScopedViewSet):
    """Versions of offers' terms: the traffic types allowed and forbidden, and the text."""

    selector = compliance.offer_terms_visible_to
    serializer_class = OfferTermsSerializer
    filterset_fields = ["offer"]
    ordering_fields = ["id", "offer", "version"]
    create_roles = frozenset({MANAGER})
    http_method_names = ["get", "post", "head"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = compliance.offer_terms_publish(
            offer=data["offer"],
            by=self.request.user,
            allowed_traffic=data.get("allowed_traffic", []),
            forbidden_traffic=data.get("forbidden_traffic", []),
            text=data.get("text", ""),
        )
