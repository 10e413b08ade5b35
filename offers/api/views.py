"""Viewsets for advertisers, offers, goals, terms, publisher overrides and caps.

Each: rows from one selector (scoped by the user), one serializer per role where fields
differ, one service per write.
"""

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_roles import ADVERTISER, MANAGER, PUBLISHER, ScopedViewSet
from affiliates.models import OfferAccess
from offers import filtersets, selectors, services
from offers.api import serializers
from offers.models import Goal, PublisherOverride

EDITORS = frozenset({MANAGER, ADVERTISER})


class AdvertiserViewSet(ScopedViewSet):
    """Advertisers. Managers create and edit; an advertiser user reads and edits its own (not
    its status); finance reads. Deleting is not offered: set status inactive."""

    selector = selectors.advertisers_visible_to
    serializer_class = serializers.AdvertiserSerializer
    filterset_class = filtersets.AdvertiserFilterSet
    ordering_fields = ["id", "name", "status", "created_at"]
    update_roles = EDITORS
    http_method_names = ["get", "post", "put", "patch", "head"]

    def perform_create(self, serializer):
        serializer.instance = services.advertiser_create(fields=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.advertiser_update(
            advertiser=serializer.instance, fields=serializer.validated_data
        )

    @extend_schema(request=None, responses=serializers.PostbackSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """New postback secret, shown once; the previous one stops working at once."""
        advertiser = self.get_object()
        self.role_require(EDITORS, "rotate the secret")
        raw = services.advertiser_postback_secret_rotate(advertiser=advertiser)
        return Response(
            {"postback_secret": raw, "postback_secret_prefix": advertiser.postback_secret_prefix}
        )


def _offer_as_seen(*, many: bool) -> PolymorphicProxySerializer:
    """The reading shape depends on the caller: a publisher's is narrower (documented as such)."""
    return PolymorphicProxySerializer(
        component_name="OfferAsSeen",
        serializers=[serializers.OfferSerializer, serializers.PublisherOfferSerializer],
        resource_type_field_name=None,
        many=many,
    )


@extend_schema_view(
    list=extend_schema(responses=_offer_as_seen(many=True)),
    retrieve=extend_schema(responses=_offer_as_seen(many=False)),
)
class OfferViewSet(ScopedViewSet):
    """Offers. Managers and the owning advertiser write; publishers read a narrower shape.
    Deleting is not offered (clicks and conversions name offers): set status expired."""

    selector = selectors.offers_visible_to
    serializer_class = serializers.OfferSerializer
    filterset_class = filtersets.OfferFilterSet
    ordering_fields = ["id", "name", "status", "created_at", "updated_at"]
    create_roles = update_roles = EDITORS
    http_method_names = ["get", "post", "put", "patch", "head"]

    def get_serializer_class(self):
        if self.role == PUBLISHER:
            return serializers.PublisherOfferSerializer
        return serializers.OfferSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.role != PUBLISHER:
            return queryset
        mine = OfferAccess.objects.filter(
            offer=OuterRef("pk"), publisher_id=self.request.user.publisher_id
        ).values("status")[:1]
        return queryset.annotate(my_access=Subquery(mine)).prefetch_related(
            Prefetch("goals", queryset=Goal.objects.select_related("terms"))
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.role == PUBLISHER:
            context["overrides"] = _overrides_now(publisher_id=self.request.user.publisher_id)
        return context

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        advertiser = fields.pop("advertiser", None) or self.request.user.advertiser
        serializer.instance = services.offer_create(advertiser=advertiser, fields=fields)

    def perform_update(self, serializer):
        serializer.instance = services.offer_update(
            offer=serializer.instance, fields=serializer.validated_data, actor=self.request.user
        )


def _overrides_now(*, publisher_id: int) -> dict[tuple[int, int | None], PublisherOverride]:
    """The publisher's overrides in force now, keyed (offer_id, goal_id or None), in one query."""
    now = timezone.now()
    found = {}
    for override in PublisherOverride.objects.filter(publisher_id=publisher_id):
        in_window = (override.valid_from is None or override.valid_from <= now) and (
            override.valid_to is None or override.valid_to > now
        )
        if in_window:
            found[(override.offer_id, override.goal_id)] = override
    return found


class GoalViewSet(ScopedViewSet):
    selector = selectors.goals_visible_to
    serializer_class = serializers.GoalSerializer
    filterset_class = filtersets.GoalFilterSet
    ordering_fields = ["id", "name", "ref"]
    create_roles = update_roles = delete_roles = EDITORS

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        offer = fields.pop("offer")
        serializer.instance = services.goal_create(offer=offer, fields=fields)

    def perform_update(self, serializer):
        serializer.instance = services.goal_update(
            goal=serializer.instance, fields=serializer.validated_data
        )


class TermsViewSet(ScopedViewSet):
    """A goal's terms. Managers write both sides; an advertiser reads and writes only the
    revenue side of its own goals (payout fields are absent, and a 400 if sent); deleting terms
    deletes the payout too, so only managers may. Never shown to publishers."""

    selector = selectors.terms_visible_to
    serializer_class = serializers.TermsSerializer
    ordering_fields = ["id", "updated_at"]
    create_roles = update_roles = EDITORS
    delete_roles = frozenset({MANAGER})

    @property
    def filterset_class(self):
        if self.role == ADVERTISER:
            return filtersets.AdvertiserTermsFilterSet  # ?payout_kind= is ignored for them
        return filtersets.TermsFilterSet

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        goal = fields.pop("goal")
        serializer.instance = services.terms_create(
            goal=goal, fields=fields, actor=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = services.terms_update(
            terms=serializer.instance, fields=serializer.validated_data, actor=self.request.user
        )

    def perform_destroy(self, instance):
        services.terms_delete(terms=instance, actor=self.request.user)


class PublisherOverrideViewSet(ScopedViewSet):
    """Publisher-specific payouts. Managers write; a publisher reads its own."""

    selector = selectors.overrides_visible_to
    serializer_class = serializers.PublisherOverrideSerializer
    filterset_class = filtersets.PublisherOverrideFilterSet
    ordering_fields = ["id", "valid_from", "created_at"]
    delete_roles = frozenset({MANAGER})

    def perform_create(self, serializer):
        serializer.instance = services.override_create(
            fields=serializer.validated_data, actor=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = services.override_update(
            override=serializer.instance, fields=serializer.validated_data, actor=self.request.user
        )


class CapViewSet(ScopedViewSet):
    selector = selectors.caps_visible_to
    serializer_class = serializers.CapSerializer
    filterset_class = filtersets.CapFilterSet
    ordering_fields = ["id", "period", "limit"]
    create_roles = update_roles = delete_roles = EDITORS

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        offer = fields.pop("offer")
        serializer.instance = services.cap_create(
            offer=offer, fields=fields, actor=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = services.cap_update(
            cap=serializer.instance, fields=serializer.validated_data, actor=self.request.user
        )
