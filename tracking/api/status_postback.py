"""POST /api/v1/conversion-status/: the status postback (tracking/status_postback.py).

Server to server, like the conversion postback: the advertiser's server names itself
(`advertiser`) and proves it with its postback secret (token or signature, the callback's own
check), or calls with an advertiser user's API key. One conversion of its own, by txn_id, is
approved, rejected or reversed (with a reason) through monthly validation's rules and services.
"""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.selectors import user_role
from core.api_shapes import StrictInputSerializer
from core.errors import DomainError, ForbiddenError
from tracking.callbacks.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, TOKEN_HEADER
from tracking.callbacks.fields import TOKEN_PARAMS
from tracking.status_postback import AUTH_MESSAGES, status_postback_authenticate
from tracking.validation import DECISIONS, conversion_status_update


class StatusPostbackInputSerializer(StrictInputSerializer):
    advertiser = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="Your advertiser id: required with the postback secret, ignored with an API "
        "key (the key's advertiser acts).",
    )
    txn_id = serializers.CharField(max_length=128, help_text="Your transaction id.")
    decision = serializers.ChoiceField(
        choices=[(d, d) for d in DECISIONS],
        help_text="approve (a pending or rejected conversion), reject (a pending one) or "
        "reverse (an approved one, within the offer's reversal window).",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Required to reject or reverse."
    )
    token = serializers.CharField(
        required=False, max_length=200, help_text="The postback secret (or X-Affnet-Token)."
    )
    security_token = serializers.CharField(required=False, max_length=200, write_only=True)
    verification_token = serializers.CharField(required=False, max_length=200, write_only=True)


class StatusPostbackSerializer(serializers.Serializer):
    conversion = serializers.IntegerField()
    txn_id = serializers.CharField()
    previous_status = serializers.CharField()
    status = serializers.CharField(help_text="pending, approved, rejected or reversed.")
    changed = serializers.BooleanField(help_text="False when it already had this status.")
    message = serializers.CharField()


def _pairs(request: Request) -> list[tuple[str, str]]:
    """What the signature covers: every query and body parameter, as the callback's."""
    pairs = [(key, value) for key, values in request.query_params.lists() for value in values]
    data = request.data
    if hasattr(data, "lists"):
        pairs += [(key, value) for key, values in data.lists() for value in values]
    elif isinstance(data, dict):
        pairs += [(str(key), str(value)) for key, value in data.items()]
    return pairs


class StatusPostbackView(APIView):
    """Change one of your conversions by your transaction id: approve, reject or reverse.

    Authenticate as for the conversion postback: `advertiser` plus your postback secret as
    `token` (or the X-Affnet-Token header), or an X-Affnet-Signature (v2) with
    X-Affnet-Timestamp over the canonical request; or an advertiser user's API key. Repeating a
    decision changes nothing (`changed: false`). Another advertiser's txn_id is not found (404);
    a transition the status does not allow is 409; a reversal after the offer's reversal window
    is a manager's (403). A conversion of a closed month is corrected by an adjustment booked
    in the open month.
    """

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=StatusPostbackInputSerializer,
        responses={
            200: StatusPostbackSerializer,
            404: OpenApiResponse(description="No conversion of yours has this txn_id."),
        },
        operation_id="conversion_status_update",
    )
    def post(self, request: Request) -> Response:
        body = StatusPostbackInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data: dict[str, Any] = body.validated_data
        actor = self._actor(request, data)
        done = conversion_status_update(
            user=actor,
            txn_id=data["txn_id"],
            decision=data["decision"],
            reason=data.get("reason", ""),
        )
        return Response(
            {
                "conversion": done.conversion_id,
                "txn_id": done.txn_id,
                "previous_status": done.status_before,
                "status": done.status,
                "changed": done.changed,
                "message": done.message,
            }
        )

    def _actor(self, request: Request, data: dict[str, Any]) -> Any:
        if request.user and request.user.is_authenticated:
            if user_role(request.user) != Role.ADVERTISER or not request.user.advertiser_id:
                raise ForbiddenError(
                    "forbidden", "Only an advertiser updates its conversions by status postback."
                )
            return request.user
        if "advertiser" not in data:
            raise DomainError.for_field(
                "advertiser", "required", "Name your advertiser id with the postback secret."
            )
        sent = [str(request.data.get(name) or "") for name in TOKEN_PARAMS] + [
            request.query_params.get(name, "") for name in TOKEN_PARAMS
        ]
        header = request.headers.get(TOKEN_HEADER, "")
        tokens = {token for token in [*sent, header] if token}
        if len(tokens) > 1:
            raise ForbiddenError("token_mismatch", AUTH_MESSAGES["token_mismatch"])
        return status_postback_authenticate(
            advertiser_id=data["advertiser"],
            method=request.method or "POST",
            path=request.path,
            pairs=_pairs(request),
            token=next(iter(tokens), ""),
            signature=request.headers.get(SIGNATURE_HEADER, ""),
            timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
            remote_ip=request.META.get("REMOTE_ADDR"),
        )
