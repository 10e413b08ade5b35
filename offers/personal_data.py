"""An advertiser user's organisation in its personal data export and erasure; registered with
accounts/personal_data.py."""

from typing import Any

from accounts.models import Role, User
from accounts.personal_data import ERASED, personal_data_other_active_users
from offers.models import Advertiser


def advertiser_personal_data(user: User) -> dict[str, Any]:
    if user.role != Role.ADVERTISER or user.advertiser_id is None:
        return {}
    advertiser = Advertiser.objects.get(pk=user.advertiser_id)
    return {
        "organisation": {
            "kind": "advertiser",
            "id": advertiser.pk,
            "name": advertiser.name,
            "status": advertiser.status,
        }
    }


def advertiser_personal_data_erase(user: User) -> None:
    if user.role != Role.ADVERTISER or personal_data_other_active_users(subject=user):
        return
    Advertiser.objects.filter(pk=user.advertiser_id).update(
        name=f"{ERASED} advertiser {user.advertiser_id}"
    )
