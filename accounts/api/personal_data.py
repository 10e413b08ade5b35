"""Personal data over the API: a user's export, its request for deletion, and the deletion."""

from typing import ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import PersonalDataRequest
from accounts.personal_data import (
    personal_data_erase,
    personal_data_erasure_request,
    personal_data_export,
    personal_data_requests_visible_to,
)


class PersonalDataExportView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "user",
                {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
                description="Finance and managers: another user's export.",
            )
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        """The caller's personal data (user, organisation, masked payout details, API key
        prefixes, audit entries) as JSON."""
        given = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
        raw = request.query_params.get("user")
        subject_id = given.run_validation(raw) if raw not in (None, "") else None
        data = personal_data_export(user=request.user, subject_id=subject_id)
        response = Response(data)
        response["Content-Disposition"] = 'attachment; filename="personal-data.json"'
        return response


class PersonalDataRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = PersonalDataRequest
        fields = ["id", "user", "state", "requested_at", "done_by", "done_at"]
        read_only_fields = fields


class PersonalDataRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Requests for deletion: a partner user makes and sees its own; finance and managers see
    all and carry them out."""

    serializer_class = PersonalDataRequestSerializer
    filterset_fields: ClassVar[list[str]] = ["state"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PersonalDataRequest.objects.none()
        return personal_data_requests_visible_to(user=self.request.user)

    @extend_schema(request=None, responses={201: PersonalDataRequestSerializer})
    def create(self, request: Request) -> Response:
        row = personal_data_erasure_request(user=request.user)
        return Response(PersonalDataRequestSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: PersonalDataRequestSerializer})
    @action(detail=True, methods=["post"])
    def erase(self, request: Request, pk: str) -> Response:
        """Carry out the deletion (finance or managers): names, e-mails and payout details
        become a placeholder, the user is deactivated, amounts are kept."""
        row = personal_data_erase(user=request.user, request_id=int(pk))
        return Response(PersonalDataRequestSerializer(row).data)
