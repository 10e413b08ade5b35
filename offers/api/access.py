"""Offer access and postback templates: publishers' rows that name offers (and goals), served
here because offers sit above affiliates (docs/design.md, "Layers"): the offer and goal fields
are scoped by offers.selectors, and access is written by offers.services. Same URLs as before
(/offer-access/, /postback-templates/, offers/api/urls.py).

Each viewset: rows from one selector (scoped by the user), one service per write.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_roles import ADVERTISER, MANAGER, PUBLISHER, RoleFieldsSerializer, ScopedViewSet
from affiliates import filtersets, selectors
from affiliates import services as affiliate_services
from affiliates.models import OfferAccess, PostbackTemplate
from affiliates.selectors import publishers_visible_to
from core.api_fields import HttpUrlField, with_request_rule
from core.api_shapes import StrictInputSerializer
from core.errors import DomainError
from core.macros import POSTBACK_MACROS
from offers import services as offer_services
from offers.selectors import goals_visible_to, offers_visible_to


class OfferAccessSerializer(RoleFieldsSerializer):
    """Publishers ask (offer, message); managers may also grant directly (publisher, status)."""

    writable_by_role = {
        MANAGER: frozenset({"publisher", "offer", "status", "message"}),
        PUBLISHER: frozenset({"offer", "message"}),
    }
    create_only = frozenset({"publisher", "offer", "status", "message"})
    scoped_querysets = {"publisher": publishers_visible_to, "offer": offers_visible_to}

    def get_fields(self):
        fields = super().get_fields()
        # A manager grants or refuses (offers.services.offer_access_grant); only a publisher
        # asks, so `requested` is no status a manager sends (`make fuzz`): the request says so.
        status = fields.get("status")
        if status is not None and not status.read_only:
            fields["status"] = with_request_rule(
                status,
                {
                    "pattern": "^(approved|rejected)$",
                    "description": "approved (the default) or rejected.",
                    "enum": None,
                    "x-spec-enum-id": None,
                },
            )
        return fields

    class Meta:
        model = OfferAccess
        fields = [
            "id",
            "publisher",
            "offer",
            "status",
            "message",
            "decided_by",
            "decided_at",
            "created_at",
        ]
        read_only_fields = ["decided_by", "decided_at"]
        validators = []


class OfferAccessDecisionSerializer(StrictInputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, help_text="Not stored.")


class PostbackTemplateSerializer(RoleFieldsSerializer):
    _editable = frozenset({"scope", "offer", "goal", "url", "method", "events", "is_active"})
    writable_by_role = {MANAGER: _editable | {"publisher"}, PUBLISHER: _editable}
    create_only = frozenset({"publisher"})
    scoped_querysets = {
        "publisher": publishers_visible_to,
        "offer": offers_visible_to,
        "goal": goals_visible_to,
    }
    # What affiliates.services refuses (bad_url, unknown_macro), stated by the request schema.
    url = HttpUrlField(macros=POSTBACK_MACROS, max_length=2000)
    # A non-empty list of events (affiliates.services.template_check), as the request says.
    # Required: a template without events is refused (its column's default is empty).
    events = with_request_rule(
        serializers.JSONField(),
        {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "enum": list(PostbackTemplate.Event.values)},
        },
    )

    class Meta:
        model = PostbackTemplate
        fields = [
            "id",
            "publisher",
            "scope",
            "offer",
            "goal",
            "url",
            "method",
            "events",
            "is_active",
            "created_at",
        ]
        validators = []


class OfferAccessViewSet(ScopedViewSet):
    """Access to offers that need approval. A publisher requests (and may withdraw a pending
    request); managers and the offer's own advertiser approve or reject; managers may also grant
    directly, including private offers."""

    selector = selectors.offer_accesses_visible_to
    serializer_class = OfferAccessSerializer
    filterset_class = filtersets.OfferAccessFilterSet
    ordering_fields = ["id", "status", "created_at", "decided_at"]
    create_roles = frozenset({MANAGER, PUBLISHER})
    update_roles = frozenset()  # decisions go through approve / reject
    delete_roles = frozenset({MANAGER, PUBLISHER})
    http_method_names = ["get", "post", "delete", "head"]

    def perform_create(self, serializer):
        fields = serializer.validated_data
        if self.role == PUBLISHER:
            serializer.instance = offer_services.offer_access_request(
                publisher=self.request.user.publisher,
                offer=fields["offer"],
                message=fields.get("message", ""),
                requested_by=self.request.user,
            )
            return
        if "publisher" not in fields:
            raise DomainError.for_field("publisher", "required", "This field is required.")
        serializer.instance = offer_services.offer_access_grant(
            publisher=fields["publisher"],
            offer=fields["offer"],
            status=fields.get("status", OfferAccess.Status.APPROVED),
            decided_by=self.request.user,
            message=fields.get("message", ""),
        )

    def perform_destroy(self, instance):
        if self.role == PUBLISHER:
            offer_services.offer_access_withdraw(access=instance)
        else:
            instance.delete()

    def _decide(self, new_status: str) -> Response:
        access = self.get_object()
        self.role_require(frozenset({MANAGER, ADVERTISER}), "decide access")
        # The body is read as its schema says (`make fuzz`: an object as `note` was accepted).
        OfferAccessDecisionSerializer(data=self.request.data).is_valid(raise_exception=True)
        access = offer_services.offer_access_decide(
            access=access, status=new_status, decided_by=self.request.user
        )
        return Response(OfferAccessSerializer(access, context=self.get_serializer_context()).data)

    @extend_schema(request=OfferAccessDecisionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(OfferAccess.Status.APPROVED)

    @extend_schema(request=OfferAccessDecisionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(OfferAccess.Status.REJECTED)


class PostbackTemplateViewSet(ScopedViewSet):
    """A publisher's own postback URLs; managers manage any."""

    selector = selectors.postback_templates_visible_to
    serializer_class = PostbackTemplateSerializer
    filterset_class = filtersets.PostbackTemplateFilterSet
    ordering_fields = ["id", "scope", "created_at"]
    create_roles = update_roles = delete_roles = frozenset({MANAGER, PUBLISHER})

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        publisher = fields.pop("publisher", None)
        if self.role == PUBLISHER:
            publisher = self.request.user.publisher
        elif publisher is None:
            raise DomainError.for_field("publisher", "required", "This field is required.")
        serializer.instance = affiliate_services.postback_template_create(
            publisher=publisher, fields=fields
        )

    def perform_update(self, serializer):
        serializer.instance = affiliate_services.postback_template_update(
            template=serializer.instance, fields=serializer.validated_data
        )
