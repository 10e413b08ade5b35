"""/api/v1/traffic-sources/ (a publisher's declared sources) and /api/v1/terms-acceptances/
(which terms version each publisher accepted, when and by whom; read only)."""

from rest_framework import mixins, serializers, viewsets

from accounts.api_roles import MANAGER, PUBLISHER, RoleFieldsSerializer, ScopedViewSet
from affiliates import compliance
from affiliates.models import TermsAcceptance, TrafficSource
from affiliates.selectors import publishers_visible_to
from core.api_fields import HttpUrlField
from core.errors import DomainError


class TrafficSourceSerializer(RoleFieldsSerializer):
    writable_by_role = {
        MANAGER: frozenset({"publisher", "key", "traffic_type", "name", "url"}),
        PUBLISHER: frozenset({"key", "traffic_type", "name", "url"}),
    }
    create_only = frozenset({"publisher"})
    scoped_querysets = {"publisher": publishers_visible_to}
    # What affiliates.compliance refuses (bad_url, any macro), stated by the request schema.
    url = HttpUrlField(max_length=2000, required=False, allow_blank=True)

    class Meta:
        model = TrafficSource
        fields = ["id", "publisher", "key", "traffic_type", "name", "url", "created_at"]
        read_only_fields = ["created_at"]


class TrafficSourceViewSet(ScopedViewSet):
    """A publisher's traffic sources: the publisher declares its own, managers any. A click's
    `source` naming a source's key is of that source's type (fraud: traffic_source_forbidden)."""

    selector = compliance.traffic_sources_visible_to
    serializer_class = TrafficSourceSerializer
    filterset_fields = ["publisher", "traffic_type"]
    ordering_fields = ["id", "key"]
    create_roles = frozenset({MANAGER, PUBLISHER})
    update_roles = frozenset({MANAGER, PUBLISHER})
    delete_roles = frozenset({MANAGER, PUBLISHER})

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        publisher = fields.pop("publisher", None)
        if self.role == PUBLISHER:
            publisher = self.request.user.publisher
        if publisher is None:
            raise DomainError.for_field("publisher", "required", "This field is required.")
        serializer.instance = compliance.traffic_source_save(
            publisher=publisher, by=self.request.user, fields=fields
        )

    def perform_update(self, serializer):
        source = serializer.instance
        serializer.instance = compliance.traffic_source_save(
            publisher=source.publisher,
            by=self.request.user,
            fields=dict(serializer.validated_data),
            source=source,
        )

    def perform_destroy(self, instance):
        compliance.traffic_source_delete(source=instance, by=self.request.user)


class TermsAcceptanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = TermsAcceptance
        fields = [
            "id",
            "publisher",
            "offer",
            "terms",
            "version",
            "how",
            "accepted_by",
            "accepted_at",
        ]
        read_only_fields = fields


class TermsAcceptanceViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Who accepted which version of an offer's terms, when: recorded when a publisher asks for
    access or is granted it. Managers and finance see all; publishers their own; advertisers
    those for their offers."""

    serializer_class = TermsAcceptanceSerializer
    filterset_fields = ["publisher", "offer", "how"]
    ordering_fields = ["id", "accepted_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TermsAcceptance.objects.none()
        return compliance.terms_acceptances_visible_to(user=self.request.user)
