"""Tracking domains over the API: managers add them, publishers list the ones they may use."""

from typing import ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_shapes import StrictInputSerializer
from tracking.domains import tracking_domain_create, tracking_domains_visible_to
from tracking.models import TrackingDomain


class TrackingDomainSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackingDomain
        fields = ["id", "host", "publisher", "is_default", "created_at"]
        read_only_fields = fields


class TrackingDomainCreateSerializer(StrictInputSerializer):
    host = serializers.CharField(max_length=253)
    publisher = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    is_default = serializers.BooleanField(required=False, default=False)


class TrackingDomainViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The network's domains (publisher null, open to every publisher) and publishers' own."""

    serializer_class = TrackingDomainSerializer
    filterset_fields: ClassVar[list[str]] = ["publisher", "is_default"]
    ordering_fields: ClassVar[list[str]] = ["id", "host"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TrackingDomain.objects.none()
        return tracking_domains_visible_to(user=self.request.user)

    @extend_schema(
        request=TrackingDomainCreateSerializer, responses={201: TrackingDomainSerializer}
    )
    def create(self, request: Request) -> Response:
        """Add a tracking domain (managers); its host must be in ALLOWED_HOSTS."""
        given = TrackingDomainCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        domain = tracking_domain_create(
            user=request.user,
            host=given.validated_data["host"],
            publisher_id=given.validated_data.get("publisher"),
            is_default=given.validated_data["is_default"],
        )
        return Response(TrackingDomainSerializer(domain).data, status=status.HTTP_201_CREATED)
