"""Viewsets for publishers, payout details changes, API keys, and `me` (offer access and
postback templates, which name offers, are served by offers/api/access.py).

Each: rows from one selector (scoped by the user), one service per write.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_roles import (
    ADVERTISER,
    FINANCE,
    MANAGER,
    PUBLISHER,
    ScopedViewSet,
    user_role,
)
from accounts.policy import Action, actor_roles, policy_require, policy_roles
from affiliates import filtersets, payout_details, selectors, services
from affiliates.api import serializers
from affiliates.models import ApiKey, Publisher

EVERYONE = frozenset({MANAGER, FINANCE, ADVERTISER, PUBLISHER})


class PublisherViewSet(ScopedViewSet):
    """Publishers. Managers create and edit name and status; finance edits the payout settings
    (currency, minimum payout, hold days); a publisher edits its own name. Where the money goes
    (method and details) changes only through /payout-details-changes/. Deleting is not
    offered: set status suspended."""

    selector = selectors.publishers_visible_to
    serializer_class = serializers.PublisherSerializer
    filterset_class = filtersets.PublisherFilterSet
    ordering_fields = ["id", "name", "status", "created_at"]
    update_roles = frozenset({MANAGER, FINANCE, PUBLISHER})
    http_method_names = ["get", "post", "put", "patch", "head"]

    def perform_create(self, serializer):
        serializer.instance = services.publisher_create(fields=serializer.validated_data)

    def update(self, request, *args, **kwargs):
        publisher = self.get_object()  # 404 for a foreign row first
        if isinstance(request.data, dict):
            # Say where method and details do change, rather than only "not writable".
            payout_details.payout_settings_check(
                user=request.user,
                publisher_id=publisher.id,
                fields={
                    k: v for k, v in request.data.items() if k in payout_details.PAYOUT_DESTINATION
                },
            )
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        payout_details.payout_settings_check(
            user=self.request.user,
            publisher_id=serializer.instance.id,
            fields=serializer.validated_data,
        )
        new_status = serializer.validated_data.get("status", serializer.instance.status)
        if Publisher.Status.BANNED in (new_status, serializer.instance.status) and (
            new_status != serializer.instance.status
        ):
            policy_require(
                action=Action.PUBLISHER_BAN,
                user=self.request.user,
                facts={"publisher_id": serializer.instance.id},
            )
        serializer.instance = services.publisher_update(
            publisher=serializer.instance, fields=serializer.validated_data
        )


class PayoutDetailsChangeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Where a publisher is paid. A publisher user asks for its own publisher, finance for any;
    the change is in force only once confirmed: by finance for a publisher's request, by
    another finance user for a finance user's. Until then batches pay the old details."""

    serializer_class = serializers.PayoutDetailsChangeSerializer
    filterset_fields = ["publisher", "state"]
    ordering_fields = ["id", "requested_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.serializer_class.Meta.model.objects.none()
        return payout_details.payout_details_changes_visible_to(user=self.request.user)

    def create(self, request: Request, *args, **kwargs) -> Response:
        # A role no grant names (advertisers, managers) is refused before its body is read: its
        # `publisher` could name no row it may use, so every body would be a 400 otherwise.
        if not actor_roles(request.user) & policy_roles(Action.PAYOUT_DETAILS_CHANGE):
            policy_require(action=Action.PAYOUT_DETAILS_CHANGE, user=request.user)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = payout_details.payout_details_change_request(
            publisher=serializer.validated_data["publisher"],
            payout_method=serializer.validated_data["new_payout_method"],
            payout_details=serializer.validated_data["new_payout_details"],
            requested_by=self.request.user,
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        change = payout_details.payout_details_change_confirm(
            change_id=self.get_object().id, confirmed_by=request.user
        )
        return Response(self.get_serializer(change).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        change = payout_details.payout_details_change_reject(
            change_id=self.get_object().id, rejected_by=request.user
        )
        return Response(self.get_serializer(change).data)


class ApiKeyViewSet(ScopedViewSet):
    """API keys. Create answers the whole key once; lists show the prefix only. Keys are not
    edited or deleted, only revoked (the row stays, for the audit of who used what)."""

    selector = selectors.api_keys_visible_to
    serializer_class = serializers.ApiKeySerializer
    filterset_class = filtersets.ApiKeyFilterSet
    ordering_fields = ["id", "created_at", "last_used_at"]
    create_roles = EVERYONE
    http_method_names = ["get", "post", "head"]

    @extend_schema(responses={201: serializers.ApiKeyCreatedSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        self.role_require(self.create_roles, "create")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data.get("user") or request.user
        if user.pk != request.user.pk:
            # A key is the user's whole identity: staff keys are minted by superusers only.
            policy_require(
                action=Action.API_KEY_MINT_FOR_OTHER,
                user=request.user,
                facts={"target": user, "target_role": user.role},
            )
        minted = services.user_api_key_create(
            user=user, name=serializer.validated_data.get("name", "")
        )
        body = serializers.ApiKeySerializer(minted.api_key, context=self.get_serializer_context())
        return Response({**body.data, "key": minted.raw_key}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=serializers.ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """Revoked at once: the next request with this key gets 401."""
        api_key: ApiKey = self.get_object()
        api_key = services.user_api_key_revoke(api_key=api_key)
        return Response(
            serializers.ApiKeySerializer(api_key, context=self.get_serializer_context()).data
        )


@extend_schema(responses=serializers.MeSerializer)
@api_view(["GET"])
def me(request: Request) -> Response:
    """Who the caller is: role and organisation, and the key prefix it authenticated with."""
    user = request.user
    api_key = request.auth if isinstance(request.auth, ApiKey) else None
    return Response(
        {
            "id": user.pk,
            "username": user.username,
            "role": user_role(user),
            "is_staff": user.is_staff,
            "advertiser": user.advertiser_id,
            "publisher": user.publisher_id,
            "api_key_prefix": api_key.prefix if api_key else None,
        }
    )
