"""Thin serializers: shapes and which fields each role may write. Rules live in services."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api_roles import ADVERTISER, FINANCE, MANAGER, PUBLISHER, RoleFieldsSerializer
from accounts.models import User
from affiliates.models import ApiKey, PayoutDetailsChange, Publisher
from affiliates.payout_details import DETAIL_MAX_LENGTH
from affiliates.selectors import publishers_visible_to
from core.api_shapes import StrictInputMixin


class PublisherSerializer(RoleFieldsSerializer):
    """Staff and the publisher itself are the only readers (advertisers see no publishers), so
    payout details appear here. Managers edit name and status; finance the payout settings
    (currency, minimum payout, hold days); a publisher its name. Method and details (where the
    money goes) are never written here: they change through /payout-details-changes/, which
    another person confirms."""

    writable_by_role = {
        MANAGER: frozenset({"name", "status"}),
        FINANCE: frozenset({"payout_currency", "minimum_payout", "hold_days"}),
        PUBLISHER: frozenset({"name"}),
    }

    class Meta:
        model = Publisher
        fields = [
            "id",
            "name",
            "status",
            "payout_currency",
            "minimum_payout",
            "payout_method",
            "payout_details",
            "payout_details_changed_at",
            "hold_days",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["payout_details_changed_at"]
        validators = []


@extend_schema_field(
    {
        "type": "object",
        # Text values of at most DETAIL_MAX_LENGTH characters, as affiliates.payout_details
        # checks (`make fuzz`: a nested object was schema-valid and a 400); JSON refuses NUL.
        "additionalProperties": {
            "type": "string",
            "maxLength": DETAIL_MAX_LENGTH,
            "pattern": "^[^\\x00]*$",
        },
    }
)
class PayoutDetailsField(serializers.DictField):
    """Where the money goes: a JSON object of text values (the service checks each)."""


class PayoutDetailsChangeSerializer(StrictInputMixin, serializers.ModelSerializer):
    """A request to change where a publisher is paid: old and new values side by side."""

    publisher = serializers.PrimaryKeyRelatedField(queryset=Publisher.objects.none())
    payout_method = serializers.ChoiceField(
        source="new_payout_method", choices=Publisher.PayoutMethod.choices
    )
    # A JSON object (the schema says `type: object`); anything else is a 400.
    payout_details = PayoutDetailsField(source="new_payout_details")

    class Meta:
        model = PayoutDetailsChange
        fields = [
            "id",
            "publisher",
            "payout_method",
            "payout_details",
            "old_payout_method",
            "old_payout_details",
            "state",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = [
            "old_payout_method",
            "old_payout_details",
            "state",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
        ]
        # A newer request supersedes the pending one (the service), not a uniqueness error.
        validators = []

    def get_fields(self) -> dict:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and getattr(request, "user", None) is not None:
            fields["publisher"].queryset = publishers_visible_to(user=request.user)
        return fields


class ApiKeySerializer(RoleFieldsSerializer):
    """Only the prefix is ever listed; the whole key appears once, in the create answer.
    Everyone mints for themselves; managers also for publisher and advertiser users, and
    superusers for anyone (accounts.policy, api_key.mint_for_other)."""

    writable_by_role = {
        MANAGER: frozenset({"name", "user"}),
        FINANCE: frozenset({"name"}),
        PUBLISHER: frozenset({"name"}),
        ADVERTISER: frozenset({"name"}),
    }
    create_only = frozenset({"name", "user"})
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "user",
            "name",
            "prefix",
            "is_active",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]
        read_only_fields = ["prefix", "last_used_at", "revoked_at"]
        validators = []


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The whole key, shown this once.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.CharField()
    is_staff = serializers.BooleanField()
    advertiser = serializers.IntegerField(allow_null=True)
    publisher = serializers.IntegerField(allow_null=True)
    api_key_prefix = serializers.CharField(
        allow_null=True, help_text="The key this request used, if any."
    )
