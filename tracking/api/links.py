"""Tracking links over the API: publishers list and mint theirs, ready to copy."""

from typing import ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_shapes import StrictInputSerializer
from tracking.clicks.selectors import links_visible_to
from tracking.links import link_create, link_impression_url, link_tune_url, link_url
from tracking.models import TrackingLink


class LinkSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    tune_url = serializers.SerializerMethodField()
    impression_url = serializers.SerializerMethodField()

    class Meta:
        model = TrackingLink
        fields = [
            "id",
            "code",
            "offer",
            "publisher",
            "domain",
            "url",
            "tune_url",
            "impression_url",
            "created_at",
        ]
        read_only_fields = fields

    def get_url(self, link: TrackingLink) -> str:
        return link_url(link)

    def get_tune_url(self, link: TrackingLink) -> str:
        return link_tune_url(link)

    def get_impression_url(self, link: TrackingLink) -> str:
        return link_impression_url(link)


class LinkCreateSerializer(StrictInputSerializer):
    offer = serializers.IntegerField(min_value=1)
    publisher = serializers.IntegerField(min_value=1, required=False)
    # A tracking domain the publisher may use (GET /api/v1/tracking-domains/); omitted: the
    # link's current one, or the network's default for a new link.
    domain = serializers.IntegerField(min_value=1, required=False)


class LinkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = LinkSerializer
    filterset_fields: ClassVar[list[str]] = ["offer", "publisher"]
    ordering_fields: ClassVar[list[str]] = ["id", "created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TrackingLink.objects.none()
        return links_visible_to(user=self.request.user).select_related("domain")

    @extend_schema(
        request=LinkCreateSerializer, responses={200: LinkSerializer, 201: LinkSerializer}
    )
    def create(self, request: Request) -> Response:
        """Mint (or return) the link of an offer: 201 when new, 200 when it existed."""
        given = LinkCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        link, created = link_create(
            user=request.user,
            offer_id=given.validated_data["offer"],
            publisher_id=given.validated_data.get("publisher"),
            domain_id=given.validated_data.get("domain"),
        )
        return Response(
            LinkSerializer(link).data, status=status.HTTP_201_CREATED if created else 200
        )
