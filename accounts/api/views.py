"""Staff changes waiting for a finance confirmation: listed, and confirmed by a finance user who
neither asked for the change nor is its subject."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors, services
from accounts.api.serializers import StaffChangeSerializer


class StaffChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Finance users created or reset by a superuser (in the admin). Until a finance user
    confirms, a created user stays inactive and a reset password does not work."""

    serializer_class = StaffChangeSerializer
    filterset_fields = ["state", "kind", "target"]
    ordering_fields = ["id", "requested_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return StaffChangeSerializer.Meta.model.objects.none()
        return selectors.staff_changes_visible_to(user=self.request.user)

    @extend_schema(request=None, responses=StaffChangeSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        change = services.staff_change_confirm(change_id=self.get_object().pk, by=request.user)
        return Response(self.get_serializer(change).data)
