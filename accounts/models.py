from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    MANAGER = "manager", "Network manager"
    FINANCE = "finance", "Finance"
    ADVERTISER = "advertiser", "Advertiser user"
    PUBLISHER = "publisher", "Publisher user"


class User(AbstractUser):
    """A person (or an API key acting for one). The role decides which rows it may see.

    Advertiser users belong to exactly one advertiser, publisher users to exactly one publisher;
    staff roles (manager, finance) belong to neither. The database enforces the pairing.
    """

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MANAGER)
    advertiser = models.ForeignKey(
        "offers.Advertiser", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    publisher = models.ForeignKey(
        "affiliates.Publisher",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_role_matches_organisation",
                condition=(
                    Q(role=Role.ADVERTISER, advertiser__isnull=False, publisher__isnull=True)
                    | Q(role=Role.PUBLISHER, publisher__isnull=False, advertiser__isnull=True)
                    | Q(
                        role__in=[Role.MANAGER, Role.FINANCE],
                        advertiser__isnull=True,
                        publisher__isnull=True,
                    )
                ),
            )
        ]

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER or self.is_superuser

    @property
    def is_finance(self) -> bool:
        return self.role == Role.FINANCE
