from rest_framework import serializers

from accounts.models import StaffChange


class StaffChangeSerializer(serializers.ModelSerializer):
    target_username = serializers.CharField(source="target.username", read_only=True)
    target_role = serializers.CharField(source="target.role", read_only=True)

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
