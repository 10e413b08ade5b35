"""A publisher user's personal data held by affiliates: its publisher's name and payout
details (masked in the export), its API keys (prefixes only); registered with
accounts/personal_data.py."""

from typing import Any

from django.utils import timezone

from accounts.models import Role, User
from accounts.personal_data import (
    ERASED,
    personal_data_mask,
    personal_data_other_active_users,
)
from affiliates.models import ApiKey, PayoutDetailsChange, Publisher


def publisher_personal_data(user: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "api_keys": [
            {
                "prefix": key.prefix,
                "name": key.name,
                "created_at": key.created_at.isoformat(),
                "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
            }
            for key in ApiKey.objects.filter(user=user).order_by("id")
        ]
    }
    if user.role == Role.PUBLISHER and user.publisher_id is not None:
        publisher = Publisher.objects.get(pk=user.publisher_id)
        data["organisation"] = {
            "kind": "publisher",
            "id": publisher.pk,
            "name": publisher.name,
            "status": publisher.status,
            "payout_method": publisher.payout_method,
            "payout_currency": publisher.payout_currency,
            "payout_details": {
                name: personal_data_mask(value)
                for name, value in (publisher.payout_details or {}).items()
            },
        }
    return data


def publisher_personal_data_erase(user: User) -> None:
    ApiKey.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if user.role != Role.PUBLISHER or personal_data_other_active_users(subject=user):
        return
    placeholder = {"erased": ERASED}
    Publisher.objects.filter(pk=user.publisher_id).update(
        name=f"{ERASED} publisher {user.publisher_id}", payout_details=placeholder
    )
    PayoutDetailsChange.objects.filter(publisher_id=user.publisher_id).update(
        old_payout_details=placeholder, new_payout_details=placeholder
    )
