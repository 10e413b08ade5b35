from rest_framework import serializers

from accounts.models import StaffChange


class StaffChangeSerializer(serializers.ModelSerializer):
    target_username = serializers.CharField(source="target.username", read_only=True)
    target_role = serializers.CharField(source="target.role", read_only=True)
    # Plain strings in the schema: enums named `kind` and `state` already exist (ledger entries,
    # four-eyes requests) with other values, and two sets under one name is a schema warning.
    kind = serializers.CharField(read_only=True, help_text="create or reset")
    state = serializers.CharField(read_only=True, help_text="pending, confirmed or cancelled")

    class Meta:
        model = StaffChange
        fields = [
            "id",
            "target",
            "target_username",
            "target_role",
            "kind",
            "state",
            "requested_by",
            "requested_at",
            "confirmed_by",
            "decided_at",
        ]
        read_only_fields = fields
